// SPDX-License-Identifier: Apache-2.0
// Per-element logic of every CUDA kernel, as __host__ __device__ functions: the kernels are thin
// index wrappers around these, and the same code can run on the host (with one lane per pixel)
// to check it against the CPU backend on machines without a GPU.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "../random.h"
#include "device_common.cuh"

#define SFX_HD __host__ __device__ __forceinline__

namespace synthfx::cuda {

constexpr int kSlots = 2;                    // 16-byte chunks per lane per pass over a patch row
constexpr int kBatch = 4;                    // PatchMatch candidates evaluated together
constexpr std::uint32_t kInitStep = 1000;    // the CPU's random_init draw
constexpr std::uint32_t kRepairStep = 2000;  // the CPU's draw for a masked upsampled centre
constexpr int kVoteChannels = 4;             // style channels summed per pass over the patch

SFX_HD int imin(int a, int b) { return a < b ? a : b; }
SFX_HD int imax(int a, int b) { return a > b ? a : b; }
SFX_HD int clamp_int(int v, int lo, int hi) { return imin(imax(v, lo), hi); }

template <typename T> SFX_HD T load(const T* p) {
#ifdef __CUDA_ARCH__
    return __ldg(p);
#else
    return *p;
#endif
}

SFX_HD void atomic_add(int* p, int v) {
#ifdef __CUDA_ARCH__
    atomicAdd(p, v);
#else
    *p += v;
#endif
}

// A product the compiler may not fuse into a neighbouring add (the CPU stores it first).
SFX_HD float mul_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}

// A sum the compiler may not fuse with a product.
SFX_HD float add_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}

// ---- patch distances on half features

SFX_HD float2 half2_difference(unsigned s, unsigned t) {
    __half2 a, b;
    memcpy(&a, &s, sizeof(a));
    memcpy(&b, &t, sizeof(b));
    return __half22float2(__hsub2(a, b));
}

SFX_HD float square_sum(float2 d) { return fmaf(d.y, d.y, d.x * d.x); }

// SSD of one chunk (8 channels), in a fixed order.
SFX_HD float chunk_ssd(const uint4& s, const uint4& t) {
    const float a = square_sum(half2_difference(s.x, t.x));
    const float b = square_sum(half2_difference(s.y, t.y));
    const float c = square_sum(half2_difference(s.z, t.z));
    const float d = square_sum(half2_difference(s.w, t.w));
    return (a + b) + (c + d);
}

// As chunk_ssd with the style part (half2 index < style_pairs) multiplied by ws (1 or 0) and the
// guide part by m.
SFX_HD float chunk_ssd_split(const uint4& s, const uint4& t, int style_pairs, float ws, float m) {
    const float v[4] = {
        square_sum(half2_difference(s.x, t.x)), square_sum(half2_difference(s.y, t.y)),
        square_sum(half2_difference(s.z, t.z)), square_sum(half2_difference(s.w, t.w))};
    float style = 0.0f, guide = 0.0f;
#pragma unroll
    for (int h = 0; h < 4; ++h) {
        if (h < style_pairs) {
            style += v[h];
        } else {
            guide += v[h];
        }
    }
    return fmaf(m, guide, ws * style);
}

// Lanes of this thread's group of G (aligned within the warp).
template <int G> SFX_HD unsigned group_mask() {
#ifdef __CUDA_ARCH__
    if constexpr (G == 32) {
        return 0xffffffffu;
    } else {
        const unsigned lane = threadIdx.x & 31u;
        return ((1u << G) - 1u) << (lane & ~unsigned(G - 1));
    }
#else
    return 1u;
#endif
}

// Butterfly sum: every lane of the group ends with the bit-identical total (each step adds the
// same two values, commutatively), so the group's control flow stays uniform.
template <int G> SFX_HD float group_sum(float v, unsigned mask) {
#ifdef __CUDA_ARCH__
#pragma unroll
    for (int o = G / 2; o > 0; o >>= 1) v += __shfl_xor_sync(mask, v, o);
#elif defined(SFX_HOST_GROUP_SUM)
    // A host test that runs the G lanes of a group in lockstep does the butterfly here.
    (void)mask;
    v = SFX_HOST_GROUP_SUM(v);
#else
    (void)mask;  // the host runs groups of one lane
#endif
    return v;
}

