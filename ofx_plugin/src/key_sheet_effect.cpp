// SPDX-License-Identifier: Apache-2.0
#include "key_sheet_effect.h"
#include "host_image.h"
#include "keyframes.h"
#include "params.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>

#include <unistd.h>

namespace synthfx::ofx {
namespace {

int frameOf(OfxTime time) { return static_cast<int>(std::lround(time)); }

std::string sizeText(int width, int height) {
    return std::to_string(width) + "x" + std::to_string(height);
}

}  // namespace

KeySheetEffect::KeySheetEffect(OfxImageEffectHandle handle, const std::string& context)
    : Effect(handle), _general(context == kOfxImageEffectContextGeneral) {
    _source = clip(kClipSource);
    if (_general) _matte = clip(kClipMatte);
    _output = clip(kClipOutput);
}

std::pair<int, int> KeySheetEffect::shotRange() const {
    const double unknown = std::nan("");
    std::pair<int, int> range;
    auto rangeOf = [&](const PropertySet& props) {
        const double first = props.getDoubleOr(kOfxImageEffectPropFrameRange, unknown, 0);
        const double last = props.getDoubleOr(kOfxImageEffectPropFrameRange, unknown, 1);
        if (std::isnan(first) || std::isnan(last) || last < first) return false;
        range = {frameOf(first), frameOf(last)};
        return true;
    };
    OfxPropertySetHandle handle = nullptr;
    if (suites().effect->clipGetPropertySet(_source, &handle) == kOfxStatOK &&
        rangeOf(PropertySet(handle))) {
        return range;
    }
    if (rangeOf(_props)) return range;
    throw OfxError(kOfxStatFailed, "synthfx: " + hostName() +
                                       " tells no frame range for Source or this node, and Key "
                                       "Sheet spreads its keys over the shot: connect Source to "
                                       "a clip");
}

std::vector<int> KeySheetEffect::keyFrames(OfxTime time) const {
    const std::string keys = stringAt(kParamSheetKeys, time);
    if (keys.find_first_not_of(" \t") == std::string::npos ||
        keys.find(kSheetKeysAuto) != std::string::npos) {
        const auto shot = shotRange();
        return autoSheetKeys(shot.first, shot.second, intAt(kParamSheetGrid, time));
    }
    try {
        return parseKeyList(keys);
    } catch (const std::invalid_argument&) {
        return {};  // the backend names the bad entry
    }
}

OfxRectI KeySheetEffect::sourceRect(OfxTime time) const {
    OfxRectD rod{};
    check(suites().effect->clipGetRegionOfDefinition(_source, time, &rod),
          "Source region of definition");
    return OfxRectI{static_cast<int>(std::floor(rod.x1)), static_cast<int>(std::floor(rod.y1)),
                    static_cast<int>(std::ceil(rod.x2)), static_cast<int>(std::ceil(rod.y2))};
}

std::pair<int, int> KeySheetEffect::cellSize(OfxTime time) const {
    const int width = intAt(kParamSheetCellWidth, time);
    const int height = intAt(kParamSheetCellHeight, time);
    if (width > 0 && height > 0) return {width, height};
    if (width > 0 || height > 0) {
        throw OfxError(kOfxStatFailed, "synthfx: set both Cell Width and Cell Height, or both "
                                       "to 0 (the Source's size)");
    }
    const OfxRectI source = sourceRect(time);
    return {source.x2 - source.x1, source.y2 - source.y1};
}

std::pair<int, int> KeySheetEffect::sheetSize(OfxTime time) const {
    const int columns = std::max(1, intAt(kParamSheetGrid, time));
    const int keys = std::max<int>(1, static_cast<int>(keyFrames(time).size()));
    const int rows = (keys + columns - 1) / columns;
    const auto cell = cellSize(time);
    return {columns * cell.first, rows * cell.second};
}

void KeySheetEffect::getFramesNeeded(const PropertySet& inArgs, const PropertySet& outArgs) {
    const OfxTime time = inArgs.getDouble(kOfxPropTime);
    std::vector<double> ranges;
    for (int key : keyFrames(time)) {
        ranges.push_back(key);
        ranges.push_back(key);
    }
    if (ranges.empty()) ranges = {time, time};  // bad keys: render says why
    std::vector<const char*> clips = {kClipSource};
    if (_general) clips.push_back(kClipMatte);
    for (const char* name : clips) {
        const std::string property = std::string(kFramesNeededPrefix) + name;
        outArgs.setDoubles(property.c_str(), ranges);
    }
}

void KeySheetEffect::getRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs) {
    if (!clipConnected(_source)) {
        throw OfxError(kOfxStatFailed, "synthfx: nothing is connected to Source: connect the "
                                       "shot to take keyframes from");
    }
    const auto size = sheetSize(inArgs.getDouble(kOfxPropTime));
    // The sheet is an image of its own: at the origin, whatever the Source's offset.
    outArgs.setDoubles(kOfxImageEffectPropRegionOfDefinition,
                       {0.0, 0.0, double(size.first), double(size.second)});
}

