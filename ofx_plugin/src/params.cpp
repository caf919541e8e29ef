// SPDX-License-Identifier: Apache-2.0
// The options' labels, hints, defaults and ranges are the backend's schema (synthfx.schema, served
// by GetInfo); tests/python/ofx/test_params_schema.py fails when this table drifts from it.
#include "params.h"

#include <climits>
#include <map>
#include <string>

namespace synthfx::ofx {
namespace {

// Options the schema does not bound: OFX needs a number.
constexpr double kNoMax = INT_MAX;

// `video`: the Stylize defaults (Ezsynth's video parameters), else ImageSynth's (Ebsynth's).
std::vector<OptionParam> engineParams(bool video) {
    const char* page = kPageEngine;
    // clang-format off: one option per entry, its fields in OptionParam's order
    return {
        {"styleWeight", "Style Weight",
         "How strongly the style's own colours steer the match, next to the guides.", page,
         OptionKind::Double, 1.0, 0, kNoMax, 0, 10, {}, "engine.style_weight"},
        {"uniformity", "Uniformity",
         "How evenly every painted patch gets used. Higher spreads the brush strokes, lower "
         "copies the best-matching ones more often.",
         page, OptionKind::Double, 3500, 0, kNoMax, 500, 15000, {}, "engine.uniformity"},
        {"patchSize", "Patch Size", "Size of the copied brush patches in pixels (odd).", page,
         OptionKind::Int, video ? 7.0 : 5.0, 3, 63, 3, 15, {}, "engine.patch_size"},
        {"pyramidLevels", "Pyramid Levels",
         "Coarse-to-fine levels; -1 uses as many as the frame size allows.", page,
         OptionKind::Int, video ? 6.0 : -1.0, -1, 32, -1, 10, {}, "engine.pyramid_levels"},
        {"searchVoteIters", "Search/Vote Iterations",
         "Refinement rounds (a patch search, then a vote) per pyramid level.", page,
         OptionKind::Int, video ? 12.0 : 6.0, 1, 1000, 1, 30, {}, "engine.search_vote_iters"},
        {"patchmatchIters", "PatchMatch Iterations",
         "PatchMatch search rounds in each refinement round.", page, OptionKind::Int,
         video ? 6.0 : 4.0, 1, 1000, 1, 20, {}, "engine.patchmatch_iters"},
        {"stopThreshold", "Stop Threshold",
         "Skips searching again where the result has settled: a pixel is left alone once no "
         "colour within its patch changed by more than this in the last round (largest channel "
         "change, in 0-255 steps). 0 searches every pixel every round; higher is faster.",
         page, OptionKind::Double, 5, 0, kNoMax, 0, 20, {}, "engine.stop_threshold"},
        {"extraPass3x3", "Extra 3x3 Pass",
         "Finishes with one refinement round of 3x3 patches at full resolution: crisper detail.",
         page, OptionKind::Bool, video ? 1.0 : 0.0, 0, 1, 0, 1, {}, "engine.extra_pass_3x3"},
        {"voteMode", "Vote Mode",
         "How overlapping patches are averaged: plain (all alike) or weighted (better matching "
         "patches count more).",
         page, OptionKind::Choice, 0, 0, 1, 0, 1, {"plain", "weighted"}, "engine.vote_mode"},
        {"seed", "Seed",
         "Random seed of the patch search: the same seed gives the same result again.", page, OptionKind::Int, 1, 0, kNoMax, 0, 100, {}, "engine.seed"},
        {"threads", "Threads",
         "CPU threads of the synthesis; 0 uses all cores. Never changes a pixel.", page,
         OptionKind::Int, 0, 0, 1024, 0, 64, {}, "engine.threads"},
        // Offers auto, where the backend's default is cpu: sent even at its default.
        {"device", "Device",
         "Where the engine computes: cpu, cuda (an NVIDIA GPU), or auto, which uses the CPU "
         "until the CUDA backend is verified on hardware.",
         page, OptionKind::Choice, 0, 0, 2, 0, 2, {"auto", "cpu", "cuda"}, "engine.backend",
         true},
    };
    // clang-format on
}

}  // namespace

const std::vector<OptionParam>& stylizeOptionParams() {
    static const std::vector<OptionParam> params = [] {
        // clang-format off: one option per entry, its fields in OptionParam's order
        std::vector<OptionParam> list = {
            {"edgeMethod", "Edge Guide",
             "How edges of the Source frames are found for the edge guide.", kPageGuides,
             OptionKind::Choice, 0, 0, 2, 0, 2, {"classic", "pst", "page"}, "edge"},
            {"flow", "Optical Flow", "Motion estimation between Source frames; faster is rougher.",
             kPageGuides, OptionKind::Choice, 3, 0, 3, 0, 3,
             {"dis-medium", "dis-fast", "dis-ultrafast", "dis-fine"}, "flow"},
            {"direction", "Direction",
             "Both: blend the passes from the keys before and after each frame. Forward: use only "
             "the pass from the key before; reverse: only the one from the key after.",
             kPageGuides, OptionKind::Choice, 0, 0, 2, 0, 2, {"", "forward", "reverse"}, "only"},
            {"edgeWeight", "Edge Weight", "How strongly edges guide the look (0 leaves them out).",
             kPageGuides, OptionKind::Double, 5.0, 0, kNoMax, 0, 10, {}, "edge_weight"},
            {"imageWeight", "Colour Weight", "How strongly Source colours guide the look.",
             kPageGuides, OptionKind::Double, 6.0, 0, kNoMax, 0, 20, {}, "image_weight"},
            {"positionalWeight", "Position Weight",
             "How strongly brush strokes stick to the moving surface (the keyframe's pixel "
             "positions carried along the optical flow).",
             kPageGuides, OptionKind::Double, 2.0, 0, kNoMax, 0, 10, {}, "positional_weight"},
            {"temporalWeight", "Temporal Weight",
             "How strongly each frame follows the previous stylized frame, warped along the "
             "optical flow: higher is steadier from frame to frame.",
             kPageGuides, OptionKind::Double, 0.5, 0, kNoMax, 0, 5, {}, "temporal_weight"},
            {"screening", "Blend Screening",
             "Where passes from two keys meet: higher keeps more of each pass's own colours, "
             "lower blends them more smoothly (screened Poisson weight, 1/pixel^2).",
             kPageGuides, OptionKind::Double, 0.05, 0, kNoMax, 0, 1, {}, "screening"},
            {"selectionSmoothing", "Blend Softness",
             "Softening of the seam between the passes from two keys, in pixels.", kPageGuides,
             OptionKind::Double, 2.0, 0, kNoMax, 0, 10, {}, "selection_smoothing"},
            {"selectionSoftness", "Blend Mixing",
             "Where the passes from two keys disagree: 0 takes, per pixel, the pass that matched "
             "better; higher mixes the two where their match errors are close (1: errors within "
             "about their mean are mixed), steadier and smoother, slightly softer lines.",
             kPageGuides, OptionKind::Double, 0.0, 0, kNoMax, 0, 3, {}, "selection_softness"},
            {"carriedKeyMixing", "Carried Key Mixing",
             "0: blend the passes by their match errors and gradients. Above 0: each pass and its "
             "keyframe carried along the optical flow are mixed per pixel, weighted by how well "
             "the keyframe's Source colours where each took its look match this frame's; lower "
             "is sharper, higher smoother. Not used with Mask Mode Before and a Mask.",
             kPageGuides, OptionKind::Double, 0.5, 0, kNoMax, 0, 2, {}, "carried_key_mixing"},
            {"detailRestoration", "Detail Restoration",
             "With Carried Key Mixing: 0 keeps the mix as it is. Above 0: the mix's fine detail "
             "(thin lines, texture) is lifted back towards the keyframes' own contrast where the "
             "mixed looks agree, never beyond the values they hold around each pixel; higher is "
             "crisper, slightly less steady.",
             kPageGuides, OptionKind::Double, 2.0, 0, kNoMax, 0, 4, {}, "detail_restoration"},
            {"nnfSeedLevels", "Match Seeding Levels",
             "0: every frame is matched from scratch. N: each frame starts from the previous "
             "frame's matches carried along the optical flow and refines only the finest N "
             "resolution levels (faster; fewer levels trust the flow more). CPU engine only: on "
             "CUDA every frame is matched from scratch.",
             kPageGuides, OptionKind::Int, 1, 0, 32, 0, 6, {}, "nnf_seed_levels"},
            {"maskMode", "Mask Mode",
             "After: stylize everything, then cut out with the Mask. Before: the mask also "
             "guides synthesis and patches come only from inside the keyframe's mask, so the "
             "masked object never borrows background texture.",
             kPageMask, OptionKind::Choice, 0, 0, 1, 0, 1, {"after", "before"}, "mask_mode"},
            {"maskWeight", "Mask Weight", "Strength of the mask guide in Before mode.", kPageMask,
             OptionKind::Double, 10.0, 0, kNoMax, 0, 50, {}, "mask_weight"},
            {"feather", "Feather",
             "Softens the mask edge of the result over about this many pixels on each side.",
             kPageMask, OptionKind::Double, 0.0, 0, kNoMax, 0, 50, {}, "feather"},
            {"maskOutput", "Masked Result",
             "Premultiplied: colour times the mask, alpha = mask (for a Merge over). "
             "Over-source: the stylized frame composited over the Source frame.",
             kPageMask, OptionKind::Choice, 0, 0, 1, 0, 1, {"premultiplied", "over-source"},
             "mask_output"},
        };
        // clang-format on
        for (auto& param : engineParams(true)) list.push_back(param);
        return list;
    }();
    return params;
}

const std::vector<OptionParam>& engineOptionParams() {
    static const std::vector<OptionParam> params = engineParams(false);
    return params;
}

const std::vector<OptionParam>& deflickerOptionParams() {
    static const std::vector<OptionParam> params = [] {
        const char* page = kPageGuides;
        // clang-format off: one option per entry, its fields in OptionParam's order
        std::vector<OptionParam> list = {
            {"mode", "Mode",
             "Which neighbours are remapped onto each frame. Accurate: every frame of the "
             "window; balanced: every second one plus the nearest; fast: frames 1, 2, 4, 8... "
             "away, so the cost grows with the logarithm of the window.",
             page, OptionKind::Choice, 1, 0, 2, 0, 2, {"fast", "balanced", "accurate"}, "mode"},
            {kParamDeflickerWindow, "Window",
             "How many frames before and after each frame are blended into it. Wider is "
             "steadier and slower.",
             page, OptionKind::Int, 8, 1, 64, 1, 32, {}, "window"},
            {"guideWeight", "Guide Weight",
             "How strongly the Guide plate steers the match of a neighbour onto the frame, "
             "next to the flickering render itself.",
             page, OptionKind::Double, 10.0, 0, kNoMax, 0, 30, {}, "guide_weight"},
            {"renderWeight", "Render Weight",
             "How strongly the flickering render's own colours steer the match.", page,
             OptionKind::Double, 1.0, 0, kNoMax, 0, 10, {}, "render_weight"},
            {"errorFalloff", "Error Falloff",
             "How quickly a badly matching neighbour pixel (occluded, or out of view) loses its "
             "weight, relative to the mode's measured best: lower trusts only the best matches, "
             "higher averages more flicker away.",
             page, OptionKind::Double, 1.0, 0.01, kNoMax, 0.1, 10, {}, "error_falloff"},
        };
        // clang-format on
        // The remaps' engine defaults (synthfx.deflicker.DEFLICKER_ENGINE_PARAMS): ImageSynth's
        // with small patches, few iterations and no uniformity.
        const std::map<std::string, double> remapDefaults = {
            {"engine.patch_size", 3.0},
            {"engine.uniformity", 0.0},
            {"engine.search_vote_iters", 5.0},
            {"engine.patchmatch_iters", 3.0},
        };
        for (auto param : engineParams(false)) {
            const auto found = remapDefaults.find(param.option);
            if (found != remapDefaults.end()) param.defaultValue = found->second;
            list.push_back(param);
        }
        return list;
    }();
    return params;
}

const std::vector<OptionParam>& sheetOptionParams() {
    static const std::vector<OptionParam> params = [] {
        const char* page = kPageSheet;
        // clang-format off: one option per entry, its fields in OptionParam's order
        return std::vector<OptionParam>{
            {kParamSheetGrid, "Grid",
             "N: the sheet holds N x N keys (N columns with a list of Keys).", page,
             OptionKind::Int, 3, 1, 16, 1, 6, {}, "grid"},
            {kParamSheetKeys, "Keys",
             "auto: N x N frames spread evenly over the shot, first and last included; or the "
             "key frames as a list, e.g. 1001,1040,1080.",
             page, OptionKind::Text, 0, 0, 0, 0, 0, {}, "keys", false, kSheetKeysAuto},
            {kParamSheetCrop, "Crop To Matte",
             "Crop each key to its matte's bounding box plus Margin, so the object fills its "
             "cell.",
             page, OptionKind::Bool, 0, 0, 1, 0, 1, {}, "crop_to_matte"},
            {kParamSheetMargin, "Margin",
             "Pixels of plate kept around the matte's box when cropping (patches at the "
             "object's edge need some context).",
             page, OptionKind::Int, 16, 0, kNoMax, 0, 64, {}, "margin"},
            {kParamSheetCellWidth, "Cell Width",
             "Width of one sheet cell in pixels; every crop is scaled alike to fit and centred. "
             "0: the plate's width, or the widest crop's when cropping (nothing resampled); the "
             "Key Sheet node uses the Source's width then, since a host asks for the sheet's "
             "size before any frame is read.",
             page, OptionKind::Int, 0, 0, 8192, 0, 4096, {}, "cell_width"},
            {kParamSheetCellHeight, "Cell Height",
             "Height of one sheet cell in pixels (see Cell Width). 0: the plate's height, or the "
             "tallest crop's when cropping.",
             page, OptionKind::Int, 0, 0, 8192, 0, 4096, {}, "cell_height"},
        };
        // clang-format on
    }();
    return params;
}

const std::vector<OptionParam>& keyframeOptionParams() {
    static const std::vector<OptionParam> params = [] {
        // Left out: output_scale (the output is the Source's size, as Stylize's Style input
        // needs), segmentation_weight (no segmentation clips), weights (the backend's models
        // directory), style_layer_weights and lr (unset is their default; OFX has no unset
        // number), snapshot_every (the call returns no snapshots).
        // clang-format off: one option per entry, its fields in OptionParam's order
        std::vector<OptionParam> list = {
            {"method", "Method",
             "How the keyframe is made. patch: guided patch synthesis from the painting, needs no "
             "weights; gatys: neural style transfer (Gatys et al.), needs VGG weights and torch.",
             kPageKeyframe, OptionKind::Choice, 0, 0, 1, 0, 1, {"patch", "gatys"}, "method"},
            {"preserveColour", "Preserve Colour",
             "Keep the plate's colours: histogram gives the result the plate's colour histogram, "
             "luminance keeps the plate's colours and takes only the style's lightness.",
             kPageKeyframe, OptionKind::Choice, 0, 0, 2, 0, 2,
             {"none", "histogram", "luminance"}, "preserve_colour"},
            {"colourWeight", "Colour Weight",
             "patch: how strongly the plate's colours (remapped to the painting's palette) steer "
             "which strokes go where.",
             kPagePatch, OptionKind::Double, 6, 0, kNoMax, 0, 20, {}, "colour_weight"},
            {"luminanceWeight", "Luminance Weight",
             "patch: how strongly the plate's lightness (remapped to the painting's) steers the "
             "strokes; raise it, and lower Colour Weight, for a painting whose colours have "
             "nothing to do with the plate's.",
             kPagePatch, OptionKind::Double, 0, 0, kNoMax, 0, 20, {}, "luminance_weight"},
            {"edgeWeight", "Edge Weight",
             "patch: how strongly the plate's edges steer the strokes.",
             kPagePatch, OptionKind::Double, 2, 0, kNoMax, 0, 10, {}, "edge_weight"},
            {"network", "Network",
             "gatys: the VGG network the weights are for.",
             kPageGatys, OptionKind::Choice, 0, 0, 1, 0, 1, {"vgg19", "vgg16"}, "network"},
            {"contentLayers", "Content Layers",
             "gatys: comma-separated layers whose features the result keeps from the plate "
             "(conv1_1 ... relu5_4), or none.",
             kPageGatys, OptionKind::Choice, 0, 0, 2, 0, 2,
             {"relu4_2", "conv4_2", "none"}, "content_layers"},
            {"styleLayers", "Style Layers",
             "gatys: comma-separated layers whose Gram matrices the result takes from the "
             "painting.",
             kPageGatys, OptionKind::Choice, 0, 0, 1, 0, 1,
             {"relu1_1,relu2_1,relu3_1,relu4_1,relu5_1", "conv3_3"}, "style_layers"},
            {"contentWeight", "Content Weight",
             "gatys: how much the plate's content counts.",
             kPageGatys, OptionKind::Double, 1, 0, kNoMax, 0, 10, {}, "content_weight"},
            {"styleWeight", "Style Weight",
             "gatys: how much the painting's style counts.",
             kPageGatys, OptionKind::Double, 1e6, 0, kNoMax, 0, 1e7, {}, "style_weight"},
            {"tvWeight", "TV Weight",
             "gatys: total-variation smoothing of the result.",
             kPageGatys, OptionKind::Double, 1e-6, 0, kNoMax, 0, 1e-4, {}, "tv_weight"},
            {"optimizer", "Optimizer",
             "gatys: lbfgs (fewer, stronger steps) or adam.",
             kPageGatys, OptionKind::Choice, 0, 0, 1, 0, 1, {"lbfgs", "adam"}, "optimizer"},
            {"iterations", "Iterations",
             "gatys: optimisation steps (L-BFGS: evaluations of the objective; its last line "
             "search may add a few).",
             kPageGatys, OptionKind::Int, 300, 1, 100000, 50, 1000, {}, "iterations"},
            {"init", "Init",
             "gatys: what the optimisation starts from: the plate, the painting, or noise.",
             kPageGatys, OptionKind::Choice, 0, 0, 2, 0, 2, {"content", "style", "noise"}, "init"},
            {"initNoise", "Init Noise",
             "gatys: fraction of noise mixed into the start image.",
             kPageGatys, OptionKind::Double, 0, 0, 1, 0, 1, {}, "init_noise"},
            {"noiseSeed", "Noise Seed",
             "gatys: random seed of the noise; the same seed gives the same result on the CPU, "
             "whatever the number of threads.",
             kPageGatys, OptionKind::Int, 0, 0, kNoMax, 0, 100, {}, "noise_seed"},
            {"maxSize", "Working Size",
             "gatys: the longest side the optimisation works at; larger keyframes are upsampled by"
             " guided patch synthesis.",
             kPageGatys, OptionKind::Int, 512, 16, 8192, 256, 1024, {}, "max_size"},
            {"torchDevice", "Torch Device",
             "gatys: where torch computes; auto uses CUDA when torch has it.",
             kPageGatys, OptionKind::Choice, 0, 0, 2, 0, 2,
             {"auto", "cpu", "cuda"}, "torch_device"},
        };
        // clang-format on
        // The patch engine's defaults (synthfx.keyframe.KEYFRAME_ENGINE_PARAMS): ImageSynth's
        // with larger patches and more iterations. Its style weight is left out: styleWeight is
        // the gatys style loss's, and the CLI keeps the engine's fixed too.
        const std::map<std::string, double> patchDefaults = {
            {"engine.patch_size", 7.0},
            {"engine.search_vote_iters", 8.0},
        };
        for (auto param : engineParams(false)) {
            if (std::string(param.option) == "engine.style_weight") continue;
            const auto found = patchDefaults.find(param.option);
            if (found != patchDefaults.end()) param.defaultValue = found->second;
            list.push_back(param);
        }
        return list;
    }();
    return params;
}

}  // namespace synthfx::ofx
