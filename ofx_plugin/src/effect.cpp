// SPDX-License-Identifier: Apache-2.0
#include "effect.h"
#include "host_image.h"
#include "params.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace synthfx::ofx {

Effect::Effect(OfxImageEffectHandle handle) : _handle(handle) {
    OfxPropertySetHandle props = nullptr;
    check(suites().effect->getPropertySet(handle, &props), "getPropertySet");
    _props = PropertySet(props);
    check(suites().effect->getParamSet(handle, &_params), "getParamSet");
}

void Effect::changedParam(const std::string&, const PropertySet&) {}

void Effect::beginSequenceRender(const PropertySet& inArgs) {
    const double unknown = std::nan("");
    const double first = inArgs.getDoubleOr(kOfxImageEffectPropFrameRange, unknown, 0);
    const double last = inArgs.getDoubleOr(kOfxImageEffectPropFrameRange, unknown, 1);
    if (std::isnan(first) || std::isnan(last) || last < first) return;
    std::lock_guard<std::mutex> lock(_sequenceMutex);
    _hasSequence = true;
    _sequence = {frameOf(first), frameOf(last)};
}

bool Effect::hostShotRange(Segment& range) const {
    const double unknown = std::nan("");
    auto rangeOf = [&](const PropertySet& props) {
        const double first = props.getDoubleOr(kOfxImageEffectPropFrameRange, unknown, 0);
        const double last = props.getDoubleOr(kOfxImageEffectPropFrameRange, unknown, 1);
        if (std::isnan(first) || std::isnan(last) || last < first) return false;
        range = {frameOf(first), frameOf(last)};
        return true;
    };
    OfxPropertySetHandle handle = nullptr;
    if (_source && suites().effect->clipGetPropertySet(_source, &handle) == kOfxStatOK &&
        rangeOf(PropertySet(handle))) {
        return true;
    }
    if (rangeOf(_props)) return true;
    // MLT tells only the effect's length; its frames count from 0.
    const double duration =
        _props.getDoubleOr(kOfxImageEffectInstancePropEffectDuration, unknown, 0);
    if (std::isnan(duration) || frameOf(duration) < 1) return false;
    range = {0, frameOf(duration) - 1};
    return true;
}

// The Source clip's frame range where the host gives one (most do); else the effect's own
// range or duration; else what this render covers: the frame, the sequence being rendered and
// the node's keys (shotKeys). MLT 7 ends there: it sets its effect duration outside the
// instance's property set.
Segment Effect::shotRange(OfxTime time) const {
    Segment range;
    if (hostShotRange(range)) return range;
    range = {frameOf(time), frameOf(time)};
    auto include = [&range](int frame) {
        range.first = std::min(range.first, frame);
        range.last = std::max(range.last, frame);
    };
    {
        std::lock_guard<std::mutex> lock(_sequenceMutex);
        if (_hasSequence) {
            include(_sequence.first);
            include(_sequence.last);
        }
    }
    for (int key : shotKeys(time)) include(key);
    return range;
}

std::vector<int> Effect::shotKeys(OfxTime) const { return {}; }

std::string Effect::outputDepth() const {
    const PropertySet host(suites().host->host);
    int offered = 0;
    // Absent: an older host, which gives float (the spec's first depth).
    if (suites().property->propGetDimension(host.handle(), kOfxImageEffectPropSupportedPixelDepths,
                                            &offered) != kOfxStatOK ||
        offered <= 0) {
        return kOfxBitDepthFloat;
    }
    const std::vector<std::string> depths =
        host.getStrings(kOfxImageEffectPropSupportedPixelDepths);
    // Deepest first; half before 16-bit integer: stylized colours may reach past 1.
    for (const char* depth :
         {kOfxBitDepthFloat, kOfxBitDepthHalf, kOfxBitDepthShort, kOfxBitDepthByte}) {
        if (std::find(depths.begin(), depths.end(), depth) != depths.end()) return depth;
    }
    throw OfxError(kOfxStatErrUnsupported,
                   "synthfx: " + hostName() +
                       " offers no pixel depth synthfx can write (32-bit float, 16-bit half, "
                       "16-bit or 8-bit): set the project to one of them");
}

