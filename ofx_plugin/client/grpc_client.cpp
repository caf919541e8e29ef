// SPDX-License-Identifier: Apache-2.0
// BackendClient over gRPC (synthfx.v1). Frames travel as float32, top-down, and are sent once:
// content hashes first ask the server which ones it lacks. Payloads (uploads and results) go
// through POSIX shared memory when a probe shows the backend shares this host's, else inline.
#include "backend_client.h"
#include "blake3.h"
#include "job_options.h"
#include "shared_memory.h"

#include "synthfx/v1/synthfx.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <type_traits>

namespace synthfx::ofx {
namespace {

using Clock = std::chrono::system_clock;
namespace pb = synthfx::v1;

// Largest inline chunk we send; the server's recommended size wins when it is smaller.
constexpr size_t kDefaultChunkBytes = 1 << 20;
// A backend that restarted comes back within a few seconds; don't let gRPC's exponential
// reconnect backoff (up to 2 minutes by default) hide it.
constexpr int kMaxReconnectBackoffMs = 1000;
// How often a running render checks the host's abort flag.
constexpr auto kCancelPollInterval = std::chrono::milliseconds(50);
// Bytes of the random token written into the shared memory probe.
constexpr size_t kProbeTokenBytes = 16;
// Largest shared memory upload batch: bounds the segment each client keeps mapped.
constexpr size_t kMaxSharedUploadBytes = size_t(256) << 20;
// Uploads and downloads of a segment's frames; generous, the connection itself fails fast.
constexpr auto kTransferDeadline = std::chrono::minutes(10);
// After a connect timeout, how long a call that does not wait may take to report the channel's
// last connection error (it fails at once unless a connection attempt is still under way).
constexpr auto kDiagnoseDeadline = std::chrono::milliseconds(500);
// Trailing metadata in which the backend names a failure's kind (synthfx.status_table).
constexpr const char* kErrorKindMetadata = "synthfx-error";
// In gRPC's connection errors when nothing listens at the address.
constexpr const char* kConnectionRefused = "Connection refused";
// In gRPC's connection errors when a unix socket's file does not exist.
constexpr const char* kNoSuchFile = "No such file or directory";
constexpr const char* kUnixScheme = "unix:";

// The kind the backend names in the trailing metadata (synthfx.status_table), else the
// code: calls that gRPC itself failed (no backend reached, deadline) carry no kind.
ClientStatus statusOf(grpc::StatusCode code, const std::string& kind) {
    static const std::map<std::string, ClientStatus> kinds = {
        {"invalid-argument", ClientStatus::InvalidArgument},
        {"not-found", ClientStatus::NotFound},
        {"path-not-allowed", ClientStatus::PathNotAllowed},
        {"protocol-mismatch", ClientStatus::VersionMismatch},
        {"unauthenticated", ClientStatus::Unauthenticated},
        {"busy", ClientStatus::ResourceExhausted},
        {"cancelled", ClientStatus::Cancelled},
        {"device-unavailable", ClientStatus::DeviceUnavailable},
        {"internal", ClientStatus::Failed},
        {"unavailable", ClientStatus::Unavailable},
        {"deadline-exceeded", ClientStatus::DeadlineExceeded},
    };
    if (const auto found = kinds.find(kind); found != kinds.end()) return found->second;
    switch (code) {
    case grpc::StatusCode::OK: return ClientStatus::Ok;
    case grpc::StatusCode::UNAVAILABLE: return ClientStatus::Unavailable;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return ClientStatus::DeadlineExceeded;
    case grpc::StatusCode::UNAUTHENTICATED: return ClientStatus::Unauthenticated;
    case grpc::StatusCode::PERMISSION_DENIED: return ClientStatus::PathNotAllowed;
    case grpc::StatusCode::INVALID_ARGUMENT: return ClientStatus::InvalidArgument;
    case grpc::StatusCode::NOT_FOUND: return ClientStatus::NotFound;
    case grpc::StatusCode::FAILED_PRECONDITION: return ClientStatus::VersionMismatch;
    case grpc::StatusCode::CANCELLED: return ClientStatus::Cancelled;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return ClientStatus::ResourceExhausted;
    default: return ClientStatus::Failed;
    }
}

std::string errorKind(const grpc::ClientContext& context) {
    const auto& trailers = context.GetServerTrailingMetadata();
    const auto found = trailers.find(kErrorKindMetadata);
    return found == trailers.end() ? std::string()
                                   : std::string(found->second.data(), found->second.size());
}

ClientResult failure(ClientStatus status, std::string message) {
    return ClientResult{status, std::move(message)};
}

const char* payloadBytes(const FloatImage& image) {
    return reinterpret_cast<const char*>(image.pixels.data());
}

size_t payloadSize(const FloatImage& image) { return image.pixels.size() * sizeof(float); }

// One frame to send: its header and where its bytes are.
struct Upload {
    const FloatImage* image;
    std::string hash;
};

// Calls cancel() when the host's abort flag rises while a call runs.
class CancelWatcher {
  public:
    CancelWatcher(const RenderCallbacks& callbacks, std::function<void()> cancel) {
        if (!callbacks.cancelled) return;
        _thread = std::thread([this, check = callbacks.cancelled, cancel = std::move(cancel)] {
            std::unique_lock<std::mutex> lock(_mutex);
            while (!_done) {
                if (check()) {
                    _fired = true;
                    cancel();
                    return;
                }
                _wake.wait_for(lock, kCancelPollInterval);
            }
        });
    }
    ~CancelWatcher() {
        {
            std::lock_guard<std::mutex> lock(_mutex);
            _done = true;
        }
        _wake.notify_all();
        if (_thread.joinable()) _thread.join();
    }
    bool fired() const { return _fired; }

