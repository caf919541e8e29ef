// SPDX-License-Identifier: Apache-2.0
#include "checked_suites.h"

#include <atomic>
#include <cstring>
#include <sstream>
#include <string>
#include <type_traits>

#include "host.h"
#include "ofxParam.h"
#include "ofxProperty.h"
#include "report.h"

namespace hostsupport {
namespace {

std::atomic<long> gCheckedCalls{0};

// One argument as the report shows it: names and numbers; out-pointers are left out.
template <class T> void describeArg(std::ostringstream& out, OfxStatus status, T value) {
    if constexpr (std::is_same_v<T, const char*> || std::is_same_v<T, char*>) {
        out << ' ' << (value ? json(value) : std::string("null"));
    } else if constexpr (std::is_arithmetic_v<T>) {
        out << ' ' << value;
    } else if constexpr (std::is_same_v<T, OfxPropertySetHandle>) {
        out << " [" << labelOf(value) << ']';
    } else if constexpr (std::is_same_v<T, OfxParamHandle>) {
        // A bad handle is not dereferenced; HostSupport hands out Param::Instance pointers.
        if (value && status != kOfxStatErrBadHandle) {
            out << " [param " << reinterpret_cast<OFX::Host::Param::Instance*>(value)->getName()
                << ']';
        }
    } else if constexpr (std::is_same_v<T, OfxImageClipHandle>) {
        if (value && status != kOfxStatErrBadHandle) {
            out << " [clip "
                << reinterpret_cast<OFX::Host::ImageEffect::ClipInstance*>(value)->getName() << ']';
        }
    }
}

template <auto Member> struct Checked;

// Forwards to HostSupport's function and reports any status but kOfxStatOK.
template <class Suite, class... Args, OfxStatus (*Suite::*Member)(Args...)> struct Checked<Member> {
    static inline const Suite* real = nullptr;
    static inline const char* name = "";

    static OfxStatus call(Args... args) {
        ++gCheckedCalls;
        const OfxStatus status = (real->*Member)(args...);
        if (status != kOfxStatOK) {
            std::ostringstream described;
            (describeArg(described, status, args), ...);
            reportCall(name, status, described.str());
        }
        return status;
    }
};

template <auto Member, class Suite> void check(Suite& copy, const Suite* real, const char* name) {
    Checked<Member>::real = real;
    Checked<Member>::name = name;
    copy.*Member = &Checked<Member>::call;
}

#define SYNTHFX_CHECK(Suite, function) check<&Suite::function>(copy, real, #function)

const void* properties(const OfxPropertySuiteV1* real) {
    static OfxPropertySuiteV1 copy = *real;
    SYNTHFX_CHECK(OfxPropertySuiteV1, propSetPointer);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propSetString);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propSetDouble);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propSetInt);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propSetPointerN);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propSetStringN);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propSetDoubleN);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propSetIntN);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propGetPointer);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propGetString);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propGetDouble);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propGetInt);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propGetPointerN);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propGetStringN);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propGetDoubleN);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propGetIntN);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propReset);
    SYNTHFX_CHECK(OfxPropertySuiteV1, propGetDimension);
    return &copy;
}

const void* parameters(const OfxParameterSuiteV1* real) {
    static OfxParameterSuiteV1 copy = *real;
    SYNTHFX_CHECK(OfxParameterSuiteV1, paramDefine);
    SYNTHFX_CHECK(OfxParameterSuiteV1, paramGetHandle);
    SYNTHFX_CHECK(OfxParameterSuiteV1, paramSetGetPropertySet);
    SYNTHFX_CHECK(OfxParameterSuiteV1, paramGetPropertySet);
    SYNTHFX_CHECK(OfxParameterSuiteV1, paramGetNumKeys);
    SYNTHFX_CHECK(OfxParameterSuiteV1, paramGetKeyTime);
    SYNTHFX_CHECK(OfxParameterSuiteV1, paramGetKeyIndex);
    SYNTHFX_CHECK(OfxParameterSuiteV1, paramDeleteKey);
    SYNTHFX_CHECK(OfxParameterSuiteV1, paramDeleteAllKeys);
    SYNTHFX_CHECK(OfxParameterSuiteV1, paramCopy);
    SYNTHFX_CHECK(OfxParameterSuiteV1, paramEditBegin);
    SYNTHFX_CHECK(OfxParameterSuiteV1, paramEditEnd);
    return &copy;
}

const void* imageEffect(const OfxImageEffectSuiteV1* real) {
    static OfxImageEffectSuiteV1 copy = *real;
    SYNTHFX_CHECK(OfxImageEffectSuiteV1, getPropertySet);
    SYNTHFX_CHECK(OfxImageEffectSuiteV1, getParamSet);
    SYNTHFX_CHECK(OfxImageEffectSuiteV1, clipDefine);
    SYNTHFX_CHECK(OfxImageEffectSuiteV1, clipGetHandle);
    SYNTHFX_CHECK(OfxImageEffectSuiteV1, clipGetPropertySet);
    SYNTHFX_CHECK(OfxImageEffectSuiteV1, clipGetImage);
    SYNTHFX_CHECK(OfxImageEffectSuiteV1, clipReleaseImage);
    SYNTHFX_CHECK(OfxImageEffectSuiteV1, clipGetRegionOfDefinition);
    SYNTHFX_CHECK(OfxImageEffectSuiteV1, imageMemoryAlloc);
    SYNTHFX_CHECK(OfxImageEffectSuiteV1, imageMemoryFree);
    SYNTHFX_CHECK(OfxImageEffectSuiteV1, imageMemoryLock);
    SYNTHFX_CHECK(OfxImageEffectSuiteV1, imageMemoryUnlock);
    return &copy;
}

#undef SYNTHFX_CHECK

}  // namespace

long checkedCalls() { return gCheckedCalls; }

const void* checkedSuite(const char* name, int version, const void* real) {
    if (!real) return nullptr;
    if (std::strcmp(name, kOfxPropertySuite) == 0 && version == 1) {
        return properties(static_cast<const OfxPropertySuiteV1*>(real));
    }
    if (std::strcmp(name, kOfxParameterSuite) == 0 && version == 1) {
        return parameters(static_cast<const OfxParameterSuiteV1*>(real));
    }
    if (std::strcmp(name, kOfxImageEffectSuite) == 0 && version == 1) {
        return imageEffect(static_cast<const OfxImageEffectSuiteV1*>(real));
    }
    return real;
}

}  // namespace hostsupport