// Lanes per pixel of the PatchMatch and distance kernels: enough for kSlots chunks each per row
// pass (2 to 32, a power of two).
inline int group_lanes(const HalfFeatures& f) {
    const int want = (f.patch * f.chunks + kSlots - 1) / kSlots;
    int g = 2;
    while (g < want && g < 32) g *= 2;
    return g;
}

// Distances (scaled by s^2) from the target patch at (px, py) to B source patches, the patch
// rows split into 16-byte chunks over the G lanes. A candidate whose running sum exceeds its
// bound stops (alive = false, checked per row); survivors hold their full sum.
template <int G, int B>
SFX_HD void evaluate(const HalfFeatures& f, int lane, unsigned mask, int px, int py,
                     const int (&qx)[B], const int (&qy)[B], const float (&bound)[B],
                     bool (&alive)[B], float (&total)[B]) {
    const int row_chunks = f.patch * f.chunks;
    const std::size_t t_stride = std::size_t(f.pw) * f.chunks;
    const std::size_t s_stride = std::size_t(f.spw) * f.chunks;
    const uint4* t_row = f.target + (std::size_t(py) * f.pw + px) * f.chunks;
    const float* m_row =
        f.modulation != nullptr ? f.modulation + std::size_t(py) * f.pw + px : nullptr;
    const bool split = m_row != nullptr || f.guides_only;
    const float ws = f.guides_only ? 0.0f : 1.0f;
    const uint4* s_row[B];
    bool any = false;
#pragma unroll
    for (int b = 0; b < B; ++b) {
        total[b] = 0.0f;
        s_row[b] = f.source + (std::size_t(qy[b]) * f.spw + qx[b]) * f.chunks;
        any = any || alive[b];
    }
    for (int y = 0; y < f.patch && any; ++y) {
        float part[B];
#pragma unroll
        for (int b = 0; b < B; ++b) part[b] = 0.0f;
        for (int base = 0; base < row_chunks; base += G * kSlots) {
#pragma unroll
            for (int k = 0; k < kSlots; ++k) {
                const int j = base + lane + k * G;
                if (j < row_chunks) {
                    const uint4 t = load(t_row + j);
                    uint4 s[B];
#pragma unroll
                    for (int b = 0; b < B; ++b) {
                        s[b] = alive[b] ? load(s_row[b] + j) : make_uint4(0, 0, 0, 0);
                    }
                    if (!split) {
#pragma unroll
                        for (int b = 0; b < B; ++b) part[b] += chunk_ssd(s[b], t);
                    } else {
                        const int column = j / f.chunks;
                        const int pairs =
                            clamp_int(f.guide_half2 - 4 * (j - column * f.chunks), 0, 4);
                        const float m = m_row != nullptr ? load(m_row + column) : 1.0f;
#pragma unroll
                        for (int b = 0; b < B; ++b) {
                            part[b] += chunk_ssd_split(s[b], t, pairs, ws, m);
                        }
                    }
                }
            }
        }
        any = false;
#pragma unroll
        for (int b = 0; b < B; ++b) {
            if (alive[b]) {
                total[b] += group_sum<G>(part[b], mask);
                alive[b] = !(total[b] > bound[b]);
                any = any || alive[b];
            }
        }
        t_row += t_stride;
        if (m_row != nullptr) m_row += f.pw;
#pragma unroll
        for (int b = 0; b < B; ++b) s_row[b] += s_stride;
    }
}

