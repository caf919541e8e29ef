// SPDX-License-Identifier: Apache-2.0
// What the effect needs from the backend service, in plain C++ types. The gRPC implementation
// lives in the private client library (client/), loaded at run time (see client_loader.h), so
// no protobuf type crosses this interface and no gRPC symbol reaches the host.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace synthfx::ofx {

// (height, width, channels) float32, channels interleaved, first row = top of the picture.
struct FloatImage {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<float> pixels;

    FloatImage() = default;
    FloatImage(int w, int h, int c) : width(w), height(h), channels(c), pixels(size_t(w) * h * c) {}
    bool empty() const { return pixels.empty(); }
    float* row(int y) { return pixels.data() + size_t(y) * width * channels; }
    const float* row(int y) const { return pixels.data() + size_t(y) * width * channels; }
};

// A job option by the name of its proto field ("edge", "image_weight", "engine.patch_size"),
// typed as the field is: an integer, a double, a bool, or text, which for an enum field names
// its choice ("page", "over-source"). Names the proto does not have travel in
// StylizeParams.options (JSON values).
struct JobOption {
    using Value = std::variant<long long, double, bool, std::string>;
    std::string name;
    Value value;
};

struct StylizeJob {
    int firstFrame = 0;
    int lastFrame = 0;
    std::map<int, const FloatImage*> frames;     // 3 channels
    std::map<int, const FloatImage*> keyframes;  // 3 or 4 channels
    // Keyframes the backend reads itself (protocol 1.1): frame -> absolute path or pattern
    // (#### / %04d filled in by the backend), instead of `keyframes`.
    std::map<int, std::string> keyframePaths;
    // Frames the backend reads itself, as keyframePaths, instead of `frames` (a host that
    // gives only the frame rendered).
    std::map<int, std::string> framePaths;
    // Keys cut from a styled key sheet (protocol 3.4) instead of the keyframes above: the sheet
    // as an image or a path the backend reads, and its layout's JSON text (Job.key_sheet).
    const FloatImage* keySheet = nullptr;
    std::string keySheetPath;
    std::string keySheetLayout;
    int width = 0;  // of every frame and the result, in pixels
    int height = 0;
    std::map<int, const FloatImage*> masks;  // 1 channel; empty: no mask
    std::vector<JobOption> options;
    bool refresh = false;  // recompute the frame's segment, replacing the backend's cache
    // Content hashes (BackendClient::contentHash) of some of the images above, by address;
    // the client hashes the others.
    std::map<const FloatImage*, std::string> contentHashes;
};

struct GuideImages {
    const FloatImage* source = nullptr;
    const FloatImage* target = nullptr;
    double weight = 1.0;
};

struct ImageSynthJob {
    const FloatImage* style = nullptr;
    std::vector<GuideImages> guides;
    std::vector<JobOption> options;  // engine fields only ("engine." prefix optional)
};

// One frame of a deflicker job (synthfx.v1.DeflickerJob): the flickering render, its plate
// and an optional mask, at least over the frame's window clipped to the shot.
struct DeflickerJob {
    int firstFrame = 0;  // the shot: a frame's neighbours are the frames of its window inside it
    int lastFrame = 0;
    std::map<int, const FloatImage*> frames;  // the flickering render, any channel count
    std::map<int, const FloatImage*> guides;  // the plate, the render's size (RGB)
    std::map<int, const FloatImage*> masks;   // 1 channel; empty: no mask
    // DeflickerParams fields ("mode", "window") and engine ones ("engine.patch_size").
    std::vector<JobOption> options;
};

// A key sheet of a shot (synthfx.v1.PackSheetRequest): the plate, and the matte to crop to, at
// least at the key frames.
struct SheetJob {
    int firstFrame = 0;  // the shot: auto keys are spread over it
    int lastFrame = 0;
    std::map<int, const FloatImage*> frames;  // the plate, any channel count
    std::map<int, const FloatImage*> mattes;  // 1 channel; empty: no matte
    std::vector<JobOption> options;           // SheetParams fields ("grid", "keys")
};

// One keyframe (synthfx.v1.KeyframeRequest): the plate styled from reference paintings.
struct KeyframeJob {
    const FloatImage* source = nullptr;         // RGB, or RGBA (alpha kept)
    std::vector<const FloatImage*> references;  // RGB or RGBA, any size
    const FloatImage* mask = nullptr;           // 1 channel, the source's size; null: no mask
    // KeyframeParams fields ("method", "colour_weight") and engine ones ("engine.patch_size").
    std::vector<JobOption> options;
};