  private:
    std::mutex _mutex;
    std::condition_variable _wake;
    bool _done = false;
    std::atomic<bool> _fired{false};
    std::thread _thread;
};

class GrpcBackendClient final : public BackendClient {
  public:
    explicit GrpcBackendClient(const ClientConfig& config) : _config(config) {
        grpc::ChannelArguments args;
        args.SetMaxReceiveMessageSize(-1);
        args.SetMaxSendMessageSize(-1);
        args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
        args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
        args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
        _channel = grpc::CreateCustomChannel(config.address, credentials(config), args);
        _stub = pb::Synthfx::NewStub(_channel);
    }

    ~GrpcBackendClient() override { closeSession(); }

    uint64_t bytesHashed() const override { return _bytesHashed; }

    ClientResult connect() override {
        std::lock_guard<std::mutex> lock(_mutex);
        return connectLocked();
    }

    ClientResult stylize(const StylizeJob& job, int frame, bool wantError,
                         const RenderCallbacks& callbacks, RenderOutput& out) override {
        std::lock_guard<std::mutex> lock(_mutex);
        pb::RenderRequest request;
        request.set_frame(frame);
        request.set_want_error(wantError);
        request.set_refresh(job.refresh);
        auto* output = request.mutable_output();
        output->set_dtype(pb::DTYPE_FLOAT32);
        output->set_row_order(pb::ROW_ORDER_TOP_DOWN);
        auto* proto = request.mutable_job();
        proto->set_first_frame(job.firstFrame);
        proto->set_last_frame(job.lastFrame);
        const std::string error = fillStylizeParams(job.options, *proto->mutable_params());
        if (!error.empty()) return failure(ClientStatus::InvalidArgument, error);

        std::vector<Upload> uploads;
        HashesOfCall hashes = job.contentHashes;
        addFrames(job.frames, proto->mutable_frames(), uploads, hashes);
        for (const auto& [number, path] : job.framePaths) {
            auto* item = proto->add_frames();
            item->set_frame(number);
            item->set_path(path);
        }
        addFrames(job.keyframes, proto->mutable_keyframes(), uploads, hashes);
        for (const auto& [number, path] : job.keyframePaths) {
            auto* item = proto->add_keyframes();
            item->set_frame(number);
            item->set_path(path);
        }
        addFrames(job.masks, proto->mutable_mask(), uploads, hashes);
        if (job.keySheet || !job.keySheetPath.empty()) {
            auto* sheet = proto->mutable_key_sheet();
            sheet->set_layout_json(job.keySheetLayout);
            if (job.keySheet) {
                uploads.push_back(
                    {job.keySheet,
                     describeImage(*job.keySheet, *sheet->mutable_sheet()->mutable_image(),
                                   hashes)});
            } else {
                sheet->mutable_sheet()->set_path(job.keySheetPath);
            }
        }

        std::vector<size_t> resultSizes;
        if (job.width > 0 && job.height > 0) {
            const size_t pixels = size_t(job.width) * job.height;
            resultSizes.push_back(pixels * 4 * sizeof(float));  // RGBA
            if (wantError) resultSizes.push_back(pixels * sizeof(float));
        }
        return uploadAndRun<pb::RenderResponse>(
            "Render", request, uploads, resultSizes,
            [this](grpc::ClientContext& context, const pb::RenderRequest& sent) {
                return _stub->Render(&context, sent);
            },
            callbacks, out);
    }

