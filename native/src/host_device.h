// SPDX-License-Identifier: Apache-2.0
// Marks inline functions that the CPU backend and the CUDA kernels share.
#pragma once

#if defined(__CUDACC__)
#define SYNTHFX_HD __host__ __device__ inline
#else
#define SYNTHFX_HD inline
#endif
