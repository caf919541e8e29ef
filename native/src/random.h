// SPDX-License-Identifier: Apache-2.0
// Counter-based random numbers: a value depends only on its key, never on evaluation order, so
// every backend and thread count draws the same numbers.
#pragma once

#include <cstdint>

#include "host_device.h"

namespace synthfx {

SYNTHFX_HD std::uint64_t mix64(std::uint64_t x) {
    // splitmix64 finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

SYNTHFX_HD std::uint64_t random_key(std::uint64_t seed, std::uint32_t level,
                                    std::uint32_t iteration, std::uint32_t pixel,
                                    std::uint32_t step) {
    std::uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ULL);
    h = mix64(h ^ (std::uint64_t(level) << 32 | iteration));
    h = mix64(h ^ (std::uint64_t(pixel) << 32 | step));
    return h;
}

// random_key in two parts: the prefix depends on (seed, level, iteration) only, so the CUDA
// backend computes it once per launch and each pixel finishes its key with one more round.
// random_key_from_prefix(random_key_prefix(s, l, i), p, t) == random_key(s, l, i, p, t).
SYNTHFX_HD std::uint64_t random_key_prefix(std::uint64_t seed, std::uint32_t level,
                                           std::uint32_t iteration) {
    const std::uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ULL);
    return mix64(h ^ (std::uint64_t(level) << 32 | iteration));
}

SYNTHFX_HD std::uint64_t random_key_from_prefix(std::uint64_t prefix, std::uint32_t pixel,
                                                std::uint32_t step) {
    return mix64(prefix ^ (std::uint64_t(pixel) << 32 | step));
}

// Uniform integer in [lo, hi] from 32 bits of a key (multiply-shift, no modulo bias worth noting
// for ranges below 2^16).
SYNTHFX_HD int random_between(std::uint32_t bits, int lo, int hi) {
    const std::uint64_t span = std::uint64_t(hi - lo + 1);
    return lo + int((std::uint64_t(bits) * span) >> 32);
}

}  // namespace synthfx
