// SPDX-License-Identifier: Apache-2.0
// Entry points: check where the input lies, validate, prepare the pyramid, dispatch to a backend.
#include <new>

#include "problem.h"
#include "progress.h"

#ifndef SYNTHFX_VERSION
#define SYNTHFX_VERSION "0.0.0"
#endif

namespace synthfx {

namespace {

const char* backend_name(BackendKind backend) {
    switch (backend) {
    case BackendKind::cpu: return "cpu";
    case BackendKind::cuda: return "cuda";
    default: return "auto";
    }
}

// Throws unless the CUDA backend can run here.
void require_cuda() {
    std::string reason;
    if (!cuda_available(&reason)) {
        throw SynthesisError(ErrorCode::unavailable, "CUDA backend unavailable: " + reason);
    }
}

// Device input runs where it lies: the CUDA backend, asked for by name (auto stays on the CPU
// until the CUDA backend is verified on hardware, and a silent device-to-host copy would hide
// the cost the caller avoided by keeping the input on the device).
void require_cuda_backend_for_device_input(const SynthesisInput& input,
                                           const SynthesisParams& params) {
    if (params.backend == BackendKind::cuda) return;
    throw SynthesisError(ErrorCode::invalid_argument,
                         std::string("the input is in CUDA device memory (device ") +
                             std::to_string(input.cuda_device) + ") but backend is " +
                             backend_name(params.backend) +
                             ": use backend cuda, or copy the input to the host first");
}

// The CUDA backend has no kernel for a starting NNF yet; it must not silently ignore one.
void require_no_initial_nnf_on_cuda(const Problem& problem) {
    if (problem.initial_nnf.empty()) return;
    throw SynthesisError(ErrorCode::invalid_argument,
                         "initial_nnf (NNF seeding) is not implemented on the CUDA backend yet: "
                         "use backend cpu or auto");
}

}  // namespace

// The release, then the revision of the results: cache keys hold this string, so the revision
// goes up with every change that alters an output bit (2: border centre ranges; 3: finer levels
// search narrower windows).
#define SYNTHFX_RESULTS_REVISION "3"
const char* version() { return SYNTHFX_VERSION "+results." SYNTHFX_RESULTS_REVISION; }

SynthesisResult synthesize(const SynthesisInput& input, const SynthesisParams& params,
                           const SynthesisControl* control) {
    Progress progress(control);
    return with_progress(progress, [&] {
        if (input.memory == MemoryKind::cuda) {
            require_cuda_backend_for_device_input(input, params);
            require_cuda();
            return run_cuda(nullptr, input, params, progress);  // validates on the device
        }
        // Validate first so bad input reports the same error whichever backend was asked for.
        Problem problem = prepare_problem(input, params);
        switch (params.backend) {
        case BackendKind::cpu: return run_cpu(problem, params, progress);
        case BackendKind::cuda:
            require_no_initial_nnf_on_cuda(problem);
            require_cuda();
            return run_cuda(problem, params, progress);
        case BackendKind::automatic:
        default:
            // CUDA stays opt-in (backend=cuda) until the CUDA backend has been verified on
            // hardware against the CPU backend; auto then picks it when cuda_available().
            return run_cpu(problem, params, progress);
        }
    });
}

DeviceSynthesisResult synthesize_to_device(const SynthesisInput& input,
                                           const SynthesisParams& params,
                                           const SynthesisControl* control) {
    Progress progress(control);
    return with_progress(progress, [&] {
        if (input.memory == MemoryKind::cuda) {
            require_cuda_backend_for_device_input(input, params);
            require_cuda();
            return run_cuda_to_device(nullptr, input, params, progress);
        }
        if (params.backend != BackendKind::cuda) {
            throw SynthesisError(ErrorCode::invalid_argument,
                                 std::string("a result in device memory needs backend cuda (got ") +
                                     backend_name(params.backend) + ")");
        }
        Problem problem = prepare_problem(input, params);
        require_no_initial_nnf_on_cuda(problem);
        require_cuda();
        return run_cuda_to_device(&problem, input, params, progress);
    });
}

}  // namespace synthfx