// One PatchMatch step for one target pixel (one lane of its group): the CPU's
// patchmatch_iteration body. Pixels are updated in place in four phases, one parity class
// (x % 2, y % 2) each, so neighbours of earlier phases are read fresh as in a sequential scan,
// and the occupancy map is rebuilt before every phase: updating more pixels against one map lets
// whole regions pile onto the same under-used source at once (against the CPU backend, Jacobi
// or two alternating halves lost up to 2x in the error after the 3x3 pass). Candidates are
// tried kBatch at a time; acceptance runs in candidate order with the CPU's test
// (d < best_cost - penalty), so a batch picks what trying them one by one would pick, and only
// the random draws of a batch share the centre the batch started from.
template <int G>
SFX_HD void patchmatch_pixel(const PatchMatchArgs& a, int px, int py, int lane, unsigned mask) {
    const HalfFeatures& f = a.f;
    const long long pixel = static_cast<long long>(py) * f.tw + px;
    const int2 current = a.nnf_in[pixel];
    const float current_ssd = a.ssd_in[pixel];
    if (a.frozen != nullptr && a.frozen[pixel] != 0) {
        if (lane == 0) {
            a.nnf_out[pixel] = current;
            a.ssd_out[pixel] = current_ssd;
        }
        return;
    }

    const float bound_scale = f.scale[1], unscale = f.scale[2];
    const bool uniform = a.patch_sum != nullptr;
    const long long area = static_cast<long long>(f.patch) * f.patch;
    int best_x = current.x, best_y = current.y;
    float best_ssd = current_ssd;
    float best_cost =
        best_ssd +
        (uniform ? a.occupancy_scale * float(a.patch_sum[std::size_t(best_y) * f.sw + best_x])
                 : 0.0f);

    int qx[kBatch], qy[kBatch];
    float penalty[kBatch], bound[kBatch], total[kBatch];
    bool alive[kBatch];

    // The CPU's try_candidate up to the distance: clamp, skip the current best, repeats within
    // the batch (they cannot win) and masked centres, then the occupancy penalty and bound.
    auto prepare = [&](int slot, int x, int y) {
        x = clamp_int(x, f.centres.min_x, f.centres.max_x);
        y = clamp_int(y, f.centres.min_y, f.centres.max_y);
        qx[slot] = x;
        qy[slot] = y;
        alive[slot] = false;
        penalty[slot] = 0.0f;
        bound[slot] = 0.0f;
        if (x == best_x && y == best_y) return;
        for (int o = 0; o < slot; ++o) {
            if (qx[o] == x && qy[o] == y) return;
        }
        const std::size_t s = std::size_t(y) * f.sw + x;
        if (a.allowed != nullptr && a.allowed[s] == 0) return;
        penalty[slot] = uniform ? a.occupancy_scale * float(a.patch_sum[s] + area) : 0.0f;
        const float b = best_cost - penalty[slot];
        if (b <= 0.0f) return;
        bound[slot] = b * bound_scale;
        alive[slot] = true;
    };
    auto skip = [&](int slot) {
        qx[slot] = best_x;
        qy[slot] = best_y;
        alive[slot] = false;
        penalty[slot] = 0.0f;
        bound[slot] = 0.0f;
    };
    auto accept = [&]() {
#pragma unroll
        for (int b = 0; b < kBatch; ++b) {
            if (!alive[b]) continue;
            const float d = total[b] * unscale;
            if (d < best_cost - penalty[b]) {
                best_x = qx[b];
                best_y = qy[b];
                best_ssd = d;
                best_cost = d + penalty[b];
            }
        }
    };

    // Propagation: left, up, right, down neighbours' previous matches shifted onto this pixel.
#pragma unroll
    for (int b = 0; b < 4; ++b) {
        const int dx = b == 0 ? -1 : (b == 2 ? 1 : 0);
        const int dy = b == 1 ? -1 : (b == 3 ? 1 : 0);
        const int nx = px + dx, ny = py + dy;
        if (nx >= 0 && nx < f.tw && ny >= 0 && ny < f.th) {
            const int2 n = a.nnf_in[std::size_t(ny) * f.tw + nx];
            prepare(b, n.x - dx, n.y - dy);
        } else {
            skip(b);
        }
    }
    evaluate<G, kBatch>(f, lane, mask, px, py, qx, qy, bound, alive, total);
    accept();

    // Random search in shrinking windows around the best match, batch by batch.
    std::uint32_t draw = 0;
    int radius = a.max_radius;
    while (radius >= 1) {
#pragma unroll
        for (int b = 0; b < kBatch; ++b) {
            if (radius >= 1) {
                const std::uint64_t bits =
                    random_key_from_prefix(a.key_prefix, std::uint32_t(pixel), draw);
                prepare(b, best_x + random_between(std::uint32_t(bits), -radius, radius),
                        best_y + random_between(std::uint32_t(bits >> 32), -radius, radius));
                ++draw;
                radius /= 2;
            } else {
                skip(b);
            }
        }
        evaluate<G, kBatch>(f, lane, mask, px, py, qx, qy, bound, alive, total);
        accept();
    }

    if (lane == 0) {
        a.nnf_out[pixel] = make_int2(best_x, best_y);
        a.ssd_out[pixel] = best_ssd;
        // Integer updates commute: the counts after the launch do not depend on the order.
        if (a.counts != nullptr && (best_x != current.x || best_y != current.y)) {
            atomic_add(&a.counts[std::size_t(current.y) * f.sw + current.x], -1);
            atomic_add(&a.counts[std::size_t(best_y) * f.sw + best_x], 1);
        }
    }
}

