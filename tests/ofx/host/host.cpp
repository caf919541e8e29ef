// SPDX-License-Identifier: Apache-2.0
// synthfx_ofx_host: a small OpenFX host written from the specification for tests. It loads a
// plugin bundle from disk, feeds clips from .npy image sequences, renders frames in the order
// given and writes the results; every event is a JSON line on stdout. See --help.
#include "npy.h"
#include "param_set.h"
#include "property_set.h"

#include "ofxCore.h"
#include "ofxImageEffect.h"
#include "ofxMemory.h"
#include "ofxMessage.h"
#include "ofxMultiThread.h"
#include "ofxProgress.h"
#include "ofxTimeLine.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace testhost {
namespace {

// ------------------------------------------------------------------ options and output

struct Options {
    std::string bundle, plugin, context = kOfxImageEffectContextGeneral, out;
    std::map<std::string, std::string> clips, depths, components, params, keys;
    std::map<std::string, std::string> premultiplication;  // clip -> e.g. UnPreMultiplied
    std::vector<std::pair<std::string, double>> presses;
    int first = 1, last = 1;
    std::vector<int> frames;
    double renderScale = 1.0;
    double pixelAspect = 1.0;  // of every clip and the project: 2 for an anamorphic 2:1 plate
    bool background = false, negativeRowBytes = false, describe = false;
    int abortAfterMs = -1, pad = 0, originX = 0, originY = 0;
    std::vector<std::string> preload;
    std::map<int, int> pauseAfterMs;  // frame -> pause (lets a test restart the backend)
    // Host profile (--profile mlt sets all of them as MLT 7's openfx module behaves).
    bool clipFrameRange = true;           // on the clips and the instance
    bool effectDuration = true;           // without the clip range: the instance's duration
    bool temporalAccess = true;           // kOfxImageEffectPropTemporalClipAccess of the host
    bool currentFrameOnly = false;        // clipGetImage gives the current frame, whatever the time
    bool framesNeeded = true;             // calls get-frames-needed before each render
    bool instancePerFrame = false;        // a new instance for every frame rendered
    bool sequencePerFrame = false;        // begin/end sequence render around every frame
    bool sequenceWhole = false;           // one begin/end sequence render of --range around all
    std::set<std::string> withoutSuites;  // --without-suite: suites fetchSuite does not give
    int renderThreads = 1;  // threads taking frames from --frames, as the plugin's safety allows
    bool shareInstance = false;  // render threads share one instance whatever the plugin declares
    int tiles = 1;               // horizontal strips each frame is rendered in, where allowed
    bool forceTiles = false;     // --tiles even when the plugin declares no tiles support
    // Pixel depths the host offers (kOfxImageEffectPropSupportedPixelDepths), deepest first.
    std::vector<std::string> hostDepths = {kOfxBitDepthFloat, kOfxBitDepthHalf, kOfxBitDepthShort,
                                           kOfxBitDepthByte};
};

std::string json(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::mutex gOutputMutex;
void emit(const std::string& line) {
    std::lock_guard<std::mutex> lock(gOutputMutex);
    std::cout << line << std::endl;
}

// ------------------------------------------------------------------ effect objects

struct Image {
    PropertySet props;
    std::vector<unsigned char> buffer;
    const void* owner = nullptr;  // the render context that fetched it (leak check)
};

struct Clip {
    std::string name;
    PropertySet props;
    bool output = false;
};

struct Effect {
    PropertySet props;
    ParamSet params;
    std::map<std::string, std::unique_ptr<Clip>> clips;
    OfxImageEffectHandle handle() { return reinterpret_cast<OfxImageEffectHandle>(this); }
    static Effect* from(OfxImageEffectHandle h) { return reinterpret_cast<Effect*>(h); }
};

Options gOptions;
PropertySet gHostProps;
std::atomic<bool> gAbort{false};
std::atomic<int> gProgressUpdates{0};
double gTime = 0;  // the timeline's: set outside renders (presses) and by each render

// One render call's state; render threads each have their own (tRender), so several renders
// may run at once.
struct RenderContext {
    double time = 0;
    bool rendering = false;
    std::unique_ptr<Image> output;
    std::map<std::string, std::vector<double>> framesNeeded;  // clip -> ranges
};
thread_local RenderContext* tRender = nullptr;
double currentTime() { return tRender ? tRender->time : gTime; }

std::string framePath(const std::string& pattern, int frame) {
    char path[4096];
    std::snprintf(path, sizeof(path), pattern.c_str(), frame);
    return path;
}

int bytesOf(const std::string& depth) {
    if (depth == kOfxBitDepthByte) return 1;
    if (depth == kOfxBitDepthShort || depth == kOfxBitDepthHalf) return 2;
    return 4;
}

int channelsOf(const std::string& components) {
    if (components == kOfxImageComponentAlpha) return 1;
    if (components == kOfxImageComponentRGB) return 3;
    return 4;
}

void store(unsigned char* p, const std::string& depth, float v) {
    if (depth == kOfxBitDepthByte) {
        *p = static_cast<unsigned char>(std::lround(std::fmin(std::fmax(v, 0.f), 1.f) * 255));
    } else if (depth == kOfxBitDepthShort) {
        const auto s =
            static_cast<uint16_t>(std::lround(std::fmin(std::fmax(v, 0.f), 1.f) * 65535));
        std::memcpy(p, &s, 2);
    } else if (depth == kOfxBitDepthHalf) {
        const _Float16 h = static_cast<_Float16>(v);
        std::memcpy(p, &h, 2);
    } else {
        std::memcpy(p, &v, 4);
    }
}

float load(const unsigned char* p, const std::string& depth) {
    if (depth == kOfxBitDepthByte) return *p / 255.f;
    if (depth == kOfxBitDepthShort) {
        uint16_t s;
        std::memcpy(&s, p, 2);
        return s / 65535.f;
    }
    if (depth == kOfxBitDepthHalf) {
        _Float16 h;
        std::memcpy(&h, p, 2);
        return static_cast<float>(h);
    }
    float f;
    std::memcpy(&f, p, 4);
    return f;
}

int scaleFactor() { return static_cast<int>(std::lround(1.0 / gOptions.renderScale)); }

// Allocates an image over `bounds` (pixels); rows are padded and, with --negative-rowbytes,
// stored top-down (negative row bytes), so the plugin must honour both.
std::unique_ptr<Image> allocate(const OfxRectI& bounds, const OfxRectI& rod,
                                const std::string& depth, const std::string& components,
                                double time) {
    auto image = std::make_unique<Image>();
    const int width = bounds.x2 - bounds.x1, height = bounds.y2 - bounds.y1;
    const int pixelBytes = bytesOf(depth) * channelsOf(components);
    const long rowBytes = long(width) * pixelBytes + 16;  // 16: rows are not packed
    image->buffer.assign(size_t(rowBytes) * height + 64, 0);
    unsigned char* data = image->buffer.data();
    long signedRowBytes = rowBytes;
    if (gOptions.negativeRowBytes) {
        data += size_t(rowBytes) * (height - 1);
        signedRowBytes = -rowBytes;
    }
    PropertySet& p = image->props;
    p.setString(kOfxPropType, {kOfxTypeImage});
    p.setPointer(kOfxImagePropData, data);
    p.setInt(kOfxImagePropBounds, {bounds.x1, bounds.y1, bounds.x2, bounds.y2});
    p.setInt(kOfxImagePropRegionOfDefinition, {rod.x1, rod.y1, rod.x2, rod.y2});
    p.setInt(kOfxImagePropRowBytes, {static_cast<int>(signedRowBytes)});
    p.setString(kOfxImageEffectPropPixelDepth, {depth});
    p.setString(kOfxImageEffectPropComponents, {components});
    p.setString(kOfxImageEffectPropPreMultiplication, {kOfxImagePreMultiplied});
    p.setDouble(kOfxImageEffectPropRenderScale, {gOptions.renderScale, gOptions.renderScale});
    p.setDouble(kOfxImagePropPixelAspectRatio, {gOptions.pixelAspect});
    p.setString(kOfxImagePropField, {kOfxImageFieldNone});
    p.setString(kOfxImagePropUniqueIdentifier, {std::to_string(time)});
    p.setDouble(kOfxPropTime, {time});  // lets the plugin check it got the time it asked for
    return image;
}

unsigned char* pixelAt(Image& image, int x, int y) {
    PropertySet& p = image.props;
    auto* data = static_cast<unsigned char*>(p.find(kOfxImagePropData)->pointers[0]);
    const int x1 = p.getInt(kOfxImagePropBounds, 0), y1 = p.getInt(kOfxImagePropBounds, 1);
    const int pixelBytes = bytesOf(p.getString(kOfxImageEffectPropPixelDepth)) *
                           channelsOf(p.getString(kOfxImageEffectPropComponents));
    return data + long(y - y1) * p.getInt(kOfxImagePropRowBytes) + long(x - x1) * pixelBytes;
}

// Full-resolution size of an input clip (from its first frame) and its pixel RoD at the render
// scale, shifted by --origin (canonical: a pixel is --pixel-aspect units wide).
OfxRectI pixelRoD(int width, int height) {
    const int n = scaleFactor();
    const int ox = int(gOptions.originX / gOptions.pixelAspect) / n, oy = gOptions.originY / n;
    return OfxRectI{ox, oy, ox + width / n, oy + height / n};
}

Array loadFrame(const std::string& clip, int frame) {
    return readNpy(framePath(gOptions.clips.at(clip), frame));
}

std::unique_ptr<Image> inputImage(Clip& clip, double time) {
    const int frame = static_cast<int>(std::lround(time));
    if (frame < gOptions.first || frame > gOptions.last) return nullptr;
    const Array full = loadFrame(clip.name, frame);
    const int n = scaleFactor();
    if (full.width % n || full.height % n) {
        throw std::runtime_error("frame size not divisible by the render scale's factor");
    }
    const OfxRectI rod = pixelRoD(full.width, full.height);
    const OfxRectI bounds{rod.x1 - gOptions.pad, rod.y1 - gOptions.pad, rod.x2 + gOptions.pad,
                          rod.y2 + gOptions.pad};
    const std::string depth = clip.props.getString(kOfxImageEffectPropPixelDepth);
    const std::string components = clip.props.getString(kOfxImageEffectPropComponents);
    auto image = allocate(bounds, rod, depth, components, time);
    image->props.setString(kOfxImageEffectPropPreMultiplication,
                           {clip.props.getString(kOfxImageEffectPropPreMultiplication)});
    const int channels = channelsOf(components), pixelBytes = bytesOf(depth);
    for (int y = bounds.y1; y < bounds.y2; ++y) {
        for (int x = bounds.x1; x < bounds.x2; ++x) {
            unsigned char* pixel = pixelAt(*image, x, y);
            float rgba[4] = {0.25f, 0.5f, 0.75f, 1.0f};  // padding: visible if misread
            if (x >= rod.x1 && x < rod.x2 && y >= rod.y1 && y < rod.y2) {
                // Box filter over n x n full-resolution pixels; file rows are top-down.
                const int fx = (x - rod.x1) * n, fy = full.height - (y - rod.y1 + 1) * n;
                float sum[4] = {0, 0, 0, 0};
                for (int dy = 0; dy < n; ++dy) {
                    for (int dx = 0; dx < n; ++dx) {
                        const float* src = full.data.data() +
                                           (size_t(fy + dy) * full.width + fx + dx) * full.channels;
                        float px[4] = {src[0], src[0], src[0], 1.0f};
                        if (full.channels >= 3) px[1] = src[1], px[2] = src[2];
                        if (full.channels == 4) px[3] = src[3];
                        if (full.channels == 1) px[3] = src[0];
                        for (int c = 0; c < 4; ++c) sum[c] += px[c];
                    }
                }
                for (int c = 0; c < 4; ++c) rgba[c] = sum[c] / float(n * n);
            }
            if (channels == 1) {
                store(pixel, depth, rgba[3]);
            } else {
                for (int c = 0; c < channels; ++c) store(pixel + c * pixelBytes, depth, rgba[c]);
            }
        }
    }
    return image;
}

bool declared(const std::string& clip, double time) {
    auto it = tRender->framesNeeded.find(clip);
    if (it == tRender->framesNeeded.end()) return time == tRender->time;
    for (size_t i = 0; i + 1 < it->second.size(); i += 2) {
        if (time >= it->second[i] && time <= it->second[i + 1]) return true;
    }
    return false;
}

// ------------------------------------------------------------------ image effect suite

OfxStatus getPropertySet(OfxImageEffectHandle h, OfxPropertySetHandle* props) {
    if (!h) return kOfxStatErrBadHandle;
    *props = Effect::from(h)->props.handle();
    return kOfxStatOK;
}

OfxStatus getParamSet(OfxImageEffectHandle h, OfxParamSetHandle* params) {
    if (!h) return kOfxStatErrBadHandle;
    *params = Effect::from(h)->params.handle();
    return kOfxStatOK;
}

OfxStatus clipDefine(OfxImageEffectHandle h, const char* name, OfxPropertySetHandle* props) {
    auto clip = std::make_unique<Clip>();
    clip->name = name;
    clip->output = std::string(name) == kOfxImageEffectOutputClipName;
    clip->props.setString(kOfxPropType, {kOfxTypeClip});
    clip->props.setString(kOfxPropName, {name});
    clip->props.setInt(kOfxImageClipPropOptional, {0});
    *props = clip->props.handle();
    Effect::from(h)->clips[name] = std::move(clip);
    return kOfxStatOK;
}

OfxStatus clipGetHandle(OfxImageEffectHandle h, const char* name, OfxImageClipHandle* clip,
                        OfxPropertySetHandle* props) {
    auto& clips = Effect::from(h)->clips;
    auto it = clips.find(name);
    if (it == clips.end()) return kOfxStatErrBadHandle;
    *clip = reinterpret_cast<OfxImageClipHandle>(it->second.get());
    if (props) *props = it->second->props.handle();
    return kOfxStatOK;
}

OfxStatus clipGetPropertySet(OfxImageClipHandle clip, OfxPropertySetHandle* props) {
    *props = reinterpret_cast<Clip*>(clip)->props.handle();
    return kOfxStatOK;
}

std::map<OfxPropertySetHandle, std::unique_ptr<Image>> gImages;
std::mutex gImagesMutex;

OfxStatus clipGetImage(OfxImageClipHandle handle, OfxTime time, const OfxRectD*,
                       OfxPropertySetHandle* out) {
    Clip* clip = reinterpret_cast<Clip*>(handle);
    if (clip->output) {
        if (!tRender || !tRender->output || time != tRender->time) return kOfxStatFailed;
        *out = tRender->output->props.handle();
        return kOfxStatOK;
    }
    if (!clip->props.getInt(kOfxImageClipPropConnected)) return kOfxStatFailed;
    if (gOptions.currentFrameOnly) time = currentTime();
    if (tRender && tRender->rendering && !declared(clip->name, time)) {
        emit("{\"event\":\"fetch_outside_declared\",\"clip\":" + json(clip->name) +
             ",\"frame\":" + std::to_string(time) + "}");
        return kOfxStatFailed;
    }
    // Every fetch the host serves (as HostSupport's host reports them): what a render pulled.
    emit("{\"event\":\"fetch\",\"clip\":" + json(clip->name) + ",\"time\":" + std::to_string(time) +
         ",\"frame\":" + std::to_string(gTime) + "}");
    try {
        auto image = inputImage(*clip, time);
        if (!image) return kOfxStatFailed;
        image->owner = tRender;
        *out = image->props.handle();
        std::lock_guard<std::mutex> lock(gImagesMutex);
        gImages[*out] = std::move(image);
        return kOfxStatOK;
    } catch (const std::exception& error) {
        emit("{\"event\":\"host_error\",\"text\":" + json(error.what()) + "}");
        return kOfxStatFailed;
    }
}

OfxStatus clipReleaseImage(OfxPropertySetHandle image) {
    std::lock_guard<std::mutex> lock(gImagesMutex);
    if (tRender && tRender->output && image == tRender->output->props.handle()) return kOfxStatOK;
    return gImages.erase(image) ? kOfxStatOK : kOfxStatErrBadHandle;
}

// Canonical RoD of an input clip: its full-resolution size, pixels --pixel-aspect wide, at
// --origin.
OfxRectD canonicalRoD(const std::string& clip) {
    const Array first = loadFrame(clip, gOptions.first);
    return OfxRectD{double(gOptions.originX), double(gOptions.originY),
                    gOptions.originX + first.width * gOptions.pixelAspect,
                    double(gOptions.originY + first.height)};
}

OfxStatus clipGetRegionOfDefinition(OfxImageClipHandle handle, OfxTime, OfxRectD* bounds) {
    Clip* clip = reinterpret_cast<Clip*>(handle);
    if (clip->output || !gOptions.clips.count(clip->name)) return kOfxStatFailed;
    *bounds = canonicalRoD(clip->name);
    return kOfxStatOK;
}

int abortRender(OfxImageEffectHandle) { return gAbort ? 1 : 0; }

OfxStatus imageMemoryAlloc(OfxImageEffectHandle, size_t bytes, OfxImageMemoryHandle* memory) {
    *memory = reinterpret_cast<OfxImageMemoryHandle>(std::malloc(bytes));
    return *memory ? kOfxStatOK : kOfxStatErrMemory;
}
OfxStatus imageMemoryFree(OfxImageMemoryHandle memory) {
    std::free(memory);
    return kOfxStatOK;
}
OfxStatus imageMemoryLock(OfxImageMemoryHandle memory, void** pointer) {
    *pointer = memory;
    return kOfxStatOK;
}
OfxStatus imageMemoryUnlock(OfxImageMemoryHandle) { return kOfxStatOK; }

const OfxImageEffectSuiteV1 kImageEffectSuite = {
    getPropertySet,     getParamSet,      clipDefine,       clipGetHandle,
    clipGetPropertySet, clipGetImage,     clipReleaseImage, clipGetRegionOfDefinition,
    abortRender,        imageMemoryAlloc, imageMemoryFree,  imageMemoryLock,
    imageMemoryUnlock};

// ------------------------------------------------------------------ other suites

OfxStatus memoryAlloc(void*, size_t bytes, void** data) {
    *data = std::malloc(bytes);
    return *data ? kOfxStatOK : kOfxStatErrMemory;
}
OfxStatus memoryFree(void* data) {
    std::free(data);
    return kOfxStatOK;
}
const OfxMemorySuiteV1 kMemorySuite = {memoryAlloc, memoryFree};

thread_local unsigned gThreadIndex = 0;
thread_local bool gSpawned = false;
OfxStatus multiThread(OfxThreadFunctionV1 func, unsigned n, void* arg) {
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < n; ++i) {
        threads.emplace_back([=] {
            gThreadIndex = i;
            gSpawned = true;
            func(i, n, arg);
        });
    }
    for (auto& t : threads) t.join();
    return kOfxStatOK;
}
OfxStatus numCPUs(unsigned* n) {
    *n = std::max(1u, std::thread::hardware_concurrency());
    return kOfxStatOK;
}
OfxStatus threadIndex(unsigned* i) {
    *i = gThreadIndex;
    return kOfxStatOK;
}
int isSpawned() { return gSpawned; }
OfxStatus mutexCreate(OfxMutexHandle* mutex, int) {
    *mutex = reinterpret_cast<OfxMutexHandle>(new std::recursive_mutex);
    return kOfxStatOK;
}
OfxStatus mutexDestroy(const OfxMutexHandle m) {
    delete reinterpret_cast<std::recursive_mutex*>(m);
    return kOfxStatOK;
}
OfxStatus mutexLock(const OfxMutexHandle m) {
    reinterpret_cast<std::recursive_mutex*>(m)->lock();
    return kOfxStatOK;
}
OfxStatus mutexUnLock(const OfxMutexHandle m) {
    reinterpret_cast<std::recursive_mutex*>(m)->unlock();
    return kOfxStatOK;
}
OfxStatus mutexTryLock(const OfxMutexHandle m) {
    return reinterpret_cast<std::recursive_mutex*>(m)->try_lock() ? kOfxStatOK : kOfxStatFailed;
}
const OfxMultiThreadSuiteV1 kMultiThreadSuite = {multiThread, numCPUs,     threadIndex,
                                                 isSpawned,   mutexCreate, mutexDestroy,
                                                 mutexLock,   mutexUnLock, mutexTryLock};

std::string format(const char* fmt, va_list args) {
    char text[8192];
    std::vsnprintf(text, sizeof(text), fmt, args);
    return text;
}
OfxStatus message(void*, const char* type, const char*, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    emit("{\"event\":\"message\",\"type\":" + json(type) + ",\"text\":" + json(format(fmt, args)) +
         "}");
    va_end(args);
    return kOfxStatOK;
}
OfxStatus persistentMessage(void*, const char* type, const char*, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    emit("{\"event\":\"persistent_message\",\"type\":" + json(type) +
         ",\"text\":" + json(format(fmt, args)) + "}");
    va_end(args);
    return kOfxStatOK;
}
OfxStatus clearPersistent(void*) { return kOfxStatOK; }
const OfxMessageSuiteV1 kMessageSuiteV1 = {message};
const OfxMessageSuiteV2 kMessageSuiteV2 = {message, persistentMessage, clearPersistent};

OfxStatus progressStartV1(void*, const char*) { return kOfxStatOK; }
OfxStatus progressStartV2(void*, const char*, const char*) { return kOfxStatOK; }
OfxStatus progressUpdate(void*, double) {
    ++gProgressUpdates;
    return gAbort ? kOfxStatReplyNo : kOfxStatOK;
}
OfxStatus progressEnd(void*) { return kOfxStatOK; }
const OfxProgressSuiteV1 kProgressSuiteV1 = {progressStartV1, progressUpdate, progressEnd};
const OfxProgressSuiteV2 kProgressSuiteV2 = {progressStartV2, progressUpdate, progressEnd};

OfxStatus getTime(void*, double* time) {
    *time = currentTime();
    return kOfxStatOK;
}
OfxStatus gotoTime(void*, double time) {
    gTime = time;
    return kOfxStatOK;
}
OfxStatus getTimeBounds(void*, double* first, double* last) {
    *first = gOptions.first;
    *last = gOptions.last;
    return kOfxStatOK;
}
const OfxTimeLineSuiteV1 kTimeLineSuite = {getTime, gotoTime, getTimeBounds};

// --without-suite's names: a suite's name leaves out every version, "-v2" only version 2. The
// parametric parameter suite is never offered (every profile lacks it).
const std::set<std::string> kOptionalSuites = {
    "progress", "progress-v2", "message", "message-v2", "multithread", "memory", "timeline"};

bool withheld(const std::string& suite, int version) {
    static const std::map<std::string, std::string> kNames = {{kOfxProgressSuite, "progress"},
                                                              {kOfxMessageSuite, "message"},
                                                              {kOfxMultiThreadSuite, "multithread"},
                                                              {kOfxMemorySuite, "memory"},
                                                              {kOfxTimeLineSuite, "timeline"}};
    const auto name = kNames.find(suite);
    if (name == kNames.end()) return false;
    const auto& without = gOptions.withoutSuites;
    return without.count(name->second) || (version == 2 && without.count(name->second + "-v2"));
}

const void* fetchSuite(OfxPropertySetHandle, const char* name, int version) {
    const std::string suite = name;
    if (withheld(suite, version)) {
        emit("{\"event\":\"suite_withheld\",\"suite\":" + json(suite) +
             ",\"version\":" + std::to_string(version) + "}");
        return nullptr;
    }
    if (suite == kOfxPropertySuite && version == 1) return propertySuite();
    if (suite == kOfxImageEffectSuite && version == 1) return &kImageEffectSuite;
    if (suite == kOfxParameterSuite && version == 1) return parameterSuite();
    if (suite == kOfxMemorySuite && version == 1) return &kMemorySuite;
    if (suite == kOfxMultiThreadSuite && version == 1) return &kMultiThreadSuite;
    if (suite == kOfxMessageSuite && version == 1) return &kMessageSuiteV1;
    if (suite == kOfxMessageSuite && version == 2) return &kMessageSuiteV2;
    if (suite == kOfxProgressSuite && version == 1) return &kProgressSuiteV1;
    if (suite == kOfxProgressSuite && version == 2) return &kProgressSuiteV2;
    if (suite == kOfxTimeLineSuite && version == 1) return &kTimeLineSuite;
    return nullptr;
}

OfxHost gHost{nullptr, fetchSuite};

// ------------------------------------------------------------------ driving the plugin

OfxStatus call(OfxPlugin* plugin, const char* action, const void* handle, PropertySet* in,
               PropertySet* out) {
    const OfxStatus status = plugin->mainEntry(action, handle, in ? in->handle() : nullptr,
                                               out ? out->handle() : nullptr);
    if (status != kOfxStatOK && status != kOfxStatReplyDefault) {
        emit("{\"event\":\"action\",\"action\":" + json(action) +
             ",\"status\":" + std::to_string(status) + "}");
    }
    return status;
}

void describeParams(Effect& effect) {
    for (const auto& param : effect.params.params()) {
        std::ostringstream line;
        line << "{\"event\":\"param\",\"name\":" << json(param->name)
             << ",\"type\":" << json(param->type);
        for (const auto& [name, prop] : param->props.all()) {
            line << "," << json(name) << ":[";
            for (int i = 0; i < prop.size(); ++i) {
                if (i) line << ",";
                switch (prop.type) {
                case Property::Type::Int: line << prop.ints[i]; break;
                case Property::Type::Double: line << prop.doubles[i]; break;
                case Property::Type::String: line << json(prop.strings[i]); break;
                case Property::Type::Pointer: line << "null"; break;
                }
            }
            line << "]";
        }
        emit(line.str() + "}");
    }
    for (const auto& [name, clip] : effect.clips) {
        emit("{\"event\":\"clip\",\"name\":" + json(name) + ",\"optional\":" +
             std::to_string(clip->props.getInt(kOfxImageClipPropOptional)) + "}");
    }
}

void setParam(Effect& effect, const std::string& name, const std::string& value) {
    Param* p = effect.params.find(name);
    if (!p) throw std::runtime_error("no parameter " + name);
    if (p->type == kOfxParamTypeString) {
        p->text = value;
    } else {
        p->value.assign(p->value.size(), std::stod(value));
    }
}

std::vector<double> parseList(const std::string& text) {
    std::vector<double> values;
    std::stringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ',')) {
        if (!item.empty()) values.push_back(std::stod(item));
    }
    return values;
}

