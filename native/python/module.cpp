// SPDX-License-Identifier: Apache-2.0
// synthfx._native: NumPy in, NumPy out (zero-copy both ways), or CUDA arrays in (any DLPack
// producer: torch, CuPy...) and CUDA arrays out (DLPack, zero-copy both ways); errors as
// SynthesisError. Conversion and error mapping only; the logic lives in the engine.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "../src/cpu_level.h"
#include "synthfx/synthesis.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

// Any device: host arrays (NumPy, CPU tensors) or CUDA device arrays (DLPack).
using InputArray = nb::ndarray<const float, nb::ndim<3>, nb::c_contig>;
// A starting NNF: host memory only (the CPU backend reads it).
using NnfArray =
    nb::ndarray<const std::int32_t, nb::shape<-1, -1, 2>, nb::c_contig, nb::device::cpu>;

synthfx::ImageView view(const InputArray& a) {
    return {a.data(), int(a.shape(1)), int(a.shape(0)), int(a.shape(2))};
}

// Where an array's data lies, as the engine sees it: host memory (pageable or pinned) or CUDA
// device memory (plain or managed).
std::optional<synthfx::MemoryKind> memory_of(const InputArray& a) {
    switch (a.device_type()) {
    case nb::device::cpu::value:
    case nb::device::cuda_host::value: return synthfx::MemoryKind::host;
    case nb::device::cuda::value:
    case nb::device::cuda_managed::value: return synthfx::MemoryKind::cuda;
    default: return std::nullopt;
    }
}

std::string device_name(const InputArray& a) {
    const auto memory = memory_of(a);
    if (!memory) return "DLPack device type " + std::to_string(a.device_type());
    if (*memory == synthfx::MemoryKind::host) return "the host";
    return "cuda:" + std::to_string(a.device_id());
}

// Every array of a job must lie on the style image's device.
void check_same_device(const InputArray& style, const InputArray& a, const std::string& name) {
    if (!memory_of(style)) {
        throw synthfx::SynthesisError(synthfx::ErrorCode::invalid_argument,
                                      "the style image lies on " + device_name(style) +
                                          ": only host and CUDA arrays are supported");
    }
    if (memory_of(a) != memory_of(style) ||
        (memory_of(a) == synthfx::MemoryKind::cuda && a.device_id() != style.device_id())) {
        throw synthfx::SynthesisError(synthfx::ErrorCode::invalid_argument,
                                      name + " lies on " + device_name(a) +
                                          " but the style image on " + device_name(style) +
                                          ": put every array on one device");
    }
}

const char* code_name(synthfx::ErrorCode code) {
    switch (code) {
    case synthfx::ErrorCode::invalid_argument: return "invalid_argument";
    case synthfx::ErrorCode::size_mismatch: return "size_mismatch";
    case synthfx::ErrorCode::non_finite: return "non_finite";
    case synthfx::ErrorCode::empty_image: return "empty_image";
    case synthfx::ErrorCode::unavailable: return "unavailable";
    case synthfx::ErrorCode::out_of_memory: return "out_of_memory";
    case synthfx::ErrorCode::internal: return "internal";
    case synthfx::ErrorCode::cancelled: return "cancelled";
    default: return "ok";
    }
}

// Hands a vector's buffer to NumPy without a copy; the capsule frees it.
template <typename T>
nb::ndarray<nb::numpy, T> to_numpy(std::vector<T>&& values, std::initializer_list<size_t> shape) {
    auto* owned = new std::vector<T>(std::move(values));
    nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
    return nb::ndarray<nb::numpy, T>(owned->data(), shape, owner);
}

// Hands a device result's buffer to any DLPack consumer without a copy; the capsule keeps the
// buffer (shared with the other arrays of the result's owner) alive.
template <typename T>
nb::ndarray<nb::array_api, T> to_device_array(std::shared_ptr<T> data,
                                              std::initializer_list<size_t> shape, int device) {
    auto* owned = new std::shared_ptr<T>(std::move(data));
    nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::shared_ptr<T>*>(p); });
    return nb::ndarray<nb::array_api, T>(owned->get(), shape, owner, {}, nb::dtype<T>(),
                                         nb::device::cuda::value, device);
}

