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

void check(OfxStatus status, const std::string& what) {
    if (status != kOfxStatOK) {
        throw OfxError(status == kOfxStatErrMemory ? kOfxStatErrMemory : kOfxStatFailed,
                       what + " failed (OFX status " + std::to_string(status) + ")");
    }
}

}  // namespace synthfx::ofx
