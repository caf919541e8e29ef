// SPDX-License-Identifier: Apache-2.0
#include "params.h"

#include <climits>
#include <string>

namespace synthfx::ofx {
namespace {

constexpr double kNoMax = INT_MAX;

std::vector<OptionParam> engineParams(const char *page) {
    return {
        {"styleWeight", "Style Weight", "How much the painted colours themselves guide the match.",
         page, OptionKind::Double, 1.0, 0, kNoMax, 0, 10, {}, "engine.style_weight"},
        {"uniformity", "Uniformity",
         "How evenly every painted patch gets used. Higher spreads the brush strokes, lower "
         "copies the best-matching ones more often.",
         page, OptionKind::Double, 3500, 0, kNoMax, 500, 15000, {}, "engine.uniformity"},
        {"patchSize", "Patch Size", "Size of the copied brush patches in pixels (odd).", page,
         OptionKind::Int, 7, 3, 31, 3, 15, {}, "engine.patch_size"},
        {"pyramidLevels", "Pyramid Levels",
         "Coarse-to-fine levels; -1 uses as many as the frame size allows.", page,
         OptionKind::Int, 6, -1, 32, -1, 10, {}, "engine.pyramid_levels"},
        {"searchVoteIters", "Search/Vote Iterations", "Refinement rounds per pyramid level.", page,
         OptionKind::Int, 12, 1, 1000, 1, 30, {}, "engine.search_vote_iters"},
        {"patchmatchIters", "PatchMatch Iterations", "Search rounds per refinement.", page,
         OptionKind::Int, 6, 1, 1000, 1, 20, {}, "engine.patchmatch_iters"},
        {"stopThreshold", "Stop Threshold",
         "Stops refining a level once fewer patches than this (percent) still change.", page,
         OptionKind::Double, 5, 0, 100, 0, 20, {}, "engine.stop_threshold"},
        {"extraPass3x3", "Extra 3x3 Pass", "A final fine pass with small patches: crisper detail.",
         page, OptionKind::Bool, 1, 0, 1, 0, 1, {}, "engine.extra_pass_3x3"},
        {"voteMode", "Vote Mode", "How overlapping patches are averaged.", page,
         OptionKind::Choice, 0, 0, 1, 0, 1, {"plain", "weighted"}, "engine.vote_mode"},
        {"seed", "Seed", "Random seed: the same seed gives the same frame on every machine.", page,
         OptionKind::Int, 1, 0, kNoMax, 0, 100, {}, "engine.seed"},
        {"threads", "Threads", "CPU threads for the backend; 0 uses all. Never changes a pixel.",
         page, OptionKind::Int, 0, 0, 1024, 0, 64, {}, "engine.threads"},
        {"device", "Device", "Where the backend computes: auto, CPU or CUDA.", page,
         OptionKind::Choice, 0, 0, 2, 0, 2, {"auto", "cpu", "cuda"}, "engine.backend"},
    };
}

} // namespace

const std::vector<OptionParam> &stylizeOptionParams() {
    static const std::vector<OptionParam> params = [] {
        std::vector<OptionParam> list = {
            {"edgeMethod", "Edge Guide", "How edges of the Source frames are found.", kPageGuides,
             OptionKind::Choice, 0, 0, 2, 0, 2, {"classic", "pst", "page"}, "edge"},
            {"flow", "Optical Flow", "Motion estimation between Source frames; faster is rougher.",
             kPageGuides, OptionKind::Choice, 0, 0, 2, 0, 2,
             {"dis-medium", "dis-fast", "dis-ultrafast"}, "flow"},
            {"direction", "Direction",
             "Both: blend the passes from the keys before and after each frame. Forward or "
             "Reverse: use one key only.",
             kPageGuides, OptionKind::Choice, 0, 0, 2, 0, 2, {"", "forward", "reverse"}, "only"},
            {"edgeWeight", "Edge Weight", "How strongly edges guide the look (0 leaves them out).",
             kPageGuides, OptionKind::Double, 1.0, 0, kNoMax, 0, 10, {}, "edge_weight"},
            {"imageWeight", "Colour Weight", "How strongly Source colours guide the look.",
             kPageGuides, OptionKind::Double, 6.0, 0, kNoMax, 0, 20, {}, "image_weight"},
            {"positionalWeight", "Position Weight",
             "How strongly brush strokes stick to the moving surface.", kPageGuides,
             OptionKind::Double, 2.0, 0, kNoMax, 0, 10, {}, "positional_weight"},
            {"temporalWeight", "Temporal Weight", "Higher is steadier from frame to frame.",
             kPageGuides, OptionKind::Double, 0.5, 0, kNoMax, 0, 5, {}, "temporal_weight"},
            {"screening", "Blend Screening",
             "Where passes from two keys meet: higher keeps more of each pass's colours.",
             kPageGuides, OptionKind::Double, 0.05, 0, kNoMax, 0, 1, {}, "screening"},
            {"selectionSmoothing", "Blend Softness", "Softening of the seam between passes, px.",
             kPageGuides, OptionKind::Double, 1.0, 0, kNoMax, 0, 10, {}, "selection_smoothing"},
            {"maskMode", "Mask Mode",
             "After: stylize everything, then cut out with the Mask. Before: also keep the "
             "masked object from borrowing background texture.",
             kPageMask, OptionKind::Choice, 0, 0, 1, 0, 1, {"after", "before"}, "mask_mode"},
            {"maskWeight", "Mask Weight", "Strength of the mask guide in Before mode.", kPageMask,
             OptionKind::Double, 10.0, 0, kNoMax, 0, 50, {}, "mask_weight"},
            {"feather", "Feather", "Softens the mask edge of the result, in pixels.", kPageMask,
             OptionKind::Double, 0.0, 0, kNoMax, 0, 50, {}, "feather"},
            {"maskOutput", "Masked Result",
             "Premultiplied: for a Merge over. Over Source: composited over the Source frame.",
             kPageMask, OptionKind::Choice, 0, 0, 1, 0, 1, {"premultiplied", "over-source"},
             "mask_output"},
        };
        for (auto &param : engineParams(kPageEngine)) list.push_back(param);
        return list;
    }();
    return params;
}

const std::vector<OptionParam> &engineOptionParams() {
    // ImageSynth takes Ebsynth's single-image defaults.
    static const std::vector<OptionParam> params = [] {
        auto list = engineParams(kPageEngine);
        for (auto &param : list) {
            const std::string name = param.name;
            if (name == "patchSize") param.defaultValue = 5;
            if (name == "pyramidLevels") param.defaultValue = -1;
            if (name == "searchVoteIters") param.defaultValue = 6;
            if (name == "patchmatchIters") param.defaultValue = 4;
            if (name == "extraPass3x3") param.defaultValue = 0;
        }
        return list;
    }();
    return params;
}

} // namespace synthfx::ofx
