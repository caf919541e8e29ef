// SPDX-License-Identifier: Apache-2.0
#include "deflicker_effect.h"
#include "host_image.h"
#include "params.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace synthfx::ofx {
namespace {

int frameOf(OfxTime time) { return static_cast<int>(std::lround(time)); }

std::string rangeText(const std::pair<int, int>& range) {
    return std::to_string(range.first) + "-" + std::to_string(range.second);
}

}  // namespace

DeflickerEffect::DeflickerEffect(OfxImageEffectHandle handle) : Effect(handle) {
    _source = clip(kClipSource);
    _guide = clip(kClipGuide);
    _mask = clip(kClipMask);
    _output = clip(kClipOutput);
}

std::pair<int, int> DeflickerEffect::shotRange() const {
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
                                       " tells no frame range for Source or this node, and "
                                       "Deflicker needs the shot's: connect Source to a clip");
}

std::pair<int, int> DeflickerEffect::windowOf(int frame, OfxTime time) const {
    const auto shot = shotRange();
    const int window = std::max(0, intAt(kParamDeflickerWindow, time));
    return {std::max(shot.first, frame - window), std::min(shot.second, frame + window)};
}

void DeflickerEffect::getFramesNeeded(const PropertySet& inArgs, const PropertySet& outArgs) {
    const OfxTime time = inArgs.getDouble(kOfxPropTime);
    const auto window = windowOf(frameOf(time), time);
    for (const char* name : {kClipSource, kClipGuide, kClipMask}) {
        const std::string property = std::string(kFramesNeededPrefix) + name;
        outArgs.setDoubles(property.c_str(), {double(window.first), double(window.second)});
    }
}

void DeflickerEffect::getRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs) {
    if (!clipConnected(_source)) {
        throw OfxError(kOfxStatFailed, "synthfx: nothing is connected to Source: connect the "
                                       "flickering render");
    }
    OfxRectD rod{};
    check(suites().effect->clipGetRegionOfDefinition(_source, inArgs.getDouble(kOfxPropTime), &rod),
          "Source region of definition");
    outArgs.setDoubles(kOfxImageEffectPropRegionOfDefinition, {rod.x1, rod.y1, rod.x2, rod.y2});
}

void DeflickerEffect::getClipPreferences(const PropertySet& outArgs) {
    const std::string components = std::string(kClipComponentsPrefix) + kClipOutput;
    const std::string depth = std::string(kClipDepthPrefix) + kClipOutput;
    outArgs.setString(components.c_str(), kOfxImageComponentRGBA);
    outArgs.setString(depth.c_str(), kOfxBitDepthFloat);
    // The render's alpha comes back as it went in: so does its premultiplication.
    OfxPropertySetHandle handle = nullptr;
    if (suites().effect->clipGetPropertySet(_source, &handle) == kOfxStatOK) {
        const std::string premultiplied = PropertySet(handle).getStringOr(
            kOfxImageEffectPropPreMultiplication, kOfxImagePreMultiplied);
        outArgs.setString(kOfxImageEffectPropPreMultiplication, premultiplied);
    }
    outArgs.setInt(kOfxImageEffectFrameVarying, 1);
}

void DeflickerEffect::changedParam(const std::string& name, const PropertySet&) {
    if (name == kParamPurgeSession) _backend.release();
}

FloatImage DeflickerEffect::readFrame(OfxImageClipHandle clip, int frame, int channels,
                                      const char* what, OfxRectI* region) const {
    HostImage image(clip, frame);
    if (!image) {
        throw OfxError(kOfxStatFailed, std::string("synthfx: the host gave no ") + what +
                                           " image at frame " + std::to_string(frame) +
                                           ": connect " + what + " to a clip with that frame");
    }
    const double given = image.properties().getDoubleOr(kOfxPropTime, frame);
    if (frameOf(given) != frame) {
        throw OfxError(kOfxStatFailed, "synthfx: asked " + hostName() + " for the " + what +
                                           " frame " + std::to_string(frame) + ", it gave frame " +
                                           std::to_string(frameOf(given)) +
                                           ": this host cannot feed Deflicker");
    }
    const PixelView view = image.view();
    // Each frame over its own pixels: a Guide of another size reaches the backend as it is,
    // which names it, instead of being cropped or padded to fit.
    const OfxRectI window = image.regionOfDefinition();
    if (region) *region = window;
    return readPixels(view, window, channels ? channels : channelCount(view.layout));
}

void DeflickerEffect::render(const PropertySet& inArgs) {
    const OfxTime time = inArgs.getDouble(kOfxPropTime);
    const int frame = frameOf(time);
    const OfxRectI renderWindow{inArgs.getInt(kOfxImageEffectPropRenderWindow, 0),
                                inArgs.getInt(kOfxImageEffectPropRenderWindow, 1),
                                inArgs.getInt(kOfxImageEffectPropRenderWindow, 2),
                                inArgs.getInt(kOfxImageEffectPropRenderWindow, 3)};
    HostImage output(_output, time);
    if (!output) throw OfxError(kOfxStatFailed, "synthfx: the host gave no output image");
    if (!clipConnected(_guide)) {
        throw OfxError(kOfxStatFailed, "synthfx: nothing is connected to Guide: connect the "
                                       "plate the flickering render was made from");
    }
    const auto shot = shotRange();
    const auto window = windowOf(frame, time);
    if (!hostHasTemporalAccess() && window.first != window.second) {
        throw OfxError(kOfxStatFailed, "synthfx: " + hostName() +
                                           " gives an effect only the frame it renders, and "
                                           "Deflicker needs the frames " +
                                           rangeText(window) + ": use synthfx deflicker there");
    }
    const bool masked = clipConnected(_mask);
    std::map<int, FloatImage> frames, guides, masks;
    OfxRectI target{};  // where the Source frame's pixels lie: the output's too
    // Each frame of the window fetched once per clip: a host may compute every fetch upstream.
    for (int f = window.first; f <= window.second; ++f) {
        frames[f] = readFrame(_source, f, 0, "Source", f == frame ? &target : nullptr);
        guides[f] = readFrame(_guide, f, 3, "Guide");  // the plate's colours guide the match
        if (masked) masks[f] = readFrame(_mask, f, 1, "Mask");
        if (aborted()) throw OfxError(kOfxStatFailed, "synthfx: render aborted");
    }
    DeflickerJob job;
    job.firstFrame = shot.first;
    job.lastFrame = shot.second;
    for (auto& [f, image] : frames) job.frames[f] = &image;
    for (auto& [f, image] : guides) job.guides[f] = &image;
    for (auto& [f, image] : masks) job.masks[f] = &image;
    job.options = optionsAt(deflickerOptionParams(), time);

    ClientResult status;
    BackendClient* client = _backend.acquire(connectionSettings(time), status);
    if (!client) failRender(status);
    ProgressScope progress(*this, "synthfx: deflickering frame " + std::to_string(frame));
    RenderCallbacks callbacks;
    callbacks.progress = [&progress](const std::string&, double fraction) {
        progress.update(fraction);
    };
    callbacks.cancelled = [this, &progress] { return progress.cancelled() || aborted(); };
    RenderOutput rendered;
    status = client->deflicker(job, frame, callbacks, rendered);
    if (!status.ok()) failRender(status);
    writePixels(rendered.image, target, output.mutableView(), renderWindow);
    clearPersistentMessage();
}

}  // namespace synthfx::ofx
