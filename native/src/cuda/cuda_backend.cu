// SPDX-License-Identifier: Apache-2.0
// The CUDA backend: the CPU backend's coarse-to-fine EM loop with every level resident on the
// device. Host work is enqueueing only: level l + 1 is uploaded on a copy stream while level l
// computes, all kernels run on one compute stream, and the host waits once, for the result.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "../problem.h"
#include "../progress.h"
#include "../random.h"
#include "../search_window.h"
#include "device_common.cuh"

namespace synthfx {
namespace cuda {

[[noreturn]] void throw_cuda_error(cudaError_t error, const char* what) {
    cudaGetLastError();  // clear the error unless it is sticky
    ErrorCode code = ErrorCode::internal;
    switch (error) {
    case cudaErrorMemoryAllocation: code = ErrorCode::out_of_memory; break;
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorInvalidKernelImage:
    case cudaErrorUnsupportedPtxVersion:
    case cudaErrorDevicesUnavailable:
    case cudaErrorStubLibrary:
    case cudaErrorSystemDriverMismatch:
    case cudaErrorCompatNotSupportedOnDevice: code = ErrorCode::unavailable; break;
    default: break;
    }
    throw SynthesisError(code, std::string("CUDA error in ") + what + ": " +
                                   cudaGetErrorName(error) + " (" + cudaGetErrorString(error) +
                                   ")");
}

namespace {

std::atomic<std::size_t> g_last_peak_bytes{0};

constexpr int kPolishPatchSize = 3;                          // the CPU's extra 3x3 pass
constexpr std::uint32_t kInitialSearchIteration = 1u << 30;  // keys of the CPU's guide search
constexpr std::uint32_t kBorderSearchIteration = kInitialSearchIteration + (1u << 16);
constexpr std::uint64_t kPoolKeepBytes = 1ull << 30;  // device memory cached between runs

// Stream-ordered pool per device, kept for the process: repeated frames reuse its memory
// without device-wide synchronisation. Null where the device has no memory pools.
cudaMemPool_t device_pool(int device) {
    static std::mutex mutex;
    static std::map<int, cudaMemPool_t> pools;
    std::lock_guard<std::mutex> lock(mutex);
    auto found = pools.find(device);
    if (found != pools.end()) return found->second;
    int supported = 0;
    check(cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, device),
          "cudaDeviceGetAttribute(MemoryPoolsSupported)");
    cudaMemPool_t pool = nullptr;
    if (supported) {
        cudaMemPoolProps props = {};
        props.allocType = cudaMemAllocationTypePinned;
        props.handleTypes = cudaMemHandleTypeNone;
        props.location.type = cudaMemLocationTypeDevice;
        props.location.id = device;
        check(cudaMemPoolCreate(&pool, &props), "cudaMemPoolCreate");
        std::uint64_t keep = kPoolKeepBytes;
        check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep),
              "cudaMemPoolSetAttribute");
        // Reusing a block freed on the compute stream must not make an upload on the copy
        // stream wait for the compute stream: take fresh memory instead.
        int no = 0;
        check(cudaMemPoolSetAttribute(pool, cudaMemPoolReuseAllowInternalDependencies, &no),
              "cudaMemPoolSetAttribute");
    }
    pools[device] = pool;
    return pool;
}

// Device allocations of one run, with the peak of their sum.
class Allocator {
  public:
    explicit Allocator(int device) : pool_(device_pool(device)) {}

    void* allocate(std::size_t bytes, cudaStream_t stream, const char* what) {
        void* p = nullptr;
        const cudaError_t error = pool_ != nullptr
                                      ? cudaMallocFromPoolAsync(&p, bytes, pool_, stream)
                                      : cudaMalloc(&p, bytes);
        if (error == cudaErrorMemoryAllocation) {
            cudaGetLastError();
            throw SynthesisError(ErrorCode::out_of_memory,
                                 "CUDA out of memory: " + std::to_string(bytes >> 20) +
                                     " MiB for " + what + " with " + std::to_string(live_ >> 20) +
                                     " MiB already held by this run");
        }
        check(error, what);
        live_ += bytes;
        peak_ = std::max(peak_, live_);
        return p;
    }

    void release(void* p, std::size_t bytes, cudaStream_t stream) noexcept {
        if (pool_ != nullptr) {
            cudaFreeAsync(p, stream);
        } else {
            cudaFree(p);
        }
        live_ -= bytes;
    }

    // Memory this run allocated outside the pool (a device result that outlives the run).
    void count_external(std::size_t bytes) {
        live_ += bytes;
        peak_ = std::max(peak_, live_);
    }

    std::size_t peak() const { return peak_; }

  private:
    cudaMemPool_t pool_;
    std::size_t live_ = 0;
    std::size_t peak_ = 0;
};

// Owning device array; freed in order on the compute stream.
template <typename T> class DeviceArray {
  public:
    DeviceArray() = default;
    DeviceArray(Allocator& allocator, std::size_t count, cudaStream_t alloc_stream,
                cudaStream_t free_stream, const char* what)
        : allocator_(&allocator), count_(count), free_stream_(free_stream) {
        if (count > 0) {
            data_ = static_cast<T*>(allocator.allocate(count * sizeof(T), alloc_stream, what));
        }
    }
    DeviceArray(const DeviceArray&) = delete;
    DeviceArray& operator=(const DeviceArray&) = delete;
    DeviceArray(DeviceArray&& other) noexcept { *this = std::move(other); }
    DeviceArray& operator=(DeviceArray&& other) noexcept {
        if (this != &other) {
            reset();
            std::swap(allocator_, other.allocator_);
            std::swap(data_, other.data_);
            std::swap(count_, other.count_);
            std::swap(free_stream_, other.free_stream_);
        }
        return *this;
    }
    ~DeviceArray() { reset(); }

    void reset() noexcept {
        if (data_ != nullptr) allocator_->release(data_, count_ * sizeof(T), free_stream_);
        data_ = nullptr;
        count_ = 0;
    }
    T* get() const { return data_; }
    std::size_t size() const { return count_; }
    std::size_t bytes() const { return count_ * sizeof(T); }

  private:
    Allocator* allocator_ = nullptr;
    T* data_ = nullptr;
    std::size_t count_ = 0;
    cudaStream_t free_stream_ = nullptr;
};

