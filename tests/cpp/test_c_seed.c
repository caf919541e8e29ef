/* SPDX-License-Identifier: Apache-2.0 */
/* sfx_synthesize_seeded from plain C: a correct starting NNF of a shift job is kept and beats the
 * unseeded run at the same few iterations, thread counts give the same bits, and every bad seed
 * returns a status and a message naming the value. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "c_check.h"
#include "synthfx/synthfx.h"

enum { W = 64, H = 48, C = 3, DX = 5, DY = 3, MARGIN = 6 };

static float style[W * H * C];
static float source_guide[W * H];
static float target_guide[W * H];
static float truth[W * H * C];
static int32_t seed[W * H * 2];
static float out_image[W * H * C];
static int32_t out_nnf[W * H * 2];
static int32_t first_nnf[W * H * 2];
static float first_image[W * H * C];

static float texture(int x, int y) {
    return 0.5f + 0.25f * sinf(0.7f * x + 0.3f * y) * cosf(0.45f * y - 0.2f * x);
}

/* The target is the source moved by (DX, DY), wrapping: target (x, y) is source (x-DX, y-DY). */
static void make_inputs(void) {
    for (int y = 0; y < H; ++y) {
        for (int x = 0; x < W; ++x) {
            const int sx = (x - DX + W) % W, sy = (y - DY + H) % H;
            source_guide[y * W + x] = texture(x, y);
            target_guide[y * W + x] = texture(sx, sy);
            for (int c = 0; c < C; ++c) {
                style[(y * W + x) * C + c] = (float)((x * 7 + y * 13 + c * 29) % 97) / 96.0f;
                truth[(y * W + x) * C + c] = (float)((sx * 7 + sy * 13 + c * 29) % 97) / 96.0f;
            }
            seed[2 * (y * W + x)] = sx;
            seed[2 * (y * W + x) + 1] = sy;
        }
    }
}

static sfx_status run(const sfx_nnf* initial, const sfx_params* p, char* message) {
    sfx_image st = {style, W, H, C};
    sfx_guide pair = {{source_guide, W, H, 1}, {target_guide, W, H, 1}, 4.0f};
    sfx_output out = {out_image, out_nnf, NULL};
    return sfx_synthesize_seeded(&st, &pair, 1, NULL, NULL, initial, p, NULL, &out, message, 256);
}

/* Interior pixels (away from the wrap seam) whose match is the true one, and their image error. */
static int exact_interior(double* squared_error) {
    int exact = 0;
    *squared_error = 0.0;
    for (int y = DY + MARGIN; y < H - MARGIN; ++y) {
        for (int x = DX + MARGIN; x < W - MARGIN; ++x) {
            const int i = y * W + x;
            exact += out_nnf[2 * i] == seed[2 * i] && out_nnf[2 * i + 1] == seed[2 * i + 1];
            for (int c = 0; c < C; ++c) {
                const double d = out_image[i * C + c] - truth[i * C + c];
                *squared_error += d * d;
            }
        }
    }
    return exact;
}

int main(void) {
    make_inputs();
    sfx_params params;
    sfx_default_params(&params);
    params.threads = 2;
    params.backend = 1; /* cpu */
    params.search_vote_iters = 1;
    params.patchmatch_iters = 1;
    char message[256];
    const int interior = (H - MARGIN - DY - MARGIN) * (W - MARGIN - DX - MARGIN);

    CHECK(run(NULL, &params, message) == SFX_OK, "unseeded: %s", message);
    double unseeded_error = 0.0;
    const int unseeded_exact = exact_interior(&unseeded_error);

    sfx_nnf initial = {seed, W, H, 1};
    CHECK(run(&initial, &params, message) == SFX_OK, "seeded: %s", message);
    double seeded_error = 0.0;
    const int seeded_exact = exact_interior(&seeded_error);
    CHECK(seeded_exact >= interior * 99 / 100, "seeded: %d of %d exact", seeded_exact, interior);
    CHECK(seeded_exact >= unseeded_exact, "seeded %d < unseeded %d", seeded_exact, unseeded_exact);
    CHECK(seeded_error <= unseeded_error, "seeded error %g > unseeded %g", seeded_error,
          unseeded_error);

    /* Seeded from two levels up, with 1 and 3 threads: the same bits. */
    initial.levels = 2;
    params.threads = 1;
    CHECK(run(&initial, &params, message) == SFX_OK, "two levels: %s", message);
    memcpy(first_nnf, out_nnf, sizeof out_nnf);
    memcpy(first_image, out_image, sizeof out_image);
    params.threads = 3;
    CHECK(run(&initial, &params, message) == SFX_OK, "two levels: %s", message);
    CHECK(memcmp(first_nnf, out_nnf, sizeof out_nnf) == 0, "NNF differs across thread counts");
    CHECK(memcmp(first_image, out_image, sizeof out_image) == 0, "image differs across threads");
    initial.levels = 1;

    /* Bad seeds: a status and the value, never a crash. */
    seed[2 * (2 * W + 3)] = W;
    CHECK(run(&initial, &params, message) == SFX_INVALID_ARGUMENT && strstr(message, "(64, ") &&
              strstr(message, "x=3 y=2"),
          "out of range: %s", message);
    seed[2 * (2 * W + 3)] = 0;
    seed[2 * (W - 1) + 1] = -1;
    CHECK(run(&initial, &params, message) == SFX_INVALID_ARGUMENT && strstr(message, ", -1)"),
          "negative: %s", message);
    seed[2 * (W - 1) + 1] = 0;
    initial.width = W - 1;
    CHECK(run(&initial, &params, message) == SFX_SIZE_MISMATCH && strstr(message, "63x48"),
          "size: %s", message);
    initial.width = W;
    initial.levels = 0;
    CHECK(run(&initial, &params, message) == SFX_INVALID_ARGUMENT &&
              strstr(message, "initial_nnf_levels") && strstr(message, "got 0"),
          "levels 0: %s", message);
    initial.levels = 99;
    CHECK(run(&initial, &params, message) == SFX_INVALID_ARGUMENT && strstr(message, "got 99"),
          "levels 99: %s", message);
    initial.levels = 1;
    params.backend = 2; /* cuda: no kernel for a seed, whether or not a device is here */
    CHECK(run(&initial, &params, message) == SFX_INVALID_ARGUMENT &&
              strstr(message, "CUDA backend"),
          "cuda: %s", message);

    if (failures == 0) printf("c_seed: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