void writeOutput(Image& image, int frame) {
    const auto& p = image.props;
    const OfxRectI b{p.getInt(kOfxImagePropBounds, 0), p.getInt(kOfxImagePropBounds, 1),
                     p.getInt(kOfxImagePropBounds, 2), p.getInt(kOfxImagePropBounds, 3)};
    const std::string depth = p.getString(kOfxImageEffectPropPixelDepth);
    const int channels = channelsOf(p.getString(kOfxImageEffectPropComponents));
    Array out;
    out.width = b.x2 - b.x1;
    out.height = b.y2 - b.y1;
    out.channels = channels;
    out.data.resize(size_t(out.width) * out.height * channels);
    for (int y = b.y1; y < b.y2; ++y) {
        for (int x = b.x1; x < b.x2; ++x) {
            const unsigned char* pixel = pixelAt(image, x, y);
            float* dst =
                out.data.data() + (size_t(b.y2 - 1 - y) * out.width + (x - b.x1)) * channels;
            for (int c = 0; c < channels; ++c) dst[c] = load(pixel + c * bytesOf(depth), depth);
        }
    }
    writeNpy(framePath(gOptions.out, frame), out);
}

// The render windows of one frame: the whole RoD, or --tiles horizontal strips where the
// plugin declares kOfxImageEffectPropSupportsTiles (or --force-tiles models a host that does
// not ask).
std::vector<OfxRectI> renderWindows(const OfxRectI& rod, bool pluginTiles) {
    const int strips = (pluginTiles || gOptions.forceTiles) ? gOptions.tiles : 1;
    const int height = rod.y2 - rod.y1;
    if (strips <= 1 || height < strips) return {rod};
    std::vector<OfxRectI> windows;
    for (int i = 0; i < strips; ++i) {
        windows.push_back(OfxRectI{rod.x1, rod.y1 + height * i / strips, rod.x2,
                                   rod.y1 + height * (i + 1) / strips});
    }
    return windows;
}