// The engine's progress callback, calling `progress(fraction)` with the GIL held (the engine
// runs without it). A truthy return cancels; an exception it raises stops the engine and then
// propagates (the engine rethrows it, nanobind restores it).
synthfx::SynthesisControl control_of(const nb::object& progress) {
    synthfx::SynthesisControl control;
    if (progress.is_none()) return control;
    control.progress = [&progress](float fraction) {
        nb::gil_scoped_acquire gil;
        nb::object answer = progress(fraction);
        const int truthy = PyObject_IsTrue(answer.ptr());
        if (truthy < 0) throw nb::python_error();
        return truthy != 0;
    };
    return control;
}

nb::object error_type;

}  // namespace

// The engine parameters as the binding receives them (the order of synthfx.engine's call).
synthfx::SynthesisParams params_of(float style_weight, float uniformity, int patch_size,
                                   int pyramid_levels, int search_vote_iters, int patchmatch_iters,
                                   float stop_threshold, bool extra_pass_3x3, int vote_mode,
                                   std::uint64_t seed, int threads, int backend) {
    synthfx::SynthesisParams p;
    p.style_weight = style_weight;
    p.uniformity = uniformity;
    p.patch_size = patch_size;
    p.pyramid_levels = pyramid_levels;
    p.search_vote_iters = search_vote_iters;
    p.patchmatch_iters = patchmatch_iters;
    p.stop_threshold = stop_threshold;
    p.extra_pass_3x3 = extra_pass_3x3;
    p.vote_mode = synthfx::VoteMode(vote_mode);
    p.seed = seed;
    p.threads = threads;
    p.backend = synthfx::BackendKind(backend);
    return p;
}

