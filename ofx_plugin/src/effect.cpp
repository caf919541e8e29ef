// SPDX-License-Identifier: Apache-2.0
#include "effect.h"
#include "keyframes.h"
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

void Effect::beginSequenceRender(const PropertySet&) {}

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
    throw OfxError(result.status == ClientStatus::ResourceExhausted ? kOfxStatErrMemory
                                                                    : kOfxStatFailed,
                   message);
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
