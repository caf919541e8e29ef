// SPDX-License-Identifier: Apache-2.0
// Public C++ API of the synthfx patch-synthesis engine (guided PatchMatch, StyLit/Ebsynth).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace synthfx {

// A read-only float32 image, row-major, channels interleaved (H x W x C), rows contiguous. Where
// `data` lies (host or CUDA device memory) is set once per job by SynthesisInput::memory.
struct ImageView {
    const float* data = nullptr;
    int width = 0;
    int height = 0;
    int channels = 0;
};

// A guide pair: the source guide is aligned with the style image, the target guide with the
// output. Both must have the same channel count. `weight` is spread evenly over the channels.
struct GuidePair {
    ImageView source;
    ImageView target;
    float weight = 1.0f;
};

// A read-only NNF, row-major (H x W x 2 int32: the (x, y) source patch centre of each target
// pixel), host memory.
struct NnfView {
    const std::int32_t* data = nullptr;
    int width = 0;
    int height = 0;
};

enum class VoteMode : int { plain = 0, weighted = 1 };
enum class MemoryKind : int { host = 0, cuda = 1 };
enum class BackendKind : int { automatic = 0, cpu = 1, cuda = 2 };

// Parameters with Ebsynth's meaning and defaults.
//
// Weight normalisation: every channel difference is scaled by kValueScale (255) before it is
// squared, so float images in [0, 1] give the same patch errors, uniformity balance and stop
// threshold as Ebsynth's 0-255 bytes at the same weights. The style weight is spread evenly over
// the style channels and each guide weight over its guide's channels.
struct SynthesisParams {
    float style_weight = 1.0f;
    float uniformity = 3500.0f;
    int patch_size = 5;       // odd, >= 3
    int pyramid_levels = -1;  // -1: as many as fit
    int search_vote_iters = 6;
    int patchmatch_iters = 4;
    float stop_threshold = 5.0f;  // in 0-255 units of style change; 0 disables freezing
    bool extra_pass_3x3 = false;
    VoteMode vote_mode = VoteMode::plain;
    std::uint64_t seed = 1;
    int threads = 0;  // 0: all hardware threads
    BackendKind backend = BackendKind::cpu;
};

constexpr float kValueScale = 255.0f;

struct SynthesisInput {
    ImageView style;  // H_s x W_s x NS
    std::vector<GuidePair> guides;
    ImageView modulation;   // optional H_t x W_t x 1: per-target-pixel guide weight factor
    ImageView source_mask;  // optional H_s x W_s x 1: 0 = may not be used as a source

    // Optional H_t x W_t x 2 starting NNF at full resolution (e.g. the previous video frame's,
    // carried along the flow), centres in [0, W_s) x [0, H_s); host memory, CPU backend. The
    // synthesis then starts at the finest `initial_nnf_levels` levels (1 to the level count):
    // coarser levels are skipped, the first level run starts from the seed scaled down (clamped
    // to its allowed centres, redrawn at random where the mask forbids one), finer levels
    // upsample as usual, and the usual search/vote rounds run on each.
    NnfView initial_nnf;
    int initial_nnf_levels = 1;

    // Where every image's data lies. `cuda`: device pointers of device `cuda_device`, read by the
    // CUDA backend only; validation and the pyramid run on the device, nothing is copied to the
    // host. Other backends reject such input (invalid_argument).
    MemoryKind memory = MemoryKind::host;
    int cuda_device = 0;
    // For cuda memory: the stream (a cudaStream_t as an integer, 0 = the legacy default stream)
    // whose queued work produces the inputs. The synthesis waits for it on the device.
    std::uintptr_t cuda_stream = 0;
};

struct SynthesisResult {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<float> image;       // H_t x W_t x NS
    std::vector<std::int32_t> nnf;  // H_t x W_t x 2: (x, y) source patch centre
    std::vector<float> error;       // H_t x W_t: weighted patch distance of the final match
};

