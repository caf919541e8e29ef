// SPDX-License-Identifier: Apache-2.0
// Validation of a synthesis job and construction of its prefiltered pyramid.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "problem.h"

namespace synthfx {
namespace {

constexpr int kMaxImageSide = 1 << 16;
constexpr int kMaxPatchSize = 63;

[[noreturn]] void fail(ErrorCode code, const std::string& message) {
    throw SynthesisError(code, message);
}

std::string dims(const ImageView& image) {
    std::ostringstream out;
    out << image.width << "x" << image.height << "x" << image.channels;
    return out.str();
}

bool is_present(const ImageView& image) { return image.data != nullptr; }

void check_image(const ImageView& image, const std::string& name, const PixelChecks& pixels) {
    if (image.data == nullptr || image.width <= 0 || image.height <= 0 || image.channels <= 0) {
        fail(ErrorCode::empty_image, name + " is empty (got " + dims(image) + ")");
    }
    if (image.width > kMaxImageSide || image.height > kMaxImageSide) {
        fail(ErrorCode::invalid_argument, name + " is too large (got " + dims(image) +
                                              ", at most " + std::to_string(kMaxImageSide) +
                                              " pixels a side)");
    }
    float value = 0.0f;
    const std::int64_t i = pixels.first_non_finite(image, &value);
    if (i >= 0) {
        const std::int64_t pixel = i / image.channels;
        std::ostringstream out;
        out << name << " holds a non-finite value (" << value << ") at x=" << pixel % image.width
            << " y=" << pixel / image.width << " channel=" << i % image.channels;
        fail(ErrorCode::non_finite, out.str());
    }
}

void check_size(const ImageView& image, int width, int height, const std::string& name,
                const std::string& reference) {
    if (image.width != width || image.height != height) {
        fail(ErrorCode::size_mismatch, name + " is " + std::to_string(image.width) + "x" +
                                           std::to_string(image.height) + " but " + reference +
                                           " is " + std::to_string(width) + "x" +
                                           std::to_string(height));
    }
}

void check_weight(float value, const std::string& name) {
    if (!std::isfinite(value) || value < 0.0f) {
        std::ostringstream out;
        out << name << " must be a finite number >= 0 (got " << value << ")";
        fail(ErrorCode::invalid_argument, out.str());
    }
}

int halve(int size) { return (size + 1) / 2; }

void target_size(const SynthesisInput& input, int* width, int* height) {
    if (input.guides.empty()) {
        *width = input.style.width;
        *height = input.style.height;
    } else {
        *width = input.guides.front().target.width;
        *height = input.guides.front().target.height;
    }
}

// Separable [1 2 1]/4 blur with replicated borders, then every second sample (sizes rounded up).
Plane downsample(const Plane& in) {
    const int w = in.width, h = in.height, c = in.channels;
    const int ow = halve(w), oh = halve(h);
    Plane rows(ow, h, c);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < ow; ++x) {
            const int xc = std::min(2 * x, w - 1);
            const float* l = in.at(std::max(xc - 1, 0), y);
            const float* m = in.at(xc, y);
            const float* r = in.at(std::min(xc + 1, w - 1), y);
            float* o = rows.at(x, y);
            for (int k = 0; k < c; ++k) o[k] = 0.25f * l[k] + 0.5f * m[k] + 0.25f * r[k];
        }
    }
    Plane out(ow, oh, c);
    for (int y = 0; y < oh; ++y) {
        const int yc = std::min(2 * y, h - 1);
        for (int x = 0; x < ow; ++x) {
            const float* u = rows.at(x, std::max(yc - 1, 0));
            const float* m = rows.at(x, yc);
            const float* d = rows.at(x, std::min(yc + 1, h - 1));
            float* o = out.at(x, y);
            for (int k = 0; k < c; ++k) o[k] = 0.25f * u[k] + 0.5f * m[k] + 0.25f * d[k];
        }
    }
    return out;
}

// A source pixel stays usable at a coarser level if any pixel of its 2x2 block is usable;
// the finest level enforces the exact mask.
std::vector<std::uint8_t> downsample_mask(const std::vector<std::uint8_t>& mask, int w, int h) {
    const int ow = halve(w), oh = halve(h);
    std::vector<std::uint8_t> out(std::size_t(ow) * oh, 0);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            if (mask[std::size_t(y) * w + x]) out[std::size_t(y / 2) * ow + x / 2] = 1;
        }
    }
    return out;
}

Plane copy_plane(const ImageView& view) {
    Plane plane(view.width, view.height, view.channels);
    std::copy(view.data, view.data + plane.data.size(), plane.data.begin());
    return plane;
}

}  // namespace

