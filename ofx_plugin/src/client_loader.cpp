// SPDX-License-Identifier: Apache-2.0
#include "client_loader.h"

#include <dlfcn.h>

#include <mutex>

namespace synthfx::ofx {
namespace {
constexpr const char* kClientLibrary = "Libraries/libsynthfx_client.so";

void anchor() {}
}  // namespace

std::string bundleContentsDir() {
    Dl_info info{};
    if (!dladdr(reinterpret_cast<void*>(&anchor), &info) || !info.dli_fname) return {};
    std::string path = info.dli_fname;  // .../Contents/Linux-x86-64/synthfx.ofx
    for (int up = 0; up < 2; ++up) {
        const auto slash = path.find_last_of('/');
        if (slash == std::string::npos) return {};
        path.erase(slash);
    }
    return path;
}

CreateBackendClientFn* loadClientFactory(std::string& error) {
    static std::once_flag once;
    static CreateBackendClientFn* factory = nullptr;
    static std::string loadError;
    std::call_once(once, [] {
        const std::string contents = bundleContentsDir();
        if (contents.empty()) {
            loadError = "cannot locate synthfx.ofx.bundle/Contents";
            return;
        }
        const std::string path = contents + "/" + kClientLibrary;
        // DEEPBIND: the client and its bundled libraries resolve symbols among themselves first,
        // never against a protobuf/gRPC/abseil the host already loaded.
        void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
        if (!library) {
            const char* reason = dlerror();
            loadError = "cannot load " + path + ": " + (reason ? reason : "unknown error");
            return;
        }
        factory =
            reinterpret_cast<CreateBackendClientFn*>(dlsym(library, kCreateBackendClientSymbol));
        if (!factory) loadError = path + " has no " + kCreateBackendClientSymbol;
    });
    error = loadError;
    return factory;
}

}  // namespace synthfx::ofx
