// SPDX-License-Identifier: Apache-2.0
#include "backend_connection.h"
#include "backend_launcher.h"
#include "client_loader.h"
#include "params.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace synthfx::ofx {
namespace {

std::string trimmed(std::string text) {
    const auto isSpace = [](unsigned char c) { return std::isspace(c); };
    text.erase(text.begin(), std::find_if_not(text.begin(), text.end(), isSpace));
    text.erase(std::find_if_not(text.rbegin(), text.rend(), isSpace).base(), text.end());
    return text;
}

std::string environment(const char *name) {
    const char *value = std::getenv(name);
    return value ? trimmed(value) : std::string();
}

// The token from the file parameter, $SYNTHFX_TOKEN or $SYNTHFX_TOKEN_FILE; `error` when a named
// file cannot be read.
std::string resolveToken(const std::string &fileParam, std::string &error) {
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

} // namespace

BackendClient *BackendConnection::acquire(const ConnectionSettings &settings,
                                          ClientResult &result) {
    std::lock_guard<std::mutex> lock(_mutex);
    std::string tokenError;
    const std::string token = resolveToken(settings.tokenFile, tokenError);
    if (!tokenError.empty()) {
        result = {ClientStatus::Unauthenticated, tokenError};
        return nullptr;
    }
    std::string address = trimmed(settings.address);
    if (address.empty()) address = environment("SYNTHFX_BACKEND");
    double timeout = settings.timeoutSeconds;
    if (address.empty()) {
        const LocalBackend local = ensureLocalBackend();
        if (!local.error.empty()) {
            result = {ClientStatus::Unavailable, local.error};
            return nullptr;
        }
        address = local.address;
        if (local.started) timeout = std::max(timeout, kLocalStartupSeconds);
    }
    if (_client && address == _address && token == _token) return _client.get();

    std::string loadError;
    CreateBackendClientFn *create = loadClientFactory(loadError);
    if (!create) {
        result = {ClientStatus::Failed, loadError};
        return nullptr;
    }
    ClientConfig config;
    config.address = address;
    config.token = token;
    config.clientName = std::string("synthfx-ofx ") + std::to_string(kPluginVersionMajor) + "." +
                        std::to_string(kPluginVersionMinor) + " / " + settings.hostName;
    config.label = settings.label;
    config.connectTimeoutSeconds = timeout;
    // SYNTHFX_SHARED_MEMORY=never: always stream payloads (e.g. to compare both transports).
    config.sharedMemory = environment("SYNTHFX_SHARED_MEMORY") != "never";
    std::unique_ptr<BackendClient> client(create(&config));
    if (!client) {
        result = {ClientStatus::Failed, "cannot create a backend client for " + address};
        return nullptr;
    }
    result = client->connect();
    if (!result.ok()) return nullptr;
    _client = std::move(client);
    _address = address;
    _token = token;
    return _client.get();
}

void BackendConnection::release() {
    std::lock_guard<std::mutex> lock(_mutex);
    _client.reset();
}

} // namespace synthfx::ofx