    ClientResult imageSynth(const ImageSynthJob& job, bool wantError,
                            const RenderCallbacks& callbacks, RenderOutput& out) override {
        std::lock_guard<std::mutex> lock(_mutex);
        pb::ImageSynthRequest request;
        request.set_want_error(wantError);
        request.set_want_progress(bool(callbacks.progress));
        request.mutable_output()->set_dtype(pb::DTYPE_FLOAT32);
        request.mutable_output()->set_row_order(pb::ROW_ORDER_TOP_DOWN);
        const std::string error = fillEngineParams(job.options, *request.mutable_engine());
        if (!error.empty()) return failure(ClientStatus::InvalidArgument, error);
        std::vector<Upload> uploads;
        HashesOfCall hashes;
        uploads.push_back({job.style, describeImage(*job.style, *request.mutable_style(), hashes)});
        for (const auto& guide : job.guides) {
            auto* pair = request.add_guides();
            pair->set_weight(guide.weight);
            uploads.push_back(
                {guide.source, describeImage(*guide.source, *pair->mutable_source(), hashes)});
            uploads.push_back(
                {guide.target, describeImage(*guide.target, *pair->mutable_target(), hashes)});
        }
        // Results are [image (the target's size, the style's channels), error]; no nnf.
        std::vector<size_t> resultSizes;
        if (!job.guides.empty() && job.guides.front().target) {
            const FloatImage& target = *job.guides.front().target;
            const size_t pixels = size_t(target.width) * target.height;
            resultSizes.push_back(pixels * job.style->channels * sizeof(float));
            if (wantError) resultSizes.push_back(pixels * sizeof(float));
        }
        return uploadAndRun<pb::ImageSynthResponse>(
            "ImageSynth", request, uploads, resultSizes,
            [this](grpc::ClientContext& context, const pb::ImageSynthRequest& sent) {
                return _stub->ImageSynth(&context, sent);
            },
            callbacks, out);
    }

    ClientResult deflicker(const DeflickerJob& job, int frame, const RenderCallbacks& callbacks,
                           RenderOutput& out) override {
        std::lock_guard<std::mutex> lock(_mutex);
        pb::DeflickerRequest request;
        request.set_frame(frame);
        request.mutable_output()->set_dtype(pb::DTYPE_FLOAT32);
        request.mutable_output()->set_row_order(pb::ROW_ORDER_TOP_DOWN);
        auto* proto = request.mutable_job();
        proto->set_first_frame(job.firstFrame);
        proto->set_last_frame(job.lastFrame);
        const std::string error = fillDeflickerParams(job.options, *proto->mutable_params());
        if (!error.empty()) return failure(ClientStatus::InvalidArgument, error);
        std::vector<Upload> uploads;
        HashesOfCall hashes;
        addFrames(job.frames, proto->mutable_frames(), uploads, hashes);
        addFrames(job.guides, proto->mutable_guide(), uploads, hashes);
        addFrames(job.masks, proto->mutable_mask(), uploads, hashes);
        // The result has the frame's size and channels.
        std::vector<size_t> resultSizes;
        const auto own = job.frames.find(frame);
        if (own != job.frames.end()) resultSizes.push_back(payloadSize(*own->second));
        return uploadAndRun<pb::DeflickerResponse>(
            "Deflicker", request, uploads, resultSizes,
            [this](grpc::ClientContext& context, const pb::DeflickerRequest& sent) {
                return _stub->Deflicker(&context, sent);
            },
            callbacks, out);
    }

    ClientResult packSheet(const SheetJob& job, const RenderCallbacks& callbacks,
                           RenderOutput& out) override {
        std::lock_guard<std::mutex> lock(_mutex);
        pb::PackSheetRequest request;
        request.set_first_frame(job.firstFrame);
        request.set_last_frame(job.lastFrame);
        request.mutable_output()->set_dtype(pb::DTYPE_FLOAT32);
        request.mutable_output()->set_row_order(pb::ROW_ORDER_TOP_DOWN);
        const std::string error = fillSheetParams(job.options, *request.mutable_params());
        if (!error.empty()) return failure(ClientStatus::InvalidArgument, error);
        std::vector<Upload> uploads;
        HashesOfCall hashes;
        addFrames(job.frames, request.mutable_frames(), uploads, hashes);
        addFrames(job.mattes, request.mutable_matte(), uploads, hashes);
        // The sheet's size is the backend's to decide: it comes back inline.
        return uploadAndRun<pb::PackSheetResponse>(
            "PackSheet", request, uploads, {},
            [this](grpc::ClientContext& context, const pb::PackSheetRequest& sent) {
                return _stub->PackSheet(&context, sent);
            },
            callbacks, out);
    }