void Effect::setOutputPreferences(const PropertySet& outArgs, bool frameVarying) const {
    const std::string components = std::string(kClipComponentsPrefix) + kClipOutput;
    const std::string depth = std::string(kClipDepthPrefix) + kClipOutput;
    outArgs.setString(components.c_str(), kOfxImageComponentRGBA);
    outArgs.setString(depth.c_str(), outputDepth());
    // Inputs reach the backend premultiplied (readPixels), so what comes back is.
    outArgs.setString(kOfxImageEffectPropPreMultiplication, kOfxImagePreMultiplied);
    outArgs.setInt(kOfxImageEffectFrameVarying, frameVarying ? 1 : 0);
}

void Effect::requireImage(const HostImage& image, int frame, const char* what) const {
    if (!image) {
        throw OfxError(kOfxStatFailed, std::string("synthfx: the host gave no ") + what +
                                           " image at frame " + std::to_string(frame) +
                                           ": connect " + what + " to a clip with that frame");
    }
    // A host that cannot give other times may hand back the current frame instead: where the
    // image says its time, a different one fails rather than render from the wrong frame.
    const double given = image.properties().getDoubleOr(kOfxPropTime, frame);
    if (frameOf(given) != frame) {
        throw OfxError(kOfxStatFailed, "synthfx: asked " + hostName() + " for the " + what +
                                           " frame " + std::to_string(frame) + ", it gave frame " +
                                           std::to_string(frameOf(given)) + ": " +
                                           wrongFrameAdvice());
    }
}

FloatImage Effect::readFrame(OfxImageClipHandle clip, int frame, Channels channels,
                             const char* what, OfxRectI* window) const {
    HostImage image(clip, frame);
    requireImage(image, frame, what);
    const PixelView view = image.view();
    // Each frame over its own pixels: an input of another size reaches the backend as it is,
    // which names it, instead of being cropped or padded to fit.
    const OfxRectI pixels = image.regionOfDefinition();
    if (window) *window = pixels;
    switch (channels) {
    case Channels::Colour: return readColour(view, pixels);
    case Channels::Own: return readPixels(view, pixels, channelCount(view.layout));
    case Channels::Alpha: return readPixels(view, pixels, 1);
    case Channels::RGB: return readPixels(view, pixels, 3);
    }
    return {};
}

std::string Effect::wrongFrameAdvice() const { return "this host cannot feed this node"; }

OfxRectI Effect::renderWindowOf(const PropertySet& inArgs) {
    return OfxRectI{inArgs.getInt(kOfxImageEffectPropRenderWindow, 0),
                    inArgs.getInt(kOfxImageEffectPropRenderWindow, 1),
                    inArgs.getInt(kOfxImageEffectPropRenderWindow, 2),
                    inArgs.getInt(kOfxImageEffectPropRenderWindow, 3)};
}

void Effect::setPersistentError(const std::string& message) const {
    const auto& s = suites();
    if (s.messageV2) {
        s.messageV2->setPersistentMessage(_handle, kOfxMessageError, "", "%s", message.c_str());
    } else if (s.messageV1) {
        s.messageV1->message(_handle, kOfxMessageError, "", "%s", message.c_str());
    }
}

void Effect::clearPersistentMessage() const {
    if (suites().messageV2) suites().messageV2->clearPersistentMessage(_handle);
}

void Effect::showMessage(const char* type, const std::string& message) const {
    const auto& s = suites();
    if (s.messageV2) {
        s.messageV2->message(_handle, type, "", "%s", message.c_str());
    } else if (s.messageV1) {
        s.messageV1->message(_handle, type, "", "%s", message.c_str());
    }
}

OfxImageClipHandle Effect::clip(const char* name) const {
    OfxImageClipHandle handle = nullptr;
    check(suites().effect->clipGetHandle(_handle, name, &handle, nullptr),
          std::string("getting clip ") + name);
    return handle;
}

