// SPDX-License-Identifier: Apache-2.0
// Sum-of-squared-differences kernels over patches stored as contiguous rows.
//
// Eight explicit lanes summed in a fixed order: the compiler vectorises them, and the result is
// the same for every thread count and every run (no reassociation is left to the compiler).
#pragma once

#include <cstddef>

namespace synthfx::cpu {

inline float sum_lanes(const float* lanes) {
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
           ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

// Rows of `row_length` floats; stops once the running sum exceeds `bound` (checked per row).
inline float ssd_rows(const float* s, std::size_t s_stride, const float* t, std::size_t t_stride,
                      int rows, int row_length, float bound) {
    float total = 0.0f;
    for (int y = 0; y < rows; ++y) {
        float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int i = 0;
        for (; i + 8 <= row_length; i += 8) {
            for (int k = 0; k < 8; ++k) {
                const float d = s[i + k] - t[i + k];
                lanes[k] += d * d;
            }
        }
        float tail = 0.0f;
        for (; i < row_length; ++i) {
            const float d = s[i] - t[i];
            tail += d * d;
        }
        total += sum_lanes(lanes) + tail;
        if (total > bound) return total;
        s += s_stride;
        t += t_stride;
    }
    return total;
}

// As ssd_rows, but the guide channels [style_features, features) of each target pixel are
// multiplied by that pixel's modulation factor m.
inline float ssd_modulated(const float* s, std::size_t s_stride, const float* t,
                           std::size_t t_stride, const float* m, std::size_t m_stride, int patch,
                           int features, int style_features, float bound) {
    float total = 0.0f;
    for (int y = 0; y < patch; ++y) {
        float row = 0.0f;
        for (int x = 0; x < patch; ++x) {
            const float* sp = s + std::size_t(x) * features;
            const float* tp = t + std::size_t(x) * features;
            float style_part = 0.0f, guide_part = 0.0f;
            for (int k = 0; k < style_features; ++k) {
                const float d = sp[k] - tp[k];
                style_part += d * d;
            }
            for (int k = style_features; k < features; ++k) {
                const float d = sp[k] - tp[k];
                guide_part += d * d;
            }
            row += style_part + m[x] * guide_part;
        }
        total += row;
        if (total > bound) return total;
        s += s_stride;
        t += t_stride;
        m += m_stride;
    }
    return total;
}

// Only the guide channels (optionally modulated, m may be null): used before any style estimate
// exists, when the style channels of the target hold nothing meaningful.
inline float ssd_guides_only(const float* s, std::size_t s_stride, const float* t,
                             std::size_t t_stride, const float* m, std::size_t m_stride, int patch,
                             int features, int style_features, float bound) {
    float total = 0.0f;
    for (int y = 0; y < patch; ++y) {
        for (int x = 0; x < patch; ++x) {
            const float* sp = s + std::size_t(x) * features;
            const float* tp = t + std::size_t(x) * features;
            float guide_part = 0.0f;
            for (int k = style_features; k < features; ++k) {
                const float d = sp[k] - tp[k];
                guide_part += d * d;
            }
            total += m ? m[x] * guide_part : guide_part;
        }
        if (total > bound) return total;
        s += s_stride;
        t += t_stride;
        if (m) m += m_stride;
    }
    return total;
}

}  // namespace synthfx::cpu