template <int G>
SFX_HD void recompute_ssd_pixel(const HalfFeatures& f, const int2* nnf, float* ssd, long long pixel,
                                int lane, unsigned mask) {
    const int2 q = nnf[pixel];
    const int qx[1] = {q.x}, qy[1] = {q.y};
    const float bound[1] = {INFINITY};
    bool alive[1] = {true};
    float total[1];
    evaluate<G, 1>(f, lane, mask, int(pixel % f.tw), int(pixel / f.tw), qx, qy, bound, alive,
                   total);
    if (lane == 0) ssd[pixel] = total[0] * f.scale[2];
}

// ---- feature conversion

// A power of two s with max * s in [2^13, 2^14): differences stay inside half range, every
// value down to max * 2^-11 stays a normal half, and the scaling back of distances (1 / s^2) is
// exact. Holds for max in [2^-47, 2^74): k in [-60, 60] keeps s^2 and 1 / s^2 normal floats.
// (Below, features would be half subnormals; above, the float distances overflow on every
// backend.)
SFX_HD void feature_scale(float max_abs, float* scale) {
    int k = 0;
    if (max_abs > 0.0f) {
        int e = 0;
        frexpf(max_abs, &e);
        k = clamp_int(e - 14, -60, 60);
    }
    scale[0] = ldexpf(1.0f, -k);
    scale[1] = ldexpf(1.0f, -2 * k);
    scale[2] = ldexpf(1.0f, 2 * k);
}

// Element i = (padded pixel, half2 index) of the source half features, padded by `radius`
// replicated pixels.
SFX_HD __half2 source_half2(const float* raw, int sw, int sh, int radius, std::size_t i, int fs,
                            int fg, int fs_padded, int half2s, float s) {
    const int spw = sw + 2 * radius;
    const std::size_t padded = i / half2s;
    const int h = int(i - padded * half2s);
    const int x = int(padded % spw), y = int(padded / spw);
    const std::size_t p =
        std::size_t(clamp_int(y - radius, 0, sh - 1)) * sw + clamp_int(x - radius, 0, sw - 1);
    const float* px = raw + p * std::size_t(fs + fg);
    float v[2];
#pragma unroll
    for (int e = 0; e < 2; ++e) {
        const int c = 2 * h + e;
        if (c < fs_padded) {
            v[e] = c < fs ? px[c] : 0.0f;
        } else {
            const int g = c - fs_padded;
            v[e] = g < fg ? px[fs + g] : 0.0f;
        }
    }
    return __floats2half2_rn(v[0] * s, v[1] * s);
}

SFX_HD __half2 guide_half2(const float* raw, std::size_t i, int fg, int fg_padded, float s) {
    const int half2s = fg_padded / 2;
    const std::size_t p = i / half2s;
    const int c = 2 * int(i - p * half2s);
    const float* px = raw + p * fg;
    return __floats2half2_rn(px[c] * s, c + 1 < fg ? px[c + 1] * s : 0.0f);
}

