// SPDX-License-Identifier: Apache-2.0
#include "level_state.h"

#include <algorithm>

#include "patch_distance.h"

namespace synthfx::cpu {

LevelState::LevelState(const Problem& p, int index, int patch_size)
    : problem(&p), level(&p.levels[index]), level_index(index) {
    sw = level->source_width;
    sh = level->source_height;
    tw = level->target_width;
    th = level->target_height;
    features = p.feature_channels();
    style_features = p.style_feature_channels();
    style_channels = p.style_channels;
    style.assign(std::size_t(tw) * th * style_channels, 0.0f);
    nnf.assign(std::size_t(tw) * th * 2, 0);
    ssd.assign(std::size_t(tw) * th, 0.0f);
    frozen.assign(std::size_t(tw) * th, 0);
    set_patch_size(patch_size);
}

void LevelState::set_patch_size(int patch_size) {
    patch = patch_size;
    radius = patch_size / 2;
    padded_width = tw + 2 * radius;
    padded_height = th + 2 * radius;
    target.assign(std::size_t(padded_width) * padded_height * features, 0.0f);
    const int source_padded_width = sw + 2 * radius;
    source.resize(std::size_t(source_padded_width) * (sh + 2 * radius) * features);
    for (int y = 0; y < sh + 2 * radius; ++y) {
        const int sy = std::clamp(y - radius, 0, sh - 1);
        for (int x = 0; x < source_padded_width; ++x) {
            const int sx = std::clamp(x - radius, 0, sw - 1);
            std::copy_n(level->source_features.at(sx, sy), features,
                        source.data() + (std::size_t(y) * source_padded_width + x) * features);
        }
    }
    centres = centre_range(sw, sh, radius, level_index, int(problem->levels.size()),
                           !level->source_allowed.empty());
    allowed_centres.clear();
    if (!level->source_allowed.empty()) {
        for (int i = 0; i < sw * sh; ++i) {
            if (level->source_allowed[i]) allowed_centres.push_back(i);
        }
    }
    mean_bound.clear();
    modulation.clear();
    if (!level->modulation.empty()) {
        modulation.resize(std::size_t(padded_width) * padded_height);
        for (int y = 0; y < padded_height; ++y) {
            const int sy = std::clamp(y - radius, 0, th - 1);
            for (int x = 0; x < padded_width; ++x) {
                const int sx = std::clamp(x - radius, 0, tw - 1);
                modulation[std::size_t(y) * padded_width + x] =
                    level->modulation.data[std::size_t(sy) * tw + sx];
            }
        }
    }
}

void LevelState::rebuild_target(ThreadPool& pool) {
    const int fs = style_features;
    const int fg = features - fs;
    const std::vector<int>& channel = problem->style_feature_channel;
    const std::vector<float>& scale = problem->style_feature_scale;
    pool.parallel_for(padded_height, [&](int y) {
        const int ty = std::clamp(y - radius, 0, th - 1);
        float* row = target.data() + std::size_t(y) * padded_width * features;
        for (int x = 0; x < padded_width; ++x) {
            const int tx = std::clamp(x - radius, 0, tw - 1);
            const std::size_t pixel = std::size_t(ty) * tw + tx;
            float* out = row + std::size_t(x) * features;
            const float* s = style.data() + pixel * style_channels;
            for (int k = 0; k < fs; ++k) out[k] = s[channel[k]] * scale[k];
            const float* g = level->target_guides.data.data() + pixel * fg;
            for (int k = 0; k < fg; ++k) out[fs + k] = g[k];
        }
    });
    // The bound covers every channel: a guides-only search (style_term false) does not use it.
    if (!modulation.empty()) return;
    if (!style_term) {
        mean_bound.clear_target();
        return;
    }
    if (!mean_bound.has_source())
        mean_bound.build_source(pool, source.data(), sw, sh, radius, features);
    mean_bound.build_target(pool, target.data(), tw, th);
}

float LevelState::patch_distance(int px, int py, int qx, int qy, float bound) const {
    const std::size_t source_stride = std::size_t(sw + 2 * radius) * features;
    const std::size_t target_stride = std::size_t(padded_width) * features;
    // In padded coordinates the patch centred at (x, y) starts at (x, y).
    const float* s = source_patch(qx, qy);
    const float* t = target.data() + (std::size_t(py) * padded_width + px) * features;
    if (!style_term) {
        const float* m =
            modulation.empty() ? nullptr : modulation.data() + std::size_t(py) * padded_width + px;
        return ssd_guides_only(s, source_stride, t, target_stride, m, std::size_t(padded_width),
                               patch, features, style_features, bound);
    }
    if (modulation.empty()) {
        return ssd_rows(s, source_stride, t, target_stride, patch, patch * features, bound);
    }
    const float* m = modulation.data() + std::size_t(py) * padded_width + px;
    return ssd_modulated(s, source_stride, t, target_stride, m, std::size_t(padded_width), patch,
                         features, style_features, bound);
}

void LevelState::recompute_distances(ThreadPool& pool) {
    constexpr float kNoBound = 3.0e38f;
    pool.parallel_for(th, [&](int y) {
        for (int x = 0; x < tw; ++x) {
            const std::size_t i = std::size_t(y) * tw + x;
            ssd[i] = patch_distance(x, y, nnf[2 * i], nnf[2 * i + 1], kNoBound);
        }
    });
}

namespace {

// Columns per task of the vertical passes: each task adds whole rows of its strip in order.
constexpr int kStrip = 256;

// In place, row `y` of a (height + 1) x stride integral image already holding its row's prefix
// sums: adds the row above, column strip by column strip in parallel (integers: exact).
void accumulate_columns(ThreadPool& pool, std::vector<std::int64_t>& integral, int width,
                        int height) {
    const std::size_t stride = std::size_t(width) + 1;
    pool.parallel_for((width + kStrip - 1) / kStrip, [&](int strip) {
        const int x0 = 1 + strip * kStrip, x1 = std::min(x0 + kStrip, width + 1);
        for (int y = 1; y <= height; ++y) {
            std::int64_t* row = integral.data() + y * stride;
            const std::int64_t* above = row - stride;
            for (int x = x0; x < x1; ++x) row[x] += above[x];
        }
    });
}

}  // namespace

void Occupancy::build(const LevelState& state, ThreadPool& pool) {
    sw_ = state.sw;
    sh_ = state.sh;
    radius_ = state.radius;
    const std::size_t stride = std::size_t(sw_) + 1;
    counts_.assign(std::size_t(sw_) * sh_, 0);
    const std::size_t target_pixels = std::size_t(state.tw) * state.th;
    for (std::size_t i = 0; i < target_pixels; ++i) {
        ++counts_[std::size_t(state.nnf[2 * i + 1]) * sw_ + state.nnf[2 * i]];
    }
    // omega = box sum of centre counts over the patch footprint, via an integral image; both
    // integral images as row prefix sums (rows in parallel), then columns (strips in parallel).
    centre_integral_.resize(stride * (sh_ + 1));
    integral_.resize(stride * (sh_ + 1));
    std::fill_n(centre_integral_.begin(), stride, 0);
    std::fill_n(integral_.begin(), stride, 0);
    pool.parallel_for(sh_, [&](int y) {
        std::int64_t* out = centre_integral_.data() + (y + 1) * stride;
        const std::int32_t* in = counts_.data() + std::size_t(y) * sw_;
        out[0] = 0;
        for (int x = 0; x < sw_; ++x) out[x + 1] = out[x] + in[x];
    });
    accumulate_columns(pool, centre_integral_, sw_, sh_);
    const std::vector<std::int64_t>& c = centre_integral_;
    pool.parallel_for(sh_, [&](int y) {
        const int y0 = std::max(y - radius_, 0), y1 = std::min(y + radius_ + 1, sh_);
        std::int64_t* out = integral_.data() + (y + 1) * stride;
        out[0] = 0;
        for (int x = 0; x < sw_; ++x) {
            const int x0 = std::max(x - radius_, 0), x1 = std::min(x + radius_ + 1, sw_);
            const std::int64_t omega = c[y1 * stride + x1] - c[y0 * stride + x1] -
                                       c[y1 * stride + x0] + c[y0 * stride + x0];
            out[x + 1] = out[x] + omega;
        }
    });
    accumulate_columns(pool, integral_, sw_, sh_);
}

}  // namespace synthfx::cpu