int max_pyramid_levels(int source_width, int source_height, int target_width, int target_height,
                       int patch_size) {
    const int needed = 2 * patch_size + 1;
    int levels = 1;
    int sw = source_width, sh = source_height, tw = target_width, th = target_height;
    while (levels < 32) {
        sw = halve(sw), sh = halve(sh), tw = halve(tw), th = halve(th);
        if (std::min({sw, sh, tw, th}) < needed) break;
        ++levels;
    }
    return levels;
}

std::int64_t HostPixelChecks::first_non_finite(const ImageView& image, float* value) const {
    const std::size_t count = std::size_t(image.width) * image.height * image.channels;
    for (std::size_t i = 0; i < count; ++i) {
        if (!std::isfinite(image.data[i])) {
            *value = image.data[i];
            return std::int64_t(i);
        }
    }
    return -1;
}

std::int64_t HostPixelChecks::first_negative(const ImageView& image, float* value) const {
    const std::size_t count = std::size_t(image.width) * image.height * image.channels;
    for (std::size_t i = 0; i < count; ++i) {
        if (image.data[i] < 0.0f) {
            *value = image.data[i];
            return std::int64_t(i);
        }
    }
    return -1;
}

bool HostPixelChecks::any_positive_inside(const ImageView& image, int margin) const {
    for (int y = margin; y < image.height - margin; ++y) {
        for (int x = margin; x < image.width - margin; ++x) {
            if (image.data[std::size_t(y) * image.width + x] > 0.0f) return true;
        }
    }
    return false;
}

namespace {

// The seed's size, its level count and every centre; names the first bad value.
void check_initial_nnf(const SynthesisInput& input, int tw, int th, int level_count) {
    const NnfView& seed = input.initial_nnf;
    if (seed.data == nullptr) return;
    if (seed.width != tw || seed.height != th) {
        fail(ErrorCode::size_mismatch, "initial_nnf is " + std::to_string(seed.width) + "x" +
                                           std::to_string(seed.height) + " but the target is " +
                                           std::to_string(tw) + "x" + std::to_string(th));
    }
    if (input.initial_nnf_levels < 1 || input.initial_nnf_levels > level_count) {
        fail(ErrorCode::invalid_argument, "initial_nnf_levels must be in [1, " +
                                              std::to_string(level_count) + "] (got " +
                                              std::to_string(input.initial_nnf_levels) + ")");
    }
    const int sw = input.style.width, sh = input.style.height;
    for (std::size_t i = 0; i < std::size_t(tw) * th; ++i) {
        const std::int32_t x = seed.data[2 * i], y = seed.data[2 * i + 1];
        if (x >= 0 && x < sw && y >= 0 && y < sh) continue;
        fail(ErrorCode::invalid_argument,
             "initial_nnf centre (" + std::to_string(x) + ", " + std::to_string(y) +
                 ") at target x=" + std::to_string(i % tw) + " y=" + std::to_string(i / tw) +
                 " lies outside the " + std::to_string(sw) + "x" + std::to_string(sh) + " source");
    }
}

}  // namespace

void validate_params(const SynthesisParams& params) {
    const SynthesisParams& p = params;
    if (p.patch_size < 3 || p.patch_size % 2 == 0 || p.patch_size > kMaxPatchSize) {
        fail(ErrorCode::invalid_argument,
             "patch_size must be odd, >= 3 and <= " + std::to_string(kMaxPatchSize) + " (got " +
                 std::to_string(p.patch_size) + ")");
    }
    if (p.search_vote_iters < 1) {
        fail(ErrorCode::invalid_argument,
             "search_vote_iters must be >= 1 (got " + std::to_string(p.search_vote_iters) + ")");
    }
    if (p.patchmatch_iters < 1) {
        fail(ErrorCode::invalid_argument,
             "patchmatch_iters must be >= 1 (got " + std::to_string(p.patchmatch_iters) + ")");
    }
    check_weight(p.uniformity, "uniformity");
    check_weight(p.stop_threshold, "stop_threshold");
    check_weight(p.style_weight, "style_weight");
    if (p.threads < 0) {
        fail(ErrorCode::invalid_argument,
             "threads must be >= 0 (got " + std::to_string(p.threads) + ")");
    }
    if (p.vote_mode != VoteMode::plain && p.vote_mode != VoteMode::weighted) {
        fail(ErrorCode::invalid_argument,
             "vote_mode must be plain or weighted (got " + std::to_string(int(p.vote_mode)) + ")");
    }
    if (p.backend != BackendKind::automatic && p.backend != BackendKind::cpu &&
        p.backend != BackendKind::cuda) {
        fail(ErrorCode::invalid_argument,
             "backend must be auto, cpu or cuda (got " + std::to_string(int(p.backend)) + ")");
    }

    if (p.pyramid_levels == 0 || p.pyramid_levels < -1) {
        fail(ErrorCode::invalid_argument,
             "pyramid_levels must be -1 (as many as fit) or >= 1 (got " +
                 std::to_string(p.pyramid_levels) + ")");
    }
}