// Element i = (padded pixel, half2 index) of the padded target (the CPU's rebuild_target):
// style features from the current estimate, guides copied, borders replicated.
SFX_HD __half2 target_half2(const float* style, int ns, const int* style_channel,
                            const float* style_scale, int fs, int fs_padded, const __half2* guides,
                            int fg_padded, int tw, int th, int radius, int half2s, float s,
                            std::size_t i) {
    const int pw = tw + 2 * radius;
    const std::size_t padded = i / half2s;
    const int h = int(i - padded * half2s);
    const int x = int(padded % pw), y = int(padded / pw);
    const std::size_t pixel =
        std::size_t(clamp_int(y - radius, 0, th - 1)) * tw + clamp_int(x - radius, 0, tw - 1);
    if (2 * h < fs_padded) {
        float v[2];
#pragma unroll
        for (int e = 0; e < 2; ++e) {
            const int c = 2 * h + e;
            v[e] = c < fs ? mul_rn(style[pixel * ns + style_channel[c]], style_scale[c]) : 0.0f;
        }
        return __floats2half2_rn(v[0] * s, v[1] * s);
    }
    if (h - fs_padded / 2 < fg_padded / 2) {
        return guides[pixel * (fg_padded / 2) + (h - fs_padded / 2)];
    }
    return __floats2half2_rn(0.0f, 0.0f);
}

SFX_HD float padded_modulation(const float* modulation, int tw, int th, int radius, std::size_t i) {
    const int pw = tw + 2 * radius;
    const int x = int(i % pw), y = int(i / pw);
    return modulation[std::size_t(clamp_int(y - radius, 0, th - 1)) * tw +
                      clamp_int(x - radius, 0, tw - 1)];
}

// ---- NNF initialisation

// The CPU's random_centre: any allowed source pixel, or any pixel of the range without a mask.
SFX_HD void random_centre(int sw, int sh, const std::uint8_t* allowed, CentreList centres,
                          std::uint64_t key, int* x, int* y) {
    if (allowed != nullptr) {
        const int count = *centres.count;
        if (count > 0) {  // validation guarantees one; a zero would fall through to any pixel
            const int index = centres.list[(key >> 16) % std::uint64_t(count)];
            *x = index % sw;
            *y = index / sw;
            return;
        }
    }
    *x = random_between(std::uint32_t(key), centres.range.min_x, centres.range.max_x);
    *y = random_between(std::uint32_t(key >> 32), centres.range.min_y, centres.range.max_y);
}

SFX_HD int2 random_init_pixel(int sw, int sh, const std::uint8_t* allowed, CentreList centres,
                              std::uint64_t seed, std::uint32_t level, std::size_t p) {
    const std::uint64_t key = random_key(seed, level, 0, std::uint32_t(p), kInitStep);
    int x = 0, y = 0;
    random_centre(sw, sh, allowed, centres, key, &x, &y);
    return make_int2(x, y);
}

SFX_HD int2 upsample_pixel(const int2* coarse, int cw, int ch, int tw, int sw, int sh,
                           const std::uint8_t* allowed, CentreList centres, std::uint64_t seed,
                           std::uint32_t level, std::size_t p) {
    const int x = int(p % tw), y = int(p / tw);
    const int2 c = coarse[std::size_t(imin(y / 2, ch - 1)) * cw + imin(x / 2, cw - 1)];
    int qx = clamp_int(2 * c.x + (x & 1), centres.range.min_x, centres.range.max_x);
    int qy = clamp_int(2 * c.y + (y & 1), centres.range.min_y, centres.range.max_y);
    if (allowed != nullptr && allowed[std::size_t(qy) * sw + qx] == 0) {
        const std::uint64_t key = random_key(seed, level, 0, std::uint32_t(p), kRepairStep);
        random_centre(sw, sh, allowed, centres, key, &qx, &qy);
    }
    return make_int2(qx, qy);
}

// ---- occupancy. The CPU's patch_sum(q) sums omega over patch(q) clipped to the source, and
// omega(s) sums the centre counts over patch(s) clipped likewise, so
//   patch_sum(q) = sum_t counts(t) * overlap(qx, tx, W) * overlap(qy, ty, H),
// overlap = the number of image columns (rows) both clipped patches cover: a separable filter of
// the counts, exact in integers.

SFX_HD long long overlap(int q, int t, int size, int radius) {
    const int lo = imax(imax(q, t) - radius, 0);
    const int hi = imin(imin(q, t) + radius, size - 1);
    return hi >= lo ? hi - lo + 1 : 0;
}

