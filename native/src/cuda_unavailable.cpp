// SPDX-License-Identifier: Apache-2.0
// Stand-ins for the CUDA backend in a build without a CUDA toolkit.
#include "problem.h"

namespace synthfx {

bool cuda_available(std::string* reason) {
    if (reason) *reason = "this synthfx build has no CUDA backend (built without a CUDA toolkit)";
    return false;
}

SynthesisResult run_cuda(const Problem&, const SynthesisParams&) {
    throw SynthesisError(ErrorCode::unavailable,
                         "CUDA backend unavailable: this synthfx build has no CUDA backend");
}

}  // namespace synthfx
