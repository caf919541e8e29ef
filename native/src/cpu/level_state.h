// SPDX-License-Identifier: Apache-2.0
// Working state of the CPU backend for one pyramid level.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "../centre_range.h"
#include "../parallel.h"
#include "../problem.h"
#include "patch_means.h"

namespace synthfx::cpu {

struct LevelState;

// Uniformity bookkeeping: omega(s) counts the target patches whose match covers source pixel s;
// patch_sum(q) is the sum of omega over the patch centred at q, from an integral image of exact
// integer counts so the result never depends on evaluation order.
class Occupancy {
  public:
    void build(const LevelState& state, ThreadPool& pool);
    std::int64_t patch_sum(int qx, int qy) const {
        const int x0 = std::max(qx - radius_, 0), y0 = std::max(qy - radius_, 0);
        const int x1 = std::min(qx + radius_ + 1, sw_), y1 = std::min(qy + radius_ + 1, sh_);
        const std::size_t stride = std::size_t(sw_) + 1;
        return integral_[y1 * stride + x1] - integral_[y0 * stride + x1] -
               integral_[y1 * stride + x0] + integral_[y0 * stride + x0];
    }

  private:
    int sw_ = 0, sh_ = 0, radius_ = 0;
    std::vector<std::int32_t> counts_;
    std::vector<std::int64_t> centre_integral_;  // (sh + 1) x (sw + 1): of counts_
    std::vector<std::int64_t> integral_;         // (sh + 1) x (sw + 1): of omega
};

struct LevelState {
    const Problem* problem = nullptr;
    const Level* level = nullptr;
    int level_index = 0;
    int patch = 0;  // patch side
    int radius = 0;
    int sw = 0, sh = 0, tw = 0, th = 0;
    int features = 0, style_features = 0, style_channels = 0;
    int padded_width = 0, padded_height = 0;  // target plus `radius` replicated on every side

    // Source and target features with `radius` replicated pixels on every side, so a patch may be
    // centred on any pixel, borders included, and still reads contiguous rows.
    std::vector<float> source;      // (sh + 2r) x (sw + 2r) x features
    std::vector<float> target;      // padded_height x padded_width x features
    std::vector<float> modulation;  // empty, or padded_height x padded_width
    // Lower bound of patch_distance; not built with a modulation, which it does not model.
    PatchMeanBound mean_bound;
    std::vector<float> style;          // th x tw x style_channels: current estimate (raw values)
    std::vector<std::int32_t> nnf;     // th x tw x 2
    std::vector<float> ssd;            // th x tw: weighted distance of the current match
    std::vector<std::uint8_t> frozen;  // th x tw: 1 = skip PatchMatch (stop threshold)
    std::vector<std::int32_t> allowed_centres;  // source pixel indices, when a mask is given
    CentreRange centres;                        // where source patch centres may lie
    Occupancy
        occupancy;  // PatchMatch's omega, rebuilt before every tile phase (kept for its memory)
    // False while no style estimate exists yet (coarsest level's first search): only the guide
    // channels are compared.
    bool style_term = true;

    LevelState(const Problem& problem, int level_index, int patch_size);

    // Changes the patch size (the extra 3x3 pass); keeps NNF and style.
    void set_patch_size(int patch_size);

    bool centre_allowed(int x, int y) const {
        return centres.contains(x, y) &&
               (level->source_allowed.empty() || level->source_allowed[std::size_t(y) * sw + x]);
    }

    // Rebuilds the padded target features from `style` and the level's target guides.
    void rebuild_target(ThreadPool& pool);

    // Weighted SSD of target patch centred at (px, py) against source patch centred at
    // (qx, qy); stops early and returns a value > bound once the sum exceeds bound.
    float patch_distance(int px, int py, int qx, int qy, float bound) const;

    // A value <= patch_distance(px, py, qx, qy, any bound), from a few bytes per source pixel
    // (patch_means.h); 0 where the bound does not apply (guides only, a modulation).
    float distance_lower_bound(int px, int py, int qx, int qy) const {
        return style_term ? mean_bound.lower(px, py, qx, qy) : 0.0f;
    }

    // The first feature of the source patch centred at (qx, qy) (padded coordinates start there).
    const float* source_patch(int qx, int qy) const {
        return source.data() + (std::size_t(qy) * (sw + 2 * radius) + qx) * features;
    }

    // Asks the cache for the first row of the source patch centred at (qx, qy): a hint only.
    void prefetch_source_row(int qx, int qy) const {
        const std::size_t row = std::size_t(patch) * features * sizeof(float);
        const char* s = reinterpret_cast<const char*>(source_patch(qx, qy));
        for (std::size_t b = 0; b < row; b += 64) __builtin_prefetch(s + b);
        __builtin_prefetch(s + row - 1);
    }

    // Recomputes `ssd` for every target pixel from the current NNF and target.
    void recompute_distances(ThreadPool& pool);
};

void random_init(LevelState& state, std::uint64_t seed);
void upsample_nnf(LevelState& state, const std::vector<std::int32_t>& coarse, int coarse_width,
                  int coarse_height, std::uint64_t seed);
// The level's NNF from a full-size one (SynthesisInput::initial_nnf), scaled down and clamped to
// the level's centres; forbidden (masked) centres are redrawn at random.
void seed_nnf(LevelState& state, const std::vector<std::int32_t>& full, int full_width,
              int full_height, std::uint64_t seed);

struct IterationKey {
    std::uint64_t seed;
    std::uint32_t iteration;  // unique within the level
};

// `between_phases` (optional) runs on the calling thread between the four tile phases: where a
// cancel can land inside an iteration (a finest-level iteration at 1080p takes seconds).
void patchmatch_iteration(LevelState& state, ThreadPool& pool, const SynthesisParams& params,
                          IterationKey key, const std::function<void()>& between_phases = {});

// Writes the voted style estimate into `out` (th x tw x style_channels).
void vote(const LevelState& state, ThreadPool& pool, VoteMode mode, std::vector<float>& out);

// Marks pixels frozen when no style value within the patch radius changed by more than the
// threshold (0-255 units) between `before` and `after`.
void update_frozen(LevelState& state, const std::vector<float>& before,
                   const std::vector<float>& after, float threshold);

}  // namespace synthfx::cpu