SFX_HD long long occupancy_row(const int* counts, int sw, int radius, std::size_t i) {
    const int x = int(i % sw);
    const int* row = counts + (i - x);
    long long sum = 0;
    const int lo = imax(x - 2 * radius, 0), hi = imin(x + 2 * radius, sw - 1);
    for (int t = lo; t <= hi; ++t) sum += overlap(x, t, sw, radius) * row[t];
    return sum;
}

// The same filter for one tile of kOccupancyTileW x kOccupancyTileH outputs in one block:
// `counts` tile with a 2r halo -> row sums in shared memory -> patch sums. Three steps split at
// the block barriers; `tid` strides over the block's threads.
constexpr int kOccupancyTileW = 32, kOccupancyTileH = 8;
constexpr int kOccupancyThreads = kOccupancyTileW * kOccupancyTileH;
constexpr int kOccupancyMaxRadius = 4;  // larger patches use the two-pass kernels
constexpr int kOccupancyHaloW = kOccupancyTileW + 4 * kOccupancyMaxRadius;
constexpr int kOccupancyHaloH = kOccupancyTileH + 4 * kOccupancyMaxRadius;

SFX_HD void occupancy_tile_load(const int* counts, int sw, int sh, int radius, int x0, int y0,
                                int* tile, int tid) {
    const int reach = 2 * radius;
    const int w = kOccupancyTileW + 2 * reach, h = kOccupancyTileH + 2 * reach;
    for (int i = tid; i < w * h; i += kOccupancyThreads) {
        const int x = x0 - reach + i % w, y = y0 - reach + i / w;
        tile[i] = x >= 0 && x < sw && y >= 0 && y < sh ? counts[std::size_t(y) * sw + x] : 0;
    }
}

SFX_HD void occupancy_tile_rows(const int* tile, int sw, int radius, int x0, long long* rows,
                                int tid) {
    const int reach = 2 * radius;
    const int w = kOccupancyTileW + 2 * reach, h = kOccupancyTileH + 2 * reach;
    for (int i = tid; i < kOccupancyTileW * h; i += kOccupancyThreads) {
        const int column = i % kOccupancyTileW, row = i / kOccupancyTileW;
        const int x = x0 + column;
        long long sum = 0;
        for (int d = -reach; d <= reach; ++d) {
            sum += overlap(x, x + d, sw, radius) * tile[row * w + column + reach + d];
        }
        rows[i] = sum;
    }
}

SFX_HD void occupancy_tile_sums(const long long* rows, int sw, int sh, int radius, int x0, int y0,
                                long long* patch_sum, int tid) {
    const int reach = 2 * radius;
    const int column = tid % kOccupancyTileW, row = tid / kOccupancyTileW;
    const int x = x0 + column, y = y0 + row;
    if (x >= sw || y >= sh) return;
    long long sum = 0;
    for (int d = -reach; d <= reach; ++d) {
        sum += overlap(y, y + d, sh, radius) * rows[(row + reach + d) * kOccupancyTileW + column];
    }
    patch_sum[std::size_t(y) * sw + x] = sum;
}

SFX_HD long long occupancy_column(const long long* rows, int sw, int sh, int radius,
                                  std::size_t i) {
    const int x = int(i % sw), y = int(i / sw);
    long long sum = 0;
    const int lo = imax(y - 2 * radius, 0), hi = imin(y + 2 * radius, sh - 1);
    for (int t = lo; t <= hi; ++t) sum += overlap(y, t, sh, radius) * rows[std::size_t(t) * sw + x];
    return sum;
}

// ---- vote: gather form of the CPU's vote, same order and operations