void KeySheetEffect::getClipPreferences(const PropertySet& outArgs) {
    const std::string components = std::string(kClipComponentsPrefix) + kClipOutput;
    const std::string depth = std::string(kClipDepthPrefix) + kClipOutput;
    outArgs.setString(components.c_str(), kOfxImageComponentRGBA);
    outArgs.setString(depth.c_str(), kOfxBitDepthFloat);
    OfxPropertySetHandle handle = nullptr;
    if (suites().effect->clipGetPropertySet(_source, &handle) == kOfxStatOK) {
        const std::string premultiplied = PropertySet(handle).getStringOr(
            kOfxImageEffectPropPreMultiplication, kOfxImagePreMultiplied);
        outArgs.setString(kOfxImageEffectPropPreMultiplication, premultiplied);
    }
    // One sheet for the whole shot: hosts may render it once and hold it.
    outArgs.setInt(kOfxImageEffectFrameVarying, 0);
}

void KeySheetEffect::changedParam(const std::string& name, const PropertySet&) {
    if (name == kParamPurgeSession) _backend.release();
}

FloatImage KeySheetEffect::readFrame(OfxImageClipHandle clip, int frame, int channels,
                                     const char* what) const {
    HostImage image(clip, frame);
    if (!image) {
        throw OfxError(kOfxStatFailed, std::string("synthfx: the host gave no ") + what +
                                           " image at key frame " + std::to_string(frame) +
                                           ": connect " + what + " to a clip with that frame");
    }
    const double given = image.properties().getDoubleOr(kOfxPropTime, frame);
    if (frameOf(given) != frame) {
        throw OfxError(kOfxStatFailed, "synthfx: asked " + hostName() + " for the " + what +
                                           " frame " + std::to_string(frame) + ", it gave frame " +
                                           std::to_string(frameOf(given)) +
                                           ": this host cannot feed Key Sheet; use synthfx "
                                           "sheet pack there");
    }
    const PixelView view = image.view();
    const OfxRectI window = image.regionOfDefinition();
    // Opaque plates as RGB: the sheet of an RGB plate file, as sheet pack makes it.
    return channels ? readPixels(view, window, channels) : readColour(view, window);
}

void KeySheetEffect::writeLayout(const std::string& path, const std::string& text) const {
    const std::string temporary = path + ".synthfx-" + std::to_string(getpid()) + ".tmp";
    std::FILE* file = std::fopen(temporary.c_str(), "wb");
    bool written = file && std::fwrite(text.data(), 1, text.size(), file) == text.size();
    if (file) written = std::fclose(file) == 0 && written;
    if (written && std::rename(temporary.c_str(), path.c_str()) == 0) return;
    const std::string reason = std::strerror(errno);
    std::remove(temporary.c_str());
    throw OfxError(kOfxStatFailed, "synthfx: cannot write Layout File " + path + ": " + reason +
                                       " (choose a folder you can write to)");
}

