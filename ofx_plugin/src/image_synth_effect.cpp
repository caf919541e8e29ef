// SPDX-License-Identifier: Apache-2.0
#include "image_synth_effect.h"
#include "host_image.h"
#include "params.h"

#include <list>

namespace synthfx::ofx {

ImageSynthEffect::ImageSynthEffect(OfxImageEffectHandle handle) : Effect(handle) {
    _style = clip(kClipStyle);
    _output = clip(kClipOutput);
    for (int i = 1; i <= kImageSynthGuidePairs; ++i) {
        const std::string source = kClipGuideSourcePrefix + std::to_string(i);
        const std::string target = kClipGuideTargetPrefix + std::to_string(i);
        _guides.push_back({clip(source.c_str()), clip(target.c_str()),
                           kParamGuideWeightPrefix + std::to_string(i)});
    }
}

void ImageSynthEffect::getFramesNeeded(const PropertySet&, const PropertySet&) {
    // Not temporal: the host's default (the current frame of every clip) is right.
}

void ImageSynthEffect::getRegionOfDefinition(const PropertySet& inArgs,
                                             const PropertySet& outArgs) {
    OfxRectD rod{};
    check(suites().effect->clipGetRegionOfDefinition(_guides[0].target,
                                                     inArgs.getDouble(kOfxPropTime), &rod),
          "GuideTarget1 region of definition");
    outArgs.setDoubles(kOfxImageEffectPropRegionOfDefinition, {rod.x1, rod.y1, rod.x2, rod.y2});
}

void ImageSynthEffect::getClipPreferences(const PropertySet& outArgs) {
    const std::string components = std::string(kClipComponentsPrefix) + kClipOutput;
    const std::string depth = std::string(kClipDepthPrefix) + kClipOutput;
    outArgs.setString(components.c_str(), kOfxImageComponentRGBA);
    outArgs.setString(depth.c_str(), kOfxBitDepthFloat);
}

void ImageSynthEffect::changedParam(const std::string& name, const PropertySet&) {
    if (name == kParamPurgeSession) _backend.release();
}

void ImageSynthEffect::render(const PropertySet& inArgs) {
    const OfxTime time = inArgs.getDouble(kOfxPropTime);
    const OfxRectI renderWindow{inArgs.getInt(kOfxImageEffectPropRenderWindow, 0),
                                inArgs.getInt(kOfxImageEffectPropRenderWindow, 1),
                                inArgs.getInt(kOfxImageEffectPropRenderWindow, 2),
                                inArgs.getInt(kOfxImageEffectPropRenderWindow, 3)};
    HostImage output(_output, time);
    if (!output) {
        throw OfxError(kOfxStatFailed, "synthfx: the host gave no Output image to render into: "
                                       "render again, and report it to the host's makers if it "
                                       "stays");
    }
    HostImage styleImage(_style, time);
    if (!styleImage) {
        throw OfxError(kOfxStatFailed,
                       "synthfx: the host gave no Style image here: connect Style to the "
                       "painted image");
    }
    const OfxRectI styleWindow = styleImage.regionOfDefinition();
    const FloatImage style = readColour(styleImage.view(), styleWindow);

    // Guides are read over the Style window (sources) and GuideTarget1's window (targets).
    OfxRectI targetWindow{};
    std::list<FloatImage> images;  // stable addresses for the job's pointers
    ImageSynthJob job;
    job.style = &style;
    for (size_t i = 0; i < _guides.size(); ++i) {
        const auto& guide = _guides[i];
        if (!clipConnected(guide.source) || !clipConnected(guide.target)) continue;
        const double weight = doubleAt(guide.weight.c_str(), time);
        if (weight <= 0) continue;
        HostImage source(guide.source, time);
        HostImage target(guide.target, time);
        if (!source || !target) {
            throw OfxError(kOfxStatFailed, "synthfx: the host gave no image for guide pair " +
                                               std::to_string(i + 1) +
                                               " here: connect GuideSource" +
                                               std::to_string(i + 1) + " and GuideTarget" +
                                               std::to_string(i + 1) + " to clips with a picture");
        }
        if (job.guides.empty()) targetWindow = target.regionOfDefinition();
        // Colour guides compare RGB; an Alpha clip is a one-channel guide.
        const int channels = source.view().layout == Layout::Alpha ? 1 : 3;
        images.push_back(readPixels(source.view(), styleWindow, channels));
        const FloatImage* sourceImage = &images.back();
        images.push_back(readPixels(target.view(), targetWindow, channels));
        job.guides.push_back({sourceImage, &images.back(), weight});
    }
    if (job.guides.empty()) {
        throw OfxError(kOfxStatFailed,
                       "synthfx: connect at least one GuideSource/GuideTarget pair with a "
                       "weight above 0");
    }
    job.options = optionsAt(engineOptionParams(), time);

    BackendClient& client = backendClient(time);
    ProgressScope progress(*this, "synthfx: image synthesis");
    RenderOutput rendered;
    const ClientResult status = client.imageSynth(job, false, callbacksFor(progress), rendered);
    if (!status.ok()) failRender(status);
    writePixels(rendered.image, targetWindow, output.mutableView(), renderWindow);
    clearPersistentMessage();
}

}  // namespace synthfx::ofx