// Copies the window's rows of `from` (same depth and components) into `to`.
void copyWindow(Image& from, Image& to, const OfxRectI& window) {
    const auto& p = from.props;
    const size_t pixelBytes = bytesOf(p.getString(kOfxImageEffectPropPixelDepth)) *
                              channelsOf(p.getString(kOfxImageEffectPropComponents));
    for (int y = window.y1; y < window.y2; ++y) {
        std::memcpy(pixelAt(to, window.x1, y), pixelAt(from, window.x1, y),
                    pixelBytes * (window.x2 - window.x1));
    }
}

bool renderFrame(OfxPlugin* plugin, Effect& effect, int frame, bool pluginTiles) {
    RenderContext context;
    context.time = frame;
    tRender = &context;
    struct Reset {
        ~Reset() { tRender = nullptr; }
    } reset;
    if (gOptions.renderThreads == 1) {
        gTime = frame;
        gProgressUpdates = 0;
    }
    gAbort = false;
    const double scale = gOptions.renderScale;
    PropertySet in, out;
    in.setDouble(kOfxPropTime, {double(frame)});
    in.setDouble(kOfxImageEffectPropRenderScale, {scale, scale});
    out.setDouble(kOfxImageEffectPropRegionOfDefinition, {0, 0, 0, 0});
    if (call(plugin, kOfxImageEffectActionGetRegionOfDefinition, effect.handle(), &in, &out) !=
        kOfxStatOK) {
        emit("{\"event\":\"render\",\"frame\":" + std::to_string(frame) + ",\"status\":1}");
        return false;
    }
    // Canonical to pixels: x over the pixel aspect ratio, both over the render scale's factor.
    const double nx = scaleFactor() * gOptions.pixelAspect, ny = scaleFactor();
    const auto canonical = [&out](int i) {
        return out.getDouble(kOfxImageEffectPropRegionOfDefinition, i);
    };
    const OfxRectI rod{int(std::floor(canonical(0) / nx)), int(std::floor(canonical(1) / ny)),
                       int(std::ceil(canonical(2) / nx)), int(std::ceil(canonical(3) / ny))};
    emit("{\"event\":\"region_of_definition\",\"frame\":" + std::to_string(frame) +
         ",\"canonical\":[" + std::to_string(canonical(0)) + "," + std::to_string(canonical(1)) +
         "," + std::to_string(canonical(2)) + "," + std::to_string(canonical(3)) + "]}");

    PropertySet neededIn, neededOut;
    neededIn.setDouble(kOfxPropTime, {double(frame)});
    if (gOptions.framesNeeded) {
        call(plugin, kOfxImageEffectActionGetFramesNeeded, effect.handle(), &neededIn, &neededOut);
    }
    for (const auto& [name, prop] : neededOut.all()) {
        const std::string prefix = "OfxImageClipPropFrameRange_";
        if (name.rfind(prefix, 0) != 0) continue;
        context.framesNeeded[name.substr(prefix.size())] = prop.doubles;
        std::ostringstream ranges;
        for (size_t i = 0; i < prop.doubles.size(); ++i)
            ranges << (i ? "," : "") << prop.doubles[i];
        emit("{\"event\":\"frames_needed\",\"frame\":" + std::to_string(frame) + ",\"clip\":" +
             json(name.substr(prefix.size())) + ",\"ranges\":[" + ranges.str() + "]}");
    }

    Clip& outputClip = *effect.clips.at(kOfxImageEffectOutputClipName);
    const std::string outDepth = outputClip.props.getString(kOfxImageEffectPropPixelDepth);
    const std::string outComponents = outputClip.props.getString(kOfxImageEffectPropComponents);
    auto frameImage = allocate(rod, rod, outDepth, outComponents, frame);
    const std::vector<OfxRectI> windows = renderWindows(rod, pluginTiles);

    std::atomic<bool> done{false};
    std::thread aborter;
    if (gOptions.abortAfterMs >= 0) {
        aborter = std::thread([&] {
            const auto until =
                std::chrono::steady_clock::now() + std::chrono::milliseconds(gOptions.abortAfterMs);
            while (!done && std::chrono::steady_clock::now() < until) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            if (!done) gAbort = true;
        });
    }
    PropertySet sequence;  // MLT's: a sequence of the one frame rendered
    sequence.setDouble(kOfxImageEffectPropFrameRange, {double(frame), double(frame)});
    sequence.setDouble(kOfxImageEffectPropFrameStep, {1.0});
    sequence.setInt(kOfxPropIsInteractive, {0});
    sequence.setDouble(kOfxImageEffectPropRenderScale, {scale, scale});
    sequence.setInt(kOfxImageEffectPropSequentialRenderStatus, {1});
    sequence.setInt(kOfxImageEffectPropInteractiveRenderStatus, {0});
    if (gOptions.sequencePerFrame) {
        call(plugin, kOfxImageEffectActionBeginSequenceRender, effect.handle(), &sequence, nullptr);
    }
    const auto start = std::chrono::steady_clock::now();
    OfxStatus status = kOfxStatOK;
    for (const OfxRectI& window : windows) {
        // A tile's image covers only its window (as tiling hosts allocate): a plugin writing
        // outside it would write outside the buffer's rows the host reads back.
        context.output = windows.size() == 1
                             ? std::move(frameImage)
                             : allocate(window, rod, outDepth, outComponents, frame);
        PropertySet renderIn;
        renderIn.setDouble(kOfxPropTime, {double(frame)});
        renderIn.setString(kOfxImageEffectPropFieldToRender, {kOfxImageFieldNone});
        renderIn.setInt(kOfxImageEffectPropRenderWindow,
                        {window.x1, window.y1, window.x2, window.y2});
        renderIn.setDouble(kOfxImageEffectPropRenderScale, {scale, scale});
        renderIn.setInt(kOfxImageEffectPropSequentialRenderStatus, {0});
        renderIn.setInt(kOfxImageEffectPropInteractiveRenderStatus, {gOptions.background ? 0 : 1});
        renderIn.setInt(kOfxImageEffectPropRenderQualityDraft, {0});
        context.rendering = true;
        status = call(plugin, kOfxImageEffectActionRender, effect.handle(), &renderIn, nullptr);
        context.rendering = false;
        if (status != kOfxStatOK) break;
        if (windows.size() == 1) {
            frameImage = std::move(context.output);
        } else {
            copyWindow(*context.output, *frameImage, window);
        }
    }
    context.output.reset();
    if (gOptions.sequencePerFrame) {
        call(plugin, kOfxImageEffectActionEndSequenceRender, effect.handle(), &sequence, nullptr);
    }
    done = true;
    if (aborter.joinable()) aborter.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (status == kOfxStatOK) writeOutput(*frameImage, frame);
    {
        std::lock_guard<std::mutex> lock(gImagesMutex);
        size_t leaked = 0;
        for (auto it = gImages.begin(); it != gImages.end();) {
            if (it->second->owner != &context) {
                ++it;
                continue;
            }
            ++leaked;
            it = gImages.erase(it);
        }
        if (leaked) emit("{\"event\":\"leaked_images\",\"count\":" + std::to_string(leaked) + "}");
    }
    emit("{\"event\":\"render\",\"frame\":" + std::to_string(frame) +
         ",\"status\":" + std::to_string(status) + ",\"seconds\":" + std::to_string(seconds) +
         ",\"tiles\":" + std::to_string(windows.size()) +
         ",\"progress_updates\":" + std::to_string(gProgressUpdates.load()) + "}");
    return status == kOfxStatOK;
}