void validate(const SynthesisInput& input, const SynthesisParams& params) {
    if (input.memory == MemoryKind::cuda) {
        validate_cuda_input(input, params);
        return;
    }
    validate(input, params, HostPixelChecks());
}

void validate(const SynthesisInput& input, const SynthesisParams& params,
              const PixelChecks& pixels) {
    validate_params(params);
    const SynthesisParams& p = params;
    if (input.memory != MemoryKind::host && input.memory != MemoryKind::cuda) {
        fail(ErrorCode::invalid_argument,
             "memory must be host or cuda (got " + std::to_string(int(input.memory)) + ")");
    }
    check_image(input.style, "style image", pixels);
    const int sw = input.style.width, sh = input.style.height;
    int tw = 0, th = 0;
    target_size(input, &tw, &th);
    bool any_weight = p.style_weight > 0.0f;
    for (std::size_t i = 0; i < input.guides.size(); ++i) {
        const GuidePair& g = input.guides[i];
        const std::string name = "guide " + std::to_string(i);
        check_image(g.source, name + " source", pixels);
        check_image(g.target, name + " target", pixels);
        check_size(g.source, sw, sh, name + " source", "the style image");
        check_size(g.target, tw, th, name + " target", "guide 0 target");
        if (g.source.channels != g.target.channels) {
            fail(ErrorCode::size_mismatch,
                 name + " source has " + std::to_string(g.source.channels) +
                     " channels but its target has " + std::to_string(g.target.channels));
        }
        check_weight(g.weight, name + " weight");
        any_weight = any_weight || g.weight > 0.0f;
    }
    if (input.guides.empty() && p.style_weight <= 0.0f) {
        fail(ErrorCode::invalid_argument,
             "nothing to match: no guides and style_weight is 0; give at least one guide");
    }
    if (!any_weight) {
        fail(ErrorCode::invalid_argument,
             "nothing to match: style_weight and every guide weight are 0");
    }
    if (is_present(input.modulation)) {
        check_image(input.modulation, "modulation", pixels);
        check_size(input.modulation, tw, th, "modulation", "the target");
        if (input.modulation.channels != 1) {
            fail(ErrorCode::size_mismatch, "modulation must have 1 channel (got " +
                                               std::to_string(input.modulation.channels) + ")");
        }
        float value = 0.0f;
        const std::int64_t i = pixels.first_negative(input.modulation, &value);
        if (i >= 0) {
            fail(ErrorCode::invalid_argument,
                 "modulation must be >= 0 (got " + std::to_string(value) +
                     " at x=" + std::to_string(i % tw) + " y=" + std::to_string(i / tw) + ")");
        }
    }
    const int smallest = std::min({sw, sh, tw, th});
    if (p.patch_size > smallest) {
        fail(ErrorCode::invalid_argument, "patch_size " + std::to_string(p.patch_size) +
                                              " is larger than the smallest image side (" +
                                              std::to_string(smallest) + ")");
    }
    if (is_present(input.source_mask)) {
        check_image(input.source_mask, "source mask", pixels);
        check_size(input.source_mask, sw, sh, "source mask", "the style image");
        if (input.source_mask.channels != 1) {
            fail(ErrorCode::size_mismatch, "source mask must have 1 channel (got " +
                                               std::to_string(input.source_mask.channels) + ")");
        }
        if (!pixels.any_positive_inside(input.source_mask, p.patch_size / 2)) {
            fail(ErrorCode::invalid_argument,
                 "source mask excludes every patch centre: nothing left to copy from");
        }
    }
    const int max_levels = max_pyramid_levels(sw, sh, tw, th, p.patch_size);
    if (p.pyramid_levels > max_levels) {
        fail(ErrorCode::invalid_argument,
             "too many pyramid levels: " + std::to_string(p.pyramid_levels) +
                 " requested, at most " + std::to_string(max_levels) + " fit for source " +
                 std::to_string(sw) + "x" + std::to_string(sh) + ", target " + std::to_string(tw) +
                 "x" + std::to_string(th) + " and patch size " + std::to_string(p.patch_size));
    }
    if (input.initial_nnf.data != nullptr && input.memory != MemoryKind::host) {
        fail(ErrorCode::invalid_argument,
             "initial_nnf needs host-memory input and the CPU backend (the input is in CUDA "
             "device memory)");
    }
    check_initial_nnf(input, tw, th, resolve_level_count(input, p));
}

int resolve_level_count(const SynthesisInput& input, const SynthesisParams& params) {
    if (params.pyramid_levels > 0) return params.pyramid_levels;
    int tw = 0, th = 0;
    target_size(input, &tw, &th);
    return max_pyramid_levels(input.style.width, input.style.height, tw, th, params.patch_size);
}

