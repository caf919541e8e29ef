// SPDX-License-Identifier: Apache-2.0
#include "host.h"

#include <atomic>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "checked_suites.h"
#include "npy.h"
#include "ofxMessage.h"
#include "report.h"

namespace hostsupport {

Options gOptions;

namespace {

constexpr double kFrameRate = 24.0;
std::atomic<int> gLiveImages{0};

std::string format(const char* format, va_list args) {
    va_list copy;
    va_copy(copy, args);
    const int size = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    std::string text(size > 0 ? size_t(size) : 0, '\0');
    if (size > 0) std::vsnprintf(text.data(), text.size() + 1, format, args);
    return text;
}

std::string framePath(const std::string& pattern, int frame) {
    char path[4096];
    std::snprintf(path, sizeof path, pattern.c_str(), frame);
    return path;
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

// The size of a clip's file at the first frame, at the origin (PAR 1); empty without a file.
OfxRectD fileRegion(const std::string& pattern) {
    const std::string path = framePath(pattern, gOptions.first);
    if (!exists(path)) return OfxRectD{0, 0, 0, 0};
    const testhost::Array file = testhost::readNpy(path);
    return OfxRectD{0, 0, double(file.width), double(file.height)};
}

void emitMessage(const char* event, const char* type, const char* id, const std::string& text) {
    emit(std::string("{\"event\":\"") + event + "\",\"type\":" + json(type ? type : "") +
         ",\"id\":" + json(id ? id : "") + ",\"text\":" + json(text) + "}");
}

}  // namespace

// --- Host -----------------------------------------------------------------------------------

Host::Host() {
    // A host profile like a compositor's: the standard contexts, float RGBA/Alpha images at
    // full resolution, temporal access, no tiles; HostSupport defines the properties.
    _properties.setStringProperty(kOfxPropName, "org.synthfx.hostsupport");
    _properties.setStringProperty(kOfxPropLabel, "synthfx HostSupport test host");
    _properties.setIntProperty(kOfxPropAPIVersion, 1, 0);
    _properties.setIntProperty(kOfxPropAPIVersion, 4, 1);
    _properties.setIntProperty(kOfxPropVersion, 1, 0);
    _properties.setIntProperty(kOfxPropVersion, 0, 1);
    _properties.setStringProperty(kOfxPropVersionLabel, "1.0");
    _properties.setIntProperty(kOfxImageEffectHostPropIsBackground, 1);
    _properties.setIntProperty(kOfxImageEffectPropSupportsOverlays, 0);
    _properties.setIntProperty(kOfxImageEffectPropSupportsMultiResolution, 0);
    _properties.setIntProperty(kOfxImageEffectPropSupportsTiles, 0);
    _properties.setIntProperty(kOfxImageEffectPropTemporalClipAccess, 1);
    _properties.setStringProperty(kOfxImageEffectPropSupportedComponents, kOfxImageComponentRGBA,
                                  0);
    _properties.setStringProperty(kOfxImageEffectPropSupportedComponents, kOfxImageComponentAlpha,
                                  1);
    _properties.setStringProperty(kOfxImageEffectPropSupportedPixelDepths, kOfxBitDepthFloat, 0);
    const char* contexts[] = {kOfxImageEffectContextGenerator, kOfxImageEffectContextFilter,
                              kOfxImageEffectContextGeneral, kOfxImageEffectContextTransition};
    for (int i = 0; i < 4; ++i) {
        _properties.setStringProperty(kOfxImageEffectPropSupportedContexts, contexts[i], i);
    }
    _properties.setIntProperty(kOfxImageEffectPropSupportsMultipleClipDepths, 0);
    _properties.setIntProperty(kOfxImageEffectPropSupportsMultipleClipPARs, 0);
    _properties.setIntProperty(kOfxParamHostPropMaxParameters, -1);
    _properties.setIntProperty(kOfxParamHostPropMaxPages, 0);
    label(_properties.getHandle(), "host");
}

OFX::Host::ImageEffect::Instance*
Host::newInstance(void*, OFX::Host::ImageEffect::ImageEffectPlugin* plugin,
                  OFX::Host::ImageEffect::Descriptor& desc, const std::string& context) {
    return new Effect(plugin, desc, context);
}

OFX::Host::ImageEffect::Descriptor*
Host::makeDescriptor(OFX::Host::ImageEffect::ImageEffectPlugin* plugin) {
    return new OFX::Host::ImageEffect::Descriptor(plugin);
}

OFX::Host::ImageEffect::Descriptor*
Host::makeDescriptor(const OFX::Host::ImageEffect::Descriptor& rootContext,
                     OFX::Host::ImageEffect::ImageEffectPlugin* plugin) {
    return new OFX::Host::ImageEffect::Descriptor(rootContext, plugin);
}

OFX::Host::ImageEffect::Descriptor*
Host::makeDescriptor(const std::string& bundlePath,
                     OFX::Host::ImageEffect::ImageEffectPlugin* plugin) {
    return new OFX::Host::ImageEffect::Descriptor(bundlePath, plugin);
}

const void* Host::fetchSuite(const char* suiteName, int suiteVersion) {
    const void* real = OFX::Host::ImageEffect::Host::fetchSuite(suiteName, suiteVersion);
    emit("{\"event\":\"suite\",\"name\":" + json(suiteName) +
         ",\"version\":" + std::to_string(suiteVersion) + ",\"found\":" + (real ? "1" : "0") + "}");
    return checkedSuite(suiteName, suiteVersion, real);
}

void Host::loadingStatus(const std::string& what) {
    emit("{\"event\":\"loading\",\"what\":" + json(what) + "}");
}

OfxStatus Host::vmessage(const char* type, const char* id, const char* format_, va_list args) {
    // Not from an instance: HostSupport's own (an exception it caught in the plugin), or the
    // plugin's with no instance handle.
    emitMessage("host_message", type, id, format(format_, args));
    // A question has nobody to answer it in a render: the spec's default reply.
    return type && std::string(type) == kOfxMessageQuestion ? kOfxStatReplyDefault : kOfxStatOK;
}

OfxStatus Host::setPersistentMessage(const char* type, const char* id, const char* format_,
                                     va_list args) {
    emitMessage("host_message", type, id, format(format_, args));
    return kOfxStatOK;
}

OfxStatus Host::clearPersistentMessage() {
    emit("{\"event\":\"clear_persistent_message\"}");
    return kOfxStatOK;
}

// --- Image ----------------------------------------------------------------------------------

Image::Image(OFX::Host::ImageEffect::ClipInstance& clip, double time, const OfxRectI& bounds,
             int channels)
    : PixelStore{
          std::vector<float>(size_t(bounds.x2 - bounds.x1) * (bounds.y2 - bounds.y1) * channels)},
      OFX::Host::ImageEffect::Image(clip, 1.0, 1.0, pixels.data(), bounds, bounds,
                                    int((bounds.x2 - bounds.x1) * channels * sizeof(float)),
                                    kOfxImageFieldNone,
                                    clip.getName() + "@" + std::to_string(time)),
      width_(bounds.x2 - bounds.x1), height_(bounds.y2 - bounds.y1), channels_(channels) {
    label(getPropHandle(), "image " + clip.getName() + "@" + std::to_string(time));
    ++gLiveImages;
}

Image::~Image() { --gLiveImages; }

int Image::live() { return gLiveImages; }

// --- Clip -----------------------------------------------------------------------------------

Clip::Clip(Effect* effect, OFX::Host::ImageEffect::ClipDescriptor* descriptor)
    : OFX::Host::ImageEffect::ClipInstance(effect, *descriptor), effect_(effect) {
    label(getPropHandle(), "clip " + getName());
}

Clip::~Clip() { releaseOutput(); }

const std::string& Clip::getUnmappedBitDepth() const {
    static const std::string floats(kOfxBitDepthFloat), none(kOfxBitDepthNone);
    return getConnected() ? floats : none;
}

const std::string& Clip::getUnmappedComponents() const {
    static const std::string rgba(kOfxImageComponentRGBA), none(kOfxImageComponentNone);
    return getConnected() ? rgba : none;
}

const std::string& Clip::getPremult() const {
    static const std::string premultiplied(kOfxImagePreMultiplied);
    return premultiplied;
}

double Clip::getAspectRatio() const { return 1.0; }

double Clip::getFrameRate() const { return kFrameRate; }

void Clip::getFrameRange(double& startFrame, double& endFrame) const {
    startFrame = gOptions.first;
    endFrame = gOptions.last;
}

const std::string& Clip::getFieldOrder() const {
    static const std::string none(kOfxImageFieldNone);
    return none;
}

bool Clip::getConnected() const { return isOutput() || gOptions.clips.count(getName()) > 0; }

double Clip::getUnmappedFrameRate() const { return kFrameRate; }

void Clip::getUnmappedFrameRange(double& startFrame, double& endFrame) const {
    getFrameRange(startFrame, endFrame);
}

bool Clip::getContinuousSamples() const { return false; }

OfxRectD Clip::getRegionOfDefinition(OfxTime) const {
    // An input's own size: a Reference painting of another size than Source's stays so.
    const auto pattern = gOptions.clips.find(getName());
    if (isOutput() || pattern == gOptions.clips.end()) return effect_->frameRegion();
    return fileRegion(pattern->second);
}

OFX::Host::ImageEffect::Image* Clip::getImage(OfxTime time, const OfxRectD*) {
    emit("{\"event\":\"fetch\",\"clip\":" + json(getName()) + ",\"time\":" + std::to_string(time) +
         "}");
    if (isOutput()) {
        if (!output_) return nullptr;
        output_->addReference();  // the plugin's reference; ours stays until written
        return output_;
    }
    // Frames are whole; a time between frames or outside the clip has no image (the spec's
    // kOfxStatFailed from clipGetImage).
    const double frame = std::round(time);
    if (!getConnected() || frame != time || frame < gOptions.first || frame > gOptions.last) {
        return nullptr;
    }
    const std::string path = framePath(gOptions.clips.at(getName()), int(frame));
    if (!exists(path)) return nullptr;
    const testhost::Array file = testhost::readNpy(path);
    const int channels = getComponents() == kOfxImageComponentAlpha ? 1 : 4;
    auto* image = new Image(*this, time, OfxRectI{0, 0, file.width, file.height}, channels);
    for (int y = 0; y < file.height; ++y) {
        // File rows are top-down, OFX rows bottom-up.
        const float* src =
            file.data.data() + size_t(file.height - 1 - y) * file.width * file.channels;
        float* dst = image->row(y);
        for (int x = 0; x < file.width; ++x, src += file.channels) {
            float rgba[4] = {src[0], src[0], src[0], 1.0f};
            if (file.channels >= 3) rgba[1] = src[1], rgba[2] = src[2];
            if (file.channels == 4) rgba[3] = src[3];
            if (file.channels == 1) rgba[3] = src[0];
            if (channels == 1) {
                *dst++ = rgba[3];
            } else {
                for (int c = 0; c < 4; ++c) *dst++ = rgba[c];
            }
        }
    }
    return image;
}

void Clip::startOutput(double time, const OfxRectI& window) {
    releaseOutput();
    const int channels = getComponents() == kOfxImageComponentAlpha ? 1 : 4;
    output_ = new Image(*this, time, window, channels);
}

void Clip::releaseOutput() {
    if (output_) output_->releaseReference();
    output_ = nullptr;
}

// --- Effect ---------------------------------------------------------------------------------

Effect::Effect(OFX::Host::ImageEffect::ImageEffectPlugin* plugin,
               OFX::Host::ImageEffect::Descriptor& desc, const std::string& context)
    : OFX::Host::ImageEffect::Instance(plugin, desc, context, /*interactive=*/false) {
    label(getProps().getHandle(), "instance");
    label(getParamSetProps().getHandle(), "instance param set");
}

const std::string& Effect::getDefaultOutputFielding() const {
    static const std::string none(kOfxImageFieldNone);
    return none;
}

OFX::Host::ImageEffect::ClipInstance*
Effect::newClipInstance(OFX::Host::ImageEffect::Instance*,
                        OFX::Host::ImageEffect::ClipDescriptor* descriptor, int) {
    return new Clip(this, descriptor);
}

OfxStatus Effect::vmessage(const char* type, const char* id, const char* format_, va_list args) {
    emitMessage("message", type, id, format(format_, args));
    return type && std::string(type) == kOfxMessageQuestion ? kOfxStatReplyDefault : kOfxStatOK;
}

OfxStatus Effect::setPersistentMessage(const char* type, const char* id, const char* format_,
                                       va_list args) {
    emitMessage("persistent_message", type, id, format(format_, args));
    return kOfxStatOK;
}

OfxStatus Effect::clearPersistentMessage() {
    emit("{\"event\":\"clear_persistent_message\"}");
    return kOfxStatOK;
}

OfxRectD Effect::frameRegion() const {
    for (const auto& [name, pattern] : gOptions.clips) {
        const OfxRectD region = fileRegion(pattern);
        if (region.x2 > 0) return region;
    }
    return OfxRectD{0, 0, 0, 0};
}

void Effect::getProjectSize(double& xSize, double& ySize) const {
    const OfxRectD region = frameRegion();
    xSize = region.x2, ySize = region.y2;
}

void Effect::getProjectOffset(double& xOffset, double& yOffset) const { xOffset = yOffset = 0; }

void Effect::getProjectExtent(double& xSize, double& ySize) const { getProjectSize(xSize, ySize); }

double Effect::getProjectPixelAspectRatio() const { return 1.0; }

double Effect::getEffectDuration() const { return gOptions.last - gOptions.first + 1; }

double Effect::getFrameRate() const { return kFrameRate; }

double Effect::getFrameRecursive() const { return time; }

void Effect::getRenderScaleRecursive(double& x, double& y) const { x = y = 1.0; }

OfxStatus Effect::editBegin(const std::string&) { return kOfxStatOK; }

OfxStatus Effect::editEnd() { return kOfxStatOK; }

void Effect::progressStart(const std::string& message, const std::string&) {
    emit("{\"event\":\"progress_start\",\"text\":" + json(message) + "}");
}

void Effect::progressEnd() { emit("{\"event\":\"progress_end\"}"); }

bool Effect::progressUpdate(double) {
    ++progressUpdates;
    return true;
}

double Effect::timeLineGetTime() { return time; }

void Effect::timeLineGotoTime(double t) { time = t; }

void Effect::timeLineGetBounds(double& t1, double& t2) {
    t1 = gOptions.first;
    t2 = gOptions.last;
}

}  // namespace hostsupport