// Result of synthesize_to_device: the same arrays in CUDA device memory (device `device`), owned
// by the shared pointers (freed with cudaFree, which waits for work still using them). Complete
// when synthesize_to_device returns: any stream may read them.
struct DeviceSynthesisResult {
    int width = 0;
    int height = 0;
    int channels = 0;
    int device = 0;
    std::shared_ptr<float> image;       // H_t x W_t x NS
    std::shared_ptr<std::int32_t> nnf;  // H_t x W_t x 2
    std::shared_ptr<float> error;       // H_t x W_t
};

enum class ErrorCode : int {
    ok = 0,
    invalid_argument = 1,  // a parameter out of range
    size_mismatch = 2,     // image sizes or channel counts disagree
    non_finite = 3,        // NaN or Inf in an input
    empty_image = 4,
    unavailable = 5,  // backend not available (e.g. CUDA without a device)
    out_of_memory = 6,
    internal = 7,
    cancelled = 8,  // the SynthesisControl callback asked to stop (or threw)
};

// Every invalid input raises this; what() names the offending value. A cancelled synthesis
// raises it too, with ErrorCode::cancelled.
class SynthesisError : public std::invalid_argument {
  public:
    SynthesisError(ErrorCode code, const std::string& message)
        : std::invalid_argument(message), code_(code) {}
    ErrorCode code() const noexcept { return code_; }

  private:
    ErrorCode code_;
};

// Progress and cancellation of one synthesis. Not a parameter (SynthesisParams are fingerprinted
// for caches): it never changes the result, a run whose callback never cancels gives the same bits
// as a run without one.
struct SynthesisControl {
    // Called on the thread that called synthesize, never on a worker thread: once when the work
    // starts (0), after every PatchMatch iteration (CPU: also between its four tile phases, with
    // the fraction unchanged) and every vote at every pyramid level, and once the result is
    // complete (exactly 1). `fraction_done` is in [0, 1] and never decreases; levels are weighted
    // by pixel count and patch area, so it is roughly proportional to time (CUDA: the fraction the
    // device has finished, one step behind what is queued). Return true to cancel: the engine stops
    // before its next step, frees everything and throws SynthesisError with ErrorCode::cancelled.
    // An exception the callback throws stops the engine the same way and then propagates unchanged.
    // Empty: no calls.
    std::function<bool(float fraction_done)> progress;
};

// Number of pyramid levels that fit for these sizes and this patch size (coarsest level's
// smaller side still holds 2 * patch_size + 1 pixels in both images).
int max_pyramid_levels(int source_width, int source_height, int target_width, int target_height,
                       int patch_size);

// Validates everything and throws SynthesisError on the first problem.
void validate(const SynthesisInput& input, const SynthesisParams& params);

// The checks of `validate` that need no image (ranges of every parameter): lets a caller refuse
// bad parameters before any work (e.g. before a video pass writes its first frame).
void validate_params(const SynthesisParams& params);

// Host result. Host input runs on params.backend; CUDA input (input.memory == cuda) needs
// backend cuda and ends with one device-to-host copy of the result. `control` (optional):
// progress reports and cancellation.
SynthesisResult synthesize(const SynthesisInput& input, const SynthesisParams& params,
                           const SynthesisControl* control = nullptr);

// CUDA backend only (params.backend must be cuda): the result stays in device memory. Input may
// be host or device memory.
DeviceSynthesisResult synthesize_to_device(const SynthesisInput& input,
                                           const SynthesisParams& params,
                                           const SynthesisControl* control = nullptr);

bool cuda_available(std::string* reason = nullptr);

// Peak device memory in bytes that the last CUDA synthesis finished in this process allocated
// (its buffers and a device result, not the CUDA context); 0 before the first one and in builds
// without CUDA.
std::size_t cuda_last_peak_bytes();

// "RELEASE+results.N": N goes up whenever the engine's output changes (part of cache keys).
const char* version();

}  // namespace synthfx