struct RenderOutput {
    FloatImage image;  // RGBA (stylize) or the style's channels (image synth)
    FloatImage error;  // 1 channel, when asked for
    bool fromCache = false;
    std::vector<int> segment;  // frames computed with this one
    std::string layoutJson;    // PackSheet: the sheet's layout, as sheet pack writes it
};

// How a call ended: the rows of synthfx.status_table (documented in synthfx.proto), which the
// backend names in the trailing metadata "synthfx-error".
enum class ClientStatus {
    Ok,
    InvalidArgument,    // invalid-argument: the backend rejected a value; the message names it
    NotFound,           // not-found: a frame, file or session the backend does not have
    PathNotAllowed,     // path-not-allowed: a file outside the backend's --read-root folders
    VersionMismatch,    // protocol-mismatch: protocol majors differ
    Unauthenticated,    // unauthenticated: missing or wrong token
    ResourceExhausted,  // busy: a limit of the backend or its memory
    Cancelled,          // cancelled: the host aborted
    DeviceUnavailable,  // device-unavailable: e.g. CUDA asked for on a backend without it
    Unavailable,        // unavailable: cannot reach the backend (or it went away)
    DeadlineExceeded,   // deadline-exceeded
    Failed,             // internal, or a failure of this client
};

struct ClientResult {
    ClientStatus status = ClientStatus::Ok;
    std::string message;
    bool ok() const { return status == ClientStatus::Ok; }
};

struct RenderCallbacks {
    // fraction in [0, 1]; stage names what the backend is doing.
    std::function<void(const std::string& stage, double fraction)> progress;
    // Polled from a watcher thread; true cancels the call on the backend.
    std::function<bool()> cancelled;
};

struct ClientConfig {
    std::string address;  // "127.0.0.1:PORT", "host:PORT" or "unix:PATH"
    std::string token;    // empty: no authorization metadata
    // PEM root certificates the backend's certificate must chain to: TLS (the certificate must
    // name the host in `address`). Empty: plaintext.
    std::string tlsRootCertificates;
    std::string tlsCaFile;  // where tlsRootCertificates came from, for messages
    std::string clientName;
    std::string label;
    double connectTimeoutSeconds = 5.0;
    // A backend that is still starting (the plugin just launched it): wait for it to listen.
    // Otherwise a refused connection or a missing socket fails at once.
    bool waitForStartup = false;
    // Payloads through POSIX shared memory when a probe shows the backend shares this host's
    // (else streamed in chunks); false always streams.
    bool sharedMemory = true;
};

class BackendClient {
  public:
    virtual ~BackendClient() = default;
    // GetInfo (protocol check) and OpenSession; fails within the connect timeout.
    virtual ClientResult connect() = 0;
    virtual ClientResult stylize(const StylizeJob& job, int frame, bool wantError,
                                 const RenderCallbacks& callbacks, RenderOutput& out) = 0;
    virtual ClientResult imageSynth(const ImageSynthJob& job, bool wantError,
                                    const RenderCallbacks& callbacks, RenderOutput& out) = 0;
    // out.image: the frame deflickered, with the render's channels.
    virtual ClientResult deflicker(const DeflickerJob& job, int frame,
                                   const RenderCallbacks& callbacks, RenderOutput& out) = 0;
    // out.image: the sheet (the plate's channels); out.layoutJson: its layout.
    virtual ClientResult packSheet(const SheetJob& job, const RenderCallbacks& callbacks,
                                   RenderOutput& out) = 0;
    // out.image: the keyframe, RGB or RGBA as the source.
    virtual ClientResult keyframe(const KeyframeJob& job, const RenderCallbacks& callbacks,
                                  RenderOutput& out) = 0;
    // One line for messages: address, backend version, devices.
    virtual std::string describe() const = 0;
    // The content address of an image's pixels, as the backend computes it.
    virtual std::string contentHash(const FloatImage& image) = 0;
    // Bytes of pixels this client has hashed (contentHash, and each image of a call once).
    virtual uint64_t bytesHashed() const = 0;
};

// The private client library's one exported function (C linkage, looked up with dlsym).
using CreateBackendClientFn = BackendClient*(const ClientConfig* config);
constexpr const char* kCreateBackendClientSymbol = "synthfx_create_backend_client";

}  // namespace synthfx::ofx
