// SPDX-License-Identifier: Apache-2.0
#include "suites.h"

namespace synthfx::ofx {
namespace {
Suites gSuites;

template <typename T> const T* fetch(const char* name, int version) {
    return static_cast<const T*>(gSuites.host->fetchSuite(gSuites.host->host, name, version));
}
}  // namespace

const Suites& suites() { return gSuites; }

void setHost(OfxHost* host) { gSuites = Suites{host}; }

bool fetchSuites() {
    if (!gSuites.host || !gSuites.host->fetchSuite) {
        return false;
    }
    gSuites.property = fetch<OfxPropertySuiteV1>(kOfxPropertySuite, 1);
    gSuites.effect = fetch<OfxImageEffectSuiteV1>(kOfxImageEffectSuite, 1);
    gSuites.param = fetch<OfxParameterSuiteV1>(kOfxParameterSuite, 1);
    gSuites.memory = fetch<OfxMemorySuiteV1>(kOfxMemorySuite, 1);
    gSuites.multiThread = fetch<OfxMultiThreadSuiteV1>(kOfxMultiThreadSuite, 1);
    gSuites.messageV2 = fetch<OfxMessageSuiteV2>(kOfxMessageSuite, 2);
    if (!gSuites.messageV2) {
        gSuites.messageV1 = fetch<OfxMessageSuiteV1>(kOfxMessageSuite, 1);
    }
    gSuites.progressV2 = fetch<OfxProgressSuiteV2>(kOfxProgressSuite, 2);
    if (!gSuites.progressV2) {
        gSuites.progressV1 = fetch<OfxProgressSuiteV1>(kOfxProgressSuite, 1);
    }
    gSuites.timeLine = fetch<OfxTimeLineSuiteV1>(kOfxTimeLineSuite, 1);
    return gSuites.property && gSuites.effect && gSuites.param;
}

namespace {

// The host's name for messages (kOfxPropName), read without check(): it reports failures.
std::string hostName() {
    char* name = nullptr;
    if (gSuites.host && gSuites.property &&
        gSuites.property->propGetString(gSuites.host->host, kOfxPropName, 0, &name) == kOfxStatOK &&
        name && *name) {
        return name;
    }
    return "the host";
}

// The spec's name of a status, for a report to the plugin's or the host's authors.
const char* statusName(OfxStatus status) {
    switch (status) {
    case kOfxStatFailed: return "kOfxStatFailed";
    case kOfxStatErrFatal: return "kOfxStatErrFatal";
    case kOfxStatErrUnknown: return "kOfxStatErrUnknown";
    case kOfxStatErrMissingHostFeature: return "kOfxStatErrMissingHostFeature";
    case kOfxStatErrUnsupported: return "kOfxStatErrUnsupported";
    case kOfxStatErrMemory: return "kOfxStatErrMemory";
    case kOfxStatErrBadHandle: return "kOfxStatErrBadHandle";
    case kOfxStatErrBadIndex: return "kOfxStatErrBadIndex";
    case kOfxStatErrValue: return "kOfxStatErrValue";
    default: return "an unexpected status";
    }
}

}  // namespace

void check(OfxStatus status, const std::string& what) {
    if (status == kOfxStatOK) return;
    if (status == kOfxStatErrMemory) {
        throw OfxError(kOfxStatErrMemory, "synthfx: " + hostName() + " ran out of memory (" + what +
                                              "): free memory or render a smaller region");
    }
    // The artist can do little but tell someone: the detail is for that report.
    throw OfxError(kOfxStatFailed,
                   "synthfx: " + hostName() + " refused what synthfx needs to render (" + what +
                       ": " + statusName(status) + " " + std::to_string(status) +
                       "). Update the host or synthfx, or report this with both versions.");
}

}  // namespace synthfx::ofx
