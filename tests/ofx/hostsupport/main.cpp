// SPDX-License-Identifier: Apache-2.0
// synthfx_hostsupport_host: loads the plug-ins on OFX_PLUGIN_PATH through HostSupport's plug-in
// cache, describes every plugin in every context it declares (--describe), then renders
// --frames of one plugin (--plugin) with clips from .npy files:
//   synthfx_hostsupport_host [--cache FILE] [--describe] [--plugin ID --context General|Filter
//     --range A-B --frames F,F,.. --clip NAME=PATTERN --param NAME=VALUE --keys NAME=T,T,..
//     --out PATTERN]
// PATTERNs are printf patterns of one .npy file per frame, (H, W, C) float32, top row first.
#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "checked_suites.h"
#include "host.h"
#include "npy.h"
#include "report.h"

namespace hostsupport {
namespace {

std::vector<double> parseList(const std::string& text) {
    std::vector<double> values;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        if (!item.empty()) values.push_back(std::stod(item));
    }
    return values;
}

std::pair<std::string, std::string> splitAssignment(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos) throw std::runtime_error("expected NAME=VALUE, got " + text);
    return {text.substr(0, eq), text.substr(eq + 1)};
}

void parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto next = [&]() -> std::string {
            if (++i >= argc) throw std::runtime_error(arg + " needs a value");
            return argv[i];
        };
        if (arg == "--describe") {
            gOptions.describe = true;
        } else if (arg == "--plugin") {
            gOptions.plugin = next();
        } else if (arg == "--context") {
            const std::string context = next();
            gOptions.context = context.rfind("OfxImageEffectContext", 0) == 0
                                   ? context
                                   : "OfxImageEffectContext" + context;
        } else if (arg == "--range") {
            const std::string range = next();
            const auto dash = range.find('-');
            gOptions.first = std::stoi(range.substr(0, dash));
            gOptions.last = std::stoi(range.substr(dash + 1));
        } else if (arg == "--frames") {
            for (double f : parseList(next())) gOptions.frames.push_back(int(f));
        } else if (arg == "--clip") {
            gOptions.clips.insert(splitAssignment(next()));
        } else if (arg == "--param") {
            gOptions.params.insert(splitAssignment(next()));
        } else if (arg == "--keys") {
            const auto [name, times] = splitAssignment(next());
            gOptions.keys[name] = parseList(times);
        } else if (arg == "--out") {
            gOptions.out = next();
        } else if (arg == "--self-check") {
            gOptions.selfCheck = true;
        } else if (arg == "--cache") {
            gOptions.cache = next();
        } else {
            throw std::runtime_error("unknown argument " + arg);
        }
    }
}

std::string jsonList(const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + json(items[i]);
    return out + "]";
}

void describe(OFX::Host::ImageEffect::ImageEffectPlugin& plugin) {
    for (const std::string& context : plugin.getContexts()) {
        OFX::Host::ImageEffect::Descriptor* described = plugin.getContext(context);
        if (!described) {
            reportAction(kOfxImageEffectActionDescribeInContext, kOfxStatFailed,
                         plugin.getIdentifier() + " in " + context);
            continue;
        }
        label(described->getProps().getHandle(), "descriptor " + context);
        std::vector<std::string> clips, optional, params;
        for (auto* clip : described->getClipsByOrder()) {
            label(clip->getPropHandle(), "clip descriptor " + clip->getName());
            clips.push_back(clip->getName());
            if (clip->isOptional()) optional.push_back(clip->getName());
        }
        for (auto* param : described->getParamList()) {
            params.push_back(param->getName() + ":" + param->getType());
        }
        emit("{\"event\":\"context\",\"plugin\":" + json(plugin.getIdentifier()) +
             ",\"context\":" + json(context) + ",\"clips\":" + jsonList(clips) +
             ",\"optional\":" + jsonList(optional) + ",\"params\":" + jsonList(params) + "}");
    }
}