bool Effect::clipConnected(OfxImageClipHandle clip) const {
    OfxPropertySetHandle props = nullptr;
    if (suites().effect->clipGetPropertySet(clip, &props) != kOfxStatOK) return false;
    return PropertySet(props).getIntOr(kOfxImageClipPropConnected, 0) != 0;
}

OfxParamHandle Effect::param(const char* name) const {
    OfxParamHandle handle = nullptr;
    check(suites().param->paramGetHandle(_params, name, &handle, nullptr),
          std::string("getting parameter ") + name);
    return handle;
}

int Effect::intAt(const char* name, OfxTime time) const {
    int value = 0;
    check(suites().param->paramGetValueAtTime(param(name), time, &value),
          std::string("reading ") + name);
    return value;
}

double Effect::doubleAt(const char* name, OfxTime time) const {
    double value = 0;
    check(suites().param->paramGetValueAtTime(param(name), time, &value),
          std::string("reading ") + name);
    return value;
}

bool Effect::boolAt(const char* name, OfxTime time) const { return intAt(name, time) != 0; }

std::string Effect::stringAt(const char* name, OfxTime time) const {
    char* value = nullptr;
    check(suites().param->paramGetValueAtTime(param(name), time, &value),
          std::string("reading ") + name);
    return value ? value : "";
}

bool Effect::aborted() const { return suites().effect->abort(_handle) != 0; }

bool Effect::isBackground() const {
    return PropertySet(suites().host->host).getIntOr(kOfxImageEffectHostPropIsBackground, 0) != 0;
}

std::string Effect::hostName() const {
    return PropertySet(suites().host->host).getStringOr(kOfxPropName, "unknown host");
}

bool Effect::hostHasTemporalAccess() const {
    // Absent: an older host; the spec's hosts (HostSupport's default included) have it.
    return PropertySet(suites().host->host).getIntOr(kOfxImageEffectPropTemporalClipAccess, 1) != 0;
}

ConnectionSettings Effect::connectionSettings(OfxTime time) const {
    ConnectionSettings settings;
    settings.address = stringAt(kParamBackendAddress, time);
    settings.tokenFile = stringAt(kParamTokenFile, time);
    settings.tlsCaFile = stringAt(kParamTlsCaFile, time);
    settings.timeoutSeconds = doubleAt(kParamConnectTimeout, time);
    settings.hostName = hostName();
    settings.label = _props.getStringOr(kOfxPropLabel, "synthfx");
    return settings;
}

std::vector<int> Effect::markedKeys(OfxTime time) const {
    const OfxParamHandle key = param(kParamStyleKey);
    unsigned int count = 0;
    std::vector<int> keys;
    if (suites().param->paramGetNumKeys(key, &count) == kOfxStatOK) {
        for (unsigned int i = 0; i < count; ++i) {
            OfxTime keyTime = 0;
            check(suites().param->paramGetKeyTime(key, i, &keyTime), "reading Style Key keys");
            keys.push_back(static_cast<int>(std::lround(keyTime)));
        }
    }
    if (keys.empty()) {
        try {
            keys = parseKeyList(stringAt(kParamKeyList, time));
        } catch (const std::invalid_argument& error) {
            throw OfxError(kOfxStatFailed, std::string("synthfx: ") + error.what());
        }
    }
    return keys;
}

bool Effect::changedKeyParam(const std::string& name, OfxTime time) {
    if (name == kParamAddKey) {
        check(suites().param->paramSetValueAtTime(param(kParamStyleKey), time, 1),
              "adding a Style Key");
        return true;
    }
    if (name == kParamRemoveKey) {
        suites().param->paramDeleteKey(param(kParamStyleKey), time);
        return true;
    }
    return false;
}

