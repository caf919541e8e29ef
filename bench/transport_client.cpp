// SPDX-License-Identifier: Apache-2.0
// Streamed frame uploads from a C++ gRPC client (as the OFX plugin's) to `synthfx serve`:
// UploadFrames in chunks, each frame new content.
// Prints one line per size: "WIDTHxHEIGHT cold_seconds median_seconds". Run by
// bench/transport.py, which starts the server and prints the figures beside the Python ones.
//
//   synthfx_transport_client ADDRESS REPEATS STORE_MB WIDTHxHEIGHT...
//
// As in transport.py, the median is taken once the server's frame store (STORE_MB) has been
// filled twice over, so that its memory is recycled as in a long-running backend.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "blake3.h"
#include "synthfx/v1/synthfx.grpc.pb.h"

namespace pb = synthfx::v1;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void fail(const char* what, const grpc::Status& status) {
    std::fprintf(stderr, "%s failed: %s\n", what, status.error_message().c_str());
    std::exit(1);
}

class Bench {
  public:
    explicit Bench(const std::string& address) {
        grpc::ChannelArguments arguments;
        arguments.SetMaxReceiveMessageSize(64 << 20);
        arguments.SetMaxSendMessageSize(64 << 20);
        _stub = pb::Synthfx::NewStub(
            grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments));
        grpc::ClientContext context;
        pb::GetInfoResponse info;
        grpc::Status status = _stub->GetInfo(&context, pb::GetInfoRequest(), &info);
        if (!status.ok()) fail("GetInfo", status);
        _chunkBytes = info.limits().chunk_bytes() ? info.limits().chunk_bytes() : (1u << 20);
    }

    // Seconds of one upload of `frame` (a session opened and closed around it, untimed).
    double uploadSeconds(std::vector<float>& frame, int width, int height) {
        openSession();
        const char* bytes = reinterpret_cast<const char*>(frame.data());
        const size_t size = frame.size() * sizeof(float);
        pb::Image image;
        auto* desc = image.mutable_desc();
        desc->set_width(width);
        desc->set_height(height);
        desc->set_channels(4);
        desc->set_dtype(pb::DTYPE_FLOAT32);
        desc->set_row_order(pb::ROW_ORDER_TOP_DOWN);
        image.set_content_hash(synthfx::ofx::blake3Hex(bytes, size));  // untimed, as in Python
        image.set_payload_bytes(size);

        const auto started = Clock::now();
        upload(image, bytes, size);
        const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
        closeSession();
        return seconds;
    }

  private:
    void openSession() {
        grpc::ClientContext context;
        pb::OpenSessionRequest request;
        request.set_protocol_major(pb::PROTOCOL_VERSION_MAJOR);
        request.set_protocol_minor(pb::PROTOCOL_VERSION_MINOR);
        request.set_client_name("transport bench");
        pb::OpenSessionResponse response;
        grpc::Status status = _stub->OpenSession(&context, request, &response);
        if (!status.ok()) fail("OpenSession", status);
        _session = response.session_id();
    }

    void closeSession() {
        grpc::ClientContext context;
        pb::CloseSessionRequest request;
        request.set_session_id(_session);
        pb::CloseSessionResponse response;
        _stub->CloseSession(&context, request, &response);
    }

    void upload(const pb::Image& image, const char* bytes, size_t size) {
        grpc::ClientContext context;
        pb::UploadFramesResponse response;
        auto writer = _stub->UploadFrames(&context, &response);
        pb::UploadFramesRequest header;
        header.set_session_id(_session);
        *header.mutable_image() = image;
        header.mutable_image()->mutable_inline_chunks();
        bool ok = writer->Write(header);
        for (size_t at = 0; at < size && ok; at += _chunkBytes) {
            pb::UploadFramesRequest chunk;
            chunk.mutable_chunk()->set_offset(at);
            chunk.mutable_chunk()->set_data(bytes + at, std::min<size_t>(_chunkBytes, size - at));
            ok = writer->Write(chunk);
        }
        writer->WritesDone();
        grpc::Status status = writer->Finish();
        if (!status.ok()) fail("UploadFrames", status);
    }

    std::unique_ptr<pb::Synthfx::Stub> _stub;
    std::string _session;
    size_t _chunkBytes = 1 << 20;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: %s ADDRESS REPEATS STORE_MB WIDTHxHEIGHT...\n", argv[0]);
        return 2;
    }
    Bench bench(argv[1]);
    const int repeats = std::atoi(argv[2]);
    const double storeBytes = std::atof(argv[3]) * (1 << 20);
    for (int arg = 4; arg < argc; ++arg) {
        int width = 0, height = 0;
        if (std::sscanf(argv[arg], "%dx%d", &width, &height) != 2 || width <= 0 || height <= 0) {
            std::fprintf(stderr, "bad size %s\n", argv[arg]);
            return 2;
        }
        std::vector<float> frame(size_t(width) * height * 4);
        const int warmUps = 2 * int(storeBytes / (frame.size() * sizeof(float))) + 2;
        std::mt19937 random(0);
        std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
        for (float& value : frame) value = uniform(random);
        std::vector<double> times;
        for (int index = 0; index < warmUps + repeats; ++index) {
            frame[0] = float(index + 1000 * arg);  // new content: the server does not hold it
            times.push_back(bench.uploadSeconds(frame, width, height));
        }
        std::vector<double> steady(times.begin() + warmUps, times.end());
        std::sort(steady.begin(), steady.end());
        std::printf("%dx%d %.6f %.6f\n", width, height, times.front(), steady[steady.size() / 2]);
        std::fflush(stdout);
    }
    return 0;
}
