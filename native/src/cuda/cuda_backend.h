// SPDX-License-Identifier: Apache-2.0
// Extras of the CUDA backend beyond run_cuda / cuda_available (declared in problem.h and
// synthfx/synthesis.h).
#pragma once

#include <cstddef>

namespace synthfx {

// Peak device memory in bytes held by the last CUDA synthesis that finished in this process
// (buffers this backend allocated, not the CUDA context); 0 before the first run.
std::size_t cuda_last_peak_bytes();

}  // namespace synthfx