void setUpHostProps() {
    gHostProps.setString(kOfxPropType, {kOfxTypeImageEffectHost});
    gHostProps.setString(kOfxPropName, {"org.synthfx.testhost"});
    gHostProps.setString(kOfxPropLabel, {"synthfx test host"});
    gHostProps.setInt(kOfxPropAPIVersion, {1, 4});
    gHostProps.setInt(kOfxImageEffectHostPropIsBackground, {gOptions.background ? 1 : 0});
    gHostProps.setInt(kOfxImageEffectPropSupportsOverlays, {0});
    gHostProps.setInt(kOfxImageEffectPropSupportsMultiResolution, {1});
    gHostProps.setInt(kOfxImageEffectPropSupportsTiles, {1});
    gHostProps.setInt(kOfxImageEffectPropTemporalClipAccess, {gOptions.temporalAccess ? 1 : 0});
    gHostProps.setInt(kOfxImageEffectPropSupportsMultipleClipDepths, {1});
    gHostProps.setString(kOfxImageEffectPropSupportedComponents,
                         {kOfxImageComponentRGBA, kOfxImageComponentRGB, kOfxImageComponentAlpha});
    gHostProps.setString(kOfxImageEffectPropSupportedContexts,
                         {kOfxImageEffectContextGeneral, kOfxImageEffectContextFilter});
    gHostProps.setString(kOfxImageEffectPropSupportedPixelDepths, gOptions.hostDepths);
    gHost.host = gHostProps.handle();
}