// The two streams of a run. Destroyed last: waits for all work, then releases.
class Streams {
  public:
    Streams() {
        check(cudaStreamCreateWithFlags(&compute, cudaStreamNonBlocking), "cudaStreamCreate");
        const cudaError_t error = cudaStreamCreateWithFlags(&copy, cudaStreamNonBlocking);
        if (error != cudaSuccess) {
            cudaStreamDestroy(compute);
            throw_cuda_error(error, "cudaStreamCreate");
        }
    }
    Streams(const Streams&) = delete;
    Streams& operator=(const Streams&) = delete;
    ~Streams() {
        cudaStreamSynchronize(copy);
        cudaStreamSynchronize(compute);
        cudaStreamDestroy(copy);
        cudaStreamDestroy(compute);
        cudaGetLastError();
    }
    cudaStream_t compute = nullptr;
    cudaStream_t copy = nullptr;
};

class Event {
  public:
    Event() { check(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming), "cudaEventCreate"); }
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    ~Event() { cudaEventDestroy(event_); }
    cudaEvent_t get() const { return event_; }

  private:
    cudaEvent_t event_ = nullptr;
};

// A level's raw inputs, uploaded ahead on the copy stream.
struct Upload {
    DeviceArray<float> source_features;  // sh x sw x F (float32; the finest level's are kept)
    DeviceArray<float> source_style;     // sh x sw x NS
    DeviceArray<float> target_guides;    // th x tw x FG (float32, kept for the finest level)
    DeviceArray<float> modulation;       // th x tw, or empty
    DeviceArray<std::uint8_t> allowed;   // sh x sw, or empty
    std::unique_ptr<Event> ready;        // null: already ordered on the compute stream
};

// Makes `device` current for a run and restores the caller's device afterwards.
class DeviceScope {
  public:
    explicit DeviceScope(int device) {
        check(cudaGetDevice(&previous_), "cudaGetDevice");
        if (device != previous_) check(cudaSetDevice(device), "cudaSetDevice");
    }
    DeviceScope(const DeviceScope&) = delete;
    DeviceScope& operator=(const DeviceScope&) = delete;
    ~DeviceScope() { cudaSetDevice(previous_); }

  private:
    int previous_ = 0;
};

// Orders `stream` after the work queued so far on the producer's stream (0: legacy default).
void wait_for_producer(std::uintptr_t producer, cudaStream_t stream) {
    const cudaStream_t source =
        producer == 0 ? cudaStreamLegacy : reinterpret_cast<cudaStream_t>(producer);
    Event produced;
    check(cudaEventRecord(produced.get(), source), "cudaEventRecord (input stream)");
    check(cudaStreamWaitEvent(stream, produced.get(), 0), "cudaStreamWaitEvent (input stream)");
}

// validate()'s pixel questions answered on the device: one small kernel and one wait each, at
// validation only (never per level).
class DevicePixelChecks final : public PixelChecks {
  public:
    DevicePixelChecks(Allocator& allocator, cudaStream_t stream)
        : allocator_(allocator), stream_(stream) {
        answer_ = allocator_.allocate(sizeof(unsigned long long), stream_, "validation result");
    }
    ~DevicePixelChecks() override {
        allocator_.release(answer_, sizeof(unsigned long long), stream_);
    }
    DevicePixelChecks(const DevicePixelChecks&) = delete;
    DevicePixelChecks& operator=(const DevicePixelChecks&) = delete;

    std::int64_t first_non_finite(const ImageView& image, float* value) const override {
        return first(image, value, launch_first_non_finite);
    }
    std::int64_t first_negative(const ImageView& image, float* value) const override {
        return first(image, value, launch_first_negative);
    }
    bool any_positive_inside(const ImageView& image, int margin) const override {
        auto* found = static_cast<unsigned*>(answer_);
        check(cudaMemsetAsync(found, 0, sizeof(unsigned), stream_), "validation reset");
        launch_any_positive_inside(image.data, image.width, image.height, margin, found, stream_);
        unsigned result = 0;
        read(&result, found, sizeof(result));
        return result != 0;
    }

  private:
    using Launcher = void (*)(const float*, std::size_t, unsigned long long*, cudaStream_t);

    std::int64_t first(const ImageView& image, float* value, Launcher launch) const {
        auto* index = static_cast<unsigned long long*>(answer_);
        constexpr unsigned long long kNone = ~0ull;
        check(cudaMemsetAsync(index, 0xff, sizeof(kNone), stream_), "validation reset");
        launch(image.data, std::size_t(image.width) * image.height * image.channels, index,
               stream_);
        unsigned long long result = kNone;
        read(&result, index, sizeof(result));
        if (result == kNone) return -1;
        read(value, image.data + result, sizeof(float));
        return std::int64_t(result);
    }

    void read(void* to, const void* from, std::size_t bytes) const {
        check(cudaMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToHost, stream_),
              "cudaMemcpyAsync (validation)");
        check(cudaStreamSynchronize(stream_), "validation");
    }

    Allocator& allocator_;
    cudaStream_t stream_;
    void* answer_ = nullptr;
};

// Frees a device result (cudaFree waits for work that may still read it).
template <typename T>
std::shared_ptr<T> device_result(std::size_t count, int device, const char* what) {
    void* p = nullptr;
    const cudaError_t error = cudaMalloc(&p, count * sizeof(T));
    if (error == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        throw SynthesisError(ErrorCode::out_of_memory,
                             "CUDA out of memory: " + std::to_string((count * sizeof(T)) >> 20) +
                                 " MiB for the result (" + what + ")");
    }
    check(error, what);
    return std::shared_ptr<T>(static_cast<T*>(p), [device](T* q) {
        int previous = 0;
        const bool switch_device = cudaGetDevice(&previous) == cudaSuccess && previous != device;
        if (switch_device) cudaSetDevice(device);
        cudaFree(q);
        if (switch_device) cudaSetDevice(previous);
        cudaGetLastError();
    });
}