void writeOutput(Image& image, double time) {
    testhost::Array out;
    out.width = image.width();
    out.height = image.height();
    out.channels = image.channels();
    out.data.resize(size_t(out.width) * out.height * out.channels);
    for (int y = 0; y < out.height; ++y) {  // OFX rows bottom-up, the file's top-down
        const float* src = image.row(y);
        std::copy(src, src + size_t(out.width) * out.channels,
                  out.data.begin() + size_t(out.height - 1 - y) * out.width * out.channels);
    }
    char path[4096];
    std::snprintf(path, sizeof path, gOptions.out.c_str(), int(std::lround(time)));
    testhost::writeNpy(path, out);
}

bool allowed(OfxStatus status) { return status == kOfxStatOK || status == kOfxStatReplyDefault; }

// One frame as a host renders it: RoD, frames needed, RoI, then render into a fresh output.
bool renderFrame(Effect& effect, int frame) {
    const OfxPointD scale{1.0, 1.0};
    effect.time = frame;
    effect.progressUpdates = 0;
    OfxRectD rod{};
    OfxStatus status = effect.getRegionOfDefinitionAction(frame, scale, rod);
    if (!allowed(status)) reportAction(kOfxImageEffectActionGetRegionOfDefinition, status);

    OFX::Host::ImageEffect::RangeMap needed;
    status = effect.getFrameNeededAction(frame, needed);
    if (!allowed(status)) reportAction(kOfxImageEffectActionGetFramesNeeded, status);
    for (const auto& [clip, ranges] : needed) {
        std::ostringstream list;
        for (size_t i = 0; i < ranges.size(); ++i) {
            list << (i ? "," : "") << ranges[i].min << "," << ranges[i].max;
        }
        emit("{\"event\":\"frames_needed\",\"frame\":" + std::to_string(frame) +
             ",\"clip\":" + json(clip->getName()) + ",\"ranges\":[" + list.str() + "]}");
    }

    std::map<OFX::Host::ImageEffect::ClipInstance*, OfxRectD> rois;
    status = effect.getRegionOfInterestAction(frame, scale, rod, rois);
    if (!allowed(status)) reportAction(kOfxImageEffectActionGetRegionsOfInterest, status);

    const OfxRectI window{int(std::floor(rod.x1)), int(std::floor(rod.y1)), int(std::ceil(rod.x2)),
                          int(std::ceil(rod.y2))};
    auto* output = dynamic_cast<Clip*>(effect.getClip(kOfxImageEffectOutputClipName));
    output->startOutput(frame, window);
    status = effect.renderAction(frame, kOfxImageFieldNone, window, scale,
                                 /*sequentialRender=*/false, /*interactiveRender=*/false,
                                 /*draftRender=*/false);
    // kOfxStatFailed is the spec's answer for a frame the plugin could not render (it says
    // why in a message); any other error is not.
    if (status != kOfxStatOK && status != kOfxStatFailed) {
        reportAction(kOfxImageEffectActionRender, status, "frame " + std::to_string(frame));
    }
    if (status == kOfxStatOK) writeOutput(*output->output(), frame);
    output->releaseOutput();
    const int leaked = Image::live();
    emit("{\"event\":\"render\",\"frame\":" + std::to_string(frame) +
         ",\"status\":" + std::to_string(status) + ",\"leaked_images\":" + std::to_string(leaked) +
         ",\"progress_updates\":" + std::to_string(effect.progressUpdates) + "}");
    return status == kOfxStatOK;
}