    ClientResult keyframe(const KeyframeJob& job, const RenderCallbacks& callbacks,
                          RenderOutput& out) override {
        std::lock_guard<std::mutex> lock(_mutex);
        pb::KeyframeRequest request;
        request.mutable_output()->set_dtype(pb::DTYPE_FLOAT32);
        request.mutable_output()->set_row_order(pb::ROW_ORDER_TOP_DOWN);
        const std::string error = fillKeyframeParams(job.options, *request.mutable_params());
        if (!error.empty()) return failure(ClientStatus::InvalidArgument, error);
        std::vector<Upload> uploads;
        HashesOfCall hashes;
        uploads.push_back(
            {job.source, describeImage(*job.source, *request.mutable_source(), hashes)});
        for (const FloatImage* reference : job.references) {
            uploads.push_back(
                {reference, describeImage(*reference, *request.add_references(), hashes)});
        }
        if (job.mask) {
            uploads.push_back(
                {job.mask, describeImage(*job.mask, *request.mutable_mask(), hashes)});
        }
        // The keyframe has the source's size (the node sends no output scale) and channels.
        const std::vector<size_t> resultSizes = {payloadSize(*job.source)};
        return uploadAndRun<pb::KeyframeResponse>(
            "Keyframe", request, uploads, resultSizes,
            [this](grpc::ClientContext& context, const pb::KeyframeRequest& sent) {
                return _stub->Keyframe(&context, sent);
            },
            callbacks, out);
    }

    std::string describe() const override {
        std::lock_guard<std::mutex> lock(_describeMutex);
        return _description.empty() ? "synthfx backend at " + _config.address : _description;
    }

  private:
    // TLS with the given roots (the server's certificate must name the host in the address:
    // no target name override), else plaintext.
    static std::shared_ptr<grpc::ChannelCredentials> credentials(const ClientConfig& config) {
        if (config.tlsRootCertificates.empty()) return grpc::InsecureChannelCredentials();
        grpc::SslCredentialsOptions options;
        options.pem_root_certs = config.tlsRootCertificates;
        return grpc::SslCredentials(options);
    }

    bool usesTls() const { return !_config.tlsRootCertificates.empty(); }

    void prepare(grpc::ClientContext& context, std::chrono::nanoseconds timeout,
                 bool waitForReady) const {
        context.set_deadline(Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout));
        context.set_wait_for_ready(waitForReady);
        if (!_config.token.empty()) {
            context.AddMetadata("authorization", "Bearer " + _config.token);
        }
    }

    std::chrono::nanoseconds connectTimeout() const {
        return std::chrono::nanoseconds(
            static_cast<int64_t>(std::max(0.1, _config.connectTimeoutSeconds) * 1e9));
    }

    ClientResult callFailed(const char* call, const grpc::Status& status,
                            const grpc::ClientContext& context) const {
        std::string message = std::string(call) + " failed: " + status.error_message();
        const ClientStatus kind = statusOf(status.error_code(), errorKind(context));
        if (kind == ClientStatus::Unavailable) {
            message = "cannot reach the synthfx backend at " + _config.address + " (" +
                      status.error_message() + ")";
            const bool unixSocket = _config.address.rfind(kUnixScheme, 0) == 0;
            const bool refused =
                status.error_message().find(kConnectionRefused) != std::string::npos;
            const bool noSocket = status.error_message().find(kNoSuchFile) != std::string::npos;
            if (usesTls()) {
                message += "; TLS with the CA file " + _config.tlsCaFile +
                           ": the backend must serve TLS with a certificate that this CA signed "
                           "and that names the host in the address";
            } else if (unixSocket && noSocket) {
                message += ": no socket file there; start the backend with `synthfx serve "
                           "--listen " +
                           _config.address + "` or correct Backend Address";
            } else if (refused || unixSocket) {
                message += ": nothing listens there; start the backend with `synthfx serve "
                           "--listen " +
                           _config.address + "` or correct Backend Address";
            } else {
                // Reached something that hung up: a TLS backend drops plaintext connections.
                message += "; if the backend serves TLS, set TLS CA File or $SYNTHFX_TLS_CA";
            }
        } else if (kind == ClientStatus::DeviceUnavailable) {
            message = "the synthfx backend at " + _config.address +
                      " cannot compute on the device asked for (set Device to Auto or CPU, or "
                      "use a backend with that device): " +
                      status.error_message();
        } else if (kind == ClientStatus::Unauthenticated) {
            message = "the synthfx backend at " + _config.address +
                      " refused the token (set SYNTHFX_TOKEN or the token file): " +
                      status.error_message();
        }
        return failure(kind, message);
    }

