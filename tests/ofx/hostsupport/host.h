// SPDX-License-Identifier: Apache-2.0
// A test host written on the OpenFX standard's own host library (HostSupport): the classes it
// asks a host to derive (Host, ImageEffect::Instance, ClipInstance, Image, param instances).
// Images come from .npy files (tests/ofx/host/npy.h), one per frame; every call HostSupport
// answers with an error, and every message, is one JSON line on stdout (report.h).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

// HostSupport's headers depend on each other in this order (its own sources include them so).
// clang-format off
#include "ofxCore.h"
#include "ofxImageEffect.h"
#include "ofxhBinary.h"
#include "ofxhPropertySuite.h"
#include "ofxhClip.h"
#include "ofxhParam.h"
#include "ofxhMemory.h"
#include "ofxhImageEffect.h"
#include "ofxhPluginAPICache.h"
#include "ofxhPluginCache.h"
#include "ofxhHost.h"
#include "ofxhImageEffectAPI.h"
// clang-format on

namespace hostsupport {

// What the command line asks for.
struct Options {
    std::string plugin, context = kOfxImageEffectContextGeneral, out, cache;
    int first = 0, last = 0;
    std::vector<int> frames;
    std::map<std::string, std::string> clips;         // clip name -> printf pattern of .npy files
    std::map<std::string, std::string> params;        // param name -> value as text
    std::map<std::string, std::vector<double>> keys;  // param name -> key times (value 1)
    bool describe = false;
    bool selfCheck = false;  // one bad call of our own: proves the checks report
};
extern Options gOptions;

class Host : public OFX::Host::ImageEffect::Host {
  public:
    Host();
    OFX::Host::ImageEffect::Instance* newInstance(void* clientData,
                                                  OFX::Host::ImageEffect::ImageEffectPlugin* plugin,
                                                  OFX::Host::ImageEffect::Descriptor& desc,
                                                  const std::string& context) override;
    OFX::Host::ImageEffect::Descriptor*
    makeDescriptor(OFX::Host::ImageEffect::ImageEffectPlugin* plugin) override;
    OFX::Host::ImageEffect::Descriptor*
    makeDescriptor(const OFX::Host::ImageEffect::Descriptor& rootContext,
                   OFX::Host::ImageEffect::ImageEffectPlugin* plugin) override;
    OFX::Host::ImageEffect::Descriptor*
    makeDescriptor(const std::string& bundlePath,
                   OFX::Host::ImageEffect::ImageEffectPlugin* plugin) override;
    // The plugin gets checked copies of the suites (checked_suites.h).
    const void* fetchSuite(const char* suiteName, int suiteVersion) override;
    void loadingStatus(const std::string& what) override;
    OfxStatus vmessage(const char* type, const char* id, const char* format, va_list args) override;
    OfxStatus setPersistentMessage(const char* type, const char* id, const char* format,
                                   va_list args) override;
    OfxStatus clearPersistentMessage() override;
};

class Effect;

// One frame's pixels: RGBA (or Alpha) float rows, bottom row first as OFX lays them out.
struct PixelStore {
    std::vector<float> pixels;
};

class Image : private PixelStore, public OFX::Host::ImageEffect::Image {
  public:
    Image(OFX::Host::ImageEffect::ClipInstance& clip, double time, const OfxRectI& bounds,
          int channels);
    ~Image() override;
    float* row(int y) { return pixels.data() + size_t(y) * width_ * channels_; }
    int width() const { return width_; }
    int height() const { return height_; }
    int channels() const { return channels_; }
    static int live();  // images not yet released by whoever holds them

  private:
    int width_, height_, channels_;
};

class Clip : public OFX::Host::ImageEffect::ClipInstance {
  public:
    Clip(Effect* effect, OFX::Host::ImageEffect::ClipDescriptor* descriptor);
    ~Clip() override;

    const std::string& getUnmappedBitDepth() const override;
    const std::string& getUnmappedComponents() const override;
    const std::string& getPremult() const override;
    double getAspectRatio() const override;
    double getFrameRate() const override;
    void getFrameRange(double& startFrame, double& endFrame) const override;
    const std::string& getFieldOrder() const override;
    bool getConnected() const override;
    double getUnmappedFrameRate() const override;
    void getUnmappedFrameRange(double& startFrame, double& endFrame) const override;
    bool getContinuousSamples() const override;
    OFX::Host::ImageEffect::Image* getImage(OfxTime time, const OfxRectD* bounds) override;
    OfxRectD getRegionOfDefinition(OfxTime time) const override;

    // The output: a fresh image for the frame about to render, handed out by getImage.
    void startOutput(double time, const OfxRectI& window);
    Image* output() { return output_; }
    void releaseOutput();

  private:
    Effect* effect_;
    Image* output_ = nullptr;
};

class Effect : public OFX::Host::ImageEffect::Instance {
  public:
    Effect(OFX::Host::ImageEffect::ImageEffectPlugin* plugin,
           OFX::Host::ImageEffect::Descriptor& desc, const std::string& context);

    const std::string& getDefaultOutputFielding() const override;
    OFX::Host::ImageEffect::ClipInstance*
    newClipInstance(OFX::Host::ImageEffect::Instance* plugin,
                    OFX::Host::ImageEffect::ClipDescriptor* descriptor, int index) override;
    OfxStatus vmessage(const char* type, const char* id, const char* format, va_list args) override;
    OfxStatus setPersistentMessage(const char* type, const char* id, const char* format,
                                   va_list args) override;
    OfxStatus clearPersistentMessage() override;
    void getProjectSize(double& xSize, double& ySize) const override;
    void getProjectOffset(double& xOffset, double& yOffset) const override;
    void getProjectExtent(double& xSize, double& ySize) const override;
    double getProjectPixelAspectRatio() const override;
    double getEffectDuration() const override;
    double getFrameRate() const override;
    double getFrameRecursive() const override;
    void getRenderScaleRecursive(double& x, double& y) const override;
    OFX::Host::Param::Instance* newParam(const std::string& name,
                                         OFX::Host::Param::Descriptor& descriptor) override;
    OfxStatus editBegin(const std::string& name) override;
    OfxStatus editEnd() override;
    void progressStart(const std::string& message, const std::string& messageId) override;
    void progressEnd() override;
    bool progressUpdate(double t) override;
    double timeLineGetTime() override;
    void timeLineGotoTime(double t) override;
    void timeLineGetBounds(double& t1, double& t2) override;

    // The frame size of the first connected input clip (by name): the output's and the
    // project's region here; an input's is its own file's (Clip::getRegionOfDefinition).
    OfxRectD frameRegion() const;
    const std::map<std::string, OFX::Host::ImageEffect::ClipInstance*>& clips() const {
        return _clips;
    }
    double time = 0;  // the frame being rendered: the timeline's time
    int progressUpdates = 0;
};

// Sets a param instance from its command-line text (param_instances.cpp); throws on a bad name.
void setParam(Effect& effect, const std::string& name, const std::string& value);
// Puts keys (value 1) on an animated param at the given times.
void setKeys(Effect& effect, const std::string& name, const std::vector<double>& times);

}  // namespace hostsupport