Problem describe_problem(const SynthesisInput& input, const SynthesisParams& params) {
    Problem problem;
    const int ns = input.style.channels;
    problem.style_channels = ns;
    const float style_channel_weight = params.style_weight / float(ns);
    if (style_channel_weight > 0.0f) {
        for (int c = 0; c < ns; ++c) {
            problem.style_feature_channel.push_back(c);
            problem.style_feature_scale.push_back(std::sqrt(style_channel_weight) * kValueScale);
        }
    }
    // Guide channels with a zero weight cannot change any distance: leave them out.
    for (std::size_t i = 0; i < input.guides.size(); ++i) {
        const GuidePair& g = input.guides[i];
        const float w = g.weight / float(g.source.channels);
        if (w <= 0.0f) continue;
        for (int c = 0; c < g.source.channels; ++c) {
            problem.guide_features.push_back({int(i), c, std::sqrt(w) * kValueScale});
        }
    }
    problem.guide_feature_channels = int(problem.guide_features.size());

    int sw = input.style.width, sh = input.style.height, tw = 0, th = 0;
    target_size(input, &tw, &th);
    problem.levels.resize(resolve_level_count(input, params));
    for (int l = int(problem.levels.size()) - 1; l >= 0; --l) {
        Level& level = problem.levels[l];
        level.source_width = sw;
        level.source_height = sh;
        level.target_width = tw;
        level.target_height = th;
        sw = halve(sw), sh = halve(sh), tw = halve(tw), th = halve(th);
    }
    return problem;
}

Problem prepare_problem(const SynthesisInput& input, const SynthesisParams& params) {
    if (input.memory != MemoryKind::host) {
        fail(ErrorCode::internal, "the host pyramid needs input in host memory");
    }
    validate(input, params);
    Problem problem = describe_problem(input, params);
    const int ns = problem.style_channels;
    int tw = 0, th = 0;
    target_size(input, &tw, &th);
    const int level_count = int(problem.levels.size());
    if (input.initial_nnf.data != nullptr) {
        problem.initial_nnf.assign(input.initial_nnf.data,
                                   input.initial_nnf.data + std::size_t(tw) * th * 2);
        problem.first_level = int(problem.levels.size()) - input.initial_nnf_levels;
    }
    const int fs = problem.style_feature_channels();
    const int fg = problem.guide_feature_channels;
    const int f = fs + fg;

    // Raw full-size planes: style, source guides and target guides packed (scaled) channel-wise.
    Plane style = copy_plane(input.style);
    Plane source_guides(input.style.width, input.style.height, fg);
    Plane target_guides(tw, th, fg);
    for (int k = 0; k < fg; ++k) {
        const GuideFeature& gc = problem.guide_features[k];
        const GuidePair& g = input.guides[gc.guide];
        const int gch = g.source.channels;
        for (std::size_t i = 0; i < std::size_t(input.style.width) * input.style.height; ++i) {
            source_guides.data[i * fg + k] = g.source.data[i * gch + gc.channel] * gc.scale;
        }
        for (std::size_t i = 0; i < std::size_t(tw) * th; ++i) {
            target_guides.data[i * fg + k] = g.target.data[i * gch + gc.channel] * gc.scale;
        }
    }
    Plane modulation = is_present(input.modulation) ? copy_plane(input.modulation) : Plane();
    std::vector<std::uint8_t> allowed;
    if (is_present(input.source_mask)) {
        allowed.resize(std::size_t(input.style.width) * input.style.height);
        for (std::size_t i = 0; i < allowed.size(); ++i) {
            allowed[i] = input.source_mask.data[i] > 0.0f ? 1 : 0;
        }
    }

    for (int l = level_count - 1; l >= 0; --l) {
        Level& level = problem.levels[l];
        level.source_features = Plane(style.width, style.height, f);
        const std::size_t source_pixels = std::size_t(style.width) * style.height;
        for (std::size_t i = 0; i < source_pixels; ++i) {
            float* out = level.source_features.data.data() + i * f;
            for (int k = 0; k < fs; ++k) {
                out[k] = style.data[i * ns + problem.style_feature_channel[k]] *
                         problem.style_feature_scale[k];
            }
            for (int k = 0; k < fg; ++k) out[fs + k] = source_guides.data[i * fg + k];
        }
        level.source_style = style;
        level.target_guides = target_guides;
        level.modulation = modulation;
        level.source_allowed = allowed;
        if (l > 0) {
            const int w = style.width, h = style.height;
            style = downsample(style);
            source_guides = downsample(source_guides);  // zero channels when there are no guides
            target_guides = downsample(target_guides);
            if (!modulation.empty()) modulation = downsample(modulation);
            if (!allowed.empty()) allowed = downsample_mask(allowed, w, h);
        }
    }
    return problem;
}

}  // namespace synthfx
