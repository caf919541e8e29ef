// SPDX-License-Identifier: Apache-2.0
// Drives the plugin's real gRPC client library (loaded from the bundle as the plugin loads it)
// into one failure and prints how it reports it: "STATUS<TAB>message". Used by
// tests/python/service/test_status_table.py to check every row of synthfx.status_table.
//
//   synthfx_status_client CLIENT_LIBRARY ADDRESS SCENARIO [ARG] [TOKEN]
//     connect           connect (GetInfo + OpenSession) only
//     mismatched-guide  an ImageSynth whose source guide is not the style's size
//     device OPTION=V   an ImageSynth with one engine option, e.g. engine.backend=cuda
//     key-path PATH     a two-frame Stylize whose keyframe the backend reads from PATH
//     cancelled         an ImageSynth the host cancels at once
//     hashing           an ImageSynth naming the style twice, run twice; the message is the
//                       bytes the client hashed ("bytes_hashed=N")
#include "backend_client.h"

#include <dlfcn.h>

#include <cstdio>
#include <string>

using namespace synthfx::ofx;

namespace {

const char* nameOf(ClientStatus status) {
    switch (status) {
    case ClientStatus::Ok: return "Ok";
    case ClientStatus::InvalidArgument: return "InvalidArgument";
    case ClientStatus::NotFound: return "NotFound";
    case ClientStatus::PathNotAllowed: return "PathNotAllowed";
    case ClientStatus::VersionMismatch: return "VersionMismatch";
    case ClientStatus::Unauthenticated: return "Unauthenticated";
    case ClientStatus::ResourceExhausted: return "ResourceExhausted";
    case ClientStatus::Cancelled: return "Cancelled";
    case ClientStatus::DeviceUnavailable: return "DeviceUnavailable";
    case ClientStatus::Unavailable: return "Unavailable";
    case ClientStatus::DeadlineExceeded: return "DeadlineExceeded";
    case ClientStatus::Failed: return "Failed";
    }
    return "?";
}

FloatImage ramp(int width, int height, int channels) {
    FloatImage image(width, height, channels);
    for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = float(i % 97) / 96.0f;
    return image;
}

ClientResult run(BackendClient& client, const std::string& scenario, const std::string& arg) {
    ClientResult result = client.connect();
    if (!result.ok() || scenario == "connect") return result;
    RenderOutput out;
    RenderCallbacks callbacks;
    const FloatImage style = ramp(16, 16, 3), small = ramp(12, 12, 3);
    ImageSynthJob synth;
    synth.style = &style;
    synth.guides.push_back({&style, &style, 1.0});
    if (scenario == "mismatched-guide") {
        synth.guides[0].source = &small;
        return client.imageSynth(synth, false, callbacks, out);
    }
    if (scenario == "device") {
        const auto equals = arg.find('=');
        synth.options.push_back({arg.substr(0, equals), arg.substr(equals + 1)});
        return client.imageSynth(synth, false, callbacks, out);
    }
    if (scenario == "cancelled") {
        callbacks.cancelled = [] { return true; };
        return client.imageSynth(synth, false, callbacks, out);
    }
    if (scenario == "hashing") {
        FloatImage target = ramp(16, 16, 3);
        target.pixels[0] = 0.5f;
        synth.guides.push_back({&style, &target, 0.5});
        for (int call = 0; call < 2; ++call) {
            result = client.imageSynth(synth, false, callbacks, out);
            if (!result.ok()) return result;
        }
        return {ClientStatus::Ok, "bytes_hashed=" + std::to_string(client.bytesHashed())};
    }
    if (scenario == "key-path") {
        StylizeJob job;
        job.firstFrame = 0;
        job.lastFrame = 1;
        job.frames = {{0, &style}, {1, &style}};
        job.keyframePaths = {{0, arg}};
        job.width = style.width;
        job.height = style.height;
        return client.stylize(job, 1, false, callbacks, out);
    }
    return {ClientStatus::Failed, "unknown scenario " + scenario};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s CLIENT_LIBRARY ADDRESS SCENARIO [ARG] [TOKEN]\n", argv[0]);
        return 2;
    }
    void* library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    auto* create =
        library
            ? reinterpret_cast<CreateBackendClientFn*>(dlsym(library, kCreateBackendClientSymbol))
            : nullptr;
    if (!create) {
        std::fprintf(stderr, "cannot load the client from %s: %s\n", argv[1], dlerror());
        return 2;
    }
    ClientConfig config;
    config.address = argv[2];
    config.token = argc > 5 ? argv[5] : "";
    config.clientName = "synthfx_status_client";
    config.connectTimeoutSeconds = 10;
    BackendClient* client = create(&config);
    const ClientResult result = run(*client, argv[3], argc > 4 ? argv[4] : "");
    std::printf("%s\t%s\n", nameOf(result.status), result.message.c_str());
    delete client;
    return 0;
}
