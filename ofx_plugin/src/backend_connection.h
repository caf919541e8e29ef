// SPDX-License-Identifier: Apache-2.0
// One effect instance's link to the backend: resolves the address (parameter, $SYNTHFX_BACKEND,
// or the local backend), keeps a client while the address, token and TLS CA stay the same.
#pragma once

#include "backend_client.h"

#include <memory>
#include <mutex>
#include <string>

namespace synthfx::ofx {

struct ConnectionSettings {
    std::string address;    // the parameter; empty: environment, else local
    std::string tokenFile;  // the parameter; empty: $SYNTHFX_TOKEN / $SYNTHFX_TOKEN_FILE
    std::string tlsCaFile;  // the parameter; empty: $SYNTHFX_TLS_CA; neither: plaintext
    double timeoutSeconds = 5.0;
    std::string label;  // the effect instance, for the backend's logs
    std::string hostName;
};

class BackendConnection {
  public:
    // A connected client, or null with `result` saying why (address and reason).
    BackendClient* acquire(const ConnectionSettings& settings, ClientResult& result);
    // Drops the client: closes the backend session (frames become evictable).
    void release();

  private:
    std::mutex _mutex;
    std::unique_ptr<BackendClient> _client;
    std::string _address;
    std::string _token;
    std::string _tlsCa;  // PEM; empty: plaintext
};

}  // namespace synthfx::ofx