Options parseOptions(int argc, char** argv) {
    Options o;
    auto split = [](const std::string& text, char sep) {
        const auto at = text.find(sep);
        if (at == std::string::npos)
            throw std::runtime_error("expected NAME" + std::string(1, sep) + "VALUE: " + text);
        return std::make_pair(text.substr(0, at), text.substr(at + 1));
    };
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--bundle")
            o.bundle = next();
        else if (arg == "--plugin")
            o.plugin = next();
        else if (arg == "--context")
            o.context = std::string("OfxImageEffectContext") + next();
        else if (arg == "--out")
            o.out = next();
        else if (arg == "--clip")
            o.clips.insert(split(next(), '='));
        else if (arg == "--clip-depth")
            o.depths.insert(split(next(), '='));
        else if (arg == "--clip-components")
            o.components.insert(split(next(), '='));
        else if (arg == "--clip-premult")
            o.premultiplication.insert(split(next(), '='));
        else if (arg == "--param")
            o.params.insert(split(next(), '='));
        else if (arg == "--keys")
            o.keys.insert(split(next(), '='));
        else if (arg == "--press") {
            auto [name, time] = split(next(), '@');
            o.presses.emplace_back(name, std::stod(time));
        } else if (arg == "--range") {
            auto [a, b] = split(next(), '-');
            o.first = std::stoi(a);
            o.last = std::stoi(b);
        } else if (arg == "--frames") {
            for (double f : parseList(next())) o.frames.push_back(int(f));
        } else if (arg == "--render-scale")
            o.renderScale = std::stod(next());
        else if (arg == "--pixel-aspect")
            o.pixelAspect = std::stod(next());
        else if (arg == "--background")
            o.background = next() == "1";
        else if (arg == "--negative-rowbytes")
            o.negativeRowBytes = next() == "1";
        else if (arg == "--abort-after-ms")
            o.abortAfterMs = std::stoi(next());
        else if (arg == "--pad")
            o.pad = std::stoi(next());
        else if (arg == "--origin") {
            auto [x, y] = split(next(), ',');
            o.originX = std::stoi(x);
            o.originY = std::stoi(y);
        } else if (arg == "--preload")
            o.preload.push_back(next());
        else if (arg == "--pause-after") {
            auto [frame, ms] = split(next(), '=');
            o.pauseAfterMs[std::stoi(frame)] = std::stoi(ms);
        } else if (arg == "--describe")
            o.describe = true;
        else if (arg == "--profile") {
            const std::string profile = next();
            if (profile == "mlt") {
                // MLT 7 sets its effect duration outside the instance's property set.
                o.clipFrameRange = o.effectDuration = o.temporalAccess = o.framesNeeded = false;
                o.currentFrameOnly = o.instancePerFrame = o.sequencePerFrame = true;
            } else if (profile == "no-frame-range") {
                o.clipFrameRange = false;
            } else if (profile == "sequence-range-only") {  // nothing but begin-sequence's
                o.clipFrameRange = o.effectDuration = false;
                o.sequenceWhole = true;
            } else if (profile == "current-frame-only") {  // claims temporal access, gives none
                o.currentFrameOnly = true;
            } else {
                throw std::runtime_error("unknown profile " + profile);
            }
        } else if (arg == "--instance-per-frame")
            o.instancePerFrame = true;
        else if (arg == "--without-suite") {
            const std::string suite = next();
            if (!kOptionalSuites.count(suite)) throw std::runtime_error("unknown suite " + suite);
            o.withoutSuites.insert(suite);
        } else if (arg == "--render-threads")
            o.renderThreads = std::max(1, std::stoi(next()));
        else if (arg == "--share-instance")
            o.shareInstance = next() == "1";
        else if (arg == "--tiles")
            o.tiles = std::max(1, std::stoi(next()));
        else if (arg == "--force-tiles")
            o.forceTiles = next() == "1";
        else if (arg == "--host-depths") {
            // Names without the prefix, e.g. Byte or Half,Float; kept deepest first.
            const std::string listed = "," + next() + ",";
            o.hostDepths.clear();
            for (const char* depth : {"Float", "Half", "Short", "Byte"}) {
                if (listed.find(std::string(",") + depth + ",") != std::string::npos) {
                    o.hostDepths.push_back(std::string("OfxBitDepth") + depth);
                }
            }
            if (o.hostDepths.empty()) throw std::runtime_error("no known depth in " + listed);
        } else
            throw std::runtime_error("unknown option " + arg);
    }
    if (o.bundle.empty() || o.plugin.empty())
        throw std::runtime_error("need --bundle and --plugin");
    return o;
}

