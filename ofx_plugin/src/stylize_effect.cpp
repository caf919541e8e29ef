// SPDX-License-Identifier: Apache-2.0
#include "stylize_effect.h"
#include "host_image.h"
#include "params.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

namespace synthfx::ofx {
namespace {

std::string sizeText(const OfxRectI& r) {
    return std::to_string(r.x2 - r.x1) + "x" + std::to_string(r.y2 - r.y1);
}

}  // namespace

StylizeEffect::StylizeEffect(OfxImageEffectHandle handle, const std::string& context)
    : Effect(handle), _general(context == kOfxImageEffectContextGeneral) {
    _source = clip(kClipSource);
    _output = clip(kClipOutput);
    if (_general) {
        _style = clip(kClipStyle);
        _mask = clip(kClipMask);
    }
    int generation = 0;
    if (suites().param->paramGetValue(param(kParamCacheGeneration), &generation) == kOfxStatOK) {
        _loadedGeneration = _seenGeneration = generation;
    }
}

std::vector<int> StylizeEffect::shotKeys(OfxTime time) const {
    std::vector<int> keys = setKeys(time);
    if (keys.empty() && !_general) {
        try {
            keys = existingFrames(parseFramePattern(styleFile(time)));
        } catch (const OfxError&) {
            // No usable file name yet: render says why.
        }
    }
    return keys;
}

std::vector<int> StylizeEffect::setKeys(OfxTime time) const {
    // A styled key sheet's keys are its cells: Style Key is not used then.
    if (const std::string layout = sheetLayoutFile(time); !layout.empty()) {
        return sheetLayout(layout).frames;
    }
    return markedKeys(time);
}

std::vector<int> StylizeEffect::keyframes(OfxTime time) const {
    const Segment shot = shotRange(time);
    std::vector<int> keys = setKeys(time);
    // Filter context without keys set: every frame that has a painted file is a keyframe (what
    // dropping files into a folder suggests). Checked on this machine, so the path must read
    // the same here as on the backend (the local backend; a farm's shared storage).
    if (keys.empty() && !_general) {
        try {
            keys = existingFrames(parseFramePattern(styleFile(time)), shot.first, shot.last);
        } catch (const OfxError&) {
            // No usable file name yet (e.g. a node just added): no keys; render says why.
        }
    }
    return normalizeKeys(keys, shot.first, shot.last);
}

namespace {

// A file parameter's value without surrounding spaces; empty or checked: absolute, at most one
// frame placeholder (and one when `sequence`). `label` is the parameter's, for messages.
std::string checkedFilePath(std::string path, const char* label, bool sequence) {
    const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
    path.erase(path.begin(), std::find_if_not(path.begin(), path.end(), space));
    path.erase(std::find_if_not(path.rbegin(), path.rend(), space).base(), path.end());
    if (path.empty()) return path;
    if (path.front() != '/') {
        throw OfxError(kOfxStatFailed,
                       std::string("synthfx: ") + label + " must be an absolute path, got " + path);
    }
    FramePattern pattern;
    try {
        pattern = parseFramePattern(path);
    } catch (const std::invalid_argument& error) {
        throw OfxError(kOfxStatFailed, std::string("synthfx: ") + label + ": " + error.what());
    }
    if (sequence && pattern.still) {
        throw OfxError(kOfxStatFailed, std::string("synthfx: ") + label + " " + path +
                                           " names one file: put #### (or %04d) where the "
                                           "frame number goes, e.g. /shots/sh010/plate.####.exr");
    }
    return path;
}

}  // namespace

std::string StylizeEffect::styleFile(OfxTime time) const {
    const std::string path = checkedFilePath(stringAt(kParamStyleFile, time), "Style Frames File",
                                             /*sequence=*/false);
    if (path.empty()) {
        throw OfxError(kOfxStatFailed,
                       "synthfx: set Style Frames File to your painted keyframes, e.g. "
                       "/shots/sh010/paint/style.####.exr");
    }
    return path;
}

std::string StylizeEffect::sheetLayoutFile(OfxTime time) const {
    return checkedFilePath(stringAt(kParamStyleLayout, time), "Key Sheet Layout",
                           /*sequence=*/false);
}

SheetLayoutInfo StylizeEffect::sheetLayout(const std::string& path, std::string* text) const {
    try {
        std::string json = readTextFile(path);
        SheetLayoutInfo info = parseSheetLayout(json);
        if (text) *text = std::move(json);
        return info;
    } catch (const std::invalid_argument& error) {
        throw OfxError(kOfxStatFailed, std::string("synthfx: Key Sheet Layout ") + path + ": " +
                                           error.what() +
                                           ": name the layout synthfx Key Sheet wrote");
    }
}

std::string StylizeEffect::sourceFile(OfxTime time) const {
    if (_general) return {};
    return checkedFilePath(stringAt(kParamSourceFile, time), "Source Frames File",
                           /*sequence=*/true);
}

void StylizeEffect::requireOtherFrames(const Segment& segment, int frame, bool fromFiles) const {
    if (hostHasTemporalAccess() || segment.first == segment.last) return;
    const std::string frames = std::to_string(segment.first) + "-" + std::to_string(segment.last);
    const std::string what = "synthfx: " + hostName() +
                             " gives an effect only the frame it renders, and frame " +
                             std::to_string(frame) + " needs the frames " + frames;
    if (_general) {
        // The general context has no file parameters: its Style and Mask are clips.
        throw OfxError(kOfxStatFailed,
                       what + " of Source, Style and Mask. Use synthfx Stylize with one input "
                              "(the filter context), with Source Frames File and Style Frames "
                              "File; the backend then reads the frames itself.");
    }
    if (!fromFiles) {
        throw OfxError(kOfxStatFailed,
                       what + " of Source. Set Source Frames File to the shot's frames on disk "
                              "(e.g. /shots/sh010/plate.####.exr); the backend then reads them "
                              "itself.");
    }
}

bool StylizeEffect::refreshWanted(const Segment& segment, OfxTime time) {
    const int generation = intAt(kParamCacheGeneration, time);
    std::lock_guard<std::mutex> lock(_refreshMutex);
    if (generation != _seenGeneration) {
        _seenGeneration = generation;
        _refreshed.clear();
    }
    return generation != _loadedGeneration && !_refreshed.count({segment.first, segment.last});
}

void StylizeEffect::refreshDone(const Segment& segment) {
    std::lock_guard<std::mutex> lock(_refreshMutex);
    _refreshed.insert({segment.first, segment.last});
}

Segment StylizeEffect::framesFor(int frame, OfxTime time) const {
    const Segment shot = shotRange(time);
    if (boolAt(kParamSendWholeShot, time)) return shot;
    return segmentFor(frame, keyframes(time), shot.first, shot.last);
}

void StylizeEffect::getFramesNeeded(const PropertySet& inArgs, const PropertySet& outArgs) {
    const OfxTime time = inArgs.getDouble(kOfxPropTime);
    const Segment segment = framesFor(frameOf(time), time);
    const std::string sourceName = std::string(kFramesNeededPrefix) + kClipSource;
    bool fromFiles = false;
    try {
        fromFiles = !sourceFile(time).empty();
    } catch (const OfxError&) {
        // A bad Source Frames File: render says why.
    }
    if (!fromFiles) {
        outArgs.setDoubles(sourceName.c_str(), {double(segment.first), double(segment.last)});
    } else {
        outArgs.setDoubles(sourceName.c_str(), {time, time});  // the others come from files
    }
    if (_general && !sheetLayoutFile(time).empty()) {
        // The styled sheet: a still, read at this frame.
        const std::string styleName = std::string(kFramesNeededPrefix) + kClipStyle;
        outArgs.setDoubles(styleName.c_str(), {time, time});
        const std::string maskName = std::string(kFramesNeededPrefix) + kClipMask;
        outArgs.setDoubles(maskName.c_str(), {double(segment.first), double(segment.last)});
    } else if (_general) {
        std::vector<double> ranges;
        for (int key : keyframes(time)) {
            if (key >= segment.first && key <= segment.last) {
                ranges.push_back(key);
                ranges.push_back(key);
            }
        }
        if (!ranges.empty()) {
            const std::string styleName = std::string(kFramesNeededPrefix) + kClipStyle;
            outArgs.setDoubles(styleName.c_str(), ranges);
        }
        const std::string maskName = std::string(kFramesNeededPrefix) + kClipMask;
        outArgs.setDoubles(maskName.c_str(), {double(segment.first), double(segment.last)});
    }
}

void StylizeEffect::getRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs) {
    sourceRegionOfDefinition(inArgs, outArgs, "the shot to stylize");
}

