// SPDX-License-Identifier: Apache-2.0
// Finds the bundle this binary was loaded from and loads its private gRPC client library.
#pragma once

#include "backend_client.h"

#include <string>

namespace synthfx::ofx {

// .../synthfx.ofx.bundle/Contents (empty when it cannot be found).
std::string bundleContentsDir();

// Loads Contents/Libraries/libsynthfx_client.so once per process, isolated from the host's
// libraries (RTLD_LOCAL | RTLD_DEEPBIND). Null with `error` set when it cannot.
CreateBackendClientFn* loadClientFactory(std::string& error);

}  // namespace synthfx::ofx