    ClientResult connectLocked() {
        _sessionId.clear();
        pb::GetInfoRequest infoRequest;
        pb::GetInfoResponse info;
        // Same-host probe: the backend says whether it can read a segment we filled.
        std::unique_ptr<SharedMemory> probe;
        if (_config.sharedMemory && SharedMemory::available()) {
            const std::string token = randomHex(kProbeTokenBytes);
            std::string error;
            probe = SharedMemory::create(token.size(), error);
            if (probe) {
                std::memcpy(probe->data(), token.data(), token.size());
                auto* handle = infoRequest.mutable_shm_probe();
                handle->set_name(probe->name());
                handle->set_size(token.size());
                infoRequest.set_probe_token(token);
            }
        }
        {
            grpc::ClientContext context;
            // wait_for_ready: a backend that is still starting gets the whole timeout. Else a
            // refused connection or a missing socket fails at once, a silent address (a
            // firewall dropping packets) at the timeout.
            prepare(context, connectTimeout(), _config.waitForStartup);
            grpc::Status status = _stub->GetInfo(&context, infoRequest, &info);
            if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
                // A waiting call only says "Deadline Exceeded"; one that does not wait fails
                // with the channel's last connection error (refused, TLS handshake, ...).
                grpc::ClientContext again;
                prepare(again, kDiagnoseDeadline, false);
                grpc::Status diagnosis = _stub->GetInfo(&again, infoRequest, &info);
                if (diagnosis.ok() || diagnosis.error_code() == grpc::StatusCode::UNAVAILABLE) {
                    status = diagnosis;
                }
            }
            if (!status.ok()) return callFailed("GetInfo", status, context);
        }
        if (info.protocol_major() != pb::PROTOCOL_VERSION_MAJOR) {
            return failure(ClientStatus::VersionMismatch,
                           "the synthfx backend at " + _config.address + " speaks protocol " +
                               std::to_string(info.protocol_major()) + "." +
                               std::to_string(info.protocol_minor()) + ", this plugin speaks " +
                               std::to_string(pb::PROTOCOL_VERSION_MAJOR) +
                               ".x: install matching versions");
        }
        if (info.limits().chunk_bytes() > 0) {
            _chunkBytes = std::min<size_t>(kDefaultChunkBytes, info.limits().chunk_bytes());
        }
        pb::OpenSessionRequest request;
        request.set_protocol_major(pb::PROTOCOL_VERSION_MAJOR);
        request.set_protocol_minor(pb::PROTOCOL_VERSION_MINOR);
        request.set_client_name(_config.clientName);
        request.set_label(_config.label);
        pb::OpenSessionResponse response;
        grpc::ClientContext context;
        prepare(context, connectTimeout(), false);
        grpc::Status status = _stub->OpenSession(&context, request, &response);
        if (!status.ok()) return callFailed("OpenSession", status, context);
        _sessionId = response.session_id();
        std::string devices;
        for (const auto& device : info.devices()) {
            if (!device.available()) continue;
            devices += (devices.empty() ? "" : ", ") + device.kind() +
                       (device.name().empty() ? "" : " " + device.name());
        }
        std::lock_guard<std::mutex> lock(_describeMutex);
        _useShm = probe && info.shm_probe_ok();
        if (!_useShm) {
            _uploadMemory.reset();
            _resultMemory.reset();
        }
        _description = "synthfx " + info.backend_version() + " at " + _config.address +
                       (devices.empty() ? "" : " (" + devices + ")") +
                       (_useShm ? ", shared memory" : "");
        return {};
    }

    // Best effort: a session the backend still has pins frames until it is closed.
    void closeSession() {
        if (_sessionId.empty()) return;
        pb::CloseSessionRequest request;
        request.set_session_id(_sessionId);
        pb::CloseSessionResponse response;
        grpc::ClientContext context;
        prepare(context, std::chrono::seconds(1), false);
        _stub->CloseSession(&context, request, &response);
        _sessionId.clear();
    }

    // Runs `body` with an open session; when the backend restarted (session or frames unknown,
    // or the connection dropped before the call), reconnects and runs it once more.
    template <typename Body> ClientResult withSession(Body body) {
        if (_sessionId.empty()) {
            ClientResult connected = connectLocked();
            if (!connected.ok()) return connected;
        }
        ClientResult result = body();
        if (result.ok() || result.status == ClientStatus::Cancelled || !_retryable) {
            return result;
        }
        // Also not a restart after all (e.g. a keyframe file that is missing): don't leave the
        // old session open.
        closeSession();
        ClientResult connected = connectLocked();
        if (!connected.ok()) return connected;
        return body();
    }

    // Content hashes of one call's images by address: an image a job names twice (a frame
    // that is also a guide) is hashed once. The job's images are const for the whole call.
    using HashesOfCall = std::map<const FloatImage*, std::string>;

