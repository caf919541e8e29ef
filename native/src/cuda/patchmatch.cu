// SPDX-License-Identifier: Apache-2.0
// PatchMatch kernels. One group of G lanes per target pixel: the lanes split each patch row into
// 16-byte chunks (coalesced reads of the source row) and sum it with shuffles, so the early exit
// against the best cost is taken per row as on the CPU. G is chosen so a lane holds at most
// kSlots chunks of a row per pass. One launch updates one parity class of pixels in place
// (core.cuh holds the per-pixel logic).
#include "core.cuh"

namespace synthfx::cuda {
namespace {

constexpr int kBlock = 256;

template <int G>
__global__ void __launch_bounds__(kBlock, 2) patchmatch_kernel(const PatchMatchArgs a) {
    const long long group = (static_cast<long long>(blockIdx.x) * kBlock + threadIdx.x) / G;
    const int width = phase_width(a.f.tw, a.phase), height = phase_height(a.f.th, a.phase);
    if (group >= static_cast<long long>(width) * height) return;  // whole groups leave
    const int x = 2 * int(group % width) + (a.phase & 1);
    const int y = 2 * int(group / width) + (a.phase >> 1);
    patchmatch_pixel<G>(a, x, y, int(threadIdx.x) & (G - 1), group_mask<G>());
}

template <int G>
__global__ void __launch_bounds__(kBlock)
    recompute_ssd_kernel(const HalfFeatures f, const int2* __restrict__ nnf,
                         float* __restrict__ ssd) {
    const long long pixel = (static_cast<long long>(blockIdx.x) * kBlock + threadIdx.x) / G;
    if (pixel >= static_cast<long long>(f.tw) * f.th) return;
    recompute_ssd_pixel<G>(f, nnf, ssd, pixel, int(threadIdx.x) & (G - 1), group_mask<G>());
}

template <int G> void launch_patchmatch_g(const PatchMatchArgs& a, cudaStream_t stream) {
    const std::size_t threads =
        std::size_t(phase_width(a.f.tw, a.phase)) * phase_height(a.f.th, a.phase) * G;
    if (threads == 0) return;  // a 1-pixel-wide lattice has empty phases; grid 0 is an error
    patchmatch_kernel<G><<<grid_for(threads, kBlock), kBlock, 0, stream>>>(a);
}

template <int G>
void launch_recompute_g(const HalfFeatures& f, const int2* nnf, float* ssd, cudaStream_t stream) {
    const std::size_t threads = std::size_t(f.tw) * f.th * G;
    if (threads == 0) return;
    recompute_ssd_kernel<G><<<grid_for(threads, kBlock), kBlock, 0, stream>>>(f, nnf, ssd);
}

}  // namespace

void launch_patchmatch(const PatchMatchArgs& args, cudaStream_t stream) {
    switch (group_lanes(args.f)) {
    case 2: launch_patchmatch_g<2>(args, stream); break;
    case 4: launch_patchmatch_g<4>(args, stream); break;
    case 8: launch_patchmatch_g<8>(args, stream); break;
    case 16: launch_patchmatch_g<16>(args, stream); break;
    default: launch_patchmatch_g<32>(args, stream); break;
    }
    check_launch("patchmatch kernel");
}

void launch_recompute_ssd(const HalfFeatures& f, const int2* nnf, float* ssd, cudaStream_t stream) {
    switch (group_lanes(f)) {
    case 2: launch_recompute_g<2>(f, nnf, ssd, stream); break;
    case 4: launch_recompute_g<4>(f, nnf, ssd, stream); break;
    case 8: launch_recompute_g<8>(f, nnf, ssd, stream); break;
    case 16: launch_recompute_g<16>(f, nnf, ssd, stream); break;
    default: launch_recompute_g<32>(f, nnf, ssd, stream); break;
    }
    check_launch("distance kernel");
}

}  // namespace synthfx::cuda
