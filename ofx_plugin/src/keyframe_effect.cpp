// SPDX-License-Identifier: Apache-2.0
#include "keyframe_effect.h"
#include "host_image.h"
#include "params.h"

#include <algorithm>
#include <cmath>

namespace synthfx::ofx {
namespace {

int frameOf(OfxTime time) { return static_cast<int>(std::lround(time)); }

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
    if (!clipConnected(_source)) {
        throw OfxError(kOfxStatFailed, "synthfx: nothing is connected to Source: connect the "
                                       "plate to paint");
    }
    OfxRectD rod{};
    check(suites().effect->clipGetRegionOfDefinition(_source, inArgs.getDouble(kOfxPropTime), &rod),
          "Source region of definition");
    outArgs.setDoubles(kOfxImageEffectPropRegionOfDefinition, {rod.x1, rod.y1, rod.x2, rod.y2});
}

void KeyframeEffect::getClipPreferences(const PropertySet& outArgs) {
    const std::string components = std::string(kClipComponentsPrefix) + kClipOutput;
    const std::string depth = std::string(kClipDepthPrefix) + kClipOutput;
    outArgs.setString(components.c_str(), kOfxImageComponentRGBA);
    outArgs.setString(depth.c_str(), kOfxBitDepthFloat);
    // The plate's alpha comes back as it went in: so does its premultiplication.
    OfxPropertySetHandle handle = nullptr;
    if (suites().effect->clipGetPropertySet(_source, &handle) == kOfxStatOK) {
        const std::string premultiplied = PropertySet(handle).getStringOr(
            kOfxImageEffectPropPreMultiplication, kOfxImagePreMultiplied);
        outArgs.setString(kOfxImageEffectPropPreMultiplication, premultiplied);
    }
    outArgs.setInt(kOfxImageEffectFrameVarying, 1);
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

void KeyframeEffect::render(const PropertySet& inArgs) {
    const OfxTime time = inArgs.getDouble(kOfxPropTime);
    const int frame = frameOf(time);
    const OfxRectI renderWindow{inArgs.getInt(kOfxImageEffectPropRenderWindow, 0),
                                inArgs.getInt(kOfxImageEffectPropRenderWindow, 1),
                                inArgs.getInt(kOfxImageEffectPropRenderWindow, 2),
                                inArgs.getInt(kOfxImageEffectPropRenderWindow, 3)};
    HostImage output(_output, time);
    if (!output) throw OfxError(kOfxStatFailed, "synthfx: the host gave no output image");
    requireMarked(frame, time);
    if (!clipConnected(_reference)) {
        throw OfxError(kOfxStatFailed, "synthfx: nothing is connected to Reference: connect the "
                                       "painting whose look the keyframe takes");
    }
    HostImage source(_source, time);
    if (!source) {
        throw OfxError(kOfxStatFailed,
                       "synthfx: the host gave no Source image at frame " + std::to_string(frame));
    }
    HostImage reference(_reference, time);
    if (!reference) {
        throw OfxError(kOfxStatFailed, "synthfx: the host gave no Reference image at frame " +
                                           std::to_string(frame) +
                                           ": connect Reference to a painting with a picture here");
    }
    // Opaque images travel as RGB: the same job as RGB files given to synthfx keyframe.
    const OfxRectI target = source.regionOfDefinition();
    const FloatImage plate = readColour(source.view(), target);
    const FloatImage painting = readColour(reference.view(), reference.regionOfDefinition());
    FloatImage matte;
    KeyframeJob job;
    job.source = &plate;
    job.references = {&painting};
    if (clipConnected(_mask)) {
        HostImage mask(_mask, time);
        if (!mask) {
            throw OfxError(kOfxStatFailed, "synthfx: the host gave no Mask image at frame " +
                                               std::to_string(frame));
        }
        // Over its own pixels: a Mask of another size reaches the backend as it is, which
        // names it, instead of being cropped or padded to fit.
        matte = readPixels(mask.view(), mask.regionOfDefinition(), 1);
        job.mask = &matte;
    }
    job.options = optionsAt(keyframeOptionParams(), time);
    if (aborted()) throw OfxError(kOfxStatFailed, "synthfx: render aborted");

    ClientResult status;
    BackendClient* client = _backend.acquire(connectionSettings(time), status);
    if (!client) failRender(status);
    ProgressScope progress(*this, "synthfx: painting keyframe " + std::to_string(frame));
    RenderCallbacks callbacks;
    callbacks.progress = [&progress](const std::string&, double fraction) {
        progress.update(fraction);
    };
    callbacks.cancelled = [this, &progress] { return progress.cancelled() || aborted(); };
    RenderOutput rendered;
    status = client->keyframe(job, callbacks, rendered);
    if (!status.ok()) failRender(status);
    writePixels(rendered.image, target, output.mutableView(), renderWindow);
    clearPersistentMessage();
}

}  // namespace synthfx::ofx