std::uint64_t key_prefix(std::uint64_t seed, std::uint32_t level, std::uint32_t iteration) {
    // random_key's first two rounds; the kernels add (pixel, step) with the third.
    return random_key_prefix(seed, level, iteration);
}

int current_device() {
    int count = 0;
    const cudaError_t error = cudaGetDeviceCount(&count);
    if (error != cudaSuccess) {
        cudaGetLastError();
        throw SynthesisError(ErrorCode::unavailable,
                             std::string("no CUDA device: cudaGetDeviceCount returned ") +
                                 cudaGetErrorName(error) + " (" + cudaGetErrorString(error) + ")");
    }
    if (count == 0) {
        throw SynthesisError(ErrorCode::unavailable,
                             "no CUDA device: cudaGetDeviceCount found 0 devices");
    }
    int device = 0;
    check(cudaGetDevice(&device), "cudaGetDevice");
    return device;
}

class Runner {
  public:
    Runner(const SynthesisParams& params, int device, Progress& progress)
        : params_(params), progress_(progress), allocator_(device) {}

    // Host input: the prepared pyramid, uploaded level by level on the copy stream.
    void use_host_problem(const Problem& problem) {
        problem_ = &problem;
        set_channels();
        uploads_.resize(problem.levels.size());
    }

    // Device input: waits (on the device) for the producer's stream, validates on the device
    // and builds every level there. The host never touches a pixel.
    void use_device_input(const SynthesisInput& input) {
        wait_for_producer(input.cuda_stream, streams_.compute);
        {
            DevicePixelChecks pixels(allocator_, streams_.compute);
            validate(input, params_, pixels);
        }
        owned_problem_ = describe_problem(input, params_);
        device_input_ = true;
        problem_ = &owned_problem_;
        set_channels();
        uploads_.resize(owned_problem_.levels.size());
        build_device_pyramid(input);
    }

    ~Runner() {
        // Frees run on the compute stream: order them after anything still on the copy stream.
        cudaEvent_t done = nullptr;
        if (cudaEventCreateWithFlags(&done, cudaEventDisableTiming) == cudaSuccess) {
            if (cudaEventRecord(done, streams_.copy) == cudaSuccess) {
                cudaStreamWaitEvent(streams_.compute, done, 0);
            }
            cudaEventDestroy(done);
        }
        cudaGetLastError();
    }

    SynthesisResult run_to_host() {
        synthesize_levels();
        SynthesisResult result = finish_to_host();
        g_last_peak_bytes.store(allocator_.peak());
        finish_progress();
        return result;
    }

    DeviceSynthesisResult run_to_device(int device) {
        synthesize_levels();
        DeviceSynthesisResult result = finish_to_device(device);
        g_last_peak_bytes.store(allocator_.peak());
        finish_progress();
        return result;
    }

  private:
    void set_channels() {
        ns_ = problem_->style_channels;
        fs_ = problem_->style_feature_channels();
        fg_ = problem_->guide_feature_channels;
        f_ = fs_ + fg_;
        fs_padded_ = (fs_ + 1) / 2 * 2;
        fg_padded_ = (fg_ + 1) / 2 * 2;
        chunks_ = (fs_padded_ + fg_padded_ + 7) / 8;
        uniform_ = params_.uniformity > 0.0f;
        freeze_ = params_.stop_threshold > 0.0f;
    }

    // Every level, coarsest first; leaves the finest level's state in s_ for a finish_*().
    void synthesize_levels() {
        const int level_count = int(problem_->levels.size());
        if (level_count == 0) {
            throw SynthesisError(ErrorCode::internal, "no pyramid level to synthesize");
        }
        if (fs_ > 0 && style_channel_.get() == nullptr) {
            style_channel_ = array<int>(fs_, "style channel table");
            style_scale_ = array<float>(fs_, "style scale table");
            copy_to_device(style_channel_, problem_->style_feature_channel.data(),
                           streams_.compute);
            copy_to_device(style_scale_, problem_->style_feature_scale.data(), streams_.compute);
        }
        if (!device_input_) upload(0);
        progress_.begin(*problem_, params_);
        std::uint32_t round = 0;
        for (int l = 0; l < level_count; ++l) {
            // Enqueue level l, then copy level l + 1 while the device works through it.
            const bool finest = l == level_count - 1;
            begin_level(l);
            for (int it = 0; it < params_.search_vote_iters; ++it) {
                const bool last =
                    finest && it == params_.search_vote_iters - 1 &&
                    !(params_.extra_pass_3x3 && params_.patch_size != kPolishPatchSize);
                search_and_vote(round++, last);
            }
            if (!finest) {
                // Host input only; blocks the host on pageable memory, not the device.
                if (!device_input_) upload(l + 1);
                continue;
            }
            if (params_.extra_pass_3x3 && params_.patch_size != kPolishPatchSize) {
                set_patch_size(kPolishPatchSize);
                if (freeze_) {
                    check(cudaMemsetAsync(s_.frozen.get(), 0, s_.frozen.bytes(), streams_.compute),
                          "frozen reset");
                }
                rebuild_target();
                launch_recompute_ssd(features(), nnf(), ssd(), streams_.compute);
                search_and_vote(round++, true);
            }
        }
    }

    // Owned device copy of `count` floats of device input.
    DeviceArray<float> copy_of(const float* data, std::size_t count, const char* what) {
        DeviceArray<float> out = array<float>(count, what);
        if (count > 0) {
            check(cudaMemcpyAsync(out.get(), data, count * sizeof(float), cudaMemcpyDeviceToDevice,
                                  streams_.compute),
                  "cudaMemcpyAsync (input)");
        }
        return out;
    }

    // Gathers `table.size()` channels per pixel into a new pixels x channels array.
    DeviceArray<float> gather(const std::vector<ChannelSource>& table, std::size_t pixels,
                              const char* what) {
        DeviceArray<float> out = array<float>(pixels * table.size(), what);
        if (table.empty()) return out;
        DeviceArray<ChannelSource> device_table = array<ChannelSource>(table.size(), what);
        copy_to_device(device_table, table.data(), streams_.compute);
        launch_gather_channels(device_table.get(), int(table.size()), pixels, out.get(),
                               streams_.compute);
        return out;
    }

