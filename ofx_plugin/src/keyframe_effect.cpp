// SPDX-License-Identifier: Apache-2.0
#include "keyframe_effect.h"
#include "host_image.h"
#include "params.h"

#include <algorithm>
#include <cmath>

namespace synthfx::ofx {
namespace {

std::string listText(const std::vector<int>& frames) {
    std::string text;
    for (int frame : frames) text += (text.empty() ? "" : ", ") + std::to_string(frame);
    return text;
}

}  // namespace

KeyframeEffect::KeyframeEffect(OfxImageEffectHandle handle) : Effect(handle) {
    _source = clip(kClipSource);
    _reference = clip(kClipReference);
    _mask = clip(kClipMask);
    _output = clip(kClipOutput);
}

void KeyframeEffect::getFramesNeeded(const PropertySet&, const PropertySet&) {
    // Not temporal: the host's default (the current frame of every clip) is right.
}

void KeyframeEffect::getRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs) {
    sourceRegionOfDefinition(inArgs, outArgs, "the plate to paint");
}

void KeyframeEffect::getClipPreferences(const PropertySet& outArgs) {
    // The plate's alpha comes back as it went in, premultiplied as every input is read.
    setOutputPreferences(outArgs, /*frameVarying=*/true);
}

void KeyframeEffect::changedParam(const std::string& name, const PropertySet& inArgs) {
    const OfxTime time = std::round(inArgs.getDouble(kOfxPropTime));
    if (changedKeyParam(name, time)) return;
    if (name == kParamPurgeSession) _backend.release();
}

void KeyframeEffect::requireMarked(int frame, OfxTime time) const {
    std::vector<int> keys = markedKeys(time);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    if (std::binary_search(keys.begin(), keys.end(), frame)) return;
    const std::string how = "press Add Key Here (Keyframes page) at the frames the Stylize this "
                            "node feeds has as Style Key";
    if (keys.empty()) {
        throw OfxError(kOfxStatFailed,
                       "synthfx: no frame is marked for a keyframe, so none is made: " + how);
    }
    throw OfxError(kOfxStatFailed, "synthfx: frame " + std::to_string(frame) +
                                       " is not marked for a keyframe (marked: " + listText(keys) +
                                       "): " + how + ", or view a marked frame");
}

std::string KeyframeEffect::wrongFrameAdvice() const {
    return "this host cannot feed Keyframe; use synthfx keyframe there";
}

void KeyframeEffect::render(const PropertySet& inArgs) {
    const OfxTime time = inArgs.getDouble(kOfxPropTime);
    const int frame = frameOf(time);
    const OfxRectI renderWindow = renderWindowOf(inArgs);
    HostImage output(_output, time);
    if (!output) throw OfxError(kOfxStatFailed, "synthfx: the host gave no output image");
    requireMarked(frame, time);
    if (!clipConnected(_reference)) {
        throw OfxError(kOfxStatFailed, "synthfx: nothing is connected to Reference: connect the "
                                       "painting whose look the keyframe takes");
    }
    // Opaque images travel as RGB: the same job as RGB files given to synthfx keyframe.
    OfxRectI target;
    const FloatImage plate = readFrame(_source, frame, Channels::Colour, "Source", &target);
    const FloatImage painting = readFrame(_reference, frame, Channels::Colour, "Reference");
    FloatImage matte;
    KeyframeJob job;
    job.source = &plate;
    job.references = {&painting};
    if (clipConnected(_mask)) {
        matte = readFrame(_mask, frame, Channels::Alpha, "Mask");
        job.mask = &matte;
    }
    job.options = optionsAt(keyframeOptionParams(), time);
    if (aborted()) throw OfxError(kOfxStatFailed, "synthfx: render aborted");

    BackendClient& client = backendClient(time);
    ProgressScope progress(*this, "synthfx: painting keyframe " + std::to_string(frame));
    RenderOutput rendered;
    const ClientResult status = client.keyframe(job, callbacksFor(progress), rendered);
    if (!status.ok()) failRender(status);
    writePixels(rendered.image, target, output.mutableView(), renderWindow);
    clearPersistentMessage();
}

}  // namespace synthfx::ofx
