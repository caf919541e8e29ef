// SPDX-License-Identifier: Apache-2.0
// Device-resident input: the pixel checks of validate() and the pyramid of prepare_problem(),
// computed where the input lies. Same arithmetic as the host (products and sums rounded one by
// one, never fused), so a device pyramid equals the host's bit for bit.
#include <algorithm>

#include "core.cuh"

namespace synthfx::cuda {
namespace {

constexpr unsigned kBlock = 256;
constexpr unsigned kMaxReduceBlocks = 4096;  // grid-stride reductions: enough to fill any GPU

__device__ __forceinline__ std::size_t thread_index() {
    return std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ std::size_t thread_count() {
    return std::size_t(gridDim.x) * blockDim.x;
}

// The smallest index wins whatever the order the threads get there: the result is the first
// offending element in row-major order, as on the host.
__global__ void first_non_finite_kernel(const float* __restrict__ data, std::size_t count,
                                        unsigned long long* __restrict__ first) {
    for (std::size_t i = thread_index(); i < count; i += thread_count()) {
        if (!isfinite(data[i])) {
            atomicMin(first, static_cast<unsigned long long>(i));
            return;  // later elements of this thread have larger indices
        }
    }
}

__global__ void first_negative_kernel(const float* __restrict__ data, std::size_t count,
                                      unsigned long long* __restrict__ first) {
    for (std::size_t i = thread_index(); i < count; i += thread_count()) {
        if (data[i] < 0.0f) {
            atomicMin(first, static_cast<unsigned long long>(i));
            return;
        }
    }
}

__global__ void any_positive_inside_kernel(const float* __restrict__ data, int width, int height,
                                           int margin, unsigned* __restrict__ found) {
    const int inner_w = width - 2 * margin, inner_h = height - 2 * margin;
    const std::size_t count = std::size_t(inner_w) * inner_h;
    for (std::size_t i = thread_index(); i < count; i += thread_count()) {
        const int x = margin + int(i % inner_w), y = margin + int(i / inner_w);
        if (data[std::size_t(y) * width + x] > 0.0f) {
            atomicOr(found, 1u);
            return;
        }
    }
}

__global__ void gather_channels_kernel(const ChannelSource* __restrict__ table, int channels,
                                       std::size_t pixels, float* __restrict__ out) {
    const std::size_t i = thread_index();
    if (i >= pixels * channels) return;
    out[i] = gather_channel(table, channels, i);
}

// The host's downsample(), row pass (core.cuh).
__global__ void downsample_rows_kernel(const float* __restrict__ in, int w, int h, int c,
                                       float* __restrict__ out) {
    const std::size_t i = thread_index();
    if (i >= std::size_t((w + 1) / 2) * h * c) return;
    out[i] = downsample_row(in, w, c, i);
}

// The same along y on the row pass's output (ow x h x c) into ow x oh x c.
__global__ void downsample_columns_kernel(const float* __restrict__ in, int ow, int h, int c,
                                          float* __restrict__ out) {
    const std::size_t i = thread_index();
    if (i >= std::size_t(ow) * ((h + 1) / 2) * c) return;
    out[i] = downsample_column(in, ow, h, c, i);
}

__global__ void mask_allowed_kernel(const float* __restrict__ mask, std::size_t pixels,
                                    std::uint8_t* __restrict__ allowed) {
    const std::size_t i = thread_index();
    if (i >= pixels) return;
    allowed[i] = mask[i] > 0.0f ? 1 : 0;
}

// The host's downsample_mask() (core.cuh).
__global__ void downsample_mask_kernel(const std::uint8_t* __restrict__ in, int w, int h,
                                       std::uint8_t* __restrict__ out) {
    const std::size_t i = thread_index();
    if (i >= std::size_t((w + 1) / 2) * ((h + 1) / 2)) return;
    out[i] = downsample_mask_pixel(in, w, h, i);
}

unsigned reduce_blocks(std::size_t count) {
    return std::max(1u, std::min(grid_for(count, kBlock), kMaxReduceBlocks));
}

}  // namespace

void launch_first_non_finite(const float* data, std::size_t count, unsigned long long* first,
                             cudaStream_t stream) {
    if (count == 0) return;
    first_non_finite_kernel<<<reduce_blocks(count), kBlock, 0, stream>>>(data, count, first);
    check_launch("non-finite check kernel");
}

void launch_first_negative(const float* data, std::size_t count, unsigned long long* first,
                           cudaStream_t stream) {
    if (count == 0) return;
    first_negative_kernel<<<reduce_blocks(count), kBlock, 0, stream>>>(data, count, first);
    check_launch("negative value check kernel");
}

void launch_any_positive_inside(const float* data, int width, int height, int margin,
                                unsigned* found, cudaStream_t stream) {
    if (width <= 2 * margin || height <= 2 * margin) return;
    const std::size_t count = std::size_t(width - 2 * margin) * (height - 2 * margin);
    any_positive_inside_kernel<<<reduce_blocks(count), kBlock, 0, stream>>>(data, width, height,
                                                                            margin, found);
    check_launch("source mask check kernel");
}

void launch_gather_channels(const ChannelSource* table, int channels, std::size_t pixels,
                            float* out, cudaStream_t stream) {
    const std::size_t count = pixels * std::size_t(channels);
    if (count == 0) return;
    gather_channels_kernel<<<grid_for(count, kBlock), kBlock, 0, stream>>>(table, channels, pixels,
                                                                           out);
    check_launch("channel gather kernel");
}

void launch_downsample(const float* in, int w, int h, int c, float* rows, float* out,
                       cudaStream_t stream) {
    const int ow = (w + 1) / 2, oh = (h + 1) / 2;
    const std::size_t row_count = std::size_t(ow) * h * c;
    const std::size_t out_count = std::size_t(ow) * oh * c;
    if (out_count == 0) return;
    downsample_rows_kernel<<<grid_for(row_count, kBlock), kBlock, 0, stream>>>(in, w, h, c, rows);
    check_launch("downsample row kernel");
    downsample_columns_kernel<<<grid_for(out_count, kBlock), kBlock, 0, stream>>>(rows, ow, h, c,
                                                                                  out);
    check_launch("downsample column kernel");
}

void launch_mask_allowed(const float* mask, std::size_t pixels, std::uint8_t* allowed,
                         cudaStream_t stream) {
    if (pixels == 0) return;
    mask_allowed_kernel<<<grid_for(pixels, kBlock), kBlock, 0, stream>>>(mask, pixels, allowed);
    check_launch("source mask kernel");
}

void launch_downsample_mask(const std::uint8_t* in, int w, int h, std::uint8_t* out,
                            cudaStream_t stream) {
    const std::size_t count = std::size_t((w + 1) / 2) * ((h + 1) / 2);
    if (count == 0) return;
    downsample_mask_kernel<<<grid_for(count, kBlock), kBlock, 0, stream>>>(in, w, h, out);
    check_launch("source mask downsample kernel");
}

}  // namespace synthfx::cuda