    DeviceArray<float> downsample(const DeviceArray<float>& in, int w, int h, int c,
                                  const char* what) {
        const int ow = (w + 1) / 2, oh = (h + 1) / 2;
        DeviceArray<float> out = array<float>(std::size_t(ow) * oh * c, what);
        if (c == 0) return out;
        DeviceArray<float> rows = array<float>(std::size_t(ow) * h * c, "downsample rows");
        launch_downsample(in.get(), w, h, c, rows.get(), out.get(), streams_.compute);
        return out;
    }

    // prepare_problem's pyramid on the device, every level at once, on the compute stream.
    void build_device_pyramid(const SynthesisInput& input) {
        const cudaStream_t cs = streams_.compute;
        const Problem& problem = *problem_;
        const int level_count = int(problem.levels.size());
        const Level& full = problem.levels.back();
        int sw = full.source_width, sh = full.source_height;
        int tw = full.target_width, th = full.target_height;
        // Full-size planes: style, and the weighted guide channels packed as on the host.
        DeviceArray<float> style =
            copy_of(input.style.data, std::size_t(sw) * sh * ns_, "style (device pyramid)");
        std::vector<ChannelSource> source_table, target_table;
        for (const GuideFeature& g : problem.guide_features) {
            const GuidePair& pair = input.guides[std::size_t(g.guide)];
            source_table.push_back({pair.source.data, pair.source.channels, g.channel, g.scale});
            target_table.push_back({pair.target.data, pair.target.channels, g.channel, g.scale});
        }
        DeviceArray<float> source_guides =
            gather(source_table, std::size_t(sw) * sh, "source guides (device pyramid)");
        DeviceArray<float> target_guides =
            gather(target_table, std::size_t(tw) * th, "target guides (device pyramid)");
        DeviceArray<float> modulation;
        if (input.modulation.data != nullptr) {
            modulation = copy_of(input.modulation.data, std::size_t(tw) * th, "modulation");
        }
        DeviceArray<std::uint8_t> allowed;
        if (input.source_mask.data != nullptr) {
            allowed = array<std::uint8_t>(std::size_t(sw) * sh, "source mask");
            launch_mask_allowed(input.source_mask.data, std::size_t(sw) * sh, allowed.get(), cs);
        }
        for (int l = level_count - 1; l >= 0; --l) {
            Upload& u = uploads_[l];
            // Source features: the scaled style channels, then the packed guide channels.
            std::vector<ChannelSource> features;
            for (int k = 0; k < fs_; ++k) {
                features.push_back({style.get(), ns_, problem.style_feature_channel[k],
                                    problem.style_feature_scale[k]});
            }
            for (int k = 0; k < fg_; ++k) features.push_back({source_guides.get(), fg_, k, 1.0f});
            u.source_features = gather(features, std::size_t(sw) * sh, "source features");
            if (l > 0) {
                DeviceArray<float> coarse_style = downsample(style, sw, sh, ns_, "style");
                DeviceArray<float> coarse_source_guides =
                    downsample(source_guides, sw, sh, fg_, "source guides");
                DeviceArray<float> coarse_target_guides =
                    downsample(target_guides, tw, th, fg_, "target guides");
                u.source_style = std::move(style);
                u.target_guides = std::move(target_guides);
                style = std::move(coarse_style);
                source_guides = std::move(coarse_source_guides);
                target_guides = std::move(coarse_target_guides);
                if (modulation.get() != nullptr) {
                    DeviceArray<float> coarse = downsample(modulation, tw, th, 1, "modulation");
                    u.modulation = std::move(modulation);
                    modulation = std::move(coarse);
                }
                if (allowed.get() != nullptr) {
                    DeviceArray<std::uint8_t> coarse = array<std::uint8_t>(
                        std::size_t((sw + 1) / 2) * ((sh + 1) / 2), "source mask");
                    launch_downsample_mask(allowed.get(), sw, sh, coarse.get(), cs);
                    u.allowed = std::move(allowed);
                    allowed = std::move(coarse);
                }
                sw = (sw + 1) / 2, sh = (sh + 1) / 2, tw = (tw + 1) / 2, th = (th + 1) / 2;
            } else {
                u.source_style = std::move(style);
                u.target_guides = std::move(target_guides);
                u.modulation = std::move(modulation);
                u.allowed = std::move(allowed);
            }
        }
    }

    // Working buffers of the level being synthesized.
    struct LevelState {
        int level = 0;
        int sw = 0, sh = 0, tw = 0, th = 0;
        int patch = 0, radius = 0;
        CentreRange centres;
        bool guides_only = false;  // the guide-only searches (coarsest level, finest border)
        DeviceArray<unsigned> max_bits;
        DeviceArray<float> scale;
        DeviceArray<uint4> source_half;  // padded by radius
        DeviceArray<__half2> guide_half;
        DeviceArray<uint4> target_half;
        DeviceArray<float> modulation;  // padded
        DeviceArray<int> allowed_work, allowed_list;
        DeviceArray<int2> nnf;
        DeviceArray<float> ssd;
        DeviceArray<float> style[2];
        int current_style = 0;  // index of the current style estimate
        DeviceArray<std::uint8_t> frozen, changed, changed_rows;
        DeviceArray<int> counts;
        DeviceArray<long long> occupancy_rows, patch_sum;
    };

    template <typename T> DeviceArray<T> array(std::size_t count, const char* what) {
        return DeviceArray<T>(allocator_, count, streams_.compute, streams_.compute, what);
    }

    template <typename T>
    void copy_to_device(DeviceArray<T>& to, const T* from, cudaStream_t stream) {
        if (to.size() == 0) return;
        check(cudaMemcpyAsync(to.get(), from, to.bytes(), cudaMemcpyHostToDevice, stream),
              "cudaMemcpyAsync (upload)");
    }

