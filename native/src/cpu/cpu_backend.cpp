// SPDX-License-Identifier: Apache-2.0
// The CPU backend: coarse-to-fine EM (PatchMatch search, then vote) over the prepared pyramid.
#include "../problem.h"
#include "../progress.h"
#include "level_state.h"

namespace synthfx {

using cpu::LevelState;

namespace {

constexpr int kPolishPatchSize = 3;
// Iteration keys of the initial guide search, apart from the regular rounds' keys.
constexpr std::uint32_t kInitialSearchIteration = 1u << 30;
constexpr std::uint32_t kBorderSearchIteration = kInitialSearchIteration + (1u << 16);

// One search/vote round: PatchMatch iterations, vote, freeze what settled, refresh distances.
// Progress is reported (and a cancel honoured) after every iteration and every vote.
void search_and_vote(LevelState& state, ThreadPool& pool, const SynthesisParams& params,
                     std::uint32_t round, Progress& progress) {
    for (int i = 0; i < params.patchmatch_iters; ++i) {
        const std::uint32_t iteration = round * std::uint32_t(params.patchmatch_iters) + i;
        cpu::patchmatch_iteration(state, pool, params, {params.seed, iteration},
                                  progress.checkpoint());
        progress.iteration_done(state.level_index);
    }
    std::vector<float> voted;
    cpu::vote(state, pool, params.vote_mode, voted);
    if (params.stop_threshold > 0.0f) {
        cpu::update_frozen(state, state.style, voted, params.stop_threshold);
    }
    state.style.swap(voted);
    state.rebuild_target(pool);
    state.recompute_distances(pool);
    progress.vote_done(state.level_index);
}

// Starting point of a level: the style voted from the initial NNF, plain (no errors yet).
void start_level(LevelState& state, ThreadPool& pool, Progress& progress) {
    cpu::vote(state, pool, VoteMode::plain, state.style);
    state.rebuild_target(pool);
    state.recompute_distances(pool);
    progress.vote_done(state.level_index);
}

// PatchMatch on the guide channels alone, with iteration keys from `first_iteration`; frozen
// pixels keep their match. `counted`: the progress plan includes these iterations.
void guide_only_search(LevelState& state, ThreadPool& pool, const SynthesisParams& params,
                       std::uint32_t first_iteration, bool counted, Progress& progress) {
    state.style_term = false;
    state.rebuild_target(pool);
    state.recompute_distances(pool);
    for (int i = 0; i < params.patchmatch_iters; ++i) {
        cpu::patchmatch_iteration(state, pool, params, {params.seed, first_iteration + i},
                                  progress.checkpoint());
        if (counted) progress.iteration_done(state.level_index);
    }
    state.style_term = true;
}

// With no style estimate yet, a first search on the guides alone places the coarsest NNF where
// the guides say; voting a random NNF instead lets the style term lock onto a self-consistent
// but wrong texture.
void initial_guide_search(LevelState& state, ThreadPool& pool, const SynthesisParams& params,
                          Progress& progress) {
    guide_only_search(state, pool, params, kInitialSearchIteration, true, progress);
}

// The finest level after interior-only levels: target pixels near the border search the guides
// alone (the others held frozen) so they can reach the border centres now open to them.
void border_guide_search(LevelState& state, ThreadPool& pool, const SynthesisParams& params,
                         Progress& progress) {
    for (int y = 0; y < state.th; ++y) {
        for (int x = 0; x < state.tw; ++x) {
            const bool band = needs_border_search(x, y, state.tw, state.th, state.radius);
            state.frozen[std::size_t(y) * state.tw + x] = band ? 0 : 1;
        }
    }
    guide_only_search(state, pool, params, kBorderSearchIteration, false, progress);
    std::fill(state.frozen.begin(), state.frozen.end(), 0);
}

}  // namespace

SynthesisResult run_cpu(const Problem& problem, const SynthesisParams& params, Progress& progress) {
    progress.begin(problem, params);
    ThreadPool pool(params.threads);
    std::vector<std::int32_t> coarse_nnf;
    int coarse_width = 0, coarse_height = 0;
    const int level_count = int(problem.levels.size());
    std::uint32_t round = 0;
    const Level& full = problem.levels.back();
    for (int l = problem.first_level; l < level_count; ++l) {
        LevelState state(problem, l, params.patch_size);
        if (!problem.initial_nnf.empty() && l == problem.first_level) {
            // The seed stands for the coarser levels and the guide searches that place them.
            cpu::seed_nnf(state, problem.initial_nnf, full.target_width, full.target_height,
                          params.seed);
        } else if (l == 0) {
            cpu::random_init(state, params.seed);
            if (problem.guide_feature_channels > 0)
                initial_guide_search(state, pool, params, progress);
        } else {
            cpu::upsample_nnf(state, coarse_nnf, coarse_width, coarse_height, params.seed);
            const bool masked = !problem.levels[l].source_allowed.empty();
            if (problem.guide_feature_channels > 0 &&
                enters_open_from_interior(l, level_count, masked))
                border_guide_search(state, pool, params, progress);
        }
        start_level(state, pool, progress);
        for (int it = 0; it < params.search_vote_iters; ++it) {
            search_and_vote(state, pool, params, round++, progress);
        }
        const bool finest = l == level_count - 1;
        if (!finest) {
            coarse_nnf.swap(state.nnf);
            coarse_width = state.tw;
            coarse_height = state.th;
            continue;
        }
        if (params.extra_pass_3x3 && params.patch_size != kPolishPatchSize) {
            state.set_patch_size(kPolishPatchSize);
            std::fill(state.frozen.begin(), state.frozen.end(), 0);
            state.rebuild_target(pool);
            state.recompute_distances(pool);
            search_and_vote(state, pool, params, round++, progress);
        }
        SynthesisResult result;
        result.width = state.tw;
        result.height = state.th;
        result.channels = state.style_channels;
        result.image = std::move(state.style);
        result.nnf = std::move(state.nnf);
        result.error = std::move(state.ssd);
        progress.finish();
        return result;
    }
    throw SynthesisError(ErrorCode::internal, "no pyramid level to synthesize");
}

}  // namespace synthfx
