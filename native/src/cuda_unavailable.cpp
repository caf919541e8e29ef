// SPDX-License-Identifier: Apache-2.0
// Stand-ins for the CUDA backend in a build without a CUDA toolkit: it reports itself
// unavailable and has used no device memory.
#include "problem.h"

namespace synthfx {

namespace {

constexpr const char* kNoCuda =
    "this synthfx build has no CUDA backend (built without a CUDA toolkit)";

[[noreturn]] void unavailable() {
    throw SynthesisError(ErrorCode::unavailable,
                         std::string("CUDA backend unavailable: ") + kNoCuda);
}

}  // namespace

bool cuda_available(std::string* reason) {
    if (reason) *reason = kNoCuda;
    return false;
}

std::size_t cuda_last_peak_bytes() { return 0; }

void validate_cuda_input(const SynthesisInput&, const SynthesisParams&) { unavailable(); }

SynthesisResult run_cuda(const Problem&, const SynthesisParams&, Progress&) { unavailable(); }

SynthesisResult run_cuda(const Problem*, const SynthesisInput&, const SynthesisParams&, Progress&) {
    unavailable();
}

DeviceSynthesisResult run_cuda_to_device(const Problem*, const SynthesisInput&,
                                         const SynthesisParams&, Progress&) {
    unavailable();
}

}  // namespace synthfx
