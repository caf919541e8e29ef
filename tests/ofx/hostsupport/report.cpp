// SPDX-License-Identifier: Apache-2.0
#include "report.h"

#include <cstdio>
#include <map>
#include <mutex>

namespace hostsupport {
namespace {

std::mutex gEmitMutex;
std::mutex gLabelsMutex;
std::map<OfxPropertySetHandle, std::string> gLabels;

}  // namespace

void emit(const std::string& line) {
    std::lock_guard<std::mutex> lock(gEmitMutex);
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);  // interleaves in order with HostSupport's own printf lines
}

std::string json(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            out += escaped;
        } else {
            out += char(c);
        }
    }
    return out + "\"";
}

const char* statusName(OfxStatus status) {
    switch (status) {
    case kOfxStatOK: return "kOfxStatOK";
    case kOfxStatFailed: return "kOfxStatFailed";
    case kOfxStatErrFatal: return "kOfxStatErrFatal";
    case kOfxStatErrUnknown: return "kOfxStatErrUnknown";
    case kOfxStatErrMissingHostFeature: return "kOfxStatErrMissingHostFeature";
    case kOfxStatErrUnsupported: return "kOfxStatErrUnsupported";
    case kOfxStatErrExists: return "kOfxStatErrExists";
    case kOfxStatErrFormat: return "kOfxStatErrFormat";
    case kOfxStatErrMemory: return "kOfxStatErrMemory";
    case kOfxStatErrBadHandle: return "kOfxStatErrBadHandle";
    case kOfxStatErrBadIndex: return "kOfxStatErrBadIndex";
    case kOfxStatErrValue: return "kOfxStatErrValue";
    case kOfxStatReplyYes: return "kOfxStatReplyYes";
    case kOfxStatReplyNo: return "kOfxStatReplyNo";
    case kOfxStatReplyDefault: return "kOfxStatReplyDefault";
    default: return "unknown status";
    }
}

void label(OfxPropertySetHandle handle, const std::string& name) {
    std::lock_guard<std::mutex> lock(gLabelsMutex);
    gLabels[handle] = name;
}

std::string labelOf(OfxPropertySetHandle handle) {
    std::lock_guard<std::mutex> lock(gLabelsMutex);
    auto it = gLabels.find(handle);
    return it == gLabels.end() ? "unlabelled property set" : it->second;
}

void reportCall(const std::string& function, OfxStatus status, const std::string& args) {
    emit("{\"event\":\"report\",\"kind\":\"call\",\"function\":" + json(function) +
         ",\"args\":" + json(args) + ",\"status\":" + json(statusName(status)) + "}");
}

void reportAction(const std::string& action, OfxStatus status, const std::string& detail) {
    emit("{\"event\":\"report\",\"kind\":\"action\",\"action\":" + json(action) +
         ",\"status\":" + json(statusName(status)) + ",\"detail\":" + json(detail) + "}");
}

}  // namespace hostsupport
