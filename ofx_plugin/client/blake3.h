// SPDX-License-Identifier: Apache-2.0
// BLAKE3 (the paper's unkeyed hash, 32-byte output) of a byte range as lowercase hex: the
// protocol's content hash. Written here so the client library needs no crypto library. Full
// chunks are hashed 8 or 16 at a time in vector lanes (AVX2, AVX-512 where the CPU has it) and
// large inputs on a few threads; both split the input on the hash tree's own subtrees, so the
// hash never depends on either.
#pragma once

#include <cstddef>
#include <string>

namespace synthfx::ofx {

std::string blake3Hex(const void* data, size_t size);

// The code that hashes many chunks at once: Avx512 (16 at once), Avx2 (8), Generic (the same
// vector code as Avx2 for the baseline instruction set) or Scalar (one). Best is the first the
// CPU has; a kernel the CPU or the compiler lacks falls back to the next one.
enum class Blake3Kernel { Best, Avx512, Avx2, Generic, Scalar };

// For tests and benchmarks: at most `maxThreads` threads (0: min(hardware threads, 8)).
std::string blake3Hex(const void* data, size_t size, unsigned maxThreads,
                      Blake3Kernel kernel = Blake3Kernel::Best);

}  // namespace synthfx::ofx
