// SPDX-License-Identifier: Apache-2.0
#include "backend_connection.h"
#include "backend_launcher.h"
#include "client_loader.h"
#include "params.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace synthfx::ofx {
namespace {

std::string trimmed(std::string text) {
    const auto isSpace = [](unsigned char c) { return std::isspace(c); };
    text.erase(text.begin(), std::find_if_not(text.begin(), text.end(), isSpace));
    text.erase(std::find_if_not(text.rbegin(), text.rend(), isSpace).base(), text.end());
    return text;
}

std::string environment(const char* name) {
    const char* value = std::getenv(name);
    return value ? trimmed(value) : std::string();
}

// The token from the file parameter, $SYNTHFX_TOKEN or $SYNTHFX_TOKEN_FILE; `error` when a named
// file cannot be read.
std::string resolveToken(const std::string& fileParam, std::string& error) {
    std::string file = trimmed(fileParam);
    if (file.empty()) {
        const std::string token = environment("SYNTHFX_TOKEN");
        if (!token.empty()) return token;
        file = environment("SYNTHFX_TOKEN_FILE");
    }
    if (file.empty()) return {};
    std::ifstream stream(file);
    std::string token;
    if (!stream || !std::getline(stream, token)) {
        error = "cannot read the backend token file " + file;
        return {};
    }
    return trimmed(token);
}

// Marks a PEM certificate; a CA file without one would only fail later, in the TLS handshake.
constexpr const char* kPemCertificateBegin = "-----BEGIN CERTIFICATE-----";

// The PEM root certificates from the CA file parameter, else $SYNTHFX_TLS_CA (`file` is set to the
// one used); empty without either (plaintext). `error` names a file that cannot be used.
std::string resolveTlsCa(const std::string& fileParam, std::string& file, std::string& error) {
    file = trimmed(fileParam);
    if (file.empty()) file = environment("SYNTHFX_TLS_CA");
    if (file.empty()) return {};
    errno = 0;
    std::ifstream stream(file, std::ios::binary);
    if (!stream) {
        error = "cannot read the TLS CA file " + file +
                (errno ? std::string(": ") + std::strerror(errno) : std::string());
        return {};
    }
    std::ostringstream pem;
    pem << stream.rdbuf();  // nothing read (empty file, a directory): no certificate below
    if (pem.str().find(kPemCertificateBegin) == std::string::npos) {
        error =
            "the TLS CA file " + file + " holds no PEM certificate (" + kPemCertificateBegin + ")";
        return {};
    }
    return pem.str();
}

// How long a backend address that could not be reached stays known as such: the next frames
// of a render fail at once with the same message instead of each trying again. Short, so a
// backend started after the failure is found at the next render.
constexpr auto kRetryUnreachableAfter = std::chrono::seconds(3);

// Unreachable addresses of this process, shared by every effect instance: MLT makes a new
// instance for every frame.
struct Unreachable {
    std::chrono::steady_clock::time_point since;
    ClientResult result;
};
std::mutex gUnreachableMutex;
std::map<std::string, Unreachable> gUnreachable;

// The failure remembered for `key` (address and TLS roots), if recent: `result` then says so.
bool rememberedFailure(const std::string& key, ClientResult& result) {
    std::lock_guard<std::mutex> lock(gUnreachableMutex);
    const auto found = gUnreachable.find(key);
    if (found == gUnreachable.end()) return false;
    const auto age = std::chrono::steady_clock::now() - found->second.since;
    if (age >= kRetryUnreachableAfter) {
        gUnreachable.erase(found);
        return false;
    }
    char ago[32];
    std::snprintf(ago, sizeof ago, "%.1f", std::chrono::duration<double>(age).count());
    result = found->second.result;
    result.message += " [not tried again for this frame: that was " + std::string(ago) +
                      " s ago; synthfx tries again " +
                      std::to_string(kRetryUnreachableAfter.count()) + " s after a failure]";
    return true;
}

void noteConnection(const std::string& key, const ClientResult& result) {
    std::lock_guard<std::mutex> lock(gUnreachableMutex);
    if (result.status == ClientStatus::Unavailable) {
        gUnreachable[key] = {std::chrono::steady_clock::now(), result};
    } else {
        gUnreachable.erase(key);
    }
}

}  // namespace

BackendClient* BackendConnection::acquire(const ConnectionSettings& settings,
                                          ClientResult& result) {
    std::lock_guard<std::mutex> lock(_mutex);
    std::string tokenError;
    const std::string token = resolveToken(settings.tokenFile, tokenError);
    if (!tokenError.empty()) {
        result = {ClientStatus::Unauthenticated, tokenError};
        return nullptr;
    }
    std::string tlsCaFile, tlsError;
    const std::string tlsCa = resolveTlsCa(settings.tlsCaFile, tlsCaFile, tlsError);
    if (!tlsError.empty()) {
        result = {ClientStatus::Failed, tlsError};
        return nullptr;
    }
    std::string address = trimmed(settings.address);
    if (address.empty()) address = environment("SYNTHFX_BACKEND");
    double timeout = settings.timeoutSeconds;
    bool starting = false;
    if (address.empty()) {
        const LocalBackend local = ensureLocalBackend();
        if (!local.error.empty()) {
            result = {ClientStatus::Unavailable, local.error};
            return nullptr;
        }
        address = local.address;
        starting = local.started;
        if (starting) timeout = std::max(timeout, kLocalStartupSeconds);
    }
    if (_client && address == _address && token == _token && tlsCa == _tlsCa) {
        return _client.get();
    }
    // TLS or not decides whether a connection succeeds, the token does not.
    const std::string reachKey = address + '\n' + tlsCa;
    if (!starting && rememberedFailure(reachKey, result)) return nullptr;

    std::string loadError;
    CreateBackendClientFn* create = loadClientFactory(loadError);
    if (!create) {
        result = {ClientStatus::Failed, loadError};
        return nullptr;
    }
    ClientConfig config;
    config.address = address;
    config.token = token;
    config.tlsRootCertificates = tlsCa;
    config.tlsCaFile = tlsCaFile;
    config.clientName = std::string("synthfx-ofx ") + std::to_string(kPluginVersionMajor) + "." +
                        std::to_string(kPluginVersionMinor) + " / " + settings.hostName;
    config.label = settings.label;
    config.connectTimeoutSeconds = timeout;
    config.waitForStartup = starting;
    // SYNTHFX_SHARED_MEMORY=never: always stream payloads (e.g. to compare both transports).
    config.sharedMemory = environment("SYNTHFX_SHARED_MEMORY") != "never";
    std::unique_ptr<BackendClient> client(create(&config));
    if (!client) {
        result = {ClientStatus::Failed, "cannot create a backend client for " + address};
        return nullptr;
    }
    result = client->connect();
    noteConnection(reachKey, result);
    if (!result.ok()) return nullptr;
    _client = std::move(client);
    _address = address;
    _token = token;
    _tlsCa = tlsCa;
    return _client.get();
}

void BackendConnection::release() {
    std::lock_guard<std::mutex> lock(_mutex);
    _client.reset();
}

}  // namespace synthfx::ofx
