/* SPDX-License-Identifier: Apache-2.0 */
/* sfx_synthesize_ex from plain C: progress fractions (monotone, 0 first, exactly 1 last), a
 * callback that never cancels leaves the result bit for bit unchanged, a cancel at any step
 * returns SFX_CANCELLED with a message and frees everything, and the CUDA queries answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_check.h"
#include "synthfx/synthfx.h"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define HAVE_MALLINFO2 1
#endif

enum { W = 96, H = 72, C = 3, MAX_CALLS = 4096 };

static float style[W * H * C];
static float source_guide[W * H];
static float target_guide[W * H];

/* What the callback saw, and when it should cancel (after `cancel_after` calls; 0: never). */
typedef struct recorder {
    float fractions[MAX_CALLS];
    int calls;
    int cancel_after;
} recorder;

static int32_t record(void* user, float fraction) {
    recorder* r = (recorder*)user;
    if (r->calls < MAX_CALLS) r->fractions[r->calls] = fraction;
    ++r->calls;
    return r->cancel_after > 0 && r->calls >= r->cancel_after;
}

static void make_inputs(void) {
    /* A deterministic texture; the target guide is the source guide shifted. */
    unsigned state = 12345u;
    for (int i = 0; i < W * H * C; ++i) {
        state = state * 1664525u + 1013904223u;
        style[i] = (float)(state >> 8) / 16777216.0f;
    }
    for (int y = 0; y < H; ++y) {
        for (int x = 0; x < W; ++x) {
            source_guide[y * W + x] = style[(y * W + x) * C];
            target_guide[y * W + x] = style[(y * W + (x + 3) % W) * C];
        }
    }
}

typedef struct outputs {
    float image[W * H * C];
    int32_t nnf[W * H * 2];
    float error[W * H];
} outputs;

static sfx_status run(const sfx_params* params, const sfx_control* control, outputs* out,
                      char* message) {
    sfx_image st = {style, W, H, C};
    sfx_guide pair = {{source_guide, W, H, 1}, {target_guide, W, H, 1}, 2.0f};
    sfx_output o = {out->image, out->nnf, out->error};
    return sfx_synthesize_ex(&st, &pair, 1, NULL, NULL, params, control, &o, message, 256);
}

#ifdef HAVE_MALLINFO2
static size_t heap_in_use(void) { return mallinfo2().uordblks; }
#endif

