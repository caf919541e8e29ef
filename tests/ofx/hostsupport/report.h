// SPDX-License-Identifier: Apache-2.0
// The HostSupport test host's output: one JSON object per line on stdout. tests/python/ofx/
// test_hostsupport.py fails on every "report" event (a call HostSupport answered with an error)
// and on any line that is not JSON (HostSupport's own complaints go to stdout/stderr as text).
#pragma once

#include <string>

#include "ofxCore.h"

namespace hostsupport {

void emit(const std::string& line);
std::string json(const std::string& text);
const char* statusName(OfxStatus status);

// Names a property set handle in reports ("host", "instance", "clip Source", "param styleKey").
void label(OfxPropertySetHandle handle, const std::string& name);
std::string labelOf(OfxPropertySetHandle handle);

// A call from the plugin that HostSupport (or this host) answered with an error status.
void reportCall(const std::string& function, OfxStatus status, const std::string& args);
// An action the host ran whose status is not one the spec allows for it.
void reportAction(const std::string& action, OfxStatus status, const std::string& detail = "");

}  // namespace hostsupport
