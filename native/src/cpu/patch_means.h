// SPDX-License-Identifier: Apache-2.0
// A lower bound of the patch distance from four bytes per source pixel.
//
// Per channel, the sum over a patch of (s - t)^2 is >= (sum of s - sum of t)^2 / area
// (Cauchy-Schwarz), and projecting the channel-sum difference onto orthonormal directions only
// shrinks it. The directions are the source's principal ones, so four of them keep most of the
// bound; the source's projections are stored as bytes, small enough to stay in cache where the
// patches themselves (features x area floats) miss it for every far random candidate. Rounding
// and quantisation are allowed for, so a candidate the bound rules out is one the full distance
// would reject too: skipping it changes no decision and no output bit.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../parallel.h"

#if defined(__SSE4_1__)
#include <smmintrin.h>
#endif

namespace synthfx::cpu {

class PatchMeanBound {
  public:
    static constexpr int kComponents = 4;

    // Both images are held with `radius` replicated pixels on every side, `features` floats per
    // pixel. The source sets the directions; the target is projected onto them.
    void build_source(ThreadPool& pool, const float* padded, int width, int height, int radius,
                      int features);
    void build_target(ThreadPool& pool, const float* padded, int width, int height);
    bool has_source() const { return !codes_.empty(); }
    void clear() {
        codes_.clear();
        target_units_.clear();
    }
    void clear_target() { target_units_.clear(); }

    // A value <= the distance between target patch (px, py) and source patch (qx, qy): a
    // candidate is ruled out when it reaches the best cost. 0 until both sides are built.
    float lower(int px, int py, int qx, int qy) const {
        if (target_units_.empty()) return 0.0f;
        const std::uint8_t* q =
            codes_.data() + (std::size_t(qy) * source_width_ + qx) * kComponents;
        const float* u =
            target_units_.data() + (std::size_t(py) * target_width_ + px) * kComponents;
        // Both sides in quantisation steps; the code is within half a step of the truth. (The
        // order of this float sum is free: kDistanceRounding leaves room for its rounding.)
#if defined(__SSE4_1__)
        static_assert(kComponents == 4, "one 128-bit vector of components");
        std::int32_t bytes;
        std::memcpy(&bytes, q, sizeof bytes);
        const __m128 code = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(bytes)));
        const __m128 gap = _mm_andnot_ps(_mm_set1_ps(-0.0f), _mm_sub_ps(code, _mm_loadu_ps(u)));
        const __m128 d = _mm_max_ps(_mm_sub_ps(gap, _mm_set1_ps(kCodeSlack)), _mm_setzero_ps());
        __m128 sum = _mm_mul_ps(_mm_mul_ps(d, d), _mm_loadu_ps(step_squared_.data()));
        sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
        sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
        return _mm_cvtss_f32(sum) * kDistanceRounding;
#else
        float sum = 0.0f;
        for (int j = 0; j < kComponents; ++j) {
            const float d = std::fabs(float(q[j]) - u[j]) - kCodeSlack;
            sum += d > 0.0f ? step_squared_[j] * d * d : 0.0f;
        }
        return sum * kDistanceRounding;
#endif
    }

  private:
    static constexpr float kCodeSlack = 0.5f + 1.0f / 256;  // rounding to a code, and float error
    // The float sum of the distance may fall short of the exact one by a few ulps per term.
    static constexpr float kDistanceRounding = 1.0f - 1.0f / (1 << 12);

    // A projection in quantisation steps from low_[j] (0 for a component left out).
    double units(int j, double projection) const {
        return step_[j] > 0 ? (projection - low_[j]) / step_[j] : 0.0;
    }

    int radius_ = 0, features_ = 0, source_width_ = 0, target_width_ = 0;
    std::vector<double> directions_;  // kComponents x features, orthonormal, scaled below 1
    std::array<double, kComponents> low_{}, step_{};
    std::array<float, kComponents> step_squared_{};
    std::vector<std::uint8_t> codes_;  // source height x width x kComponents
    std::vector<float> target_units_;  // target height x width x kComponents, steps from low_
};

}  // namespace synthfx::cpu