void StylizeEffect::getClipPreferences(const PropertySet& outArgs) {
    setOutputPreferences(outArgs, /*frameVarying=*/true);
}

void StylizeEffect::changedParam(const std::string& name, const PropertySet& inArgs) {
    const OfxTime time = std::round(inArgs.getDouble(kOfxPropTime));
    if (changedKeyParam(name, time)) return;
    if (name == kParamPurgeSession) {
        _backend.release();
    } else if (name == kParamRerender) {
        // A new value: the host drops its cached frames, the next renders refresh (see params.h).
        const OfxParamHandle generation = param(kParamCacheGeneration);
        int value = 0;
        check(suites().param->paramGetValue(generation, &value), "reading Cache Generation");
        check(suites().param->paramSetValue(generation, value + 1), "bumping Cache Generation");
    }
}

std::string StylizeEffect::wrongFrameAdvice() const {
    if (_general) return "this host cannot feed Stylize";
    return "set Source Frames File to the shot's frames on disk; the backend then reads them "
           "itself";
}

FloatImage StylizeEffect::readClipFrame(OfxImageClipHandle clip, int frame, const OfxRectI& window,
                                        int channels, const char* what,
                                        std::string* identity) const {
    HostImage image(clip, frame);
    requireImage(image, frame, what);
    const PixelView view = image.view();
    if (identity) {
        const PropertySet props = image.properties();
        auto rect = [](const OfxRectI& r) {
            return std::to_string(r.x1) + "," + std::to_string(r.y1) + "," + std::to_string(r.x2) +
                   "," + std::to_string(r.y2);
        };
        char where[64];  // two pointers
        std::snprintf(where, sizeof where, "%p %p", static_cast<const void*>(clip), view.data);
        *identity = imageIdentity({props.getStringOr(kOfxImagePropUniqueIdentifier, ""), what,
                                   std::to_string(frame), where, rect(view.bounds),
                                   std::to_string(view.rowBytes), std::to_string(int(view.depth)),
                                   std::to_string(int(view.layout)), rect(window),
                                   std::to_string(channels)});
    }
    if (channels != 0) return readPixels(view, window, channels);
    return readColour(view, window);
}

