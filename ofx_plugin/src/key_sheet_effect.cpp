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

std::string sizeText(int width, int height) {
    return std::to_string(width) + "x" + std::to_string(height);
}

// A clip's pixel aspect ratio (width of a pixel over its height; 2 for an anamorphic 2:1
// plate), 1 where the host does not tell.
double pixelAspectOf(OfxImageClipHandle clip) {
    OfxPropertySetHandle handle = nullptr;
    if (suites().effect->clipGetPropertySet(clip, &handle) != kOfxStatOK) return 1.0;
    const double aspect = PropertySet(handle).getDoubleOr(kOfxImagePropPixelAspectRatio, 1.0);
    return aspect > 0 ? aspect : 1.0;
}

// A length in full-resolution pixels at a render scale: whole pixels, at least one.
int scaledPixels(int pixels, double scale) {
    return std::max(1, static_cast<int>(std::lround(pixels * scale)));
}

// Replaces (or adds) the job option `name`.
void setOption(std::vector<JobOption>& options, const char* name, long long value) {
    options.erase(std::remove_if(options.begin(), options.end(),
                                 [name](const JobOption& option) { return option.name == name; }),
                  options.end());
    options.push_back({name, value});
}

}  // namespace

KeySheetEffect::KeySheetEffect(OfxImageEffectHandle handle, const std::string& context)
    : Effect(handle), _general(context == kOfxImageEffectContextGeneral) {
    _source = clip(kClipSource);
    if (_general) _matte = clip(kClipMatte);
    _output = clip(kClipOutput);
}

bool KeySheetEffect::autoKeys(OfxTime time) const {
    const std::string keys = stringAt(kParamSheetKeys, time);
    return keys.find_first_not_of(" \t") == std::string::npos ||
           keys.find(kSheetKeysAuto) != std::string::npos;
}

std::vector<int> KeySheetEffect::shotKeys(OfxTime time) const {
    if (autoKeys(time)) return {};
    try {
        return parseKeyList(stringAt(kParamSheetKeys, time));
    } catch (const std::invalid_argument&) {
        return {};  // the backend names the bad entry
    }
}

std::vector<int> KeySheetEffect::keyFrames(OfxTime time) const {
    if (!autoKeys(time)) return shotKeys(time);
    const Segment shot = shotRange(time);
    return autoSheetKeys(shot.first, shot.last, intAt(kParamSheetGrid, time));
}

std::pair<int, int> KeySheetEffect::sourceSize(OfxTime time) const {
    OfxRectD rod{};
    check(suites().effect->clipGetRegionOfDefinition(_source, time, &rod),
          "Source region of definition");
    // Canonical coordinates: a pixel is `aspect` units wide.
    const double aspect = pixelAspectOf(_source);
    return {static_cast<int>(std::lround((rod.x2 - rod.x1) / aspect)),
            static_cast<int>(std::lround(rod.y2 - rod.y1))};
}

std::pair<int, int> KeySheetEffect::cellSize(OfxTime time) const {
    const int width = intAt(kParamSheetCellWidth, time);
    const int height = intAt(kParamSheetCellHeight, time);
    if (width > 0 && height > 0) return {width, height};
    if (width > 0 || height > 0) {
        throw OfxError(kOfxStatFailed, "synthfx: set both Cell Width and Cell Height, or both "
                                       "to 0 (the Source's size)");
    }
    return sourceSize(time);
}

std::pair<int, int> KeySheetEffect::gridSize(OfxTime time) const {
    const int columns = std::max(1, intAt(kParamSheetGrid, time));
    const int keys = std::max<int>(1, static_cast<int>(keyFrames(time).size()));
    return {columns, (keys + columns - 1) / columns};
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
    requireSource("the shot to take keyframes from");
    const OfxTime time = inArgs.getDouble(kOfxPropTime);
    const auto grid = gridSize(time);
    const auto cell = cellSize(time);
    // The sheet is an image of its own: at the origin, whatever the Source's offset; its
    // pixels as wide as the output's (the Source's, unless the host says otherwise).
    const double width = double(grid.first) * cell.first * pixelAspectOf(_output);
    outArgs.setDoubles(kOfxImageEffectPropRegionOfDefinition,
                       {0.0, 0.0, width, double(grid.second) * cell.second});
}