    // `image`'s header in `proto`, with its content hash (computed once per call); returns
    // the hash.
    // Lists numbered frames in a request and queues their pixels for the upload.
    void addFrames(const std::map<int, const FloatImage*>& images,
                   google::protobuf::RepeatedPtrField<pb::FrameImage>* list,
                   std::vector<Upload>& uploads, HashesOfCall& hashes) {
        for (const auto& [number, image] : images) {
            auto* item = list->Add();
            item->set_frame(number);
            uploads.push_back({image, describeImage(*image, *item->mutable_image(), hashes)});
        }
    }

    std::string describeImage(const FloatImage& image, pb::Image& proto, HashesOfCall& hashes) {
        auto found = hashes.find(&image);
        if (found == hashes.end()) found = hashes.emplace(&image, contentHash(image)).first;
        describeImage(image, proto, found->second);
        return found->second;
    }

    static void describeImage(const FloatImage& image, pb::Image& proto, const std::string& hash) {
        auto* desc = proto.mutable_desc();
        desc->set_width(static_cast<uint32_t>(image.width));
        desc->set_height(static_cast<uint32_t>(image.height));
        desc->set_channels(static_cast<uint32_t>(image.channels));
        desc->set_dtype(pb::DTYPE_FLOAT32);
        desc->set_row_order(pb::ROW_ORDER_TOP_DOWN);
        proto.set_content_hash(hash);
        proto.set_payload_bytes(payloadSize(image));
    }

    std::string contentHash(const FloatImage& image) override {
        _bytesHashed += payloadSize(image);
        return blake3Hex(payloadBytes(image), payloadSize(image));
    }

    ClientResult uploadMissing(const std::vector<Upload>& uploads) {
        _retryable = true;
        pb::FindMissingFramesRequest query;
        query.set_session_id(_sessionId);
        for (const auto& upload : uploads) query.add_content_hashes(upload.hash);
        pb::FindMissingFramesResponse missing;
        {
            grpc::ClientContext context;
            prepare(context, connectTimeout(), false);
            grpc::Status status = _stub->FindMissingFrames(&context, query, &missing);
            if (!status.ok()) return callFailed("FindMissingFrames", status, context);
        }
        if (missing.missing_size() == 0) return {};
        const std::set<std::string> wanted(missing.missing().begin(), missing.missing().end());
        std::vector<const Upload*> todo;
        std::set<std::string> queued;
        for (const auto& upload : uploads) {
            if (wanted.count(upload.hash) && queued.insert(upload.hash).second) {
                todo.push_back(&upload);
            }
        }
        if (!_useShm) return sendFrames(todo, nullptr);
        // Through shared memory in batches of at most kMaxSharedUploadBytes (a frame larger
        // than that goes alone), so the segment this client keeps stays bounded.
        for (size_t begin = 0; begin < todo.size();) {
            size_t end = begin, bytes = 0;
            while (end < todo.size() && (end == begin || bytes + payloadSize(*todo[end]->image) <=
                                                             kMaxSharedUploadBytes)) {
                bytes += payloadSize(*todo[end]->image);
                ++end;
            }
            const std::vector<const Upload*> batch(todo.begin() + begin, todo.begin() + end);
            ClientResult sent = sendFrames(batch, scratch(_uploadMemory, bytes));
            if (!sent.ok()) return sent;
            begin = end;
        }
        return {};
    }

    // One UploadFrames call: the payloads copied into `memory` when given, else streamed.
    ClientResult sendFrames(const std::vector<const Upload*>& todo, const SharedMemory* memory) {
        grpc::ClientContext context;
        prepare(context, kTransferDeadline, false);
        pb::UploadFramesResponse response;
        auto writer = _stub->UploadFrames(&context, &response);
        bool first = true;
        size_t offset = 0;  // in the shared memory segment
        for (const Upload* upload : todo) {
            pb::UploadFramesRequest header;
            if (first) header.set_session_id(_sessionId);
            first = false;
            auto* image = header.mutable_image();
            describeImage(*upload->image, *image, upload->hash);  // hashed when listed
            const char* bytes = payloadBytes(*upload->image);
            const size_t size = payloadSize(*upload->image);
            if (memory) {
                // The backend copies it before UploadFrames returns; the segment is reused.
                std::memcpy(memory->data() + offset, bytes, size);
                auto* handle = image->mutable_shm();
                handle->set_name(memory->name());
                handle->set_offset(offset);
                handle->set_size(size);
                offset += size;
                if (!writer->Write(header)) break;
                continue;
            }
            image->mutable_inline_chunks();
            if (!writer->Write(header)) break;
            bool ok = true;
            for (size_t at = 0; at < size && ok; at += _chunkBytes) {
                pb::UploadFramesRequest chunk;
                chunk.mutable_chunk()->set_offset(at);
                chunk.mutable_chunk()->set_data(bytes + at, std::min(_chunkBytes, size - at));
                ok = writer->Write(chunk);
            }
            if (!ok) break;
        }
        writer->WritesDone();
        grpc::Status status = writer->Finish();
        if (!status.ok()) return callFailed("UploadFrames", status, context);
        return {};
    }