SFX_HD void vote_pixel(const int2* nnf, const float* ssd, int tw, int th, const float* source_style,
                       int sw, int sh, int ns, int radius, bool weighted, float* out,
                       std::size_t p) {
    const int x = int(p % tw), y = int(p / tw);
    const int patch = 2 * radius + 1;
    const float area = float(patch * patch);
    for (int c0 = 0; c0 < ns; c0 += kVoteChannels) {
        const int n = imin(kVoteChannels, ns - c0);
        float sum[kVoteChannels] = {0.0f, 0.0f, 0.0f, 0.0f};
        float weight_sum = 0.0f;
        for (int oy = -radius; oy <= radius; ++oy) {
            const int qy = y - oy;
            if (qy < 0 || qy >= th) continue;
            for (int ox = -radius; ox <= radius; ++ox) {
                const int qx = x - ox;
                if (qx < 0 || qx >= tw) continue;
                const std::size_t q = std::size_t(qy) * tw + qx;
                const int2 m = nnf[q];
                const float w = weighted ? 1.0f / (1.0f + ssd[q] / area) : 1.0f;
                // Source pixels past the border repeat the edge, as the padded features do.
                const int sx = clamp_int(m.x + ox, 0, sw - 1);
                const int sy = clamp_int(m.y + oy, 0, sh - 1);
                const float* value = source_style + (std::size_t(sy) * sw + sx) * ns + c0;
#pragma unroll
                for (int k = 0; k < kVoteChannels; ++k) {
                    if (k < n) sum[k] = fmaf(w, value[k], sum[k]);
                }
                weight_sum += w;
            }
        }
        float* o = out + p * ns + c0;
#pragma unroll
        for (int k = 0; k < kVoteChannels; ++k) {
            if (k < n) o[k] = sum[k] / weight_sum;
        }
    }
}

// ---- stop threshold: frozen = no pixel within the patch radius changed by more than threshold

SFX_HD std::uint8_t changed_pixel(const float* before, const float* after, int ns, float threshold,
                                  std::size_t p) {
    float change = 0.0f;
    for (int k = 0; k < ns; ++k) {
        change = fmaxf(change, fabsf(after[p * ns + k] - before[p * ns + k]));
    }
    return mul_rn(change, kValueScale) > threshold ? 1 : 0;
}

SFX_HD std::uint8_t dilate_row(const std::uint8_t* in, int tw, int radius, std::size_t i) {
    const int x = int(i % tw);
    const std::uint8_t* row = in + (i - x);
    std::uint8_t any = 0;
    for (int t = imax(x - radius, 0); t <= imin(x + radius, tw - 1); ++t) any |= row[t];
    return any;
}

SFX_HD std::uint8_t frozen_column(const std::uint8_t* rows, int tw, int th, int radius,
                                  std::size_t i) {
    const int x = int(i % tw), y = int(i / tw);
    std::uint8_t any = 0;
    for (int t = imax(y - radius, 0); t <= imin(y + radius, th - 1); ++t) {
        any |= rows[std::size_t(t) * tw + x];
    }
    return any ? 0 : 1;
}

// ---- float32 error map: the CPU's patch_distance (ssd_rows / ssd_modulated), same order