    void upload(int l) {
        const Level& level = problem_->levels[l];
        Upload& u = uploads_[l];
        const cudaStream_t s = streams_.copy;
        auto take = [&](DeviceArray<float>& to, const Plane& plane, const char* what) {
            to = DeviceArray<float>(allocator_, plane.data.size(), s, streams_.compute, what);
            copy_to_device(to, plane.data.data(), s);
        };
        take(u.source_features, level.source_features, "source features");
        take(u.source_style, level.source_style, "source style");
        take(u.target_guides, level.target_guides, "target guides");
        take(u.modulation, level.modulation, "modulation");
        u.allowed = DeviceArray<std::uint8_t>(allocator_, level.source_allowed.size(), s,
                                              streams_.compute, "source mask");
        copy_to_device(u.allowed, level.source_allowed.data(), s);
        u.ready = std::make_unique<Event>();
        check(cudaEventRecord(u.ready->get(), s), "cudaEventRecord");
    }

    HalfFeatures features() const {
        HalfFeatures f;
        f.source = s_.source_half.get();
        f.target = s_.target_half.get();
        f.modulation = s_.modulation.get();
        f.scale = s_.scale.get();
        f.sw = s_.sw;
        f.sh = s_.sh;
        f.spw = s_.sw + 2 * s_.radius;
        f.tw = s_.tw;
        f.th = s_.th;
        f.pw = s_.tw + 2 * s_.radius;
        f.ph = s_.th + 2 * s_.radius;
        f.patch = s_.patch;
        f.radius = s_.radius;
        f.chunks = chunks_;
        f.guide_half2 = fs_padded_ / 2;
        f.guides_only = s_.guides_only;
        f.centres = s_.centres;
        return f;
    }

    int2* nnf() { return s_.nnf.get(); }
    float* ssd() { return s_.ssd.get(); }
    float* style() { return s_.style[s_.current_style].get(); }
    const std::uint8_t* allowed() const { return uploads_[s_.level].allowed.get(); }
    CentreList centres() const {
        CentreList c;
        if (allowed() != nullptr) {
            c.list = s_.allowed_list.get();
            c.count = s_.allowed_work.get() + 2 * std::size_t(s_.sh);
        }
        c.range = s_.centres;
        return c;
    }

    // Patch-size dependent state: the source, target and modulation padded by the radius.
    void set_patch_size(int patch) {
        const cudaStream_t cs = streams_.compute;
        s_.patch = patch;
        s_.radius = patch / 2;
        const Upload& u = uploads_[s_.level];
        s_.centres = centre_range(s_.sw, s_.sh, s_.radius, s_.level, int(problem_->levels.size()),
                                  u.allowed.get() != nullptr);
        s_.source_half.reset();
        s_.source_half =
            array<uint4>(std::size_t(s_.sw + 2 * s_.radius) * (s_.sh + 2 * s_.radius) * chunks_,
                         "source features (half)");
        launch_convert_source(u.source_features.get(), s_.sw, s_.sh, s_.radius, fs_, fg_,
                              fs_padded_, chunks_, s_.scale.get(), s_.source_half.get(), cs);
        const std::size_t padded = std::size_t(s_.tw + 2 * s_.radius) * (s_.th + 2 * s_.radius);
        s_.target_half.reset();
        s_.target_half = array<uint4>(padded * chunks_, "target features (half)");
        if (u.modulation.get() != nullptr) {
            s_.modulation.reset();
            s_.modulation = array<float>(padded, "padded modulation");
            launch_pad_modulation(u.modulation.get(), s_.tw, s_.th, s_.radius, s_.modulation.get(),
                                  cs);
        }
    }

    void rebuild_target() {
        launch_rebuild_target(style(), ns_, style_channel_.get(), style_scale_.get(), fs_,
                              fs_padded_, s_.guide_half.get(), fg_padded_, s_.tw, s_.th, s_.radius,
                              chunks_, s_.scale.get(), s_.target_half.get(), streams_.compute);
    }

