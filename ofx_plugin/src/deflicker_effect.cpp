// SPDX-License-Identifier: Apache-2.0
#include "deflicker_effect.h"
#include "host_image.h"
#include "params.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace synthfx::ofx {
namespace {

std::string rangeText(const Segment& range) {
    return std::to_string(range.first) + "-" + std::to_string(range.last);
}

}  // namespace

DeflickerEffect::DeflickerEffect(OfxImageEffectHandle handle) : Effect(handle) {
    _source = clip(kClipSource);
    _guide = clip(kClipGuide);
    _mask = clip(kClipMask);
    _output = clip(kClipOutput);
}

Segment DeflickerEffect::shot() const {
    Segment range;
    if (hostShotRange(range)) return range;
    throw OfxError(kOfxStatFailed, "synthfx: " + hostName() +
                                       " tells no frame range for Source or this node, and "
                                       "Deflicker needs the shot's: connect Source to a clip");
}

Segment DeflickerEffect::windowOf(int frame, OfxTime time) const {
    const Segment range = shot();
    const int window = std::max(0, intAt(kParamDeflickerWindow, time));
    return {std::max(range.first, frame - window), std::min(range.last, frame + window)};
}

void DeflickerEffect::getFramesNeeded(const PropertySet& inArgs, const PropertySet& outArgs) {
    const OfxTime time = inArgs.getDouble(kOfxPropTime);
    const auto window = windowOf(frameOf(time), time);
    for (const char* name : {kClipSource, kClipGuide, kClipMask}) {
        const std::string property = std::string(kFramesNeededPrefix) + name;
        outArgs.setDoubles(property.c_str(), {double(window.first), double(window.last)});
    }
}

void DeflickerEffect::getRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs) {
    sourceRegionOfDefinition(inArgs, outArgs, "the flickering render");
}

void DeflickerEffect::getClipPreferences(const PropertySet& outArgs) {
    // The render's alpha comes back as it went in, premultiplied as every input is read.
    setOutputPreferences(outArgs, /*frameVarying=*/true);
}

void DeflickerEffect::changedParam(const std::string& name, const PropertySet&) {
    if (name == kParamPurgeSession) _backend.release();
}

std::string DeflickerEffect::wrongFrameAdvice() const {
    return "this host cannot feed Deflicker; use synthfx deflicker there";
}

void DeflickerEffect::render(const PropertySet& inArgs) {
    const OfxTime time = inArgs.getDouble(kOfxPropTime);
    const int frame = frameOf(time);
    const OfxRectI renderWindow = renderWindowOf(inArgs);
    HostImage output(_output, time);
    if (!output) throw OfxError(kOfxStatFailed, "synthfx: the host gave no output image");
    if (!clipConnected(_guide)) {
        throw OfxError(kOfxStatFailed, "synthfx: nothing is connected to Guide: connect the "
                                       "plate the flickering render was made from");
    }
    const Segment range = shot();
    const Segment window = windowOf(frame, time);
    if (!hostHasTemporalAccess() && window.first != window.last) {
        throw OfxError(kOfxStatFailed, "synthfx: " + hostName() +
                                           " gives an effect only the frame it renders, and "
                                           "Deflicker needs the frames " +
                                           rangeText(window) + ": use synthfx deflicker there");
    }
    const bool masked = clipConnected(_mask);
    std::map<int, FloatImage> frames, guides, masks;
    OfxRectI target{};  // where the Source frame's pixels lie: the output's too
    // Each frame of the window fetched once per clip: a host may compute every fetch upstream.
    for (int f = window.first; f <= window.last; ++f) {
        frames[f] = readFrame(_source, f, Channels::Own, "Source", f == frame ? &target : nullptr);
        // The plate's colours guide the match.
        guides[f] = readFrame(_guide, f, Channels::RGB, "Guide");
        if (masked) masks[f] = readFrame(_mask, f, Channels::Alpha, "Mask");
        if (aborted()) throw OfxError(kOfxStatFailed, "synthfx: render aborted");
    }
    DeflickerJob job;
    job.firstFrame = range.first;
    job.lastFrame = range.last;
    for (auto& [f, image] : frames) job.frames[f] = &image;
    for (auto& [f, image] : guides) job.guides[f] = &image;
    for (auto& [f, image] : masks) job.masks[f] = &image;
    job.options = optionsAt(deflickerOptionParams(), time);

    BackendClient& client = backendClient(time);
    ProgressScope progress(*this, "synthfx: deflickering frame " + std::to_string(frame));
    RenderOutput rendered;
    const ClientResult status = client.deflicker(job, frame, callbacksFor(progress), rendered);
    if (!status.ok()) failRender(status);
    writePixels(rendered.image, target, output.mutableView(), renderWindow);
    clearPersistentMessage();
}

}  // namespace synthfx::ofx