void KeySheetEffect::render(const PropertySet& inArgs) {
    const OfxTime time = inArgs.getDouble(kOfxPropTime);
    const OfxRectI renderWindow{inArgs.getInt(kOfxImageEffectPropRenderWindow, 0),
                                inArgs.getInt(kOfxImageEffectPropRenderWindow, 1),
                                inArgs.getInt(kOfxImageEffectPropRenderWindow, 2),
                                inArgs.getInt(kOfxImageEffectPropRenderWindow, 3)};
    if (inArgs.getDouble(kOfxImageEffectPropRenderScale, 0) != 1.0 ||
        inArgs.getDouble(kOfxImageEffectPropRenderScale, 1) != 1.0) {
        // Cells are whole plate pixels: a proxy sheet would not fit its layout.
        throw OfxError(kOfxStatFailed, "synthfx: Key Sheet renders at full resolution only: "
                                       "turn proxy (render scale) off");
    }
    HostImage output(_output, time);
    if (!output) throw OfxError(kOfxStatFailed, "synthfx: the host gave no output image");
    const std::string layoutPath = stringAt(kParamLayoutFile, time);
    if (!layoutPath.empty() && layoutPath.front() != '/') {
        throw OfxError(kOfxStatFailed,
                       "synthfx: Layout File must be an absolute path, got " + layoutPath);
    }
    const auto shot = shotRange();
    const std::vector<int> keys = keyFrames(time);
    const bool cropping = boolAt(kParamSheetCrop, time);
    const bool matted = _matte && clipConnected(_matte);
    if (cropping && !matted) {
        throw OfxError(kOfxStatFailed, "synthfx: Crop To Matte needs a Matte: connect the "
                                       "object's matte, or turn Crop To Matte off");
    }
    if (!hostHasTemporalAccess() && keys.size() > 1) {
        throw OfxError(kOfxStatFailed, "synthfx: " + hostName() +
                                           " gives an effect only the frame it renders, and the "
                                           "key sheet needs several frames: use synthfx sheet "
                                           "pack there");
    }
    std::map<int, FloatImage> frames, mattes;
    for (int key : keys) {
        if (key < shot.first || key > shot.second) continue;  // the backend names it
        frames[key] = readFrame(_source, key, 0, "Source");
        if (cropping) mattes[key] = readFrame(_matte, key, 1, "Matte");
        if (aborted()) throw OfxError(kOfxStatFailed, "synthfx: render aborted");
    }
    SheetJob job;
    job.firstFrame = shot.first;
    job.lastFrame = shot.second;
    for (auto& [f, image] : frames) job.frames[f] = &image;
    for (auto& [f, image] : mattes) job.mattes[f] = &image;
    job.options = optionsAt(sheetOptionParams(), time);
    // The size told to the host (getRegionOfDefinition) is the one the backend must make: the
    // cell size is always sent, 0 being the Source's size here.
    const auto size = sheetSize(time);
    const auto cell = cellSize(time);
    job.options.erase(std::remove_if(job.options.begin(), job.options.end(),
                                     [](const JobOption& option) {
                                         return option.name == "cell_width" ||
                                                option.name == "cell_height";
                                     }),
                      job.options.end());
    job.options.push_back({"cell_width", static_cast<long long>(cell.first)});
    job.options.push_back({"cell_height", static_cast<long long>(cell.second)});

    ClientResult status;
    BackendClient* client = _backend.acquire(connectionSettings(time), status);
    if (!client) failRender(status);
    ProgressScope progress(*this, "synthfx: packing the key sheet");
    RenderCallbacks callbacks;
    callbacks.progress = [&progress](const std::string&, double fraction) {
        progress.update(fraction);
    };
    callbacks.cancelled = [this, &progress] { return progress.cancelled() || aborted(); };
    RenderOutput packed;
    status = client->packSheet(job, callbacks, packed);
    if (!status.ok()) failRender(status);
    if (packed.image.width != size.first || packed.image.height != size.second) {
        throw OfxError(kOfxStatFailed, "synthfx: the backend made a " +
                                           sizeText(packed.image.width, packed.image.height) +
                                           " sheet, the host was told " +
                                           sizeText(size.first, size.second) +
                                           ": check Keys and Grid");
    }
    if (!layoutPath.empty()) writeLayout(layoutPath, packed.layoutJson);
    writePixels(packed.image, OfxRectI{0, 0, size.first, size.second}, output.mutableView(),
                renderWindow);
    clearPersistentMessage();
}

}  // namespace synthfx::ofx
