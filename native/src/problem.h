// SPDX-License-Identifier: Apache-2.0
// The validated, backend-neutral form of a synthesis job: a pyramid of flat float arrays that a
// CPU loop or a CUDA kernel can read directly.
#pragma once

#include <cstdint>
#include <vector>

#include "synthfx/synthesis.h"

namespace synthfx {

// H x W x C float image, channels interleaved, rows contiguous (row stride = W * C floats).
struct Plane {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<float> data;

    Plane() = default;
    Plane(int w, int h, int c) : width(w), height(h), channels(c), data(std::size_t(w) * h * c) {}
    float* at(int x, int y) { return data.data() + (std::size_t(y) * width + x) * channels; }
    const float* at(int x, int y) const {
        return data.data() + (std::size_t(y) * width + x) * channels;
    }
    bool empty() const { return data.empty(); }
};

// One pyramid level. Feature channels are pre-multiplied by sqrt(channel weight) * kValueScale,
// so a weighted patch distance is a plain sum of squared differences over
// (patch rows) x (patch_size * feature_channels) contiguous floats.
struct Level {
    int source_width = 0, source_height = 0;
    int target_width = 0, target_height = 0;
    Plane source_style;     // NS raw style values (what voting averages)
    Plane source_features;  // F = FS + FG: scaled style channels, then scaled guide channels
    Plane target_guides;    // FG scaled target guide channels (unpadded)
    Plane modulation;       // empty, or target W x H x 1 factor on the guide part
    std::vector<std::uint8_t> source_allowed;  // empty, or 1 where a patch centre may lie
};

// One guide feature channel: channel `channel` of guide pair `guide`, times `scale`.
struct GuideFeature {
    int guide = 0;
    int channel = 0;
    float scale = 0.0f;  // sqrt(weight / guide channels) * kValueScale
};

struct Problem {
    int style_channels = 0;                    // NS
    std::vector<int> style_feature_channel;    // for each feature style channel, its style channel
    std::vector<float> style_feature_scale;    // and its scale (sqrt(w) * kValueScale)
    std::vector<GuideFeature> guide_features;  // FG entries, in feature order
    int guide_feature_channels = 0;            // FG
    std::vector<Level> levels;                 // levels[0] is the coarsest, levels.back() full size
    // SynthesisInput::initial_nnf copied (full target size x 2), empty without one; the levels
    // before `first_level` are skipped (0 without a seed).
    std::vector<std::int32_t> initial_nnf;
    int first_level = 0;

    int feature_channels() const {
        return int(style_feature_channel.size()) + guide_feature_channels;
    }
    int style_feature_channels() const { return int(style_feature_channel.size()); }
};

// validate's questions about pixel values, answered where the pixels lie (host or device).
class PixelChecks {
  public:
    virtual ~PixelChecks() = default;
    // Element index (row-major, channels interleaved) of the first non-finite value, or -1;
    // *value receives that value.
    virtual std::int64_t first_non_finite(const ImageView& image, float* value) const = 0;
    // Element index of the first value < 0, or -1.
    virtual std::int64_t first_negative(const ImageView& image, float* value) const = 0;
    // Whether a pixel with margin <= x < W - margin and margin <= y < H - margin holds a value
    // > 0 (1-channel image).
    virtual bool any_positive_inside(const ImageView& image, int margin) const = 0;
};

class HostPixelChecks final : public PixelChecks {
  public:
    std::int64_t first_non_finite(const ImageView& image, float* value) const override;
    std::int64_t first_negative(const ImageView& image, float* value) const override;
    bool any_positive_inside(const ImageView& image, int margin) const override;
};

// Every check of the public validate(), pixel values read through `pixels`.
void validate(const SynthesisInput& input, const SynthesisParams& params,
              const PixelChecks& pixels);

// The public validate() for input in CUDA memory (pixel checks on the device).
void validate_cuda_input(const SynthesisInput& input, const SynthesisParams& params);

// Channel tables and every level's size, no pixel data: what a device-side pyramid needs.
// Expects validated input.
Problem describe_problem(const SynthesisInput& input, const SynthesisParams& params);

// Validates and builds the pyramid on the host (host input only). Throws SynthesisError.
Problem prepare_problem(const SynthesisInput& input, const SynthesisParams& params);

// Number of levels actually used for these params (resolves -1).
int resolve_level_count(const SynthesisInput& input, const SynthesisParams& params);

class Progress;  // progress.h

// The backends report to `progress` (begin, every step, finish) and stop when it throws.
SynthesisResult run_cpu(const Problem& problem, const SynthesisParams& params, Progress& progress);

// The CUDA backend. Host input comes as a prepared problem; device input (input.memory ==
// cuda) is validated and pyramided on the device, `problem` then unused (may be null).
SynthesisResult run_cuda(const Problem& problem, const SynthesisParams& params, Progress& progress);
SynthesisResult run_cuda(const Problem* problem, const SynthesisInput& input,
                         const SynthesisParams& params, Progress& progress);
DeviceSynthesisResult run_cuda_to_device(const Problem* problem, const SynthesisInput& input,
                                         const SynthesisParams& params, Progress& progress);

}  // namespace synthfx