// An instance with the options' params, keys and presses applied and its clip preferences
// asked; keys and presses are reported for the first only.
std::unique_ptr<Effect> createInstance(OfxPlugin* plugin, Effect& contextDescriptor, bool report) {
    auto instance = std::make_unique<Effect>();
    instance->props = contextDescriptor.props;
    instance->props.setString(kOfxPropType, {kOfxTypeImageEffectInstance});
    instance->props.setString(kOfxImageEffectPropContext, {gOptions.context});
    instance->props.setString(kOfxPropLabel, {"Stylize1"});
    instance->props.setDouble(kOfxImageEffectPropProjectPixelAspectRatio, {gOptions.pixelAspect});
    if (gOptions.clipFrameRange) {
        instance->props.setDouble(kOfxImageEffectPropFrameRange,
                                  {double(gOptions.first), double(gOptions.last)});
    } else if (gOptions.effectDuration) {
        // Frames count from the effect's start (MLT's): its duration is all a plugin learns.
        instance->props.setDouble(kOfxImageEffectInstancePropEffectDuration,
                                  {double(gOptions.last - gOptions.first + 1)});
    }
    instance->params.instantiateFrom(contextDescriptor.params);
    for (const auto& [name, desc] : contextDescriptor.clips) {
        auto clip = std::make_unique<Clip>();
        clip->name = name;
        clip->output = desc->output;
        clip->props = desc->props;
        const bool connected = clip->output || gOptions.clips.count(name);
        clip->props.setInt(kOfxImageClipPropConnected, {connected ? 1 : 0});
        const auto depth = gOptions.depths.find(name);
        clip->props.setString(kOfxImageEffectPropPixelDepth,
                              {depth != gOptions.depths.end()
                                   ? std::string("OfxBitDepth") + depth->second
                                   : gOptions.hostDepths.front()});
        const auto comps = gOptions.components.find(name);
        clip->props.setString(kOfxImageEffectPropComponents,
                              {comps != gOptions.components.end()
                                   ? std::string("OfxImageComponent") + comps->second
                                   : std::string(kOfxImageComponentRGBA)});
        if (gOptions.clipFrameRange) {
            clip->props.setDouble(kOfxImageEffectPropFrameRange,
                                  {double(gOptions.first), double(gOptions.last)});
        }
        const auto premult = gOptions.premultiplication.find(name);
        clip->props.setString(kOfxImageEffectPropPreMultiplication,
                              {premult != gOptions.premultiplication.end()
                                   ? std::string("OfxImageAlpha") + premult->second
                                   : std::string(kOfxImagePreMultiplied)});
        clip->props.setDouble(kOfxImagePropPixelAspectRatio, {gOptions.pixelAspect});
        instance->clips[name] = std::move(clip);
    }
    if (call(plugin, kOfxActionCreateInstance, instance->handle(), nullptr, nullptr) !=
        kOfxStatOK) {
        throw std::runtime_error("create instance failed");
    }
    for (const auto& [name, value] : gOptions.params) setParam(*instance, name, value);
    for (const auto& [name, times] : gOptions.keys) {
        Param* p = instance->params.find(name);
        if (!p) throw std::runtime_error("no parameter " + name);
        for (double t : parseList(times)) p->keys[t] = std::vector<double>(p->value.size(), 1.0);
    }
    for (const auto& [name, time] : gOptions.presses) {
        gTime = time;
        PropertySet in;
        in.setString(kOfxPropType, {kOfxTypeParameter});
        in.setString(kOfxPropName, {name});
        in.setString(kOfxPropChangeReason, {kOfxChangeUserEdited});
        in.setDouble(kOfxPropTime, {time});
        in.setDouble(kOfxImageEffectPropRenderScale, {1.0, 1.0});
        call(plugin, kOfxActionBeginInstanceChanged, instance->handle(), &in, nullptr);
        call(plugin, kOfxActionInstanceChanged, instance->handle(), &in, nullptr);
        call(plugin, kOfxActionEndInstanceChanged, instance->handle(), &in, nullptr);
    }
    for (const auto& param : instance->params.params()) {
        if (param->keys.empty()) continue;
        std::ostringstream times;
        bool first = true;
        for (const auto& [t, v] : param->keys) {
            times << (first ? "" : ",") << t;
            first = false;
        }
        if (report)
            emit("{\"event\":\"keys\",\"param\":" + json(param->name) + ",\"times\":[" +
                 times.str() + "]}");
    }

    // Clip preferences: the output depth/components the plugin asks for.
    PropertySet prefs;
    for (const auto& [name, clip] : instance->clips) {
        prefs.setString("OfxImageClipPropComponents_" + name,
                        {clip->props.getString(kOfxImageEffectPropComponents)});
        prefs.setString("OfxImageClipPropDepth_" + name,
                        {clip->props.getString(kOfxImageEffectPropPixelDepth)});
    }
    call(plugin, kOfxImageEffectActionGetClipPreferences, instance->handle(), nullptr, &prefs);
    Clip& output = *instance->clips.at(kOfxImageEffectOutputClipName);
    output.props.setString(kOfxImageEffectPropComponents,
                           {prefs.getString("OfxImageClipPropComponents_Output")});
    const std::string outputDepth = prefs.getString("OfxImageClipPropDepth_Output");
    const auto& offered = gOptions.hostDepths;
    if (std::find(offered.begin(), offered.end(), outputDepth) == offered.end()) {
        throw std::runtime_error("the plugin asked for Output depth " + outputDepth +
                                 ", which this host does not offer");
    }
    output.props.setString(kOfxImageEffectPropPixelDepth, {outputDepth});
    if (report) {
        emit("{\"event\":\"output_preferences\",\"depth\":" + json(outputDepth) +
             ",\"premultiplication\":" +
             json(prefs.getString(kOfxImageEffectPropPreMultiplication)) + "}");
    }

    return instance;
}

