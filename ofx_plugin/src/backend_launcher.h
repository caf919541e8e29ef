// SPDX-License-Identifier: Apache-2.0
// The local backend: `synthfx serve` on a per-user Unix socket, started once and shared by every
// effect instance (and every host process of the user).
#pragma once

#include <string>

namespace synthfx::ofx {

// Seconds a freshly started backend gets to import its Python modules and listen.
constexpr double kLocalStartupSeconds = 60.0;

struct LocalBackend {
    std::string address;   // "unix:/run/user/UID/synthfx/backend.sock"
    bool started = false;  // this call started it (the caller should allow for startup time)
    std::string error;
};

// The address of the user's local backend, starting `synthfx serve` when nothing answers on its
// socket. The command is $SYNTHFX_SERVE_COMMAND, else the path the installer wrote to
// Contents/Resources/backend_command, else `synthfx` on PATH.
LocalBackend ensureLocalBackend();

}  // namespace synthfx::ofx
