// SPDX-License-Identifier: Apache-2.0
// Everything host-visible: plugin ids, versions, clip and parameter names, labels and hints.
#pragma once

#include <vector>

namespace synthfx::ofx {

constexpr const char* kStylizeIdentifier = "org.synthfx.Stylize";
constexpr const char* kStylizeLabel = "synthfx Stylize";
constexpr const char* kStylizeDescription =
    "Propagates painted keyframes (Style) to every frame of the Source shot, Ebsynth-style. "
    "Rendering happens in the synthfx backend service.";
constexpr const char* kImageSynthIdentifier = "org.synthfx.ImageSynth";
constexpr const char* kImageSynthLabel = "synthfx ImageSynth";
constexpr const char* kImageSynthDescription =
    "One guided patch synthesis: Style is re-arranged so that each Source guide looks like its "
    "Target guide.";
constexpr const char* kDeflickerIdentifier = "org.synthfx.Deflicker";
constexpr const char* kDeflickerLabel = "synthfx Deflicker";
constexpr const char* kDeflickerDescription =
    "Makes a flickering per-frame render (Source) temporally stable: neighbouring frames are "
    "remapped onto each frame along the motion of the original plate (Guide) and blended by "
    "how well they match. Rendering happens in the synthfx backend service.";
constexpr const char* kKeySheetIdentifier = "org.synthfx.KeySheet";
constexpr const char* kKeySheetLabel = "synthfx Key Sheet";
constexpr const char* kKeySheetDescription =
    "Tiles keyframes of the Source shot into one key sheet (synthfx sheet pack): write it out, "
    "stylize the whole sheet in one pass anywhere, and give the styled sheet and its layout to "
    "synthfx Stylize, so every key gets the same look. The output is the sheet, the same at "
    "every frame, at the sheet's size.";
constexpr const char* kKeyframeIdentifier = "org.synthfx.Keyframe";
constexpr const char* kKeyframeLabel = "synthfx Keyframe";
constexpr const char* kKeyframeDescription =
    "Paints the Source frame in the look of a Reference painting, at the frames marked on its "
    "Keyframes page: wired into Stylize's Style input (with the same frames marked as Style Key) "
    "it styles a whole shot from one painting. Method gatys needs VGG weights in the backend's "
    "models directory (vgg19.pth or vgg16.pth; never downloaded). Rendering happens in the "
    "synthfx backend service.";
constexpr const char* kPluginGrouping = "synthfx";
// Major: bump when parameters or clips change incompatibly (old scripts would load wrongly).
// Minor: bump for any other release.
constexpr unsigned kPluginVersionMajor = 1;
constexpr unsigned kPluginVersionMinor = 0;

// Clips.
constexpr const char* kClipSource = "Source";
constexpr const char* kClipStyle = "Style";
constexpr const char* kClipMask = "Mask";
constexpr const char* kClipOutput = "Output";
constexpr int kImageSynthGuidePairs = 4;
constexpr const char* kClipGuideSourcePrefix = "GuideSource";
constexpr const char* kClipGuideTargetPrefix = "GuideTarget";
constexpr const char* kClipGuide = "Guide";  // Deflicker: the plate the render was made from
constexpr const char* kClipMatte = "Matte";  // Key Sheet: what Crop To Matte crops to
constexpr const char* kClipReference = "Reference";  // Keyframe: the painting whose look it takes

// Pages.
constexpr const char* kPageKeys = "keysPage";
constexpr const char* kPageGuides = "guidesPage";
constexpr const char* kPageMask = "maskPage";
constexpr const char* kPageEngine = "enginePage";
constexpr const char* kPageBackend = "backendPage";
constexpr const char* kPageSheet = "sheetPage";
constexpr const char* kPageKeyframe = "keyframePage";  // Keyframe's method and colour
constexpr const char* kPagePatch = "patchPage";
constexpr const char* kPageGatys = "gatysPage";

// Keyframes.
constexpr const char* kParamStyleKey = "styleKey";
constexpr const char* kParamStyleKeyLabel = "Style Key";
constexpr const char* kParamStyleKeyHint =
    "Set a key on this parameter at every frame you painted a Style frame for: the keys show "
    "on the timeline and dope sheet and tell synthfx where the keyframes are. The value does "
    "not matter.";
constexpr const char* kParamAddKey = "addStyleKey";
constexpr const char* kParamAddKeyLabel = "Add Key Here";
constexpr const char* kParamAddKeyHint = "Marks the current frame as a painted keyframe.";
constexpr const char* kParamRemoveKey = "removeStyleKey";
constexpr const char* kParamRemoveKeyLabel = "Remove Key Here";
constexpr const char* kParamRemoveKeyHint = "Unmarks the current frame.";
// Keyframe marks its frames with the same parameters (script names), so keys can be copied
// between it and the Stylize it feeds.
constexpr const char* kParamKeyframeKeyHint =
    "Set a key on this parameter at every frame that gets a keyframe: mark the frames the "
    "Stylize this node feeds has as Style Key. Other frames are not rendered. The value does not "
    "matter.";
constexpr const char* kParamKeyList = "styleKeyList";
constexpr const char* kParamKeyListLabel = "Keyframes (list)";
constexpr const char* kParamKeyListHint =
    "Fallback for hosts that cannot animate Style Key: painted frames as a list, e.g. "
    "\"1, 24, 60\". Used only when Style Key has no keys.";
constexpr const char* kParamStyleFile = "styleFile";
constexpr const char* kParamStyleFileLabel = "Style Frames File";
constexpr const char* kParamStyleFileHint =
    "Single-input hosts (Resolve's Edit and Color pages): your painted keyframes as image files "
    "the backend reads, with #### or %04d for the frame number, e.g. "
    "/shots/sh010/paint/style.####.exr. Every frame of the shot that has a file is a keyframe, "
    "unless you set keys on Style Key (or the list): then those frames are, and each needs its "
    "file. A single image (no ####) is used at the keys you set. Frame numbers are the node's.";
constexpr const char* kParamStyleLayout = "styleSheetLayout";
constexpr const char* kParamStyleLayoutLabel = "Key Sheet Layout";
constexpr const char* kParamStyleLayoutHint =
    "A styled key sheet as the Style: the layout file synthfx Key Sheet (or synthfx sheet pack) "
    "wrote, e.g. /shots/sh010/sheet.json. When set, the keyframes are the sheet's cells, cut "
    "back to the Source's size and position: Style Frames File (single-input hosts) or the "
    "Style input names the styled sheet, one image at the sheet's size, and Style Key is not "
    "used. Empty: Style holds painted keyframes.";
constexpr const char* kParamSourceFile = "sourceFile";
constexpr const char* kParamSourceFileLabel = "Source Frames File";
constexpr const char* kParamSourceFileHint =
    "Hosts that give an effect only the frame being rendered (MLT, Kdenlive, Shotcut): the "
    "shot's frames as image files the backend reads, with #### or %04d for the frame number, "
    "e.g. /shots/sh010/plate.####.exr. When set, every Source frame comes from these files "
    "instead of the host, so they must be the frames this node's input shows, at its size. "
    "Frame numbers are the node's.";
constexpr const char* kParamOutput = "output";
constexpr const char* kParamOutputLabel = "Output";
constexpr const char* kParamOutputHint =
    "Stylized: the result. Error: where synthesis struggled (bright = worse). Mask: the mask "
    "the result was cut with.";
enum class OutputKind { Stylized = 0, Error = 1, Mask = 2 };
constexpr const char* kOutputChoices[] = {"Stylized", "Error", "Mask"};

// Backend.
constexpr const char* kParamBackendAddress = "backendAddress";
constexpr const char* kParamBackendAddressLabel = "Backend Address";
constexpr const char* kParamBackendAddressHint =
    "Where the synthfx backend runs: host:port or unix:/path. Empty: $SYNTHFX_BACKEND, else a "
    "local backend is started for you. On a render farm, point every node at a shared backend.";
constexpr const char* kParamTokenFile = "backendTokenFile";
constexpr const char* kParamTokenFileLabel = "Token File";
constexpr const char* kParamTokenFileHint =
    "File holding the backend's access token (or set $SYNTHFX_TOKEN). Empty: no token.";
constexpr const char* kParamTlsCaFile = "backendTlsCaFile";
constexpr const char* kParamTlsCaFileLabel = "TLS CA File";
constexpr const char* kParamTlsCaFileHint =
    "PEM file of the certificate authority that signed the backend's TLS certificate (or set "
    "$SYNTHFX_TLS_CA): frames and token then travel encrypted. The certificate must name the "
    "host in Backend Address. Empty: plain connection.";
constexpr const char* kParamConnectTimeout = "connectTimeout";
constexpr const char* kParamConnectTimeoutLabel = "Connect Timeout";
constexpr const char* kParamConnectTimeoutHint =
    "Seconds to wait for the backend before a frame fails with a message. Farm renders use at "
    "most this long per frame, never hang.";
constexpr const char* kParamPurgeSession = "purgeSession";
constexpr const char* kParamPurgeSessionLabel = "Release Backend Frames";
constexpr const char* kParamPurgeSessionHint =
    "Closes this node's backend session so the frames it uploaded can be evicted. Cached "
    "results stay; the next render uploads again what it needs.";
constexpr const char* kParamRerender = "rerenderIgnoringCache";
constexpr const char* kParamRerenderLabel = "Re-render (ignore cache)";
constexpr const char* kParamRerenderHint =
    "Renders every frame again from scratch: the backend recomputes each keyframe segment once "
    "instead of serving its cached result, and replaces the cache with the new one. Use it when "
    "you distrust the cache; with unchanged inputs the pixels come out the same.";
// Bumped by Re-render: a changed value makes the host drop its own cached frames, and frames
// rendered at a newer generation than the instance has seen ask the backend to refresh.
constexpr const char* kParamCacheGeneration = "cacheGeneration";
constexpr const char* kParamCacheGenerationLabel = "Cache Generation";
constexpr const char* kParamCacheGenerationHint = "Counts Re-render presses (hidden).";
constexpr const char* kParamSendWholeShot = "sendWholeShot";
constexpr const char* kParamSendWholeShotLabel = "Send Whole Shot";
constexpr const char* kParamSendWholeShotHint =
    "Off: each frame fetches only its keyframe segment (fast, same pixels). On: every frame of "
    "the shot is fetched and sent, so one job covers the shot in the backend cache.";

// Key Sheet.
constexpr const char* kParamLayoutFile = "layoutFile";
constexpr const char* kParamLayoutFileLabel = "Layout File";
constexpr const char* kParamLayoutFileHint =
    "Where the sheet's layout (which frame is in which cell, crops, scale) is written, e.g. "
    "/shots/sh010/sheet.json, each time the sheet renders. Stylize's Key Sheet Layout needs it "
    "to cut the styled sheet back into keyframes. Empty: not written. Proxy renders (render "
    "scale below 1) show a proxy-size sheet and leave the file as it is: the layout describes the "
    "full-size sheet.";
constexpr const char* kParamSheetGrid = "grid";  // its options "grid", "keys", "cellWidth"...
constexpr const char* kParamSheetKeys = "keys";
constexpr const char* kParamSheetCrop = "cropToMatte";
constexpr const char* kParamSheetMargin = "margin";
constexpr const char* kParamSheetCellWidth = "cellWidth";
constexpr const char* kParamSheetCellHeight = "cellHeight";
// The auto choice of Keys, as the schema spells it.
constexpr const char* kSheetKeysAuto = "auto";

// Deflicker: the frames either side of each frame it reads (its option "window").
constexpr const char* kParamDeflickerWindow = "window";

// ImageSynth.
constexpr const char* kParamGuideWeightPrefix = "guideWeight";
constexpr const char* kParamGuideWeightHint =
    "How strongly this guide pair steers the synthesis (0 leaves it out).";

// Engine and pipeline options: one table, described on their pages and sent by proto field
// name, typed. Stylize's defaults are StylizeOptions' (Ezsynth's video parameters), ImageSynth's
// SynthesisParams' (Ebsynth's): the backend's own, so a value at its default is not sent.
enum class OptionKind { Int, Double, Bool, Choice, Text };

struct OptionParam {
    const char* name;  // OFX parameter (script) name
    const char* label;
    const char* hint;
    const char* page;
    OptionKind kind;
    double defaultValue;
    double min, max, displayMin, displayMax;
    std::vector<const char*> choices;  // values sent to the backend; "" sends nothing
    const char* option;                // proto field ("engine." for EngineParams)
    // Sent even at its default: the default offered here is not the backend's.
    bool sendDefault = false;
    const char* defaultText = "";  // Text: the default (a string parameter)
};

const std::vector<OptionParam>& stylizeOptionParams();
const std::vector<OptionParam>& engineOptionParams();
// Deflicker's options and its remaps' engine options (synthfx.deflicker.DeflickerOptions).
const std::vector<OptionParam>& deflickerOptionParams();
// The Key Sheet's options (synthfx.sheet.SheetOptions).
const std::vector<OptionParam>& sheetOptionParams();
// Keyframe's options and its patch engine options (synthfx.keyframe.KeyframeOptions), less
// those a node has no use for (see params.cpp).
const std::vector<OptionParam>& keyframeOptionParams();

}  // namespace synthfx::ofx