    // A reusable segment of at least `size` bytes in `slot` (its pages stay mapped between
    // calls), or null when none can be made: the caller streams instead.
    SharedMemory* scratch(std::unique_ptr<SharedMemory>& slot, size_t size) {
        if (!slot || slot->size() < size) {
            slot.reset();
            std::string error;
            slot = SharedMemory::create(size, error);
        }
        return slot.get();
    }

    // Asks for results in shared memory (one segment, one handle per result) when it is in use;
    // returns the segment, or null for inline chunks.
    const SharedMemory* offerResultMemory(pb::OutputTarget& output,
                                          const std::vector<size_t>& sizes) {
        output.clear_shm();
        if (!_useShm || sizes.empty()) return nullptr;
        size_t total = 0;
        for (size_t size : sizes) total += size;
        const SharedMemory* memory = scratch(_resultMemory, total);
        if (!memory) return nullptr;
        size_t offset = 0;
        for (size_t size : sizes) {
            auto* handle = output.add_shm();
            handle->set_name(memory->name());
            handle->set_offset(offset);
            handle->set_size(size);
            offset += size;
        }
        return memory;
    }

    // Collects result images: headers, then their inline chunks by index and offset.
    class ResultImages {
      public:
        // Headers of the results; those placed in `memory` (our segment) are copied now.
        ClientResult start(const google::protobuf::RepeatedPtrField<pb::Image>& images,
                           const SharedMemory* memory) {
            _images.clear();
            _bottomUp.clear();
            for (const auto& image : images) {
                const auto& desc = image.desc();
                if (desc.dtype() != pb::DTYPE_FLOAT32 && desc.dtype() != pb::DTYPE_UNSPECIFIED) {
                    return failure(ClientStatus::Failed,
                                   "the backend sent a result that is not float32");
                }
                FloatImage out(int(desc.width()), int(desc.height()), int(desc.channels()));
                if (image.payload_bytes() != payloadSize(out)) {
                    return failure(ClientStatus::Failed, "the backend sent a result of " +
                                                             std::to_string(image.payload_bytes()) +
                                                             " bytes for " +
                                                             std::to_string(payloadSize(out)));
                }
                if (image.has_shm()) {
                    const auto& handle = image.shm();
                    if (!memory || handle.name() != memory->name() ||
                        handle.offset() > memory->size() ||
                        payloadSize(out) > memory->size() - handle.offset()) {
                        return failure(ClientStatus::Failed,
                                       "the backend placed a result outside the shared memory "
                                       "offered for it");
                    }
                    std::memcpy(out.pixels.data(), memory->data() + handle.offset(),
                                payloadSize(out));
                }
                _bottomUp.push_back(desc.row_order() == pb::ROW_ORDER_BOTTOM_UP);
                _images.push_back(std::move(out));
            }
            return {};
        }
        ClientResult add(const pb::ImageChunk& chunk) {
            if (chunk.index() >= _images.size()) {
                return failure(ClientStatus::Failed, "the backend sent a chunk for no image");
            }
            FloatImage& image = _images[chunk.index()];
            const size_t size = payloadSize(image);
            if (chunk.offset() > size || chunk.data().size() > size - chunk.offset()) {
                return failure(ClientStatus::Failed, "the backend sent a chunk past the image");
            }
            std::memcpy(reinterpret_cast<char*>(image.pixels.data()) + chunk.offset(),
                        chunk.data().data(), chunk.data().size());
            return {};
        }
        FloatImage take(size_t index) {
            if (index >= _images.size()) return {};
            FloatImage image = std::move(_images[index]);
            if (_bottomUp[index]) flipRows(image);
            return image;
        }
        bool started() const { return !_images.empty(); }

      private:
        static void flipRows(FloatImage& image) {
            const size_t rowFloats = size_t(image.width) * image.channels;
            for (int y = 0; y < image.height / 2; ++y) {
                std::swap_ranges(image.row(y), image.row(y) + rowFloats,
                                 image.row(image.height - 1 - y));
            }
        }
        std::vector<FloatImage> _images;
        std::vector<bool> _bottomUp;
    };

    void cancelOnBackend(grpc::ClientContext& context, const std::string& requestId) {
        context.TryCancel();
        pb::CancelRequest request;
        request.set_session_id(_sessionId);
        request.set_request_id(requestId);
        pb::CancelResponse response;
        grpc::ClientContext cancelContext;
        prepare(cancelContext, std::chrono::seconds(2), false);
        _stub->Cancel(&cancelContext, request, &response);
    }

