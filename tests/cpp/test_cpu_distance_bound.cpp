// SPDX-License-Identifier: Apache-2.0
// The CPU PatchMatch skips a candidate when the patch-mean bound (native/src/cpu/patch_means.h)
// reaches the best cost, so the bound must never exceed the distance it stands for, whatever the
// values: smooth or noisy, HDR, negative, constant or nearly constant channels, many channels,
// every patch size. It must also be worth its memory: on smooth images it carries most of the
// distance of far pairs.
#include <cmath>
#include <cstdio>
#include <vector>

#include "cpu/level_state.h"
#include "problem.h"
#include "random.h"

using namespace synthfx;

namespace {

int failures = 0, checks = 0;

void check(bool ok, const char* what, const char* name, double a, double b) {
    ++checks;
    if (!ok && ++failures <= 20)
        std::fprintf(stderr, "FAIL %s (%s): %.9g vs %.9g\n", what, name, a, b);
}

struct Rng {
    std::uint64_t state;
    std::uint64_t next() { return mix64(state += 0x9e3779b97f4a7c15ULL); }
    float uniform(float lo, float hi) {
        return lo + (hi - lo) * float(double(next() >> 40) / double(1ull << 24));
    }
    int below(int n) { return int(next() % std::uint64_t(n)); }
};

enum class Values { smooth, noisy, hdr, signed_guides, flat_channel, near_flat_channel };

struct Case {
    const char* name;
    Values values;
    int guides;  // 3-channel guides
    int patch;
    bool modulation;
};

// A smooth field with a little per-pixel texture, or plain noise.
float value(Values kind, Rng& rng, int x, int y, int channel) {
    const float smooth =
        0.5f + 0.4f * std::sin(0.05f * x + 0.9f * channel) * std::cos(0.04f * y - 0.3f * channel);
    switch (kind) {
    case Values::smooth: return smooth + rng.uniform(-0.01f, 0.01f);
    case Values::noisy: return rng.uniform(0.0f, 1.0f);
    case Values::hdr: return smooth * 4000.0f + rng.uniform(0.0f, 50.0f);
    case Values::signed_guides: return (smooth - 0.5f) * 300.0f + rng.uniform(-1.0f, 1.0f);
    case Values::flat_channel: return channel == 1 ? 0.25f : smooth;
    case Values::near_flat_channel: return channel == 1 ? 0.25f + 1e-7f * float(x % 3) : smooth;
    }
    return 0.0f;
}

void run(const Case& c) {
    const int sw = 97, sh = 71, tw = 83, th = 64;
    Rng rng{std::uint64_t(c.patch * 131 + int(c.values) * 7 + c.guides)};
    std::vector<float> style(std::size_t(sw) * sh * 3);
    for (int y = 0; y < sh; ++y)
        for (int x = 0; x < sw; ++x)
            for (int k = 0; k < 3; ++k)
                style[(std::size_t(y) * sw + x) * 3 + k] = value(c.values, rng, x, y, k);
    std::vector<std::vector<float>> sources, targets;
    SynthesisInput input;
    input.style = {style.data(), sw, sh, 3};
    for (int g = 0; g < c.guides; ++g) {
        std::vector<float> s(std::size_t(sw) * sh * 3), t(std::size_t(tw) * th * 3);
        for (int y = 0; y < sh; ++y)
            for (int x = 0; x < sw; ++x)
                for (int k = 0; k < 3; ++k)
                    s[(std::size_t(y) * sw + x) * 3 + k] = value(c.values, rng, x, y, k + 3 * g);
        for (int y = 0; y < th; ++y)  // the source shifted by (5, 3): some pairs match closely
            for (int x = 0; x < tw; ++x)
                for (int k = 0; k < 3; ++k)
                    t[(std::size_t(y) * tw + x) * 3 + k] =
                        s[(std::size_t(y + 3) * sw + x + 5) * 3 + k];
        sources.push_back(std::move(s));
        targets.push_back(std::move(t));
    }
    for (int g = 0; g < c.guides; ++g)
        input.guides.push_back(
            {{sources[g].data(), sw, sh, 3}, {targets[g].data(), tw, th, 3}, 0.5f + float(g)});
    std::vector<float> modulation(std::size_t(tw) * th);
    for (float& m : modulation) m = rng.uniform(0.0f, 2.0f);
    if (c.modulation) input.modulation = {modulation.data(), tw, th, 1};
    SynthesisParams params;
    params.patch_size = c.patch;
    params.pyramid_levels = 1;
    const Problem problem = prepare_problem(input, params);
    ThreadPool pool(2);
    cpu::LevelState state(problem, 0, c.patch);
    for (int p = 0; p < tw * th; ++p) {  // a style estimate: the vote of a shifted-by-(5,3) NNF
        state.nnf[2 * std::size_t(p)] = std::min(p % tw + 5 + rng.below(3) - 1, sw - 1);
        state.nnf[2 * std::size_t(p) + 1] = std::min(p / tw + 3 + rng.below(3) - 1, sh - 1);
    }
    cpu::vote(state, pool, VoteMode::plain, state.style);
    state.rebuild_target(pool);

    int far_pairs = 0, far_informative = 0;
    for (int i = 0; i < 40000; ++i) {
        const int px = rng.below(tw), py = rng.below(th);
        const bool near = i % 2 == 0;
        const int qx = near ? std::clamp(px + 5 + rng.below(5) - 2, 0, sw - 1) : rng.below(sw);
        const int qy = near ? std::clamp(py + 3 + rng.below(5) - 2, 0, sh - 1) : rng.below(sh);
        const float distance = state.patch_distance(px, py, qx, qy, 3.0e38f);
        const float lower = state.distance_lower_bound(px, py, qx, qy);
        check(lower <= distance, "bound above the distance", c.name, lower, distance);
        if (c.modulation) check(lower == 0.0f, "bound used with a modulation", c.name, lower, 0);
        if (!near) {
            ++far_pairs;
            far_informative += lower >= 0.5f * distance;
        }
    }
    if (c.values == Values::smooth && !c.modulation) {
        check(far_informative * 2 > far_pairs, "bound carries half of most far distances", c.name,
              far_informative, far_pairs);
    }
    state.style_term = false;  // guides only: the bound covers all channels, so it stands down
    check(state.distance_lower_bound(1, 1, 40, 30) == 0.0f, "bound in a guides-only search", c.name,
          state.distance_lower_bound(1, 1, 40, 30), 0);
}

}  // namespace

int main() {
    const Case cases[] = {
        {"smooth p5", Values::smooth, 2, 5, false},
        {"smooth p3", Values::smooth, 1, 3, false},
        {"smooth p7, 6 guides (21 features)", Values::smooth, 6, 7, false},
        {"noisy p5", Values::noisy, 2, 5, false},
        {"hdr p5", Values::hdr, 2, 5, false},
        {"signed guides p5", Values::signed_guides, 3, 5, false},
        {"flat channel p5", Values::flat_channel, 1, 5, false},
        {"near-flat channel p5", Values::near_flat_channel, 1, 5, false},
        {"no guides p5", Values::smooth, 0, 5, false},
        {"modulation p5", Values::smooth, 2, 5, true},
    };
    for (const Case& c : cases) run(c);
    std::printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