// Renders --frames on --render-threads threads, each taking the next frame, as the plugin's
// kOfxImageEffectPluginRenderThreadSafety allows: fully safe, all on `first`; instance safe,
// one instance per thread (Nuke's way), each rendering one frame at a time; unsafe, one
// thread. Emits what it did and any render that overlapped another on one instance.
int renderOnThreads(OfxPlugin* plugin, Effect& contextDescriptor, Effect& first,
                    const std::string& safety, PropertySet& sequence, bool pluginTiles) {
    if (gOptions.instancePerFrame || !gOptions.pauseAfterMs.empty()) {
        throw std::runtime_error("--render-threads takes neither --instance-per-frame nor "
                                 "--pause-after");
    }
    // --share-instance models a host that ignores instance-safe (counted as overlaps).
    const bool fullySafe = safety == kOfxImageEffectRenderFullySafe;
    const bool shared = fullySafe || gOptions.shareInstance;
    const int threads = safety == kOfxImageEffectRenderUnsafe ? 1 : gOptions.renderThreads;
    std::vector<std::unique_ptr<Effect>> extra;
    std::vector<Effect*> instances{&first};
    for (int i = 1; i < threads && !shared; ++i) {
        extra.push_back(createInstance(plugin, contextDescriptor, false));
        instances.push_back(extra.back().get());
        if (gOptions.sequenceWhole) {
            call(plugin, kOfxImageEffectActionBeginSequenceRender, instances.back()->handle(),
                 &sequence, nullptr);
        }
    }
    std::mutex countsMutex;
    std::map<Effect*, int> inRender;
    int running = 0, mostAtOnce = 0, overlaps = 0;
    std::atomic<size_t> next{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        Effect* effect = instances[shared ? 0 : t];
        workers.emplace_back([&, effect] {
            for (size_t i = next++; i < gOptions.frames.size(); i = next++) {
                {
                    std::lock_guard<std::mutex> lock(countsMutex);
                    if (inRender[effect]++ && !fullySafe) ++overlaps;
                    mostAtOnce = std::max(mostAtOnce, ++running);
                }
                if (!renderFrame(plugin, *effect, gOptions.frames[i], pluginTiles)) ++failures;
                std::lock_guard<std::mutex> lock(countsMutex);
                --inRender[effect];
                --running;
            }
        });
    }
    for (auto& worker : workers) worker.join();
    for (auto& instance : extra) {
        if (gOptions.sequenceWhole) {
            call(plugin, kOfxImageEffectActionEndSequenceRender, instance->handle(), &sequence,
                 nullptr);
        }
        call(plugin, kOfxActionDestroyInstance, instance->handle(), nullptr, nullptr);
    }
    emit("{\"event\":\"threading\",\"threads\":" + std::to_string(threads) + ",\"instances\":" +
         std::to_string(instances.size()) + ",\"most_at_once\":" + std::to_string(mostAtOnce) +
         ",\"overlaps\":" + std::to_string(overlaps) + "}");
    return failures;
}

