// SPDX-License-Identifier: Apache-2.0
#include "param_set.h"

#include <cstdarg>
#include <cstring>

namespace testhost {
namespace {

bool isIntegral(const std::string& type) {
    return type == kOfxParamTypeInteger || type == kOfxParamTypeBoolean ||
           type == kOfxParamTypeChoice || type == kOfxParamTypeInteger2D ||
           type == kOfxParamTypeInteger3D;
}

bool hasValue(const std::string& type) {
    return type != kOfxParamTypePage && type != kOfxParamTypeGroup &&
           type != kOfxParamTypePushButton;
}

Param* paramOf(OfxParamHandle h) { return reinterpret_cast<Param*>(h); }

OfxStatus readValue(Param* p, double time, bool atTime, va_list args) {
    if (!p || !hasValue(p->type)) return kOfxStatErrBadHandle;
    if (p->type == kOfxParamTypeString || p->type == kOfxParamTypeCustom) {
        *va_arg(args, char**) = const_cast<char*>(p->text.c_str());
        return kOfxStatOK;
    }
    const std::vector<double> value = atTime ? p->valueAt(time) : p->value;
    for (double v : value) {
        if (isIntegral(p->type)) {
            *va_arg(args, int*) = static_cast<int>(v);
        } else {
            *va_arg(args, double*) = v;
        }
    }
    return kOfxStatOK;
}

OfxStatus writeValue(Param* p, double time, bool atTime, va_list args) {
    if (!p || !hasValue(p->type)) return kOfxStatErrBadHandle;
    if (p->type == kOfxParamTypeString || p->type == kOfxParamTypeCustom) {
        const char* text = va_arg(args, const char*);
        p->text = text ? text : "";
        return kOfxStatOK;
    }
    std::vector<double> value(p->value.size());
    for (double& v : value) v = isIntegral(p->type) ? va_arg(args, int) : va_arg(args, double);
    if (atTime && p->props.getInt(kOfxParamPropAnimates, 0, 1)) {
        p->keys[time] = value;
    } else {
        p->value = value;
    }
    return kOfxStatOK;
}

OfxStatus paramDefine(OfxParamSetHandle set, const char* type, const char* name,
                      OfxPropertySetHandle* props) {
    if (!set || !type || !name) return kOfxStatErrBadHandle;
    ParamSet* params = ParamSet::from(set);
    if (params->find(name)) return kOfxStatErrExists;
    Param* p = params->define(type, name);
    if (props) *props = p->props.handle();
    return kOfxStatOK;
}

OfxStatus paramGetHandle(OfxParamSetHandle set, const char* name, OfxParamHandle* param,
                         OfxPropertySetHandle* props) {
    if (!set) return kOfxStatErrBadHandle;
    Param* p = ParamSet::from(set)->find(name);
    if (!p) return kOfxStatErrUnknown;
    *param = reinterpret_cast<OfxParamHandle>(p);
    if (props) *props = p->props.handle();
    return kOfxStatOK;
}

OfxStatus paramSetGetPropertySet(OfxParamSetHandle set, OfxPropertySetHandle* props) {
    *props = ParamSet::from(set)->props.handle();
    return kOfxStatOK;
}

OfxStatus paramGetPropertySet(OfxParamHandle param, OfxPropertySetHandle* props) {
    *props = paramOf(param)->props.handle();
    return kOfxStatOK;
}

OfxStatus paramGetValue(OfxParamHandle param, ...) {
    va_list args;
    va_start(args, param);
    const OfxStatus status = readValue(paramOf(param), 0, false, args);
    va_end(args);
    return status;
}

OfxStatus paramGetValueAtTime(OfxParamHandle param, OfxTime time, ...) {
    va_list args;
    va_start(args, time);
    const OfxStatus status = readValue(paramOf(param), time, true, args);
    va_end(args);
    return status;
}

OfxStatus paramGetDerivative(OfxParamHandle, OfxTime, ...) { return kOfxStatErrUnsupported; }
OfxStatus paramGetIntegral(OfxParamHandle, OfxTime, OfxTime, ...) { return kOfxStatErrUnsupported; }

OfxStatus paramSetValue(OfxParamHandle param, ...) {
    va_list args;
    va_start(args, param);
    const OfxStatus status = writeValue(paramOf(param), 0, false, args);
    va_end(args);
    return status;
}

OfxStatus paramSetValueAtTime(OfxParamHandle param, OfxTime time, ...) {
    va_list args;
    va_start(args, time);
    const OfxStatus status = writeValue(paramOf(param), time, true, args);
    va_end(args);
    return status;
}

OfxStatus paramGetNumKeys(OfxParamHandle param, unsigned int* count) {
    *count = static_cast<unsigned int>(paramOf(param)->keys.size());
    return kOfxStatOK;
}

OfxStatus paramGetKeyTime(OfxParamHandle param, unsigned int nth, OfxTime* time) {
    const auto& keys = paramOf(param)->keys;
    if (nth >= keys.size()) return kOfxStatErrBadIndex;
    *time = std::next(keys.begin(), nth)->first;
    return kOfxStatOK;
}

OfxStatus paramGetKeyIndex(OfxParamHandle param, OfxTime time, int direction, int* index) {
    const auto& keys = paramOf(param)->keys;
    int i = 0, found = -1;
    for (const auto& entry : keys) {
        const double t = entry.first;
        if (direction == 0 && t == time) found = i;
        if (direction < 0 && t < time) found = i;  // the last one before
        if (direction > 0 && t > time && found < 0) found = i;
        ++i;
    }
    if (found < 0) return kOfxStatFailed;
    *index = found;
    return kOfxStatOK;
}

OfxStatus paramDeleteKey(OfxParamHandle param, OfxTime time) {
    return paramOf(param)->keys.erase(time) ? kOfxStatOK : kOfxStatErrBadIndex;
}

OfxStatus paramDeleteAllKeys(OfxParamHandle param) {
    paramOf(param)->keys.clear();
    return kOfxStatOK;
}

OfxStatus paramCopy(OfxParamHandle, OfxParamHandle, OfxTime, const OfxRangeD*) {
    return kOfxStatErrUnsupported;
}
OfxStatus paramEditBegin(OfxParamSetHandle, const char*) { return kOfxStatOK; }
OfxStatus paramEditEnd(OfxParamSetHandle) { return kOfxStatOK; }

const OfxParameterSuiteV1 kSuite = {paramDefine,         paramGetHandle,   paramSetGetPropertySet,
                                    paramGetPropertySet, paramGetValue,    paramGetValueAtTime,
                                    paramGetDerivative,  paramGetIntegral, paramSetValue,
                                    paramSetValueAtTime, paramGetNumKeys,  paramGetKeyTime,
                                    paramGetKeyIndex,    paramDeleteKey,   paramDeleteAllKeys,
                                    paramCopy,           paramEditBegin,   paramEditEnd};

}  // namespace

int dimensionsOf(const std::string& type) {
    if (type == kOfxParamTypeDouble2D || type == kOfxParamTypeInteger2D) return 2;
    if (type == kOfxParamTypeDouble3D || type == kOfxParamTypeInteger3D || type == kOfxParamTypeRGB)
        return 3;
    if (type == kOfxParamTypeRGBA) return 4;
    return hasValue(type) ? 1 : 0;
}

std::vector<double> Param::valueAt(double time) const {
    if (keys.empty()) return value;
    // Constant between keys (enough for the keyframe marker and the tests).
    auto after = keys.upper_bound(time);
    if (after == keys.begin()) return after->second;
    return std::prev(after)->second;
}

Param* ParamSet::define(const std::string& type, const std::string& name) {
    auto param = std::make_unique<Param>();
    param->type = type;
    param->name = name;
    param->props.setString(kOfxParamPropType, {type});
    param->props.setString(kOfxPropName, {name});
    param->props.setInt(kOfxParamPropAnimates, {1});
    param->value.assign(dimensionsOf(type), 0.0);
    _params.push_back(std::move(param));
    return _params.back().get();
}

Param* ParamSet::find(const std::string& name) {
    for (auto& p : _params)
        if (p->name == name) return p.get();
    return nullptr;
}

void ParamSet::instantiateFrom(const ParamSet& descriptor) {
    for (const auto& desc : descriptor._params) {
        Param* p = define(desc->type, desc->name);
        p->props = desc->props;
        const Property* def = desc->props.find(kOfxParamPropDefault);
        if (!def) continue;
        if (def->type == Property::Type::String && !def->strings.empty()) {
            p->text = def->strings[0];
        } else {
            for (size_t i = 0; i < p->value.size(); ++i) {
                if (def->type == Property::Type::Int && i < def->ints.size()) {
                    p->value[i] = def->ints[i];
                } else if (def->type == Property::Type::Double && i < def->doubles.size()) {
                    p->value[i] = def->doubles[i];
                }
            }
        }
    }
}

const OfxParameterSuiteV1* parameterSuite() { return &kSuite; }

}  // namespace testhost
