/* SPDX-License-Identifier: Apache-2.0 */
/* C ABI of the synthfx engine: plain structs and status codes, usable from C, the OFX plugin
 * or any FFI. All images are float32, row-major, channels interleaved. */
#ifndef SYNTHFX_SYNTHFX_H
#define SYNTHFX_SYNTHFX_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define SFX_API __declspec(dllexport)
#else
#define SFX_API __attribute__((visibility("default")))
#endif

typedef enum sfx_status {
    SFX_OK = 0,
    SFX_INVALID_ARGUMENT = 1,
    SFX_SIZE_MISMATCH = 2,
    SFX_NON_FINITE = 3,
    SFX_EMPTY_IMAGE = 4,
    SFX_UNAVAILABLE = 5,
    SFX_OUT_OF_MEMORY = 6,
    SFX_INTERNAL = 7,
    SFX_CANCELLED = 8 /* the control's progress callback returned non-zero */
} sfx_status;

typedef struct sfx_image {
    const float* data;
    int32_t width;
    int32_t height;
    int32_t channels;
} sfx_image;

typedef struct sfx_guide {
    sfx_image source;
    sfx_image target;
    float weight;
} sfx_guide;

typedef struct sfx_params {
    float style_weight;
    float uniformity;
    int32_t patch_size;
    int32_t pyramid_levels;
    int32_t search_vote_iters;
    int32_t patchmatch_iters;
    float stop_threshold;
    int32_t extra_pass_3x3;
    int32_t vote_mode; /* 0 plain, 1 weighted */
    uint64_t seed;
    int32_t threads;
    int32_t backend; /* 0 auto, 1 cpu, 2 cuda */
} sfx_params;

/* Output buffers are allocated by the caller: image W_t*H_t*NS floats, nnf W_t*H_t*2 int32,
 * error W_t*H_t floats. nnf and error may be NULL. */
typedef struct sfx_output {
    float* image;
    int32_t* nnf;
    float* error;
} sfx_output;

/* A starting NNF (SynthesisInput::initial_nnf): width*height*2 int32, (x, y) source patch
 * centres at full target resolution; `levels`: how many of the finest pyramid levels run. */
typedef struct sfx_nnf {
    const int32_t* data;
    int32_t width;
    int32_t height;
    int32_t levels;
} sfx_nnf;

/* Progress and cancellation of one synthesis (sfx_synthesize_ex). `progress` is called on the
 * calling thread, never on a worker thread: once at the start (0), after every PatchMatch
 * iteration (CPU: also between its four tile phases, the fraction unchanged) and every vote at
 * every pyramid level, and once the result is complete (exactly 1).
 * The fraction is in [0, 1], never decreases and is roughly proportional to time. Return non-zero
 * to cancel: the engine stops before its next step, frees everything and returns SFX_CANCELLED.
 * The callback never changes the result. `progress` may be NULL (no calls). */
typedef struct sfx_control {
    int32_t (*progress)(void* user, float fraction);
    void* user; /* passed back to progress */
} sfx_control;

/* Fills params with Ebsynth's defaults. */
SFX_API void sfx_default_params(sfx_params* params);

/* Runs one synthesis. On failure returns a non-zero status and writes a NUL-terminated message
 * into message (if not NULL, at most message_size bytes). Never throws, never aborts. */
SFX_API sfx_status sfx_synthesize(const sfx_image* style, const sfx_guide* guides,
                                  int32_t guide_count, const sfx_image* modulation,
                                  const sfx_image* source_mask, const sfx_params* params,
                                  sfx_output* output, char* message, int32_t message_size);

/* sfx_synthesize with progress reports and cancellation; control may be NULL. */
SFX_API sfx_status sfx_synthesize_ex(const sfx_image* style, const sfx_guide* guides,
                                     int32_t guide_count, const sfx_image* modulation,
                                     const sfx_image* source_mask, const sfx_params* params,
                                     const sfx_control* control, sfx_output* output, char* message,
                                     int32_t message_size);

/* sfx_synthesize_ex starting from initial_nnf (may be NULL: none). CPU backend only. */
SFX_API sfx_status sfx_synthesize_seeded(const sfx_image* style, const sfx_guide* guides,
                                         int32_t guide_count, const sfx_image* modulation,
                                         const sfx_image* source_mask, const sfx_nnf* initial_nnf,
                                         const sfx_params* params, const sfx_control* control,
                                         sfx_output* output, char* message, int32_t message_size);

/* 1 when the CUDA backend can run here (it runs a small self-check once per process), else 0.
 * Writes the device name, or why not, NUL-terminated into reason (if not NULL, at most
 * reason_size bytes). */
SFX_API int32_t sfx_cuda_available(char* reason, int32_t reason_size);

/* Peak device memory in bytes of the last CUDA synthesis finished in this process (its buffers,
 * not the CUDA context); 0 before the first one and in builds without CUDA. */
SFX_API uint64_t sfx_cuda_last_peak_bytes(void);

SFX_API const char* sfx_version(void);

#ifdef __cplusplus
}
#endif

#endif /* SYNTHFX_SYNTHFX_H */