std::vector<JobOption> Effect::optionsAt(const std::vector<OptionParam>& params,
                                         OfxTime time) const {
    std::vector<JobOption> options;
    for (const auto& spec : params) {
        JobOption::Value value;
        bool atDefault = false;
        switch (spec.kind) {
        case OptionKind::Int: {
            const int number = intAt(spec.name, time);
            atDefault = number == static_cast<int>(spec.defaultValue);
            value = static_cast<long long>(number);
            break;
        }
        case OptionKind::Double: {
            const double number = doubleAt(spec.name, time);
            atDefault = number == spec.defaultValue;
            value = number;
            break;
        }
        case OptionKind::Bool: {
            const bool flag = boolAt(spec.name, time);
            atDefault = flag == (spec.defaultValue != 0);
            value = flag;
            break;
        }
        case OptionKind::Choice: {
            const int index = intAt(spec.name, time);
            if (index < 0 || index >= static_cast<int>(spec.choices.size())) {
                throw OfxError(kOfxStatFailed, std::string("synthfx: ") + spec.label +
                                                   " is set to choice " + std::to_string(index) +
                                                   ", which it does not have: pick one of its "
                                                   "choices again");
            }
            if (!*spec.choices[index]) continue;  // "" leaves the option unset
            atDefault = index == static_cast<int>(spec.defaultValue);
            value = std::string(spec.choices[index]);
            break;
        }
        case OptionKind::Text: {
            std::string text = stringAt(spec.name, time);
            atDefault = text == spec.defaultText;
            value = std::move(text);
            break;
        }
        }
        // At its default the backend's own default applies: the same value, one fact.
        if (atDefault && !spec.sendDefault) continue;
        options.push_back({spec.option, std::move(value)});
    }
    return options;
}

void Effect::failRender(const ClientResult& result) const {
    std::string message = "synthfx: " + result.message;
    if (result.status == ClientStatus::Unavailable && isBackground()) {
        message += " (background render: failing this frame instead of waiting)";
    }
    // Failed, not kOfxStatErrMemory, when the backend is out of memory or disk: the host's own
    // memory is not what ran out, and freeing it would not help.
    throw OfxError(kOfxStatFailed, message);
}

BackendClient& Effect::backendClient(OfxTime time) {
    ClientResult status;
    BackendClient* client = _backend.acquire(connectionSettings(time), status);
    if (!client) failRender(status);
    return *client;
}

RenderCallbacks Effect::callbacksFor(ProgressScope& progress) const {
    RenderCallbacks callbacks;
    callbacks.progress = [&progress](const std::string&, double fraction) {
        progress.update(fraction);
    };
    callbacks.cancelled = [this, &progress] { return progress.cancelled() || aborted(); };
    return callbacks;
}

void Effect::requireSource(const char* what) const {
    if (!_source || !clipConnected(_source)) {
        throw OfxError(kOfxStatFailed,
                       std::string("synthfx: nothing is connected to Source: connect ") + what);
    }
}

void Effect::sourceRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs,
                                      const char* what) const {
    requireSource(what);
    OfxRectD rod{};
    check(suites().effect->clipGetRegionOfDefinition(_source, inArgs.getDouble(kOfxPropTime), &rod),
          "Source region of definition");
    outArgs.setDoubles(kOfxImageEffectPropRegionOfDefinition, {rod.x1, rod.y1, rod.x2, rod.y2});
}

ProgressScope::ProgressScope(const Effect& effect, const std::string& label)
    : _instance(effect.handle()) {
    const auto& s = suites();
    if (s.progressV2) {
        _started = s.progressV2->progressStart(_instance, label.c_str(), "") == kOfxStatOK;
    } else if (s.progressV1) {
        _started = s.progressV1->progressStart(_instance, label.c_str()) == kOfxStatOK;
    }
}

ProgressScope::~ProgressScope() {
    if (!_started) return;
    const auto& s = suites();
    if (s.progressV2) {
        s.progressV2->progressEnd(_instance);
    } else if (s.progressV1) {
        s.progressV1->progressEnd(_instance);
    }
}

bool ProgressScope::update(double fraction) {
    if (!_started) return true;
    const auto& s = suites();
    fraction = std::clamp(fraction, 0.0, 1.0);
    OfxStatus status = kOfxStatOK;
    if (s.progressV2) {
        status = s.progressV2->progressUpdate(_instance, fraction);
    } else if (s.progressV1) {
        status = s.progressV1->progressUpdate(_instance, fraction);
    }
    if (status == kOfxStatReplyNo) _cancelled = true;
    return !_cancelled;
}

}  // namespace synthfx::ofx