int main(void) {
    make_inputs();
    sfx_params params;
    sfx_default_params(&params);
    params.threads = 2;
    params.backend = 1; /* cpu */
    params.extra_pass_3x3 = 1;
    char message[256];
    static outputs plain, observed, cancelled;
    static recorder r;

    /* Without a control, and with one whose callback never cancels: the same bits. */
    sfx_status status = run(&params, NULL, &plain, message);
    CHECK(status == SFX_OK, "plain run: %d %s", (int)status, message);
    sfx_control control = {record, &r};
    status = run(&params, &control, &observed, message);
    CHECK(status == SFX_OK, "observed run: %d %s", (int)status, message);
    CHECK(memcmp(plain.image, observed.image, sizeof plain.image) == 0, "image differs");
    CHECK(memcmp(plain.nnf, observed.nnf, sizeof plain.nnf) == 0, "NNF differs");
    CHECK(memcmp(plain.error, observed.error, sizeof plain.error) == 0, "error map differs");

    /* Fractions: 0 first, never decreasing, in [0, 1], exactly 1 once at the end; at least one
     * call per PatchMatch iteration and vote of every level. */
    const int total_calls = r.calls;
    CHECK(total_calls > params.search_vote_iters * (params.patchmatch_iters + 1) &&
              total_calls <= MAX_CALLS,
          "%d calls", total_calls);
    CHECK(r.fractions[0] == 0.0f, "first fraction %g", r.fractions[0]);
    CHECK(r.fractions[total_calls - 1] == 1.0f, "last fraction %g", r.fractions[total_calls - 1]);
    for (int i = 1; i < total_calls && i < MAX_CALLS; ++i) {
        CHECK(r.fractions[i] >= r.fractions[i - 1], "fraction %d: %g after %g", i, r.fractions[i],
              r.fractions[i - 1]);
        CHECK(r.fractions[i] >= 0.0f && r.fractions[i] <= 1.0f, "fraction %d: %g", i,
              r.fractions[i]);
        CHECK(i == total_calls - 1 || r.fractions[i] < 1.0f, "1 before the end at call %d", i);
    }
    CHECK(r.fractions[total_calls / 2] > 0.05f && r.fractions[total_calls / 2] < 0.95f,
          "fraction at the middle call %g", r.fractions[total_calls / 2]);

    /* Cancel after the first call: SFX_CANCELLED at once, with a message. */
    memset(&r, 0, sizeof r);
    r.cancel_after = 1;
    status = run(&params, &control, &cancelled, message);
    CHECK(status == SFX_CANCELLED && strstr(message, "cancelled") != NULL, "cancel at start: %d %s",
          (int)status, message);
    CHECK(r.calls == 1, "%d calls after a cancel at the first", r.calls);

    /* Cancel at every kind of step (coarse and fine levels, iterations, votes, the 3x3 pass and
     * the final 1): each stops right there, and nothing stays allocated. */
#ifdef HAVE_MALLINFO2
    const size_t heap_before = heap_in_use();
#endif
    const int stride = total_calls / 37 > 0 ? total_calls / 37 : 1;
    for (int after = 2; after <= total_calls + stride; after += stride) {
        /* The last two points: just before the end, and the final 1 itself. */
        const int at = after > total_calls ? total_calls - 1 : after;
        for (int last = 0; last < (after > total_calls ? 2 : 1); ++last) {
            memset(&r, 0, sizeof r);
            r.cancel_after = at + last;
            status = run(&params, &control, &cancelled, message);
            CHECK(status == SFX_CANCELLED && strstr(message, "cancelled") != NULL,
                  "cancel after %d calls: %d %s", at + last, (int)status, message);
            CHECK(r.calls == at + last, "cancel after %d calls: %d calls made", at + last, r.calls);
        }
    }
#ifdef HAVE_MALLINFO2
    const size_t heap_after = heap_in_use();
    /* Thread-local scratch of the calling thread may grow once; a leak per run would not fit. */
    CHECK(heap_after <= heap_before + 64 * 1024, "heap grew from %zu to %zu bytes over the cancels",
          heap_before, heap_after);
#endif

    /* After all those cancels the engine still gives the same result. */
    status = run(&params, NULL, &observed, message);
    CHECK(status == SFX_OK && memcmp(plain.image, observed.image, sizeof plain.image) == 0,
          "run after cancels: %d %s", (int)status, message);

    /* A NULL callback is no control at all. */
    sfx_control silent = {NULL, NULL};
    status = run(&params, &silent, &observed, message);
    CHECK(status == SFX_OK && memcmp(plain.nnf, observed.nnf, sizeof plain.nnf) == 0,
          "NULL callback: %d %s", (int)status, message);

    /* CUDA queries: an answer and a reason either way, never a crash. */
    char reason[256];
    memset(reason, 'x', sizeof reason);
    const int32_t cuda = sfx_cuda_available(reason, (int32_t)sizeof reason);
    CHECK((cuda == 0 || cuda == 1) && strlen(reason) > 0 && strlen(reason) < sizeof reason,
          "cuda_available %d: %s", cuda, reason);
    char tiny[4];
    sfx_cuda_available(tiny, (int32_t)sizeof tiny);
    CHECK(strlen(tiny) <= 3, "reason truncation");
    CHECK(sfx_cuda_available(NULL, 0) == cuda, "cuda_available without a reason buffer");
    if (!cuda) CHECK(sfx_cuda_last_peak_bytes() == 0, "peak bytes without CUDA");
    if (cuda) {
        /* The same control contract on the CUDA backend. */
        sfx_params gpu = params;
        gpu.backend = 2;
        memset(&r, 0, sizeof r);
        status = run(&gpu, &control, &observed, message);
        CHECK(status == SFX_OK && r.fractions[0] == 0.0f && r.calls <= MAX_CALLS &&
                  r.fractions[r.calls - 1] == 1.0f,
              "cuda progress: %d %s", (int)status, message);
        CHECK(sfx_cuda_last_peak_bytes() > 0, "peak bytes after a CUDA run");
        memset(&r, 0, sizeof r);
        r.cancel_after = 5;
        status = run(&gpu, &control, &cancelled, message);
        CHECK(status == SFX_CANCELLED && r.calls == 5, "cuda cancel: %d %s", (int)status, message);
    }

    if (failures == 0) printf("c_control: all checks passed (%d progress calls)\n", total_calls);
    return failures == 0 ? 0 : 1;
}
