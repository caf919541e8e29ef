// SPDX-License-Identifier: Apache-2.0
// The host's suites, fetched once when the host connects (OfxSetHost / setHost).
#pragma once

#include "ofx_api.h"

#include <stdexcept>
#include <string>

namespace synthfx::ofx {

struct Suites {
    OfxHost* host = nullptr;
    const OfxPropertySuiteV1* property = nullptr;
    const OfxImageEffectSuiteV1* effect = nullptr;
    const OfxParameterSuiteV1* param = nullptr;
    const OfxMemorySuiteV1* memory = nullptr;
    const OfxMultiThreadSuiteV1* multiThread = nullptr;
    // Optional suites: null when the host lacks them.
    const OfxMessageSuiteV2* messageV2 = nullptr;
    const OfxMessageSuiteV1* messageV1 = nullptr;
    const OfxProgressSuiteV2* progressV2 = nullptr;
    const OfxProgressSuiteV1* progressV1 = nullptr;
    const OfxTimeLineSuiteV1* timeLine = nullptr;
};

const Suites& suites();
void setHost(OfxHost* host);
// Fetches every suite; false when a required one (property, image effect, parameter) is missing.
bool fetchSuites();

// A failed host call or bad host input; status goes back to the host.
class OfxError : public std::runtime_error {
  public:
    OfxError(OfxStatus status, const std::string& what)
        : std::runtime_error(what), _status(status) {}
    OfxStatus status() const { return _status; }

  private:
    OfxStatus _status;
};

// Throws OfxError naming `what` unless status is kOfxStatOK.
void check(OfxStatus status, const std::string& what);

}  // namespace synthfx::ofx