SFX_HD float final_error_pixel(const float* source, int sw, int sh, int f, const float* style,
                               int ns, const int* style_channel, const float* style_scale, int fs,
                               const float* guides, const float* modulation, const int2* nnf,
                               int tw, int th, int patch, std::size_t p) {
    const int px = int(p % tw), py = int(p / tw);
    const int r = patch / 2, fg = f - fs;
    const int2 q = nnf[p];
    const int row_length = patch * f;
    float total = 0.0f;
    for (int y = 0; y < patch; ++y) {
        // Both images read with replicated borders, as the CPU's padded copies.
        const std::size_t trow = std::size_t(clamp_int(py + y - r, 0, th - 1)) * tw;
        const std::size_t srow = std::size_t(clamp_int(q.y + y - r, 0, sh - 1)) * sw;
        if (modulation == nullptr) {
            // The row as one run of patch * f floats, summed in 8 lanes as ssd_rows does.
            int column = 0, c = 0;
            std::size_t tp = trow + clamp_int(px - r, 0, tw - 1);
            const float* sp = source + (srow + clamp_int(q.x - r, 0, sw - 1)) * f;
            auto difference = [&]() {
                const float t = c < fs ? mul_rn(style[tp * ns + style_channel[c]], style_scale[c])
                                       : guides[tp * fg + (c - fs)];
                const float d = sp[c] - t;
                if (++c == f) {
                    c = 0;
                    ++column;
                    tp = trow + clamp_int(px - r + column, 0, tw - 1);
                    sp = source + (srow + clamp_int(q.x - r + column, 0, sw - 1)) * f;
                }
                return d;
            };
            float lanes[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
            int i = 0;
            for (; i + 8 <= row_length; i += 8) {
#pragma unroll
                for (int k = 0; k < 8; ++k) {
                    const float d = difference();
                    lanes[k] = fmaf(d, d, lanes[k]);
                }
            }
            float tail = 0.0f;
            for (; i < row_length; ++i) {
                const float d = difference();
                tail = fmaf(d, d, tail);
            }
            total += (((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
                      ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))) +
                     tail;
        } else {
            float row = 0.0f;
            for (int x = 0; x < patch; ++x) {
                const std::size_t tp = trow + clamp_int(px - r + x, 0, tw - 1);
                const float* sp = source + (srow + clamp_int(q.x - r + x, 0, sw - 1)) * f;
                float style_part = 0.0f, guide_part = 0.0f;
                for (int k = 0; k < fs; ++k) {
                    const float d =
                        sp[k] - mul_rn(style[tp * ns + style_channel[k]], style_scale[k]);
                    style_part = fmaf(d, d, style_part);
                }
                for (int k = 0; k < fg; ++k) {
                    const float d = sp[fs + k] - guides[tp * fg + k];
                    guide_part = fmaf(d, d, guide_part);
                }
                row += fmaf(modulation[tp], guide_part, style_part);
            }
            total += row;
        }
    }
    return total;
}

// ---- device pyramid (pyramid.cu): prepare_problem's arithmetic, products and sums rounded one by
// one. The host's products are by powers of two or stored before use, so its compiler fusing them
// into adds changes nothing and a device pyramid equals the host's bit for bit -- except for
// float subnormals (|v| < 2^-122), where a product by 0.25 is inexact and fused and separate
// roundings can part.

// Element i of a gather: channel (i mod channels) of pixel (i / channels), scaled.
SFX_HD float gather_channel(const ChannelSource* table, int channels, std::size_t i) {
    const std::size_t p = i / channels;
    const ChannelSource c = table[i - p * channels];
    return mul_rn(c.data[p * c.stride + c.channel], c.scale);
}

// The host's downsample(), row pass: [1 2 1]/4 along x with replicated borders, every second
// column. Element i of the (ceil(w/2) x h x c) output.
SFX_HD float downsample_row(const float* in, int w, int c, std::size_t i) {
    const int ow = (w + 1) / 2;
    const int k = int(i % c);
    const std::size_t pixel = i / c;
    const int x = int(pixel % ow), y = int(pixel / ow);
    const int xc = imin(2 * x, w - 1);
    const float* row = in + std::size_t(y) * w * c + k;
    const float l = row[std::size_t(imax(xc - 1, 0)) * c];
    const float m = row[std::size_t(xc) * c];
    const float r = row[std::size_t(imin(xc + 1, w - 1)) * c];
    return add_rn(add_rn(mul_rn(0.25f, l), mul_rn(0.5f, m)), mul_rn(0.25f, r));
}

// The same along y on the row pass's output (ow x h x c): element i of (ow x ceil(h/2) x c).
SFX_HD float downsample_column(const float* in, int ow, int h, int c, std::size_t i) {
    const std::size_t stride = std::size_t(ow) * c;
    const std::size_t column = i % stride;
    const int y = int(i / stride);
    const int yc = imin(2 * y, h - 1);
    const float u = in[std::size_t(imax(yc - 1, 0)) * stride + column];
    const float m = in[std::size_t(yc) * stride + column];
    const float d = in[std::size_t(imin(yc + 1, h - 1)) * stride + column];
    return add_rn(add_rn(mul_rn(0.25f, u), mul_rn(0.5f, m)), mul_rn(0.25f, d));
}

// The host's downsample_mask(): a coarse pixel is usable if any pixel of its 2x2 block is.
SFX_HD std::uint8_t downsample_mask_pixel(const std::uint8_t* in, int w, int h, std::size_t i) {
    const int ow = (w + 1) / 2;
    const int x = int(i % ow), y = int(i / ow);
    std::uint8_t any = 0;
    for (int sy = 2 * y; sy < imin(2 * y + 2, h); ++sy) {
        for (int sx = 2 * x; sx < imin(2 * x + 2, w); ++sx) any |= in[std::size_t(sy) * w + sx];
    }
    return any != 0 ? 1 : 0;
}

}  // namespace synthfx::cuda
