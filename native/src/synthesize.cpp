// SPDX-License-Identifier: Apache-2.0
// Entry point: validate, prepare the pyramid, dispatch to a backend.
#include <new>

#include "problem.h"

#ifndef SYNTHFX_VERSION
#define SYNTHFX_VERSION "0.0.0"
#endif

namespace synthfx {

const char* version() { return SYNTHFX_VERSION; }

SynthesisResult synthesize(const SynthesisInput& input, const SynthesisParams& params) {
    // Validate first so bad input reports the same error whichever backend was asked for.
    Problem problem = prepare_problem(input, params);
    switch (params.backend) {
    case BackendKind::cpu:
        return run_cpu(problem, params);
    case BackendKind::cuda: {
        std::string reason;
        if (!cuda_available(&reason)) {
            throw SynthesisError(ErrorCode::unavailable, "CUDA backend unavailable: " + reason);
        }
        return run_cuda(problem, params);
    }
    case BackendKind::automatic:
    default:
        // CUDA stays opt-in (backend=cuda) until the CUDA backend has been verified on
        // hardware against the CPU backend; auto then picks it when cuda_available().
        return run_cpu(problem, params);
    }
}

}  // namespace synthfx