int render(OFX::Host::ImageEffect::ImageEffectPlugin& plugin) {
    std::unique_ptr<OFX::Host::ImageEffect::Instance> created(
        plugin.createInstance(gOptions.context, nullptr));
    auto* effect = dynamic_cast<Effect*>(created.get());
    if (!effect)
        throw std::runtime_error("no instance of " + gOptions.plugin + " in " + gOptions.context);
    // As a host loading a saved project: the values first, then the create-instance action.
    for (const auto& [name, value] : gOptions.params) setParam(*effect, name, value);
    for (const auto& [name, times] : gOptions.keys) setKeys(*effect, name, times);
    OfxStatus status = effect->createInstanceAction();
    if (!allowed(status)) {
        reportAction(kOfxActionCreateInstance, status);
        return 1;
    }
    if (!effect->getClipPreferences()) {
        reportAction(kOfxImageEffectActionGetClipPreferences, kOfxStatFailed);
    }
    for (const auto& [name, clip] : effect->clips()) {
        emit("{\"event\":\"clip\",\"name\":" + json(name) + ",\"connected\":" +
             (clip->getConnected() ? "1" : "0") + ",\"depth\":" + json(clip->getPixelDepth()) +
             ",\"components\":" + json(clip->getComponents()) + "}");
    }
    const OfxPointD scale{1.0, 1.0};
    status =
        effect->beginRenderAction(gOptions.first, gOptions.last, 1.0, false, scale, false, false);
    if (!allowed(status)) reportAction(kOfxImageEffectActionBeginSequenceRender, status);
    int failures = 0;
    for (int frame : gOptions.frames) failures += renderFrame(*effect, frame) ? 0 : 1;
    status =
        effect->endRenderAction(gOptions.first, gOptions.last, 1.0, false, scale, false, false);
    if (!allowed(status)) reportAction(kOfxImageEffectActionEndSequenceRender, status);
    return failures;
}

int run(int argc, char** argv) {
    parse(argc, argv);
    OFX::Host::PluginCache* cache = OFX::Host::PluginCache::getPluginCache();
    cache->setCacheVersion("synthfxHostSupportV1");
    Host host;
    OFX::Host::ImageEffect::PluginCache effects(host);
    effects.registerInCache(*cache);
    if (!gOptions.cache.empty()) {
        std::ifstream in(gOptions.cache);
        if (in) cache->readCache(in);
    }
    cache->scanPluginFiles();
    if (!gOptions.cache.empty()) {
        std::ofstream out(gOptions.cache);
        cache->writePluginCache(out);
    }
    for (auto* plugin : effects.getPlugins()) {
        std::vector<std::string> contexts(plugin->getContexts().begin(),
                                          plugin->getContexts().end());
        emit("{\"event\":\"plugin\",\"id\":" + json(plugin->getIdentifier()) + ",\"version\":[" +
             std::to_string(plugin->getVersionMajor()) + "," +
             std::to_string(plugin->getVersionMinor()) + "],\"binary\":" +
             json(plugin->getBinary()->getFilePath()) + ",\"contexts\":" + jsonList(contexts) +
             ",\"cache_dirty\":" + (cache->dirty() ? "1" : "0") + "}");
        label(plugin->getDescriptor().getProps().getHandle(),
              "descriptor " + plugin->getIdentifier());
        if (gOptions.describe) describe(*plugin);
    }
    int failures = 0;
    if (!gOptions.plugin.empty()) {
        auto* plugin = effects.getPluginById(gOptions.plugin);
        if (!plugin) throw std::runtime_error("HostSupport found no plugin " + gOptions.plugin);
        failures = render(*plugin);
    }
    OFX::Host::PluginCache::clearPluginCache();
    if (gOptions.selfCheck) {
        // A property no set has, asked through the suite the plugin gets: must be reported.
        auto* props = static_cast<const OfxPropertySuiteV1*>(host.fetchSuite(kOfxPropertySuite, 1));
        int value = 0;
        props->propGetInt(host.getProperties().getHandle(), "SynthfxNoSuchProperty", 0, &value);
    }
    emit("{\"event\":\"done\",\"failures\":" + std::to_string(failures) +
         ",\"checked_calls\":" + std::to_string(checkedCalls()) + "}");
    return failures ? 1 : 0;
}

}  // namespace
}  // namespace hostsupport

int main(int argc, char** argv) {
    try {
        return hostsupport::run(argc, argv);
    } catch (const std::exception& error) {
        hostsupport::emit("{\"event\":\"host_error\",\"text\":" + hostsupport::json(error.what()) +
                          "}");
        return 2;
    }
}
