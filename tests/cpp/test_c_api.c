/* SPDX-License-Identifier: Apache-2.0 */
/* The C ABI from plain C: defaults, an identity synthesis, and every error path returning a
 * status code and a message instead of crashing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_check.h"
#include "synthfx/synthfx.h"

enum { W = 48, H = 40, C = 3 };

static float style[W * H * C];
static float guide[W * H];
static float out_image[W * H * C];
static int32_t out_nnf[W * H * 2];
static float out_error[W * H];

static void make_inputs(void) {
    /* A texture that identifies every position. */
    for (int y = 0; y < H; ++y) {
        for (int x = 0; x < W; ++x) {
            guide[y * W + x] =
                0.5f + 0.25f * sinf(0.7f * x + 0.3f * y) * cosf(0.45f * y - 0.2f * x);
            for (int c = 0; c < C; ++c)
                style[(y * W + x) * C + c] = (float)((x * 7 + y * 13 + c * 29) % 97) / 96.0f;
        }
    }
}

static sfx_status run(const sfx_image* st, const sfx_guide* guides, int count, const sfx_params* p,
                      char* message) {
    sfx_output out = {out_image, out_nnf, out_error};
    return sfx_synthesize(st, guides, count, NULL, NULL, p, &out, message, 256);
}

int main(void) {
    make_inputs();
    sfx_params params;
    sfx_default_params(&params);
    CHECK(params.patch_size == 5 && params.search_vote_iters == 6 && params.patchmatch_iters == 4,
          "defaults");
    CHECK(fabsf(params.uniformity - 3500.0f) < 1e-3f && fabsf(params.stop_threshold - 5.0f) < 1e-6f,
          "defaults");
    params.threads = 2;
    params.backend = 1; /* cpu */

    sfx_image st = {style, W, H, C};
    sfx_image g = {guide, W, H, 1};
    sfx_guide pair = {g, g, 2.0f};
    char message[256];

    /* Identity: the output is the style, the NNF the identity. */
    sfx_status status = run(&st, &pair, 1, &params, message);
    CHECK(status == SFX_OK, "identity status %d: %s", (int)status, message);
    int wrong = 0;
    for (int y = 0; y < H; ++y) {
        for (int x = 0; x < W; ++x) {
            wrong += out_nnf[2 * (y * W + x)] != x || out_nnf[2 * (y * W + x) + 1] != y;
        }
    }
    CHECK(wrong == 0, "identity NNF wrong at %d pixels", wrong);
    float worst = 0.0f;
    for (int i = 0; i < W * H * C; ++i) worst = fmaxf(worst, fabsf(out_image[i] - style[i]));
    CHECK(worst < 1e-5f, "identity image differs by %g", worst);

    /* Errors: status code plus a message naming the problem. */
    sfx_params bad = params;
    bad.patch_size = 4;
    status = run(&st, &pair, 1, &bad, message);
    CHECK(status == SFX_INVALID_ARGUMENT && strstr(message, "patch_size") != NULL,
          "even patch: %d %s", (int)status, message);

    sfx_image small = {guide, W - 1, H, 1};
    sfx_guide mismatched = {small, g, 1.0f};
    status = run(&st, &mismatched, 1, &params, message);
    CHECK(status == SFX_SIZE_MISMATCH && strstr(message, "guide 0 source") != NULL, "size: %d %s",
          (int)status, message);

    float saved = guide[5];
    guide[5] = NAN;
    status = run(&st, &pair, 1, &params, message);
    CHECK(status == SFX_NON_FINITE && strstr(message, "non-finite") != NULL, "nan: %d %s",
          (int)status, message);
    guide[5] = saved;

    sfx_image empty = {NULL, 0, 0, 3};
    status = run(&empty, &pair, 1, &params, message);
    CHECK(status == SFX_EMPTY_IMAGE, "empty: %d %s", (int)status, message);

    sfx_guide negative = {g, g, -1.0f};
    status = run(&st, &negative, 1, &params, message);
    CHECK(status == SFX_INVALID_ARGUMENT && strstr(message, "weight") != NULL, "weight: %d %s",
          (int)status, message);

    bad = params;
    bad.style_weight = 0.0f;
    status = run(&st, NULL, 0, &bad, message);
    CHECK(status == SFX_INVALID_ARGUMENT && strstr(message, "nothing to match") != NULL,
          "nothing: %d %s", (int)status, message);

    bad = params;
    bad.pyramid_levels = 12;
    status = run(&st, &pair, 1, &bad, message);
    CHECK(status == SFX_INVALID_ARGUMENT && strstr(message, "too many pyramid levels") != NULL,
          "levels: %d %s", (int)status, message);

    status = sfx_synthesize(&st, &pair, 1, NULL, NULL, &params, NULL, message, 256);
    CHECK(status == SFX_INVALID_ARGUMENT, "null output: %d", (int)status);

    /* A tiny message buffer is truncated, never overrun. */
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    bad = params;
    bad.patch_size = 4;
    sfx_output out = {out_image, NULL, NULL};
    status = sfx_synthesize(&st, &pair, 1, NULL, NULL, &bad, &out, tiny, 8);
    CHECK(status == SFX_INVALID_ARGUMENT && tiny[7] == '\0' && strlen(tiny) == 7, "truncation");

    CHECK(strlen(sfx_version()) > 0, "version");
    if (failures == 0) printf("c_api: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