    // Progress of the whole call: `done` of `total` steps, plus the running synthesis' share of
    // the next step ("synthesizing" events; ImageSynth sends only those, with no steps).
    static double overall(const pb::Progress& progress) {
        const double within = progress.stage() == "synthesizing" ? progress.fraction() : 0.0;
        if (progress.total() == 0) return within;
        return std::min(1.0, (double(progress.done()) + within) / double(progress.total()));
    }

    // Runs a streamed call (Render, ImageSynth, Deflicker, PackSheet): progress, the result header,
    // then its chunks (none when the results are in `memory`). `start` issues the call on a
    // context. In a session: uploads the frames the backend lacks, then runs the streamed call,
    // with result memory of `resultSizes` offered when shared memory is in use.
    template <typename Response, typename Request, typename Start>
    ClientResult uploadAndRun(const char* rpc, Request& request, const std::vector<Upload>& uploads,
                              const std::vector<size_t>& resultSizes, Start start,
                              const RenderCallbacks& callbacks, RenderOutput& out) {
        return withSession([&]() -> ClientResult {
            ClientResult sent = uploadMissing(uploads);
            if (!sent.ok()) return sent;
            request.set_session_id(_sessionId);
            request.set_request_id(nextRequestId());
            const SharedMemory* memory = offerResultMemory(*request.mutable_output(), resultSizes);
            return runStreamed<Response>(
                rpc, request.request_id(),
                [&](grpc::ClientContext& context) { return start(context, request); }, callbacks,
                memory, out);
        });
    }

    template <typename Response, typename Start>
    ClientResult runStreamed(const char* rpc, const std::string& requestId, Start start,
                             const RenderCallbacks& callbacks, const SharedMemory* memory,
                             RenderOutput& out) {
        constexpr bool kRender = std::is_same_v<Response, pb::RenderResponse>;
        grpc::ClientContext context;
        // No deadline on the call itself (a segment can take minutes); the connection fails
        // fast and the host's abort cancels it.
        if (!_config.token.empty()) {
            context.AddMetadata("authorization", "Bearer " + _config.token);
        }
        CancelWatcher watcher(callbacks, [&] { cancelOnBackend(context, requestId); });
        auto reader = start(context);
        Response event;
        ResultImages results;
        bool gotResult = false;
        ClientResult broken;
        while (broken.ok() && reader->Read(&event)) {
            if (event.has_progress()) {
                const auto& progress = event.progress();
                if (callbacks.progress) callbacks.progress(progress.stage(), overall(progress));
                continue;
            }
            if (event.has_result()) {
                gotResult = true;
                if constexpr (kRender) {
                    out.fromCache = event.result().from_cache();
                    out.segment.assign(event.result().segment().begin(),
                                       event.result().segment().end());
                }
                if constexpr (std::is_same_v<Response, pb::PackSheetResponse>) {
                    out.layoutJson = event.result().layout_json();
                }
                broken = results.start(event.result().images(), memory);
            } else if (event.has_chunk()) {
                broken = results.add(event.chunk());
            }
        }
        if (!broken.ok()) context.TryCancel();
        grpc::Status status = reader->Finish();
        if (watcher.fired()) return failure(ClientStatus::Cancelled, "render cancelled");
        if (!broken.ok()) return broken;
        // Once the call ran, frames and session were found: a failure now is not a restart.
        _retryable = status.error_code() == grpc::StatusCode::NOT_FOUND;
        if (!status.ok()) return callFailed(rpc, status, context);
        if (!gotResult) return failure(ClientStatus::Failed, "the backend sent no result");
        out.image = results.take(0);
        out.error = results.take(1);
        return {};
    }

    std::string nextRequestId() { return "r" + std::to_string(++_requestCount); }

    ClientConfig _config;
    std::shared_ptr<grpc::Channel> _channel;
    std::unique_ptr<pb::Synthfx::Stub> _stub;
    std::mutex _mutex;  // one call at a time per effect instance
    mutable std::mutex _describeMutex;
    std::string _sessionId;
    std::string _description;
    size_t _chunkBytes = kDefaultChunkBytes;
    bool _useShm = false;  // the probe succeeded (set by connectLocked)
    std::unique_ptr<SharedMemory> _uploadMemory;
    std::unique_ptr<SharedMemory> _resultMemory;
    bool _retryable = true;
    uint64_t _requestCount = 0;
    std::atomic<uint64_t> _bytesHashed{0};
};

}  // namespace
}  // namespace synthfx::ofx

extern "C" __attribute__((visibility("default"))) synthfx::ofx::BackendClient*
synthfx_create_backend_client(const synthfx::ofx::ClientConfig* config) {
    try {
        return new synthfx::ofx::GrpcBackendClient(*config);
    } catch (...) {
        return nullptr;
    }
}
