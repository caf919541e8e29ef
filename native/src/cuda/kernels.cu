// SPDX-License-Identifier: Apache-2.0
// Per-level kernels other than PatchMatch: feature conversion, allowed-centre list, NNF
// initialisation and upsampling, occupancy, voting, stop-threshold freezing and the float32 error
// map. Deterministic throughout: integer atomics only, float sums in a fixed order (core.cuh).
#include <algorithm>

#include "core.cuh"

namespace synthfx::cuda {
namespace {

constexpr unsigned kBlock = 256;

__device__ __forceinline__ std::size_t thread_index() {
    return std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
}

__global__ void max_abs_kernel(const float* __restrict__ data, std::size_t count,
                               unsigned* max_bits) {
    float m = 0.0f;
    for (std::size_t i = thread_index(); i < count; i += std::size_t(gridDim.x) * blockDim.x) {
        m = fmaxf(m, fabsf(data[i]));
    }
    for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
    // Non-negative floats order like their bit patterns: an integer max is exact and order-free.
    if ((threadIdx.x & 31u) == 0 && m > 0.0f) atomicMax(max_bits, __float_as_uint(m));
}

__global__ void finish_scale_kernel(const unsigned* max_bits, float* scale) {
    feature_scale(__uint_as_float(*max_bits), scale);
}

__global__ void convert_source_kernel(const float* __restrict__ raw, int sw, int sh, int radius,
                                      int fs, int fg, int fs_padded, int half2s,
                                      const float* __restrict__ scale, __half2* __restrict__ out) {
    const std::size_t i = thread_index();
    if (i >= std::size_t(sw + 2 * radius) * (sh + 2 * radius) * half2s) return;
    out[i] = source_half2(raw, sw, sh, radius, i, fs, fg, fs_padded, half2s, scale[0]);
}

__global__ void convert_guides_kernel(const float* __restrict__ raw, std::size_t pixels, int fg,
                                      int fg_padded, const float* __restrict__ scale,
                                      __half2* __restrict__ out) {
    const std::size_t i = thread_index();
    if (i >= pixels * (fg_padded / 2)) return;
    out[i] = guide_half2(raw, i, fg, fg_padded, scale[0]);
}

__global__ void rebuild_target_kernel(const float* __restrict__ style, int ns,
                                      const int* __restrict__ style_channel,
                                      const float* __restrict__ style_scale, int fs, int fs_padded,
                                      const __half2* __restrict__ guides, int fg_padded, int tw,
                                      int th, int radius, int half2s,
                                      const float* __restrict__ scale, __half2* __restrict__ out) {
    const std::size_t i = thread_index();
    if (i >= std::size_t(tw + 2 * radius) * (th + 2 * radius) * half2s) return;
    out[i] = target_half2(style, ns, style_channel, style_scale, fs, fs_padded, guides, fg_padded,
                          tw, th, radius, half2s, scale[0], i);
}

__global__ void pad_modulation_kernel(const float* __restrict__ modulation, int tw, int th,
                                      int radius, float* __restrict__ out) {
    const std::size_t i = thread_index();
    if (i >= std::size_t(tw + 2 * radius) * (th + 2 * radius)) return;
    out[i] = padded_modulation(modulation, tw, th, radius, i);
}

// ---- allowed centres in row-major order (the CPU's allowed_centres): row counts, a one-block
// scan, then an ordered fill with one warp per row.

__global__ void allowed_row_count_kernel(const std::uint8_t* __restrict__ allowed, int sw,
                                         int* __restrict__ row_count) {
    __shared__ int block_count;
    const int y = int(blockIdx.x);
    if (threadIdx.x == 0) block_count = 0;
    __syncthreads();
    int count = 0;
    for (int x = int(threadIdx.x); x < sw; x += int(blockDim.x)) {
        count += allowed[std::size_t(y) * sw + x] != 0 ? 1 : 0;
    }
    for (int o = 16; o > 0; o >>= 1) count += __shfl_xor_sync(0xffffffffu, count, o);
    if ((threadIdx.x & 31u) == 0) atomicAdd(&block_count, count);
    __syncthreads();
    if (threadIdx.x == 0) row_count[y] = block_count;
}

constexpr int kScanThreads = 1024;

__global__ void __launch_bounds__(kScanThreads)
    allowed_scan_kernel(const int* __restrict__ row_count, int sh, int* __restrict__ row_offset,
                        int* __restrict__ total) {
    __shared__ int sums[kScanThreads];
    const int t = int(threadIdx.x);
    const int per = (sh + kScanThreads - 1) / kScanThreads;
    const int begin = min(t * per, sh), end = min(begin + per, sh);
    int local = 0;
    for (int y = begin; y < end; ++y) local += row_count[y];
    sums[t] = local;
    __syncthreads();
    for (int o = 1; o < kScanThreads; o <<= 1) {
        const int add = t >= o ? sums[t - o] : 0;
        __syncthreads();
        sums[t] += add;
        __syncthreads();
    }
    int offset = sums[t] - local;
    for (int y = begin; y < end; ++y) {
        row_offset[y] = offset;
        offset += row_count[y];
    }
    if (t == kScanThreads - 1) *total = sums[t];
}

__global__ void allowed_fill_kernel(const std::uint8_t* __restrict__ allowed, int sw, int sh,
                                    const int* __restrict__ row_offset, int* __restrict__ list) {
    const int warps = int(blockDim.x) / 32;
    const int y = int(blockIdx.x) * warps + int(threadIdx.x) / 32;
    const int lane = int(threadIdx.x) & 31;
    if (y >= sh) return;  // whole warps leave
    int offset = row_offset[y];
    for (int x0 = 0; x0 < sw; x0 += 32) {
        const int x = x0 + lane;
        const bool keep = x < sw && allowed[std::size_t(y) * sw + x] != 0;
        const unsigned ballot = __ballot_sync(0xffffffffu, keep);
        if (keep) list[offset + __popc(ballot & ((1u << lane) - 1u))] = y * sw + x;
        offset += __popc(ballot);
    }
}

__global__ void random_init_kernel(int tw, int th, int sw, int sh,
                                   const std::uint8_t* __restrict__ allowed, CentreList centres,
                                   std::uint64_t seed, std::uint32_t level,
                                   int2* __restrict__ nnf) {
    const std::size_t p = thread_index();
    if (p >= std::size_t(tw) * th) return;
    nnf[p] = random_init_pixel(sw, sh, allowed, centres, seed, level, p);
}

__global__ void upsample_nnf_kernel(const int2* __restrict__ coarse, int cw, int ch, int tw, int th,
                                    int sw, int sh, const std::uint8_t* __restrict__ allowed,
                                    CentreList centres, std::uint64_t seed, std::uint32_t level,
                                    int2* __restrict__ nnf) {
    const std::size_t p = thread_index();
    if (p >= std::size_t(tw) * th) return;
    nnf[p] = upsample_pixel(coarse, cw, ch, tw, sw, sh, allowed, centres, seed, level, p);
}

__global__ void border_band_kernel(int tw, int th, int radius, std::uint8_t* __restrict__ frozen) {
    const std::size_t p = thread_index();
    if (p >= std::size_t(tw) * th) return;
    const int x = int(p % tw), y = int(p / tw);
    frozen[p] = needs_border_search(x, y, tw, th, radius) ? 0 : 1;
}

__global__ void scatter_counts_kernel(const int2* __restrict__ nnf, std::size_t pixels, int sw,
                                      int* __restrict__ counts) {
    const std::size_t p = thread_index();
    if (p >= pixels) return;
    const int2 q = nnf[p];
    atomicAdd(&counts[std::size_t(q.y) * sw + q.x], 1);
}

__global__ void occupancy_rows_kernel(const int* __restrict__ counts, int sw, int sh, int radius,
                                      long long* __restrict__ out) {
    const std::size_t i = thread_index();
    if (i >= std::size_t(sw) * sh) return;
    out[i] = occupancy_row(counts, sw, radius, i);
}

__global__ void __launch_bounds__(kOccupancyThreads)
    occupancy_tile_kernel(const int* __restrict__ counts, int sw, int sh, int radius,
                          long long* __restrict__ patch_sum) {
    __shared__ int tile[kOccupancyHaloW * kOccupancyHaloH];
    __shared__ long long rows[kOccupancyTileW * kOccupancyHaloH];
    const int x0 = int(blockIdx.x) * kOccupancyTileW, y0 = int(blockIdx.y) * kOccupancyTileH;
    const int tid = int(threadIdx.x);
    occupancy_tile_load(counts, sw, sh, radius, x0, y0, tile, tid);
    __syncthreads();
    occupancy_tile_rows(tile, sw, radius, x0, rows, tid);
    __syncthreads();
    occupancy_tile_sums(rows, sw, sh, radius, x0, y0, patch_sum, tid);
}

__global__ void occupancy_columns_kernel(const long long* __restrict__ rows, int sw, int sh,
                                         int radius, long long* __restrict__ out) {
    const std::size_t i = thread_index();
    if (i >= std::size_t(sw) * sh) return;
    out[i] = occupancy_column(rows, sw, sh, radius, i);
}

__global__ void vote_kernel(const int2* __restrict__ nnf, const float* __restrict__ ssd, int tw,
                            int th, const float* __restrict__ source_style, int sw, int sh, int ns,
                            int radius, bool weighted, float* __restrict__ out) {
    const std::size_t p = thread_index();
    if (p >= std::size_t(tw) * th) return;
    vote_pixel(nnf, ssd, tw, th, source_style, sw, sh, ns, radius, weighted, out, p);
}

__global__ void changed_kernel(const float* __restrict__ before, const float* __restrict__ after,
                               std::size_t pixels, int ns, float threshold,
                               std::uint8_t* __restrict__ changed) {
    const std::size_t p = thread_index();
    if (p >= pixels) return;
    changed[p] = changed_pixel(before, after, ns, threshold, p);
}

__global__ void dilate_rows_kernel(const std::uint8_t* __restrict__ in, int tw, int th, int radius,
                                   std::uint8_t* __restrict__ out) {
    const std::size_t i = thread_index();
    if (i >= std::size_t(tw) * th) return;
    out[i] = dilate_row(in, tw, radius, i);
}

__global__ void frozen_columns_kernel(const std::uint8_t* __restrict__ rows, int tw, int th,
                                      int radius, std::uint8_t* __restrict__ frozen) {
    const std::size_t i = thread_index();
    if (i >= std::size_t(tw) * th) return;
    frozen[i] = frozen_column(rows, tw, th, radius, i);
}

__global__ void
final_error_kernel(const float* __restrict__ source, int sw, int sh, int f,
                   const float* __restrict__ style, int ns, const int* __restrict__ style_channel,
                   const float* __restrict__ style_scale, int fs, const float* __restrict__ guides,
                   const float* __restrict__ modulation, const int2* __restrict__ nnf, int tw,
                   int th, int patch, float* __restrict__ error) {
    const std::size_t p = thread_index();
    if (p >= std::size_t(tw) * th) return;
    error[p] = final_error_pixel(source, sw, sh, f, style, ns, style_channel, style_scale, fs,
                                 guides, modulation, nnf, tw, th, patch, p);
}

}  // namespace

void launch_max_abs(const float* data, std::size_t count, unsigned* max_bits, cudaStream_t stream) {
    if (count == 0) return;
    const unsigned blocks = std::min<unsigned>(grid_for(count, kBlock), 2048u);
    max_abs_kernel<<<blocks, kBlock, 0, stream>>>(data, count, max_bits);
    check_launch("feature range kernel");
}

void launch_finish_scale(const unsigned* max_bits, float* scale, cudaStream_t stream) {
    finish_scale_kernel<<<1, 1, 0, stream>>>(max_bits, scale);
    check_launch("feature scale kernel");
}

void launch_convert_source(const float* raw, int sw, int sh, int radius, int fs, int fg,
                           int fs_padded, int chunks, const float* scale, uint4* out,
                           cudaStream_t stream) {
    const int half2s = chunks * 4;
    const std::size_t count = std::size_t(sw + 2 * radius) * (sh + 2 * radius) * half2s;
    convert_source_kernel<<<grid_for(count, kBlock), kBlock, 0, stream>>>(
        raw, sw, sh, radius, fs, fg, fs_padded, half2s, scale, reinterpret_cast<__half2*>(out));
    check_launch("source feature conversion");
}

void launch_convert_guides(const float* raw, std::size_t pixels, int fg, int fg_padded,
                           const float* scale, __half2* out, cudaStream_t stream) {
    if (fg == 0) return;
    convert_guides_kernel<<<grid_for(pixels * (fg_padded / 2), kBlock), kBlock, 0, stream>>>(
        raw, pixels, fg, fg_padded, scale, out);
    check_launch("target guide conversion");
}

void launch_rebuild_target(const float* style, int ns, const int* style_channel,
                           const float* style_scale, int fs, int fs_padded, const __half2* guides,
                           int fg_padded, int tw, int th, int radius, int chunks,
                           const float* scale, uint4* out, cudaStream_t stream) {
    const int half2s = chunks * 4;
    const std::size_t count = std::size_t(tw + 2 * radius) * (th + 2 * radius) * half2s;
    rebuild_target_kernel<<<grid_for(count, kBlock), kBlock, 0, stream>>>(
        style, ns, style_channel, style_scale, fs, fs_padded, guides, fg_padded, tw, th, radius,
        half2s, scale, reinterpret_cast<__half2*>(out));
    check_launch("target feature kernel");
}

void launch_pad_modulation(const float* modulation, int tw, int th, int radius, float* out,
                           cudaStream_t stream) {
    const std::size_t count = std::size_t(tw + 2 * radius) * (th + 2 * radius);
    pad_modulation_kernel<<<grid_for(count, kBlock), kBlock, 0, stream>>>(modulation, tw, th,
                                                                          radius, out);
    check_launch("modulation padding kernel");
}

void launch_allowed_list(const std::uint8_t* allowed, int sw, int sh, int* row_work, int* list,
                         cudaStream_t stream) {
    int* row_count = row_work;
    int* row_offset = row_work + sh;
    int* total = row_work + 2 * sh;
    allowed_row_count_kernel<<<unsigned(sh), kBlock, 0, stream>>>(allowed, sw, row_count);
    check_launch("allowed centre count kernel");
    allowed_scan_kernel<<<1, kScanThreads, 0, stream>>>(row_count, sh, row_offset, total);
    check_launch("allowed centre scan kernel");
    allowed_fill_kernel<<<grid_for(std::size_t(sh), kBlock / 32), kBlock, 0, stream>>>(
        allowed, sw, sh, row_offset, list);
    check_launch("allowed centre list kernel");
}

void launch_random_init(int tw, int th, int sw, int sh, const std::uint8_t* allowed,
                        CentreList centres, std::uint64_t seed, std::uint32_t level, int2* nnf,
                        cudaStream_t stream) {
    random_init_kernel<<<grid_for(std::size_t(tw) * th, kBlock), kBlock, 0, stream>>>(
        tw, th, sw, sh, allowed, centres, seed, level, nnf);
    check_launch("NNF initialisation kernel");
}

void launch_upsample_nnf(const int2* coarse, int cw, int ch, int tw, int th, int sw, int sh,
                         const std::uint8_t* allowed, CentreList centres, std::uint64_t seed,
                         std::uint32_t level, int2* nnf, cudaStream_t stream) {
    upsample_nnf_kernel<<<grid_for(std::size_t(tw) * th, kBlock), kBlock, 0, stream>>>(
        coarse, cw, ch, tw, th, sw, sh, allowed, centres, seed, level, nnf);
    check_launch("NNF upsampling kernel");
}

void launch_border_band(int tw, int th, int radius, std::uint8_t* frozen, cudaStream_t stream) {
    border_band_kernel<<<grid_for(std::size_t(tw) * th, kBlock), kBlock, 0, stream>>>(
        tw, th, radius, frozen);
    check_launch("border band kernel");
}

void launch_count_matches(const int2* nnf, int tw, int th, int sw, int sh, int* counts,
                          cudaStream_t stream) {
    const std::size_t target_pixels = std::size_t(tw) * th;
    check(cudaMemsetAsync(counts, 0, std::size_t(sw) * sh * sizeof(int), stream),
          "occupancy reset");
    scatter_counts_kernel<<<grid_for(target_pixels, kBlock), kBlock, 0, stream>>>(
        nnf, target_pixels, sw, counts);
    check_launch("occupancy count kernel");
}

bool occupancy_uses_rows(int patch) { return patch / 2 > kOccupancyMaxRadius; }

void launch_occupancy(const int* counts, int sw, int sh, int patch, long long* rows,
                      long long* patch_sum, cudaStream_t stream) {
    if (patch / 2 <= kOccupancyMaxRadius) {  // one pass through shared memory
        const dim3 grid(unsigned((sw + kOccupancyTileW - 1) / kOccupancyTileW),
                        unsigned((sh + kOccupancyTileH - 1) / kOccupancyTileH));
        occupancy_tile_kernel<<<grid, kOccupancyThreads, 0, stream>>>(counts, sw, sh, patch / 2,
                                                                      patch_sum);
        check_launch("occupancy kernel");
        return;
    }
    const std::size_t source_pixels = std::size_t(sw) * sh;
    occupancy_rows_kernel<<<grid_for(source_pixels, kBlock), kBlock, 0, stream>>>(counts, sw, sh,
                                                                                  patch / 2, rows);
    check_launch("occupancy row kernel");
    occupancy_columns_kernel<<<grid_for(source_pixels, kBlock), kBlock, 0, stream>>>(
        rows, sw, sh, patch / 2, patch_sum);
    check_launch("occupancy column kernel");
}

void launch_vote(const int2* nnf, const float* ssd, int tw, int th, const float* source_style,
                 int sw, int sh, int ns, int radius, bool weighted, float* out,
                 cudaStream_t stream) {
    vote_kernel<<<grid_for(std::size_t(tw) * th, kBlock), kBlock, 0, stream>>>(
        nnf, ssd, tw, th, source_style, sw, sh, ns, radius, weighted, out);
    check_launch("vote kernel");
}

void launch_update_frozen(const float* before, const float* after, int tw, int th, int ns,
                          int radius, float threshold, std::uint8_t* changed, std::uint8_t* rows,
                          std::uint8_t* frozen, cudaStream_t stream) {
    const std::size_t pixels = std::size_t(tw) * th;
    const unsigned grid = grid_for(pixels, kBlock);
    changed_kernel<<<grid, kBlock, 0, stream>>>(before, after, pixels, ns, threshold, changed);
    check_launch("stop threshold kernel");
    dilate_rows_kernel<<<grid, kBlock, 0, stream>>>(changed, tw, th, radius, rows);
    check_launch("stop threshold row kernel");
    frozen_columns_kernel<<<grid, kBlock, 0, stream>>>(rows, tw, th, radius, frozen);
    check_launch("stop threshold column kernel");
}

void launch_final_error(const float* source_features, int sw, int sh, int f, const float* style,
                        int ns, const int* style_channel, const float* style_scale, int fs,
                        const float* target_guides, const float* modulation, const int2* nnf,
                        int tw, int th, int patch, float* error, cudaStream_t stream) {
    final_error_kernel<<<grid_for(std::size_t(tw) * th, kBlock), kBlock, 0, stream>>>(
        source_features, sw, sh, f, style, ns, style_channel, style_scale, fs, target_guides,
        modulation, nnf, tw, th, patch, error);
    check_launch("error map kernel");
}

}  // namespace synthfx::cuda