NB_MODULE(_native, m) {
    m.doc() = "synthfx native patch-synthesis engine";
    // Before any engine code can run: an ImportError that says why, not an illegal instruction.
    if (const std::string problem = synthfx::cpu_level_problem(); !problem.empty())
        throw std::runtime_error(problem);
    error_type = nb::borrow(PyErr_NewExceptionWithDoc(
        "synthfx._native.SynthesisError", "Engine error: args are (message, code name).",
        PyExc_ValueError, nullptr));
    m.attr("SynthesisError") = error_type;
    nb::register_exception_translator([](const std::exception_ptr& p, void*) {
        try {
            std::rethrow_exception(p);
        } catch (const synthfx::SynthesisError& e) {
            nb::object args = nb::make_tuple(e.what(), code_name(e.code()));
            PyErr_SetObject(error_type.ptr(), args.ptr());
        }
    });

    m.def("version", &synthfx::version);
    m.def(
        "cuda_available",
        [] {
            std::string reason;
            const bool ok = synthfx::cuda_available(&reason);
            return std::make_tuple(ok, reason);
        },
        "Whether the CUDA backend can run here, and why not.");
    m.def("cuda_last_peak_bytes", &synthfx::cuda_last_peak_bytes,
          "Peak device memory (bytes) of the last CUDA synthesis; 0 without one.");
    m.def(
        "validate_params",
        [](float style_weight, float uniformity, int patch_size, int pyramid_levels,
           int search_vote_iters, int patchmatch_iters, float stop_threshold, bool extra_pass_3x3,
           int vote_mode, std::uint64_t seed, int threads, int backend) {
            const synthfx::SynthesisParams p =
                params_of(style_weight, uniformity, patch_size, pyramid_levels, search_vote_iters,
                          patchmatch_iters, stop_threshold, extra_pass_3x3, vote_mode, seed,
                          threads, backend);
            synthfx::validate_params(p);
        },
        "style_weight"_a, "uniformity"_a, "patch_size"_a, "pyramid_levels"_a, "search_vote_iters"_a,
        "patchmatch_iters"_a, "stop_threshold"_a, "extra_pass_3x3"_a, "vote_mode"_a, "seed"_a,
        "threads"_a, "backend"_a,
        "Raises SynthesisError when a parameter is out of range (no image needed).");
    m.def("max_pyramid_levels", &synthfx::max_pyramid_levels, "source_width"_a, "source_height"_a,
          "target_width"_a, "target_height"_a, "patch_size"_a);

    m.def(
        "synthesize",
        [](const InputArray& style,
           const std::vector<std::tuple<InputArray, InputArray, float>>& guides,
           const std::optional<InputArray>& modulation,
           const std::optional<InputArray>& source_mask, float style_weight, float uniformity,
           int patch_size, int pyramid_levels, int search_vote_iters, int patchmatch_iters,
           float stop_threshold, bool extra_pass_3x3, int vote_mode, std::uint64_t seed,
           int threads, int backend, std::uintptr_t cuda_stream, const nb::object& progress,
           const std::optional<NnfArray>& initial_nnf, int initial_nnf_levels) -> nb::tuple {
            if (!progress.is_none() && !PyCallable_Check(progress.ptr())) {
                throw synthfx::SynthesisError(synthfx::ErrorCode::invalid_argument,
                                              "progress must be callable or None");
            }
            check_same_device(style, style, "the style image");
            synthfx::SynthesisInput input;
            input.style = view(style);
            for (std::size_t i = 0; i < guides.size(); ++i) {
                const auto& [source, target, weight] = guides[i];
                check_same_device(style, source, "guide " + std::to_string(i) + " source");
                check_same_device(style, target, "guide " + std::to_string(i) + " target");
                input.guides.push_back({view(source), view(target), weight});
            }
            if (modulation) {
                check_same_device(style, *modulation, "modulation");
                input.modulation = view(*modulation);
            }
            if (source_mask) {
                check_same_device(style, *source_mask, "source_mask");
                input.source_mask = view(*source_mask);
            }
            if (initial_nnf) {
                input.initial_nnf = {initial_nnf->data(), int(initial_nnf->shape(1)),
                                     int(initial_nnf->shape(0))};
                input.initial_nnf_levels = initial_nnf_levels;
            }
            input.memory = *memory_of(style);
            if (input.memory == synthfx::MemoryKind::cuda) {
                input.cuda_device = style.device_id();
                input.cuda_stream = cuda_stream;
            }
            const synthfx::SynthesisParams p =
                params_of(style_weight, uniformity, patch_size, pyramid_levels, search_vote_iters,
                          patchmatch_iters, stop_threshold, extra_pass_3x3, vote_mode, seed,
                          threads, backend);
            const synthfx::SynthesisControl control = control_of(progress);
            if (input.memory == synthfx::MemoryKind::cuda) {
                synthfx::DeviceSynthesisResult r;
                {
                    nb::gil_scoped_release release;
                    r = synthfx::synthesize_to_device(input, p, &control);
                }
                const size_t h = size_t(r.height), w = size_t(r.width), c = size_t(r.channels);
                return nb::make_tuple(to_device_array(std::move(r.image), {h, w, c}, r.device),
                                      to_device_array(std::move(r.nnf), {h, w, 2}, r.device),
                                      to_device_array(std::move(r.error), {h, w}, r.device));
            }
            synthfx::SynthesisResult r;
            {
                nb::gil_scoped_release release;
                r = synthfx::synthesize(input, p, &control);
            }
            const size_t h = size_t(r.height), w = size_t(r.width), c = size_t(r.channels);
            return nb::make_tuple(to_numpy(std::move(r.image), {h, w, c}),
                                  to_numpy(std::move(r.nnf), {h, w, 2}),
                                  to_numpy(std::move(r.error), {h, w}));
        },
        "style"_a, "guides"_a, "modulation"_a.none(), "source_mask"_a.none(), "style_weight"_a,
        "uniformity"_a, "patch_size"_a, "pyramid_levels"_a, "search_vote_iters"_a,
        "patchmatch_iters"_a, "stop_threshold"_a, "extra_pass_3x3"_a, "vote_mode"_a, "seed"_a,
        "threads"_a, "backend"_a, "cuda_stream"_a = 0, "progress"_a = nb::none(),
        "initial_nnf"_a = nb::none(), "initial_nnf_levels"_a = 1,
        "Low-level entry; use synthfx.engine.synthesize. Returns (image, nnf, error): NumPy\n"
        "arrays for host input, CUDA DLPack arrays for CUDA input (backend cuda only).\n"
        "cuda_stream: the stream that produces CUDA input (0: legacy default stream).\n"
        "progress: None or progress(fraction) -> truthy to cancel (SynthesisError 'cancelled');\n"
        "an exception it raises propagates once the engine has stopped.\n"
        "initial_nnf: None or a (H_t, W_t, 2) int32 starting NNF; initial_nnf_levels: how many\n"
        "of the finest levels then run (CPU backend).");
}