    void begin_level(int l) {
        const cudaStream_t cs = streams_.compute;
        const Level& level = problem_->levels[l];
        Upload& u = uploads_[l];
        if (u.ready) check(cudaStreamWaitEvent(cs, u.ready->get(), 0), "cudaStreamWaitEvent");

        LevelState previous = std::move(s_);
        s_ = LevelState();
        s_.level = l;
        s_.sw = level.source_width;
        s_.sh = level.source_height;
        s_.tw = level.target_width;
        s_.th = level.target_height;
        const std::size_t sn = std::size_t(s_.sw) * s_.sh;
        const std::size_t tn = std::size_t(s_.tw) * s_.th;
        // Half features with a power-of-two scale chosen from this level's value range.
        s_.max_bits = array<unsigned>(1, "feature range");
        s_.scale = array<float>(3, "feature scale");
        check(cudaMemsetAsync(s_.max_bits.get(), 0, sizeof(unsigned), cs), "range reset");
        launch_max_abs(u.source_features.get(), u.source_features.size(), s_.max_bits.get(), cs);
        launch_max_abs(u.target_guides.get(), u.target_guides.size(), s_.max_bits.get(), cs);
        launch_finish_scale(s_.max_bits.get(), s_.scale.get(), cs);
        if (fg_ > 0) {
            s_.guide_half = array<__half2>(tn * (fg_padded_ / 2), "target guides (half)");
            launch_convert_guides(u.target_guides.get(), tn, fg_, fg_padded_, s_.scale.get(),
                                  s_.guide_half.get(), cs);
        }
        if (u.allowed.get() != nullptr) {
            s_.allowed_work = array<int>(2 * std::size_t(s_.sh) + 1, "allowed centre scan");
            s_.allowed_list = array<int>(sn, "allowed centre list");
            launch_allowed_list(u.allowed.get(), s_.sw, s_.sh, s_.allowed_work.get(),
                                s_.allowed_list.get(), cs);
        }
        set_patch_size(params_.patch_size);
        const bool finest = l == int(problem_->levels.size()) - 1;
        if (!finest) {  // the finest keeps them for the 3x3 pass and the error map
            u.source_features.reset();
            u.target_guides.reset();
        }

        s_.nnf = array<int2>(tn, "NNF");
        s_.ssd = array<float>(tn, "patch distances");
        for (int i = 0; i < 2; ++i) s_.style[i] = array<float>(tn * ns_, "style estimate");
        if (freeze_) {
            s_.frozen = array<std::uint8_t>(tn, "frozen mask");
            s_.changed = array<std::uint8_t>(tn, "changed mask");
            s_.changed_rows = array<std::uint8_t>(tn, "changed rows");
            check(cudaMemsetAsync(s_.frozen.get(), 0, tn, cs), "frozen reset");
        }
        if (uniform_) {
            s_.counts = array<int>(sn, "occupancy counts");
            if (occupancy_uses_rows(params_.patch_size)) {
                s_.occupancy_rows = array<long long>(sn, "occupancy rows");
            }
            s_.patch_sum = array<long long>(sn, "occupancy sums");
        }

        if (l == 0) {
            launch_random_init(s_.tw, s_.th, s_.sw, s_.sh, allowed(), centres(), params_.seed,
                               std::uint32_t(l), nnf(), cs);
        } else {
            launch_upsample_nnf(previous.nnf.get(), previous.tw, previous.th, s_.tw, s_.th, s_.sw,
                                s_.sh, allowed(), centres(), params_.seed, std::uint32_t(l), nnf(),
                                cs);
        }
        // Release the coarser level (its buffers and raw uploads).
        if (l > 0) {
            Upload& pu = uploads_[l - 1];
            pu.source_style.reset();
            pu.modulation.reset();
            pu.allowed.reset();
        }
        previous = LevelState();
        // Match counts per source centre, kept current by PatchMatch from here on.
        if (uniform_) launch_count_matches(nnf(), s_.tw, s_.th, s_.sw, s_.sh, s_.counts.get(), cs);

        if (l == 0 && fg_ > 0) initial_guide_search();
        if (fg_ > 0 &&
            enters_open_from_interior(l, int(problem_->levels.size()), allowed() != nullptr)) {
            border_guide_search();
        }
        // Starting point: plain vote of the initial NNF.
        launch_vote(nnf(), ssd(), s_.tw, s_.th, u.source_style.get(), s_.sw, s_.sh, ns_, s_.radius,
                    false, style(), cs);
        rebuild_target();
        launch_recompute_ssd(features(), nnf(), ssd(), cs);
        checkpoint(progress_.vote_units(s_.level));
    }

    // The CPU's guide_only_search: PatchMatch on the guides alone from iteration key
    // `first_iteration`, pixels set in `frozen` (when given) kept; `counted`: in the progress plan.
    void guide_only_search(std::uint32_t first_iteration, const std::uint8_t* frozen,
                           bool counted) {
        const cudaStream_t cs = streams_.compute;
        s_.guides_only = true;
        check(cudaMemsetAsync(style(), 0, std::size_t(s_.tw) * s_.th * ns_ * sizeof(float), cs),
              "style reset");
        rebuild_target();
        launch_recompute_ssd(features(), nnf(), ssd(), cs);
        for (int i = 0; i < params_.patchmatch_iters; ++i) {
            patchmatch(first_iteration + std::uint32_t(i), frozen);
            if (counted) checkpoint(progress_.iteration_units(s_.level));
        }
        s_.guides_only = false;
    }

    // The CPU's initial_guide_search: with no style estimate yet, PatchMatch on the guides alone
    // places the coarsest NNF where the guides say.
    void initial_guide_search() { guide_only_search(kInitialSearchIteration, nullptr, true); }

    // The CPU's border_guide_search: after interior-only levels, the target pixels near the border
    // search the guides alone (the others held frozen) to reach the border centres now open.
    void border_guide_search() {
        DeviceArray<std::uint8_t> band =
            array<std::uint8_t>(std::size_t(s_.tw) * s_.th, "border band");
        launch_border_band(s_.tw, s_.th, s_.radius, band.get(), streams_.compute);
        guide_only_search(kBorderSearchIteration, band.get(), false);
    }

    // One PatchMatch iteration: the four parity classes of pixels in turn, each with a fresh
    // occupancy map. `frozen` overrides the stop threshold's mask (the border search's band).
    void patchmatch(std::uint32_t iteration, const std::uint8_t* frozen = nullptr) {
        const cudaStream_t cs = streams_.compute;
        const double area = double(s_.patch) * s_.patch;
        PatchMatchArgs a;
        a.f = features();
        a.nnf_in = a.nnf_out = nnf();
        a.ssd_in = a.ssd_out = ssd();
        a.frozen = frozen != nullptr ? frozen : freeze_ ? s_.frozen.get() : nullptr;
        a.allowed = allowed();
        a.patch_sum = uniform_ ? s_.patch_sum.get() : nullptr;
        a.counts = uniform_ ? s_.counts.get() : nullptr;
        a.occupancy_scale = float(double(params_.uniformity) * (double(s_.sw) * s_.sh) /
                                  (area * area * (double(s_.tw) * s_.th)));
        a.key_prefix = key_prefix(params_.seed, std::uint32_t(s_.level), iteration);
        a.max_radius = search_window(s_.sw, s_.sh, s_.level);
        for (int phase = 0; phase < 4; ++phase) {
            if (uniform_) {
                launch_occupancy(s_.counts.get(), s_.sw, s_.sh, s_.patch, s_.occupancy_rows.get(),
                                 s_.patch_sum.get(), cs);
            }
            a.phase = phase;
            launch_patchmatch(a, cs);
        }
    }

    void search_and_vote(std::uint32_t round, bool last) {
        const cudaStream_t cs = streams_.compute;
        for (int i = 0; i < params_.patchmatch_iters; ++i) {
            patchmatch(round * std::uint32_t(params_.patchmatch_iters) + std::uint32_t(i));
            checkpoint(progress_.iteration_units(s_.level));
        }
        float* before = style();
        float* after = s_.style[s_.current_style ^ 1].get();
        launch_vote(nnf(), ssd(), s_.tw, s_.th, uploads_[s_.level].source_style.get(), s_.sw, s_.sh,
                    ns_, s_.radius, params_.vote_mode == VoteMode::weighted, after, cs);
        if (freeze_) {
            launch_update_frozen(before, after, s_.tw, s_.th, ns_, s_.radius,
                                 params_.stop_threshold, s_.changed.get(), s_.changed_rows.get(),
                                 s_.frozen.get(), cs);
        }
        s_.current_style ^= 1;
        if (!last) {  // else the float32 error map follows instead
            rebuild_target();
            launch_recompute_ssd(features(), nnf(), ssd(), cs);
        }
        checkpoint(progress_.vote_units(s_.level));
    }