int run(int argc, char** argv) {
    gOptions = parseOptions(argc, argv);
    for (const auto& lib : gOptions.preload) {
        // A host's own libraries, loaded globally before any plugin (as Nuke/Resolve do).
        if (!dlopen(lib.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
            throw std::runtime_error(std::string("preload failed: ") + dlerror());
        }
    }
    setUpHostProps();
    const std::string binary = gOptions.bundle + "/Contents/Linux-x86-64/synthfx.ofx";
    void* library = dlopen(binary.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library) throw std::runtime_error(std::string("cannot load plugin: ") + dlerror());
    auto setHost = reinterpret_cast<OfxStatus (*)(const OfxHost*)>(dlsym(library, "OfxSetHost"));
    auto count = reinterpret_cast<int (*)()>(dlsym(library, "OfxGetNumberOfPlugins"));
    auto get = reinterpret_cast<OfxPlugin* (*)(int)>(dlsym(library, "OfxGetPlugin"));
    if (!count || !get) throw std::runtime_error("not an OFX plugin: " + binary);
    if (setHost && setHost(&gHost) != kOfxStatOK) throw std::runtime_error("OfxSetHost refused");
    OfxPlugin* plugin = nullptr;
    for (int i = 0; i < count(); ++i) {
        OfxPlugin* candidate = get(i);
        emit("{\"event\":\"plugin\",\"id\":" + json(candidate->pluginIdentifier) +
             ",\"major\":" + std::to_string(candidate->pluginVersionMajor) + "}");
        if (gOptions.plugin == candidate->pluginIdentifier) plugin = candidate;
    }
    if (!plugin) throw std::runtime_error("no plugin " + gOptions.plugin);
    plugin->setHost(&gHost);
    if (call(plugin, kOfxActionLoad, nullptr, nullptr, nullptr) != kOfxStatOK) {
        throw std::runtime_error("load failed");
    }
    Effect descriptor;
    descriptor.props.setString(kOfxPropType, {kOfxTypeImageEffect});
    if (call(plugin, kOfxActionDescribe, descriptor.handle(), nullptr, nullptr) != kOfxStatOK) {
        throw std::runtime_error("describe failed");
    }
    Effect contextDescriptor;
    contextDescriptor.props = descriptor.props;
    PropertySet contextArgs;
    contextArgs.setString(kOfxImageEffectPropContext, {gOptions.context});
    if (call(plugin, kOfxImageEffectActionDescribeInContext, contextDescriptor.handle(),
             &contextArgs, nullptr) != kOfxStatOK) {
        throw std::runtime_error("describe in context failed");
    }
    if (gOptions.describe) {
        std::ostringstream flags;
        emit("{\"event\":\"effect\",\"sequential\":" +
             std::to_string(
                 descriptor.props.getInt(kOfxImageEffectInstancePropSequentialRender, 0, -1)) +
             ",\"tiles\":" +
             std::to_string(descriptor.props.getInt(kOfxImageEffectPropSupportsTiles, 0, -1)) +
             ",\"frame_threading\":" +
             std::to_string(
                 descriptor.props.getInt(kOfxImageEffectPluginPropHostFrameThreading, 0, -1)) +
             ",\"thread_safety\":" +
             json(descriptor.props.getString(kOfxImageEffectPluginRenderThreadSafety)) +
             ",\"temporal\":" +
             std::to_string(descriptor.props.getInt(kOfxImageEffectPropTemporalClipAccess)) + "}");
        describeParams(contextDescriptor);
    }

    const bool pluginTiles = descriptor.props.getInt(kOfxImageEffectPropSupportsTiles, 0, 1) != 0;
    std::unique_ptr<Effect> instance = createInstance(plugin, contextDescriptor, true);
    PropertySet sequence;  // a farm render of the whole range
    sequence.setDouble(kOfxImageEffectPropFrameRange,
                       {double(gOptions.first), double(gOptions.last)});
    sequence.setDouble(kOfxImageEffectPropFrameStep, {1.0});
    sequence.setInt(kOfxPropIsInteractive, {0});
    sequence.setDouble(kOfxImageEffectPropRenderScale,
                       {gOptions.renderScale, gOptions.renderScale});
    if (gOptions.sequenceWhole) {
        call(plugin, kOfxImageEffectActionBeginSequenceRender, instance->handle(), &sequence,
             nullptr);
    }
    int failures = 0;
    if (gOptions.renderThreads > 1) {
        const std::string safety =
            descriptor.props.getString(kOfxImageEffectPluginRenderThreadSafety);
        failures =
            renderOnThreads(plugin, contextDescriptor, *instance, safety, sequence, pluginTiles);
    }
    for (int frame : gOptions.renderThreads > 1 ? std::vector<int>() : gOptions.frames) {
        if (gOptions.instancePerFrame && !instance) {
            instance = createInstance(plugin, contextDescriptor, false);
        }
        if (!renderFrame(plugin, *instance, frame, pluginTiles)) ++failures;
        if (gOptions.instancePerFrame) {
            call(plugin, kOfxActionDestroyInstance, instance->handle(), nullptr, nullptr);
            instance.reset();
        }
        const auto pause = gOptions.pauseAfterMs.find(frame);
        if (pause != gOptions.pauseAfterMs.end()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(pause->second));
        }
    }
    if (instance && gOptions.sequenceWhole) {
        call(plugin, kOfxImageEffectActionEndSequenceRender, instance->handle(), &sequence,
             nullptr);
    }
    if (instance) call(plugin, kOfxActionDestroyInstance, instance->handle(), nullptr, nullptr);
    call(plugin, kOfxActionUnload, nullptr, nullptr, nullptr);
    emit("{\"event\":\"done\",\"failures\":" + std::to_string(failures) + "}");
    return failures ? 1 : 0;
}

}  // namespace
}  // namespace testhost

int main(int argc, char** argv) {
    try {
        return testhost::run(argc, argv);
    } catch (const std::exception& error) {
        testhost::emit("{\"event\":\"host_error\",\"text\":" + testhost::json(error.what()) + "}");
        return 2;
    }
}