void KeySheetEffect::getClipPreferences(const PropertySet& outArgs) {
    // One sheet for the whole shot: hosts may render it once and hold it.
    setOutputPreferences(outArgs, /*frameVarying=*/false);
}

void KeySheetEffect::changedParam(const std::string& name, const PropertySet&) {
    if (name == kParamPurgeSession) _backend.release();
}

std::string KeySheetEffect::wrongFrameAdvice() const {
    return "this host cannot feed Key Sheet; use synthfx sheet pack there";
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
    const OfxRectI renderWindow = renderWindowOf(inArgs);
    const double scaleX = inArgs.getDouble(kOfxImageEffectPropRenderScale, 0);
    const double scaleY = inArgs.getDouble(kOfxImageEffectPropRenderScale, 1);
    if (!(scaleX > 0 && scaleX <= 1 && scaleY > 0 && scaleY <= 1)) {
        throw OfxError(kOfxStatFailed, "synthfx: Key Sheet cannot render at render scale " +
                                           std::to_string(scaleX) + " x " + std::to_string(scaleY) +
                                           ": render at full resolution or a proxy scale");
    }
    // Proxy: the host gives the key frames at the render scale, and the cells shrink alike.
    const bool proxy = scaleX != 1.0 || scaleY != 1.0;
    HostImage output(_output, time);
    if (!output) throw OfxError(kOfxStatFailed, "synthfx: the host gave no output image");
    const std::string layoutPath = stringAt(kParamLayoutFile, time);
    if (!layoutPath.empty() && layoutPath.front() != '/') {
        throw OfxError(kOfxStatFailed,
                       "synthfx: Layout File must be an absolute path, got " + layoutPath);
    }
    const Segment shot = shotRange(time);
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
        if (key < shot.first || key > shot.last) continue;  // the backend names it
        // Opaque plates as RGB: the sheet of an RGB plate file, as sheet pack makes it.
        frames[key] = readFrame(_source, key, Channels::Colour, "Source");
        if (cropping) mattes[key] = readFrame(_matte, key, Channels::Alpha, "Matte");
        if (aborted()) throw OfxError(kOfxStatFailed, "synthfx: render aborted");
    }
    SheetJob job;
    job.firstFrame = shot.first;
    job.lastFrame = shot.last;
    for (auto& [f, image] : frames) job.frames[f] = &image;
    for (auto& [f, image] : mattes) job.mattes[f] = &image;
    job.options = optionsAt(sheetOptionParams(), time);
    // The size told to the host (getRegionOfDefinition) is the one the backend must make: the
    // cell size is always sent, 0 being the Source's size here; at the render scale.
    const auto full = cellSize(time);
    const std::pair<int, int> cell{scaledPixels(full.first, scaleX),
                                   scaledPixels(full.second, scaleY)};
    setOption(job.options, "cell_width", cell.first);
    setOption(job.options, "cell_height", cell.second);
    if (proxy) {
        // Margin is in plate pixels: the proxy plate's are fewer.
        const double margin = intAt(kParamSheetMargin, time) * std::min(scaleX, scaleY);
        setOption(job.options, "margin", std::lround(margin));
    }
    const auto grid = gridSize(time);
    const std::pair<int, int> size{grid.first * cell.first, grid.second * cell.second};

    BackendClient& client = backendClient(time);
    ProgressScope progress(*this, "synthfx: packing the key sheet");
    RenderOutput packed;
    const ClientResult status = client.packSheet(job, callbacksFor(progress), packed);
    if (!status.ok()) failRender(status);
    if (packed.image.width != size.first || packed.image.height != size.second) {
        throw OfxError(kOfxStatFailed, "synthfx: the backend made a " +
                                           sizeText(packed.image.width, packed.image.height) +
                                           " sheet, the host was told " +
                                           sizeText(size.first, size.second) +
                                           ": check Keys and Grid");
    }
    // A proxy sheet's layout would not fit the full-size plate Stylize cuts it for.
    if (!layoutPath.empty() && !proxy) writeLayout(layoutPath, packed.layoutJson);
    writePixels(packed.image, OfxRectI{0, 0, size.first, size.second}, output.mutableView(),
                renderWindow);
    clearPersistentMessage();
}

}  // namespace synthfx::ofx
