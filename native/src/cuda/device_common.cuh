// SPDX-License-Identifier: Apache-2.0
// Internal interface of the CUDA backend: error handling, device views of a pyramid level and
// the host-side launchers of every kernel (each .cu keeps its kernels private).
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "../centre_range.h"
#include "synthfx/synthesis.h"

namespace synthfx::cuda {

// Throws SynthesisError for a failed CUDA call: out_of_memory for allocation failures,
// unavailable when no usable device/driver/kernel image is there, internal otherwise.
[[noreturn]] void throw_cuda_error(cudaError_t error, const char* what);

inline void check(cudaError_t error, const char* what) {
    if (error != cudaSuccess) throw_cuda_error(error, what);
}

// After a kernel launch: reports launch failures (bad configuration, missing kernel image).
inline void check_launch(const char* what) { check(cudaPeekAtLastError(), what); }

inline unsigned grid_for(std::size_t threads, unsigned block) {
    return unsigned((threads + block - 1) / block);
}

// Search features of one level in half precision. A pixel is `chunks` 16-byte chunks (8 halves):
// the style features (padded to an even count), then the guide features (padded to an even
// count), then zeros. Values are pre-multiplied by a per-level power of two (scale[0]) that keeps
// them inside half range; distances are scaled back exactly by scale[2] = 1 / scale[0]^2.
// Source and target are both padded by `radius` replicated pixels (as on the CPU), so a patch
// centred anywhere in the image reads whole rows starting at padded (x, y).
struct HalfFeatures {
    const uint4* source = nullptr;      // (sh + 2r) x spw x chunks
    const uint4* target = nullptr;      // ph x pw x chunks
    const float* modulation = nullptr;  // ph x pw, or null
    const float* scale = nullptr;       // device [s, s^2, 1/s^2]
    int sw = 0, sh = 0, spw = 0, tw = 0, th = 0, pw = 0, ph = 0;
    int patch = 0, radius = 0;
    int chunks = 0;            // 16-byte chunks per pixel
    int guide_half2 = 0;       // index of the first guide half2 within a pixel
    bool guides_only = false;  // compare the guide channels only (no style estimate yet)
    CentreRange centres;       // where source patch centres may lie on this level
};

// One phase of a PatchMatch iteration: the pixels of one parity class (x % 2, y % 2), updated in
// place. A pixel reads its own match and its four neighbours' (other classes), writes its own.
struct PatchMatchArgs {
    HalfFeatures f;
    const int2* nnf_in = nullptr;   // the same buffer as nnf_out
    const float* ssd_in = nullptr;  // the same buffer as ssd_out
    int2* nnf_out = nullptr;
    float* ssd_out = nullptr;
    const std::uint8_t* frozen = nullptr;   // null: nothing frozen
    const std::uint8_t* allowed = nullptr;  // sh x sw, null: every centre allowed
    const long long* patch_sum = nullptr;   // sh x sw occupancy patch sums, null: uniformity 0
    int* counts = nullptr;  // sh x sw matches per source centre, kept current (uniformity > 0)
    float occupancy_scale = 0.0f;
    std::uint64_t key_prefix = 0;  // random_key's (seed, level, iteration) part
    int max_radius = 1;
    int phase = 0;  // pixels updated by this launch: x % 2 == phase % 2, y % 2 == phase / 2
};

// Width and height of the pixel lattice of one phase.
__host__ __device__ inline int phase_width(int tw, int phase) { return (tw - (phase & 1) + 1) / 2; }
__host__ __device__ inline int phase_height(int th, int phase) {
    return (th - (phase >> 1) + 1) / 2;
}

// Source centres a random pick may land on (the CPU's allowed_centres): null list = no mask.
struct CentreList {
    const int* list = nullptr;   // allowed source pixel indices, row-major order
    const int* count = nullptr;  // device: list length
    CentreRange range;           // where centres may lie without a mask
};

// ---- patchmatch.cu
void launch_patchmatch(const PatchMatchArgs& args, cudaStream_t stream);
// ssd[p] = distance of p's current match (no bound), from the half features.
void launch_recompute_ssd(const HalfFeatures& f, const int2* nnf, float* ssd, cudaStream_t stream);

// ---- kernels.cu
void launch_max_abs(const float* data, std::size_t count, unsigned* max_bits, cudaStream_t stream);
void launch_finish_scale(const unsigned* max_bits, float* scale, cudaStream_t stream);
// Padded (by radius, replicated) half source features from the raw float32 ones.
void launch_convert_source(const float* raw, int sw, int sh, int radius, int fs, int fg,
                           int fs_padded, int chunks, const float* scale, uint4* out,
                           cudaStream_t stream);
void launch_convert_guides(const float* raw, std::size_t pixels, int fg, int fg_padded,
                           const float* scale, __half2* out, cudaStream_t stream);
void launch_rebuild_target(const float* style, int ns, const int* style_channel,
                           const float* style_scale, int fs, int fs_padded, const __half2* guides,
                           int fg_padded, int tw, int th, int radius, int chunks,
                           const float* scale, uint4* out, cudaStream_t stream);
void launch_pad_modulation(const float* modulation, int tw, int th, int radius, float* out,
                           cudaStream_t stream);
// Builds the row-major list of allowed source pixels; `row_work` holds 2 * sh + 1 ints, the
// last one the list length.
void launch_allowed_list(const std::uint8_t* allowed, int sw, int sh, int* row_work, int* list,
                         cudaStream_t stream);
void launch_random_init(int tw, int th, int sw, int sh, const std::uint8_t* allowed,
                        CentreList centres, std::uint64_t seed, std::uint32_t level, int2* nnf,
                        cudaStream_t stream);
void launch_upsample_nnf(const int2* coarse, int cw, int ch, int tw, int th, int sw, int sh,
                         const std::uint8_t* allowed, CentreList centres, std::uint64_t seed,
                         std::uint32_t level, int2* nnf, cudaStream_t stream);
// frozen[p] = 0 for target pixels needing the border search (needs_border_search), else 1.
void launch_border_band(int tw, int th, int radius, std::uint8_t* frozen, cudaStream_t stream);
// counts[s] = number of target pixels matched to source centre s.
void launch_count_matches(const int2* nnf, int tw, int th, int sw, int sh, int* counts,
                          cudaStream_t stream);
// Occupancy patch sums from the centre counts, filtered separably by the clipped overlap of two
// patches (the patch sum of omega, a box of a box, at every centre).
// `rows` (sh x sw) is needed only where occupancy_uses_rows(patch).
void launch_occupancy(const int* counts, int sw, int sh, int patch, long long* rows,
                      long long* patch_sum, cudaStream_t stream);
bool occupancy_uses_rows(int patch);
void launch_vote(const int2* nnf, const float* ssd, int tw, int th, const float* source_style,
                 int sw, int sh, int ns, int radius, bool weighted, float* out,
                 cudaStream_t stream);
void launch_update_frozen(const float* before, const float* after, int tw, int th, int ns,
                          int radius, float threshold, std::uint8_t* changed, std::uint8_t* rows,
                          std::uint8_t* frozen, cudaStream_t stream);
// The CPU's recompute_distances in float32 on the raw features (the final error map).
void launch_final_error(const float* source_features, int sw, int sh, int f, const float* style,
                        int ns, const int* style_channel, const float* style_scale, int fs,
                        const float* target_guides, const float* modulation, const int2* nnf,
                        int tw, int th, int patch, float* error, cudaStream_t stream);

// ---- pyramid.cu: validation and pyramid of input that lies in device memory
// *first = min(*first, index of the first non-finite element); *first must start at ~0ull.
void launch_first_non_finite(const float* data, std::size_t count, unsigned long long* first,
                             cudaStream_t stream);
// *first = min(*first, index of the first element < 0).
void launch_first_negative(const float* data, std::size_t count, unsigned long long* first,
                           cudaStream_t stream);
// *found |= 1 when a pixel with margin <= x < width - margin, margin <= y < height - margin is
// > 0 (1-channel image).
void launch_any_positive_inside(const float* data, int width, int height, int margin,
                                unsigned* found, cudaStream_t stream);
// Output channel k of a gather: data[pixel * stride + channel] * scale.
struct ChannelSource {
    const float* data = nullptr;
    int stride = 0;  // channels of the source image
    int channel = 0;
    float scale = 1.0f;
};
// out (pixels x channels) from a device table of `channels` sources.
void launch_gather_channels(const ChannelSource* table, int channels, std::size_t pixels,
                            float* out, cudaStream_t stream);
// The host's downsample(): in (h x w x c) -> out (ceil(h/2) x ceil(w/2) x c); `rows` holds
// ceil(w/2) x h x c floats of scratch.
void launch_downsample(const float* in, int w, int h, int c, float* rows, float* out,
                       cudaStream_t stream);
// allowed[i] = mask[i] > 0.
void launch_mask_allowed(const float* mask, std::size_t pixels, std::uint8_t* allowed,
                         cudaStream_t stream);
// The host's downsample_mask(): in (h x w) -> out (ceil(h/2) x ceil(w/2)).
void launch_downsample_mask(const std::uint8_t* in, int w, int h, std::uint8_t* out,
                            cudaStream_t stream);

}  // namespace synthfx::cuda