void StylizeEffect::render(const PropertySet& inArgs) {
    const OfxTime time = inArgs.getDouble(kOfxPropTime);
    const int frame = frameOf(time);
    const OfxRectI renderWindow = renderWindowOf(inArgs);
    HostImage output(_output, time);
    if (!output) {
        throw OfxError(kOfxStatFailed, "synthfx: the host gave no Output image to render frame " +
                                           std::to_string(frame) +
                                           " into: render again, and report it to the host's "
                                           "makers if it stays");
    }
    const MutablePixelView outView = output.mutableView();

    // Every input is read over the Source frame's pixel window at this render scale, so proxy
    // renders send proxy-size frames and all frames share one size.
    OfxRectI window;
    {
        HostImage source(_source, time);
        if (!source) {
            throw OfxError(kOfxStatFailed, "synthfx: the host gave no Source image at frame " +
                                               std::to_string(frame) +
                                               ": connect Source to a clip with that frame");
        }
        window = source.regionOfDefinition();
    }
    if (window.x2 <= window.x1 || window.y2 <= window.y1) {
        throw OfxError(kOfxStatFailed, "synthfx: the Source image at frame " +
                                           std::to_string(frame) +
                                           " has no pixels: connect a clip with a picture");
    }
    const std::vector<int> keys = keyframes(time);
    const std::string layoutPath = sheetLayoutFile(time);
    std::string layoutText;
    if (!layoutPath.empty()) {
        const SheetLayoutInfo layout = sheetLayout(layoutPath, &layoutText);
        const Segment shot = shotRange(time);
        if (keys.empty()) {
            throw OfxError(kOfxStatFailed,
                           "synthfx: no cell of the key sheet " + layoutPath +
                               " holds a frame of this shot (" + std::to_string(shot.first) + "-" +
                               std::to_string(shot.last) + "): pack the sheet from this shot");
        }
        if (layout.plateWidth != window.x2 - window.x1 ||
            layout.plateHeight != window.y2 - window.y1) {
            throw OfxError(kOfxStatFailed,
                           "synthfx: the key sheet " + layoutPath + " was packed from a " +
                               std::to_string(layout.plateWidth) + "x" +
                               std::to_string(layout.plateHeight) + " plate, Source is " +
                               sizeText(window) + ": pack it from this Source (synthfx Key Sheet)");
        }
    }
    const bool fromSheet = !layoutPath.empty();
    if (keys.empty() && !_general) {
        const Segment shot = shotRange(time);
        throw OfxError(kOfxStatFailed,
                       "synthfx: no keyframes: no file of Style Frames File " + styleFile(time) +
                           " exists for frames " + std::to_string(shot.first) + "-" +
                           std::to_string(shot.last) +
                           ". Paint those files, or set a key on Style Key (or press Add Key "
                           "Here) at each frame a file is for.");
    }
    if (keys.empty()) {
        throw OfxError(kOfxStatFailed,
                       "synthfx: no keyframes. Set a key on Style Key (or press Add Key Here) at "
                       "each frame you painted a Style frame for.");
    }
    const std::string stylePattern = _general ? std::string() : styleFile(time);
    if ((!_general || fromSheet) && (inArgs.getDouble(kOfxImageEffectPropRenderScale, 0) != 1.0 ||
                                     inArgs.getDouble(kOfxImageEffectPropRenderScale, 1) != 1.0)) {
        // The backend reads the painted files (or cuts the sheet) at their own size; it
        // cannot match a proxy.
        throw OfxError(
            kOfxStatFailed,
            std::string("synthfx: ") +
                (fromSheet ? "the styled key sheet is" : "Style Frames File keyframes are") +
                " full size: render at full resolution (proxy or render scale off)");
    }
    if (fromSheet && !_general && !parseFramePattern(stylePattern).still) {
        throw OfxError(kOfxStatFailed, "synthfx: with Key Sheet Layout set, Style Frames File "
                                       "names the styled sheet, one image: " +
                                           stylePattern + " has a frame placeholder");
    }
    const std::string sourcePattern = sourceFile(time);
    const Segment segment = framesFor(frame, time);
    requireOtherFrames(segment, frame, !sourcePattern.empty());
    const bool masked = _mask && clipConnected(_mask);
    const auto outputKind = static_cast<OutputKind>(intAt(kParamOutput, time));

    std::map<int, FloatImage> frames, styles, masks;
    std::map<const FloatImage*, std::string> identities;  // of the images read, by address
    for (int f = segment.first; f <= segment.last; ++f) {
        if (sourcePattern.empty()) {
            frames[f] = readClipFrame(_source, f, window, 3, "Source", &identities[&frames[f]]);
        }
        if (masked) masks[f] = readClipFrame(_mask, f, window, 1, "Mask", &identities[&masks[f]]);
        if (aborted()) throw OfxError(kOfxStatFailed, "synthfx: render aborted");
    }
    FloatImage sheet;  // the general context's styled key sheet, at its own size
    if (fromSheet && _general) {
        OfxRectI sheetWindow;
        {
            HostImage style(_style, time);
            if (!style) {
                throw OfxError(kOfxStatFailed, "synthfx: the host gave no Style image: connect "
                                               "the styled key sheet to Style");
            }
            sheetWindow = style.regionOfDefinition();
        }
        sheet = readClipFrame(_style, frame, sheetWindow, 0, "Style", &identities[&sheet]);
    }
    for (int key : keys) {
        if (key < segment.first || key > segment.last || !_general || fromSheet) continue;
        styles[key] = readClipFrame(_style, key, window, 0, "Style", &identities[&styles[key]]);
    }

    FloatImage result;
    if (outputKind == OutputKind::Mask) {
        result = masked ? masks[frame] : FloatImage();
        if (result.empty()) {
            result = FloatImage(window.x2 - window.x1, window.y2 - window.y1, 1);
            std::fill(result.pixels.begin(), result.pixels.end(), 1.0f);
        }
    } else {
        StylizeJob job;
        const Segment shot = shotRange(time);
        job.firstFrame = shot.first;
        job.lastFrame = shot.last;
        job.width = window.x2 - window.x1;
        job.height = window.y2 - window.y1;
        for (auto& [f, image] : frames) job.frames[f] = &image;
        if (!sourcePattern.empty()) {
            for (int f = segment.first; f <= segment.last; ++f) job.framePaths[f] = sourcePattern;
        }
        for (auto& [f, image] : styles) job.keyframes[f] = &image;
        if (fromSheet) {
            // The backend cuts the keys out of the sheet (Job.key_sheet).
            job.keySheetLayout = layoutText;
            if (_general) {
                job.keySheet = &sheet;
            } else {
                job.keySheetPath = stylePattern;
            }
        } else if (!_general) {
            // The segment's keys, as in the general context; the backend reads their files.
            for (int key : keys) {
                if (key >= segment.first && key <= segment.last) {
                    job.keyframePaths[key] = stylePattern;
                }
            }
        }
        for (auto& [f, image] : masks) job.masks[f] = &image;
        job.options = optionsAt(stylizeOptionParams(), time);
        job.refresh = refreshWanted(segment, time);

        BackendClient& client = backendClient(time);
        const ContentHashes::HashFn hash = [&client](const FloatImage& image) {
            return client.contentHash(image);
        };
        for (const auto& [image, identity] : identities) {
            job.contentHashes[image] = _hashes.hashOf(identity, *image, hash, job.refresh);
        }
        ProgressScope progress(*this, "synthfx: stylizing frame " + std::to_string(frame));
        RenderOutput rendered;
        const ClientResult status = client.stylize(job, frame, outputKind == OutputKind::Error,
                                                   callbacksFor(progress), rendered);
        if (!status.ok()) failRender(status);
        if (job.refresh) refreshDone(segment);
        result = std::move(outputKind == OutputKind::Error ? rendered.error : rendered.image);
        if (result.width != window.x2 - window.x1 || result.height != window.y2 - window.y1) {
            const std::string size =
                std::to_string(result.width) + "x" + std::to_string(result.height);
            throw OfxError(kOfxStatFailed,
                           sourcePattern.empty()
                               ? "synthfx: the backend returned a " + size + " frame for " +
                                     sizeText(window)
                               : "synthfx: the files of Source Frames File " + sourcePattern +
                                     " are " + size + ", the node's input is " + sizeText(window) +
                                     ": point it at the frames this node shows, at their size");
        }
    }
    writePixels(result, window, outView, renderWindow);
    clearPersistentMessage();
}

}  // namespace synthfx::ofx
