// SPDX-License-Identifier: Apache-2.0
// synthfx._native: NumPy in, NumPy out (zero-copy both ways), errors as SynthesisError.
// Conversion and error mapping only; the logic lives in the engine.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <tuple>
#include <vector>

#include "synthfx/synthesis.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

using InputArray = nb::ndarray<const float, nb::ndim<3>, nb::c_contig, nb::device::cpu>;

synthfx::ImageView view(const InputArray& a) {
    return {a.data(), int(a.shape(1)), int(a.shape(0)), int(a.shape(2))};
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

nb::object error_type;

}  // namespace

NB_MODULE(_native, m) {
    m.doc() = "synthfx native patch-synthesis engine";
    error_type = nb::borrow(PyErr_NewExceptionWithDoc(
        "synthfx._native.SynthesisError",
        "Engine error: args are (message, code name).", PyExc_ValueError, nullptr));
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
    m.def("cuda_available", [] {
        std::string reason;
        const bool ok = synthfx::cuda_available(&reason);
        return std::make_tuple(ok, reason);
    }, "Whether the CUDA backend can run here, and why not.");
    m.def("max_pyramid_levels", &synthfx::max_pyramid_levels, "source_width"_a,
          "source_height"_a, "target_width"_a, "target_height"_a, "patch_size"_a);

    m.def(
        "synthesize",
        [](const InputArray& style, const std::vector<std::tuple<InputArray, InputArray, float>>& guides,
           const std::optional<InputArray>& modulation, const std::optional<InputArray>& source_mask,
           float style_weight, float uniformity, int patch_size, int pyramid_levels,
           int search_vote_iters, int patchmatch_iters, float stop_threshold, bool extra_pass_3x3,
           int vote_mode, std::uint64_t seed, int threads, int backend) {
            synthfx::SynthesisInput input;
            input.style = view(style);
            for (const auto& [source, target, weight] : guides) {
                input.guides.push_back({view(source), view(target), weight});
            }
            if (modulation) input.modulation = view(*modulation);
            if (source_mask) input.source_mask = view(*source_mask);
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
            synthfx::SynthesisResult r;
            {
                nb::gil_scoped_release release;
                r = synthfx::synthesize(input, p);
            }
            const size_t h = size_t(r.height), w = size_t(r.width), c = size_t(r.channels);
            return nb::make_tuple(to_numpy(std::move(r.image), {h, w, c}),
                                  to_numpy(std::move(r.nnf), {h, w, 2}),
                                  to_numpy(std::move(r.error), {h, w}));
        },
        "style"_a, "guides"_a, "modulation"_a.none(), "source_mask"_a.none(), "style_weight"_a,
        "uniformity"_a, "patch_size"_a, "pyramid_levels"_a, "search_vote_iters"_a,
        "patchmatch_iters"_a, "stop_threshold"_a, "extra_pass_3x3"_a, "vote_mode"_a, "seed"_a,
        "threads"_a, "backend"_a,
        "Low-level entry; use synthfx.engine.synthesize. Returns (image, nnf, error).");
}
