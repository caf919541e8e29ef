// SPDX-License-Identifier: Apache-2.0
// Voting (the M step): every target pixel averages what the overlapping matched patches say.
#include <algorithm>
#include <cmath>

#include "level_state.h"

namespace synthfx::cpu {

void vote(const LevelState& state, ThreadPool& pool, VoteMode mode, std::vector<float>& out) {
    const int ns = state.style_channels;
    const int r = state.radius;
    const float area = float(state.patch * state.patch);
    const float* style = state.level->source_style.data.data();
    out.assign(std::size_t(state.tw) * state.th * ns, 0.0f);
    pool.parallel_for(state.th, [&](int y) {
        std::vector<float> sum(ns);
        for (int x = 0; x < state.tw; ++x) {
            std::fill(sum.begin(), sum.end(), 0.0f);
            float weight_sum = 0.0f;
            for (int oy = -r; oy <= r; ++oy) {
                const int qy = y - oy;
                if (qy < 0 || qy >= state.th) continue;
                for (int ox = -r; ox <= r; ++ox) {
                    const int qx = x - ox;
                    if (qx < 0 || qx >= state.tw) continue;
                    const std::size_t q = std::size_t(qy) * state.tw + qx;
                    // Source pixels past the border repeat the edge, as in the padded features.
                    const int sx = std::clamp(state.nnf[2 * q] + ox, 0, state.sw - 1);
                    const int sy = std::clamp(state.nnf[2 * q + 1] + oy, 0, state.sh - 1);
                    // Weighted vote: patches that match better count more.
                    const float w =
                        mode == VoteMode::weighted ? 1.0f / (1.0f + state.ssd[q] / area) : 1.0f;
                    const float* value = style + (std::size_t(sy) * state.sw + sx) * ns;
                    for (int k = 0; k < ns; ++k) sum[k] += w * value[k];
                    weight_sum += w;
                }
            }
            float* o = out.data() + (std::size_t(y) * state.tw + x) * ns;
            for (int k = 0; k < ns; ++k) o[k] = sum[k] / weight_sum;
        }
    });
}

void update_frozen(LevelState& state, const std::vector<float>& before,
                   const std::vector<float>& after, float threshold) {
    const int tw = state.tw, th = state.th, ns = state.style_channels, r = state.radius;
    const std::size_t stride = std::size_t(tw) + 1;
    // Integral image of "changed" flags: a pixel stays active while any pixel within the patch
    // radius changed, because its patch still sees that change.
    std::vector<std::int32_t> integral(stride * (th + 1), 0);
    for (int y = 0; y < th; ++y) {
        std::int32_t row = 0;
        for (int x = 0; x < tw; ++x) {
            const std::size_t i = (std::size_t(y) * tw + x) * ns;
            float change = 0.0f;
            for (int k = 0; k < ns; ++k)
                change = std::max(change, std::fabs(after[i + k] - before[i + k]));
            row += change * kValueScale > threshold ? 1 : 0;
            integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1] + row;
        }
    }
    for (int y = 0; y < th; ++y) {
        const int y0 = std::max(y - r, 0), y1 = std::min(y + r + 1, th);
        for (int x = 0; x < tw; ++x) {
            const int x0 = std::max(x - r, 0), x1 = std::min(x + r + 1, tw);
            const std::int32_t changed = integral[y1 * stride + x1] - integral[y0 * stride + x1] -
                                         integral[y1 * stride + x0] + integral[y0 * stride + x0];
            state.frozen[std::size_t(y) * tw + x] = changed == 0 ? 1 : 0;
        }
    }
}

}  // namespace synthfx::cpu