    // Progress without a host wait per launch: each step (a PatchMatch iteration, a vote) ends
    // with an event; the host then waits for the previous step's event, so the device always has
    // the step just queued to work on while the host reports the one before and checks for a
    // cancel. Only with a progress callback; results do not depend on it (same launches, same
    // stream order).
    void checkpoint(std::uint64_t units) {
        if (!progress_.active()) return;
        if (!marks_[0]) {
            marks_[0] = std::make_unique<Event>();
            marks_[1] = std::make_unique<Event>();
        }
        check(cudaEventRecord(marks_[next_mark_]->get(), streams_.compute),
              "cudaEventRecord (progress)");
        next_mark_ ^= 1;
        if (pending_units_ > 0) {
            check(cudaEventSynchronize(marks_[next_mark_]->get()), "synthesis (progress)");
            progress_.advance(pending_units_);  // throws when cancelled
        }
        pending_units_ = units;
    }

    // After the result's host wait: the last step is done, the result complete.
    void finish_progress() {
        if (!progress_.active()) return;
        progress_.advance(pending_units_);
        pending_units_ = 0;
        progress_.finish();
    }

    // The float32 error map of the finest level's final match into `error` (tn floats).
    void final_error(float* error) {
        const Upload& u = uploads_[s_.level];
        launch_final_error(u.source_features.get(), s_.sw, s_.sh, f_, style(), ns_,
                           style_channel_.get(), style_scale_.get(), fs_, u.target_guides.get(),
                           u.modulation.get(), nnf(), s_.tw, s_.th, s_.patch, error,
                           streams_.compute);
    }

    SynthesisResult finish_to_host() {
        const cudaStream_t cs = streams_.compute;
        const std::size_t tn = std::size_t(s_.tw) * s_.th;
        DeviceArray<float> error = array<float>(tn, "error map");
        final_error(error.get());
        SynthesisResult result;
        result.width = s_.tw;
        result.height = s_.th;
        result.channels = ns_;
        result.image.resize(tn * ns_);
        result.nnf.resize(tn * 2);
        result.error.resize(tn);
        check(cudaMemcpyAsync(result.image.data(), style(), tn * ns_ * sizeof(float),
                              cudaMemcpyDeviceToHost, cs),
              "cudaMemcpyAsync (image)");
        check(cudaMemcpyAsync(result.nnf.data(), nnf(), tn * sizeof(int2), cudaMemcpyDeviceToHost,
                              cs),
              "cudaMemcpyAsync (NNF)");
        check(cudaMemcpyAsync(result.error.data(), error.get(), tn * sizeof(float),
                              cudaMemcpyDeviceToHost, cs),
              "cudaMemcpyAsync (error)");
        check(cudaStreamSynchronize(cs), "synthesis (kernel execution)");
        return result;
    }

    // The result in buffers of its own (they outlive the run's pool memory); the one host wait
    // makes them complete for every stream of the caller.
    DeviceSynthesisResult finish_to_device(int device) {
        const cudaStream_t cs = streams_.compute;
        const std::size_t tn = std::size_t(s_.tw) * s_.th;
        DeviceSynthesisResult result;
        result.width = s_.tw;
        result.height = s_.th;
        result.channels = ns_;
        result.device = device;
        result.image = device_result<float>(tn * ns_, device, "result image");
        result.nnf = device_result<std::int32_t>(tn * 2, device, "result NNF");
        result.error = device_result<float>(tn, device, "result error map");
        allocator_.count_external((tn * ns_ + tn * 2 + tn) * 4);
        final_error(result.error.get());
        check(cudaMemcpyAsync(result.image.get(), style(), tn * ns_ * sizeof(float),
                              cudaMemcpyDeviceToDevice, cs),
              "cudaMemcpyAsync (image)");
        static_assert(sizeof(int2) == 2 * sizeof(std::int32_t), "NNF layout");
        check(cudaMemcpyAsync(result.nnf.get(), nnf(), tn * sizeof(int2), cudaMemcpyDeviceToDevice,
                              cs),
              "cudaMemcpyAsync (NNF)");
        check(cudaStreamSynchronize(cs), "synthesis (kernel execution)");
        return result;
    }

    const SynthesisParams& params_;
    Progress& progress_;
    std::unique_ptr<Event> marks_[2];  // checkpoint events, recorded in turn
    int next_mark_ = 0;
    std::uint64_t pending_units_ = 0;  // work of the step queued last, not yet reported
    const Problem* problem_ = nullptr;
    Problem owned_problem_;  // device input: sizes and channel tables only
    bool device_input_ = false;
    // Declaration order matters: streams outlive every buffer, buffers free on them.
    Streams streams_;
    Allocator allocator_;
    int ns_ = 0, fs_ = 0, fg_ = 0, f_ = 0, fs_padded_ = 0, fg_padded_ = 0, chunks_ = 0;
    bool uniform_ = false, freeze_ = false;
    DeviceArray<int> style_channel_;
    DeviceArray<float> style_scale_;
    std::vector<Upload> uploads_;
    LevelState s_;
};

// ---- availability probe

std::uint64_t probe_hash(std::uint64_t i) { return mix64(i * 0x9e3779b97f4a7c15ULL + 7); }

// 32x32 identity case: style noise, guide = style. Every interior pixel must map to itself.
void self_check() {
    for (std::uint32_t i = 0; i < 4; ++i) {
        if (mix64(key_prefix(i + 3, i, 7 * i) ^ (std::uint64_t(i) << 32 | 5u)) !=
            random_key(i + 3, i, 7 * i, i, 5u)) {
            throw SynthesisError(ErrorCode::internal,
                                 "self-check: random key split disagrees with random_key");
        }
    }
    constexpr int n = 32;
    std::vector<float> image(std::size_t(n) * n * 3);
    for (std::size_t i = 0; i < image.size(); ++i) {
        image[i] = float(probe_hash(i) >> 40) / float(1 << 24);
    }
    SynthesisInput input;
    input.style = {image.data(), n, n, 3};
    input.guides.push_back({{image.data(), n, n, 3}, {image.data(), n, n, 3}, 1.0f});
    SynthesisParams params;
    params.backend = BackendKind::cuda;
    const Problem problem = prepare_problem(input, params);
    Progress no_progress(nullptr);
    const SynthesisResult result = run_cuda(problem, params, no_progress);
    if (result.width != n || result.height != n || result.nnf.size() != std::size_t(2) * n * n) {
        throw SynthesisError(ErrorCode::internal, "self-check: result has the wrong size");
    }
    const int r = params.patch_size / 2;
    int interior = 0, wrong = 0;
    double image_error = 0.0;
    for (int y = r; y < n - r; ++y) {
        for (int x = r; x < n - r; ++x) {
            const std::size_t p = std::size_t(y) * n + x;
            ++interior;
            if (result.nnf[2 * p] != x || result.nnf[2 * p + 1] != y) ++wrong;
            for (int c = 0; c < 3; ++c) {
                image_error += std::fabs(result.image[3 * p + c] - image[3 * p + c]);
            }
            if (!std::isfinite(result.error[p])) {
                throw SynthesisError(ErrorCode::internal, "self-check: non-finite error map");
            }
        }
    }
    // The identity is the unique optimum here; allow a stray pixel or two of search noise.
    if (wrong * 100 > interior) {
        throw SynthesisError(ErrorCode::internal, "self-check: " + std::to_string(wrong) + " of " +
                                                      std::to_string(interior) +
                                                      " interior pixels missed the identity match");
    }
    if (image_error / (3.0 * interior) > 0.01) {
        throw SynthesisError(ErrorCode::internal,
                             "self-check: synthesized image differs from the identity result");
    }
}

std::pair<bool, std::string> probe() {
    int count = 0;
    const cudaError_t error = cudaGetDeviceCount(&count);
    if (error != cudaSuccess) {
        cudaGetLastError();
        return {false, std::string("no CUDA device: cudaGetDeviceCount returned ") +
                           cudaGetErrorName(error) + " (" + cudaGetErrorString(error) + ")"};
    }
    if (count == 0) return {false, "no CUDA device: cudaGetDeviceCount found 0 devices"};
    int device = 0;
    cudaDeviceProp prop = {};
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
        cudaGetLastError();
        return {false, "CUDA device " + std::to_string(device) + " cannot be queried"};
    }
    const std::string name = std::string(prop.name) + " (compute capability " +
                             std::to_string(prop.major) + "." + std::to_string(prop.minor) + ")";
    try {
        self_check();
    } catch (const std::exception& e) {
        return {false, "CUDA self-check failed on " + name + ": " + e.what()};
    }
    return {true, name};
}

}  // namespace
}  // namespace cuda

std::size_t cuda_last_peak_bytes() { return cuda::g_last_peak_bytes.load(); }

bool cuda_available(std::string* reason) {
    static const std::pair<bool, std::string> status = cuda::probe();
    if (reason != nullptr) *reason = status.second;
    return status.first;
}

namespace cuda {
namespace {

// Runs `body` with every failure as a SynthesisError.
template <typename Body> auto guarded(Body&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const SynthesisError&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw SynthesisError(ErrorCode::out_of_memory, "CUDA backend: host out of memory");
    } catch (const std::exception& e) {
        throw SynthesisError(ErrorCode::internal, std::string("CUDA backend: ") + e.what());
    }
}

// The device of a job: the input's for device input, the caller's current one otherwise.
int job_device(const SynthesisInput* input) {
    const int current = current_device();  // also: is there a device at all
    return input != nullptr && input->memory == MemoryKind::cuda ? input->cuda_device : current;
}

void prepare_runner(Runner& runner, const Problem* problem, const SynthesisInput& input) {
    if (input.memory == MemoryKind::cuda) {
        runner.use_device_input(input);
    } else if (problem != nullptr) {
        runner.use_host_problem(*problem);
    } else {
        throw SynthesisError(ErrorCode::internal, "CUDA backend: host input without a pyramid");
    }
}

}  // namespace
}  // namespace cuda

void validate_cuda_input(const SynthesisInput& input, const SynthesisParams& params) {
    cuda::guarded([&] {
        const int device = cuda::job_device(&input);
        cuda::DeviceScope scope(device);
        cuda::Streams streams;
        cuda::Allocator allocator(device);
        cuda::wait_for_producer(input.cuda_stream, streams.compute);
        cuda::DevicePixelChecks pixels(allocator, streams.compute);
        validate(input, params, pixels);
    });
}

SynthesisResult run_cuda(const Problem& problem, const SynthesisParams& params,
                         Progress& progress) {
    return cuda::guarded([&] {
        const int device = cuda::job_device(nullptr);
        cuda::Runner runner(params, device, progress);
        runner.use_host_problem(problem);
        return runner.run_to_host();
    });
}

SynthesisResult run_cuda(const Problem* problem, const SynthesisInput& input,
                         const SynthesisParams& params, Progress& progress) {
    return cuda::guarded([&] {
        const int device = cuda::job_device(&input);
        cuda::DeviceScope scope(device);
        cuda::Runner runner(params, device, progress);
        cuda::prepare_runner(runner, problem, input);
        return runner.run_to_host();
    });
}

DeviceSynthesisResult run_cuda_to_device(const Problem* problem, const SynthesisInput& input,
                                         const SynthesisParams& params, Progress& progress) {
    return cuda::guarded([&] {
        const int device = cuda::job_device(&input);
        cuda::DeviceScope scope(device);
        cuda::Runner runner(params, device, progress);
        cuda::prepare_runner(runner, problem, input);
        return runner.run_to_device(device);
    });
}

}  // namespace synthfx
