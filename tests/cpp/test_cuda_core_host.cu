// SPDX-License-Identifier: Apache-2.0
// Host check of the CUDA backend's per-element logic (native/src/cuda/core.cuh) against the CPU
// backend, for machines without a GPU. nvcc compiles this file as host code; the core functions
// run with one host call per pixel (per lane where a group of lanes is emulated), emulating what
// each kernel does by looping over its index space. Nothing here touches the CUDA runtime or a
// device: no allocation, no launch, no driver.
//
// Lanes: evaluate() splits each patch row into 16-byte chunks over the G lanes of a group and
// sums the row with a butterfly of __shfl_xor_sync. Here the G lanes of a group run as
// coroutines in lockstep: each stops at group_sum(), and the scheduler does the butterfly as the
// shuffles would (lane l adds lane l ^ o's value, o = G/2 .. 1), so the chunk-to-lane split, the
// order of every float sum and the group's uniform control flow are the kernel's. A lane that
// finishes while others wait at a shuffle is reported (undefined behaviour on the device). What
// the emulation cannot reproduce: the device's native half subtraction (the host's __hsub rounds
// through float, so a result can differ by one half ulp in rare double-rounding cases; the
// distance bound below allows for it), and kernels whose bodies are not in core.cuh (the
// allowed-centre list, max_abs, the device pyramid).
#include <ucontext.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace lockstep {
float group_sum(float v);
}
#define SFX_HOST_GROUP_SUM(v) ::lockstep::group_sum(v)

#include "cpu/level_state.h"
#include "cuda/core.cuh"
#include "problem.h"
#include "random.h"

using namespace synthfx;
using synthfx::cuda::HalfFeatures;
using synthfx::cuda::PatchMatchArgs;

namespace {

int failures = 0;
int checks = 0;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        ++checks;                                                                                  \
        if (!(cond)) {                                                                             \
            if (++failures <= 40) {                                                                \
                std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                          \
                std::fprintf(stderr, __VA_ARGS__);                                                 \
                std::fprintf(stderr, "\n");                                                        \
            }                                                                                      \
        }                                                                                          \
    } while (0)

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }

}  // namespace

// ---- lockstep lanes (coroutines): see the file comment.

namespace lockstep {

constexpr int kMaxLanes = 32;
constexpr std::size_t kStackBytes = 256 * 1024;

struct Group {
    int size = 1;
    int current = 0;
    ucontext_t scheduler;
    ucontext_t lanes[kMaxLanes];
    float value[kMaxLanes];
    float result[kMaxLanes];
    int state[kMaxLanes];  // 0 running, 1 waiting at a shuffle, 2 finished
    const std::function<void(int)>* body = nullptr;
};

Group* active = nullptr;
long long shuffles = 0;  // group_sum calls of emulated groups (to show the emulation ran)
int divergences = 0;

std::vector<char>& stack(int lane) {
    static std::vector<std::vector<char>> stacks(kMaxLanes, std::vector<char>(kStackBytes));
    return stacks[std::size_t(lane)];
}

float group_sum(float v) {
    Group* g = active;
    if (g == nullptr) return v;  // not emulating: a group of one lane
    const int lane = g->current;
    g->value[lane] = v;
    g->state[lane] = 1;
    swapcontext(&g->lanes[lane], &g->scheduler);
    return g->result[lane];
}

void entry() {
    Group* g = active;
    const int lane = g->current;
    (*g->body)(lane);
    g->state[lane] = 2;  // uc_link resumes the scheduler
}

// Runs body(lane) for lanes 0..size-1 in lockstep (size 1: a plain call).
void run(int size, const std::function<void(int)>& body) {
    if (size == 1) {
        body(0);
        return;
    }
    Group g;
    g.size = size;
    g.body = &body;
    for (int l = 0; l < size; ++l) {
        getcontext(&g.lanes[l]);
        g.lanes[l].uc_stack.ss_sp = stack(l).data();
        g.lanes[l].uc_stack.ss_size = kStackBytes;
        g.lanes[l].uc_link = &g.scheduler;
        makecontext(&g.lanes[l], entry, 0);
        g.state[l] = 0;
    }
    active = &g;
    for (;;) {
        for (int l = 0; l < size; ++l) {
            if (g.state[l] == 2) continue;
            g.current = l;
            g.state[l] = 0;
            swapcontext(&g.scheduler, &g.lanes[l]);
        }
        int finished = 0;
        for (int l = 0; l < size; ++l) finished += g.state[l] == 2 ? 1 : 0;
        if (finished == size) break;
        if (finished > 0) {  // some lanes left, others wait at a shuffle
            ++divergences;
            break;
        }
        ++shuffles;
        float v[kMaxLanes], next[kMaxLanes];
        std::copy(g.value, g.value + size, v);
        for (int o = size / 2; o > 0; o >>= 1) {
            for (int l = 0; l < size; ++l) next[l] = v[l] + v[l ^ o];  // v += shfl_xor(v, o)
            std::copy(next, next + size, v);
        }
        std::copy(v, v + size, g.result);
    }
    active = nullptr;
}

}  // namespace lockstep

namespace {

// Calls fn(std::integral_constant<int, G>) for a runtime G in {1, 2, 4, 8, 16, 32}.
template <typename Fn> void with_lanes(int g, Fn&& fn) {
    switch (g) {
    case 1: fn(std::integral_constant<int, 1>()); break;
    case 2: fn(std::integral_constant<int, 2>()); break;
    case 4: fn(std::integral_constant<int, 4>()); break;
    case 8: fn(std::integral_constant<int, 8>()); break;
    case 16: fn(std::integral_constant<int, 16>()); break;
    default: fn(std::integral_constant<int, 32>()); break;
    }
}

// ---- random test images (fixed seeds)

struct Random {
    std::uint64_t state;
    explicit Random(std::uint64_t seed) : state(seed) {}
    std::uint64_t next() { return mix64(state += 0x9e3779b97f4a7c15ULL); }
    float uniform(float lo, float hi) {
        return lo + (hi - lo) * float(double(next() >> 40) / double(1ull << 24));
    }
    int below(int n) { return int(next() % std::uint64_t(n)); }
};

struct Case {
    const char* name;
    int ns;
    std::vector<int> guide_channels;
    std::vector<float> guide_weights;
    float style_weight;
    int patch;
    int sw, sh, tw, th;
    bool modulation, mask;
    float lo, hi;  // style and guide values
};

// A synthesis job's images and its single-level CPU state; the emulated device buffers of the
// level (HalfFeatures) built from them by the core's conversion functions.
struct Fixture {
    Case c;
    std::vector<float> style, modulation_image, mask_image;
    std::vector<std::vector<float>> guide_source, guide_target;
    SynthesisInput input;
    SynthesisParams params;
    Problem problem;
    ThreadPool pool{1};
    std::unique_ptr<cpu::LevelState> state;

    // Emulated device buffers.
    int fs = 0, fg = 0, fs_padded = 0, fg_padded = 0, chunks = 0, half2s = 0;
    float scale[3] = {1, 1, 1};
    std::vector<uint4> source_half, target_half;
    std::vector<__half2> guide_half;
    std::vector<float> modulation_padded;
    std::vector<int> centre_list;
    int centre_count = 0;
    bool guides_only = false;

    const Level& level() const { return problem.levels[0]; }
    int sw() const { return state->sw; }
    int sh() const { return state->sh; }
    int tw() const { return state->tw; }
    int th() const { return state->th; }
    int radius() const { return state->radius; }

    explicit Fixture(const Case& k, std::uint64_t seed) : c(k) {
        Random rng(seed);
        style.resize(std::size_t(c.sw) * c.sh * c.ns);
        for (float& v : style) v = rng.uniform(c.lo, c.hi);
        input.style = {style.data(), c.sw, c.sh, c.ns};
        // Target guides: the source guides shifted by (3, 2), with noise on half the pixels, so
        // some patch pairs nearly match (the cancellation regime of the half differences).
        for (std::size_t g = 0; g < c.guide_channels.size(); ++g) {
            const int gc = c.guide_channels[g];
            std::vector<float> src(std::size_t(c.sw) * c.sh * gc),
                tgt(std::size_t(c.tw) * c.th * gc);
            for (float& v : src) v = rng.uniform(c.lo, c.hi);
            for (int y = 0; y < c.th; ++y) {
                for (int x = 0; x < c.tw; ++x) {
                    const int sx = std::min(x + 3, c.sw - 1), sy = std::min(y + 2, c.sh - 1);
                    const bool noisy = rng.below(2) == 0;
                    for (int k = 0; k < gc; ++k) {
                        float v = src[(std::size_t(sy) * c.sw + sx) * gc + k];
                        if (noisy) v += rng.uniform(-0.05f, 0.05f) * (c.hi - c.lo);
                        tgt[(std::size_t(y) * c.tw + x) * gc + k] = v;
                    }
                }
            }
            guide_source.push_back(std::move(src));
            guide_target.push_back(std::move(tgt));
        }
        for (std::size_t g = 0; g < c.guide_channels.size(); ++g) {
            const int gc = c.guide_channels[g];
            input.guides.push_back({{guide_source[g].data(), c.sw, c.sh, gc},
                                    {guide_target[g].data(), c.tw, c.th, gc},
                                    c.guide_weights[g]});
        }
        if (c.modulation) {
            modulation_image.resize(std::size_t(c.tw) * c.th);
            for (float& v : modulation_image) v = rng.uniform(0.0f, 2.0f);
            input.modulation = {modulation_image.data(), c.tw, c.th, 1};
        }
        if (c.mask) {  // a forbidden block in the middle, a forbidden first column, random holes
            mask_image.assign(std::size_t(c.sw) * c.sh, 1.0f);
            for (int y = 0; y < c.sh; ++y) {
                for (int x = 0; x < c.sw; ++x) {
                    const bool block =
                        std::abs(x - c.sw / 2) <= c.sw / 5 && std::abs(y - c.sh / 2) <= c.sh / 5;
                    if (block || x == 0 || rng.below(10) == 0) {
                        mask_image[std::size_t(y) * c.sw + x] = 0.0f;
                    }
                }
            }
            input.source_mask = {mask_image.data(), c.sw, c.sh, 1};
        }
        params.patch_size = c.patch;
        params.pyramid_levels = 1;
        params.style_weight = c.style_weight;
        problem = prepare_problem(input, params);
        state = std::make_unique<cpu::LevelState>(problem, 0, c.patch);
        for (int i = 0; i < sw() * sh(); ++i) {
            if (level().source_allowed.empty() || level().source_allowed[std::size_t(i)]) {
                centre_list.push_back(i);
            }
        }
        centre_count = int(centre_list.size());
        // A realistic style estimate: the plain vote of a random NNF over allowed centres.
        for (int p = 0; p < tw() * th(); ++p) {
            const int q = centre_list[std::size_t(rng.below(centre_count))];
            state->nnf[2 * std::size_t(p)] = q % sw();
            state->nnf[2 * std::size_t(p) + 1] = q / sw();
        }
        std::vector<float> voted;
        cpu::vote(*state, pool, VoteMode::plain, voted);
        state->style = voted;
        state->rebuild_target(pool);
        convert();
    }

    void put(std::vector<uint4>& buffer, std::size_t i, __half2 h) {
        std::memcpy(reinterpret_cast<char*>(buffer.data()) + 4 * i, &h, 4);
    }

    // The CUDA backend's begin_level / set_patch_size / rebuild_target on the host: max_abs and
    // feature_scale, source conversion, target guide conversion, padded modulation, target.
    void convert() {
        fs = problem.style_feature_channels();
        fg = problem.guide_feature_channels;
        fs_padded = (fs + 1) / 2 * 2;
        fg_padded = (fg + 1) / 2 * 2;
        chunks = (fs_padded + fg_padded + 7) / 8;
        half2s = chunks * 4;
        float max_abs = 0.0f;
        for (float v : level().source_features.data) max_abs = fmaxf(max_abs, fabsf(v));
        for (float v : level().target_guides.data) max_abs = fmaxf(max_abs, fabsf(v));
        cuda::feature_scale(max_abs, scale);
        const int r = radius();
        const std::size_t source_count = std::size_t(sw() + 2 * r) * (sh() + 2 * r) * half2s;
        source_half.assign(source_count / 4, make_uint4(0, 0, 0, 0));
        for (std::size_t i = 0; i < source_count; ++i) {
            put(source_half, i,
                cuda::source_half2(level().source_features.data.data(), sw(), sh(), r, i, fs, fg,
                                   fs_padded, half2s, scale[0]));
        }
        const std::size_t tn = std::size_t(tw()) * th();
        guide_half.clear();
        if (fg > 0) {
            guide_half.resize(tn * (fg_padded / 2));
            for (std::size_t i = 0; i < guide_half.size(); ++i) {
                guide_half[i] = cuda::guide_half2(level().target_guides.data.data(), i, fg,
                                                  fg_padded, scale[0]);
            }
        }
        modulation_padded.clear();
        if (!level().modulation.empty()) {
            modulation_padded.resize(std::size_t(tw() + 2 * r) * (th() + 2 * r));
            for (std::size_t i = 0; i < modulation_padded.size(); ++i) {
                modulation_padded[i] =
                    cuda::padded_modulation(level().modulation.data.data(), tw(), th(), r, i);
            }
        }
        rebuild_target();
    }

    void rebuild_target() {
        const int r = radius();
        const std::size_t count = std::size_t(tw() + 2 * r) * (th() + 2 * r) * half2s;
        target_half.assign(count / 4, make_uint4(0, 0, 0, 0));
        for (std::size_t i = 0; i < count; ++i) {
            put(target_half, i,
                cuda::target_half2(
                    state->style.data(), state->style_channels,
                    problem.style_feature_channel.data(), problem.style_feature_scale.data(), fs,
                    fs_padded, guide_half.data(), fg_padded, tw(), th(), r, half2s, scale[0], i));
        }
    }

    HalfFeatures features() const {
        HalfFeatures f;
        f.source = source_half.data();
        f.target = target_half.data();
        f.modulation = modulation_padded.empty() ? nullptr : modulation_padded.data();
        f.scale = scale;
        f.sw = sw();
        f.sh = sh();
        f.spw = sw() + 2 * radius();
        f.tw = tw();
        f.th = th();
        f.pw = tw() + 2 * radius();
        f.ph = th() + 2 * radius();
        f.patch = state->patch;
        f.radius = radius();
        f.chunks = chunks;
        f.guide_half2 = fs_padded / 2;
        f.guides_only = guides_only;
        f.centres = state->centres;
        return f;
    }

    // The centre range of an intermediate pyramid level (the CPU state's and the emulated
    // device's alike), on an unmasked job.
    void use_interior_centres() {
        state->centres = centre_range(sw(), sh(), radius(), 1, 3, false);
    }

    const std::uint8_t* allowed() const {
        return level().source_allowed.empty() ? nullptr : level().source_allowed.data();
    }
    cuda::CentreList centres() const {
        cuda::CentreList list;
        if (allowed() != nullptr) {
            list.list = centre_list.data();
            list.count = &centre_count;
        }
        list.range = state->centres;
        return list;
    }
    std::vector<int2> nnf_int2() const {
        std::vector<int2> out(std::size_t(tw()) * th());
        for (std::size_t p = 0; p < out.size(); ++p) {
            out[p] = make_int2(state->nnf[2 * p], state->nnf[2 * p + 1]);
        }
        return out;
    }
};

std::vector<Case> cases() {
    return {
        // name, NS, guide channels, guide weights, style weight, patch, sw, sh, tw, th,
        // modulation, mask, value range
        {"rgb+3ch guide, 5x5, mod+mask", 3, {3}, {2.0f}, 1.0f, 5, 23, 19, 21, 17, true, true, 0, 1},
        {"1ch style only, 3x3", 1, {}, {}, 1.0f, 3, 17, 13, 16, 15, false, false, 0, 1},
        {"4ch + 5ch/2ch guides (fg 7), 7x7, w 1000",
         4,
         {5, 2},
         {1000.0f, 0.5f},
         1.0f,
         7,
         22,
         21,
         19,
         23,
         false,
         true,
         0,
         1},
        {"9ch style (>8) + 3ch guide, 5x5, mod",
         9,
         {3},
         {1.0f},
         1.0f,
         5,
         18,
         17,
         20,
         16,
         true,
         false,
         0,
         1},
        {"guides only (style weight 0), 3x3",
         3,
         {1, 2},
         {1.0f, 3.0f},
         0.0f,
         3,
         15,
         16,
         17,
         14,
         false,
         true,
         0,
         1},
        {"5ch + 4/4/3ch guides (fg 11, 3 chunks), 3x3, mod",
         5,
         {4, 4, 3},
         {1.0f, 10.0f, 1000.0f},
         1.0f,
         3,
         16,
         14,
         15,
         17,
         true,
         false,
         0,
         1},
        {"large values [-2e4, 1e6], 5x5",
         2,
         {1},
         {1000.0f},
         1.0f,
         5,
         16,
         15,
         15,
         16,
         false,
         false,
         -2.0e4f,
         1.0e6f},
        {"tiny values [0, 1e-13], 3x3",
         3,
         {},
         {},
         1.0f,
         3,
         14,
         13,
         13,
         14,
         false,
         false,
         0,
         1.0e-13f},
        // 24 features = 4 chunks: 92 chunks a row, 32 lanes, two passes of 64 per row.
        {"23x23 patch, 7 + 17 features: 32 lanes, 2 passes",
         7,
         {9, 8},
         {1.0f, 4.0f},
         1.0f,
         23,
         27,
         25,
         26,
         24,
         true,
         false,
         0,
         1},
        // 40 features = 5 chunks, 7x7: 35 chunks a row, 32 lanes, idle second slots.
        {"20 + 20 features, 7x7: 32 lanes",
         20,
         {20},
         {1.0f},
         1.0f,
         7,
         16,
         15,
         15,
         14,
         false,
         true,
         0,
         1},
    };
}

// ---- feature scale and half round trip

void test_feature_scale() {
    // Over every range of features a level may hold short of float overflow of the distances:
    // max * s in [2^13, 2^14), so differences fit in half (< 2^15 < 65504) and every value down
    // to max * 2^-11 stays a normal half; the scale factors are exact powers of two.
    int bad = 0;
    for (int e = -46; e <= 74; ++e) {  // max in [2^-47, 2^74)
        for (float mantissa : {0.5f, 0.7071f, 0.99999994f}) {
            const float max_abs = std::ldexp(mantissa, e);
            float s[3];
            cuda::feature_scale(max_abs, s);
            const double scaled = double(max_abs) * s[0];
            const bool ok = scaled >= 8192.0 && scaled < 16384.0 && s[1] == s[0] * s[0] &&
                            double(s[1]) * double(s[2]) == 1.0;
            if (!ok && ++bad <= 3) {
                CHECK(false,
                      "feature_scale(%g): max*s = %g (want [2^13, 2^14)), s^2 = %g, 1/s^2 = %g",
                      double(max_abs), scaled, double(s[1]), double(s[2]));
            }
        }
    }
    CHECK(bad == 0, "feature_scale: %d value ranges outside [2^13, 2^14)", bad);
    float s[3];
    cuda::feature_scale(0.0f, s);
    CHECK(s[0] == 1.0f && s[1] == 1.0f && s[2] == 1.0f, "feature_scale(0) = %g", double(s[0]));
    std::printf("feature_scale: max*s in [2^13, 2^14) for max in [2^-47, 2^74)\n");
}

float half_at(const std::vector<uint4>& buffer, std::size_t pixel, int chunks, int channel) {
    __half h;
    std::memcpy(&h,
                reinterpret_cast<const char*>(buffer.data()) +
                    (pixel * std::size_t(chunks) * 8 + std::size_t(channel)) * 2,
                2);
    return __half2float(h);
}

// Every stored half of the source and target features against the float32 feature it stands
// for: relative error <= 2^-11 (round to nearest, 11-bit significand) for values >= max * 2^-11
// (what the per-level scale promises), an absolute max * 2^-22 below; padding lanes exactly 0;
// all |h| < 2^14.
void test_half_round_trip(const Fixture& fx) {
    const int r = fx.radius();
    const int spw = fx.sw() + 2 * r, pw = fx.tw() + 2 * r;
    const int f = fx.fs + fx.fg;
    const double s = fx.scale[0];
    double max_abs = 0.0;
    for (float v : fx.level().source_features.data)
        max_abs = std::max(max_abs, double(std::fabs(v)));
    for (float v : fx.level().target_guides.data) max_abs = std::max(max_abs, double(std::fabs(v)));
    double worst = 0.0, largest = 0.0;
    int bad = 0;
    auto check_value = [&](float stored, float want, const char* what, int x, int y, int k) {
        const double back = double(stored) / s;
        const double err = std::fabs(back - double(want));
        const double magnitude = std::fabs(double(want));
        const double allowed = magnitude >= std::ldexp(max_abs, -11) ? std::ldexp(magnitude, -11)
                                                                     : std::ldexp(max_abs, -22);
        largest = std::max(largest, std::fabs(double(stored)));
        if (magnitude >= std::ldexp(max_abs, -11)) worst = std::max(worst, err / magnitude);
        if (!(err <= allowed) || !std::isfinite(stored)) {
            if (++bad <= 3) {
                CHECK(false, "%s: %s (%d, %d) channel %d: half %g / s = %g, float %g", fx.c.name,
                      what, x, y, k, double(stored), back, double(want));
            }
        }
    };
    for (int y = 0; y < fx.sh() + 2 * r; ++y) {
        for (int x = 0; x < spw; ++x) {
            const std::size_t padded = std::size_t(y) * spw + x;
            const float* raw = fx.state->source.data() + padded * f;  // the CPU's padded copy
            for (int c = 0; c < fx.chunks * 8; ++c) {
                const float stored = half_at(fx.source_half, padded, fx.chunks, c);
                if (c < fx.fs) {
                    check_value(stored, raw[c], "source style", x, y, c);
                } else if (c >= fx.fs_padded && c < fx.fs_padded + fx.fg) {
                    check_value(stored, raw[fx.fs + c - fx.fs_padded], "source guide", x, y, c);
                } else if (stored != 0.0f && ++bad <= 3) {
                    CHECK(false, "%s: source padding (%d, %d) lane %d holds %g", fx.c.name, x, y, c,
                          double(stored));
                }
            }
        }
    }
    for (int y = 0; y < fx.th() + 2 * r; ++y) {
        for (int x = 0; x < pw; ++x) {
            const std::size_t padded = std::size_t(y) * pw + x;
            const float* raw = fx.state->target.data() + padded * f;  // CPU rebuild_target
            for (int c = 0; c < fx.chunks * 8; ++c) {
                const float stored = half_at(fx.target_half, padded, fx.chunks, c);
                if (c < fx.fs) {
                    check_value(stored, raw[c], "target style", x, y, c);
                } else if (c >= fx.fs_padded && c < fx.fs_padded + fx.fg) {
                    check_value(stored, raw[fx.fs + c - fx.fs_padded], "target guide", x, y, c);
                } else if (stored != 0.0f && ++bad <= 3) {
                    CHECK(false, "%s: target padding (%d, %d) lane %d holds %g", fx.c.name, x, y, c,
                          double(stored));
                }
            }
        }
    }
    CHECK(bad == 0, "%s: %d half features off", fx.c.name, bad);
    CHECK(largest < 16384.0, "%s: a scaled feature reaches %g (>= 2^14)", fx.c.name, largest);
    std::printf("  half round trip: worst relative error %.2e (2^-11 = 4.9e-4), max |h| %.0f\n",
                worst, largest);
}

// ---- patch distance

// A rigorous bound on |half distance - float distance| for one pair, from the float features:
// each source and target value is rounded to half (error <= u|v| + 2^-25, u = 2^-11, in scaled
// units; 2^-25 covers subnormals), so is their difference (__hsub2; the host's float-then-half
// rounding adds 2^-24 relative), then the squares are summed in float32 on both sides (<= n
// 2^-24 of the sum each). With d the exact difference and E its total error, a term's error is
// <= w (2|d|E + E^2) (w: 1, 0 for style in a guide-only search, the modulation for guides).
double distance_bound(const Fixture& fx, int px, int py, int qx, int qy) {
    const int r = fx.radius(), patch = fx.state->patch;
    const int spw = fx.sw() + 2 * r, pw = fx.tw() + 2 * r;
    const int f = fx.fs + fx.fg;
    const double s = fx.scale[0];
    const double u = std::ldexp(1.0, -11) + std::ldexp(1.0, -24), tiny = std::ldexp(1.0, -25);
    double half_error = 0.0, magnitude = 0.0;
    for (int y = 0; y < patch; ++y) {
        for (int x = 0; x < patch; ++x) {
            const float* sp = fx.state->source.data() + ((std::size_t(qy + y)) * spw + qx + x) * f;
            const float* tp = fx.state->target.data() + ((std::size_t(py + y)) * pw + px + x) * f;
            const double m = fx.state->modulation.empty()
                                 ? 1.0
                                 : fx.state->modulation[std::size_t(py + y) * pw + px + x];
            for (int k = 0; k < f; ++k) {
                const double w = k < fx.fs ? (fx.guides_only ? 0.0 : 1.0) : m;
                const double a = double(sp[k]) * s, b = double(tp[k]) * s;
                const double ea = u * std::fabs(a) + tiny, eb = u * std::fabs(b) + tiny;
                const double d = a - b;
                const double e = ea + eb + u * (std::fabs(d) + ea + eb) + tiny;
                half_error += w * (2.0 * std::fabs(d) * e + e * e);
                magnitude += w * (std::fabs(d) + e) * (std::fabs(d) + e);
            }
        }
    }
    const double terms = double(patch) * patch * (fx.chunks * 8) + 4.0 * patch;
    const double summation = 2.0 * terms * std::ldexp(1.0, -24) * magnitude;
    return (half_error + summation) / (s * s);
}

// The GPU distance of target pixel p matched to q: recompute_ssd_pixel's lanes in lockstep.
float gpu_distance(const HalfFeatures& f, int lanes, int px, int py, int qx, int qy) {
    const long long pixel = static_cast<long long>(py) * f.tw + px;
    std::vector<int2> nnf(std::size_t(f.tw) * f.th, make_int2(0, 0));
    nnf[std::size_t(pixel)] = make_int2(qx, qy);
    float out = -1.0f;
    std::vector<float> ssd(nnf.size(), -1.0f);
    with_lanes(lanes, [&](auto g) {
        constexpr int G = decltype(g)::value;
        lockstep::run(G, [&](int lane) {
            cuda::recompute_ssd_pixel<G>(f, nnf.data(), ssd.data(), pixel, lane,
                                         cuda::group_mask<G>());
        });
    });
    out = ssd[std::size_t(pixel)];
    return out;
}

std::vector<std::pair<int, int>> border_points(int w, int h, Random& rng, int extra) {
    std::vector<std::pair<int, int>> points = {
        {0, 0},     {w - 1, 0},     {0, h - 1},     {w - 1, h - 1}, {w / 2, 0},
        {0, h / 2}, {w - 1, h / 2}, {w / 2, h - 1}, {1, 1},         {w - 2, h - 2}};
    for (int i = 0; i < extra; ++i) points.push_back({rng.below(w), rng.below(h)});
    return points;
}

void test_patch_distance(Fixture& fx) {
    Random rng(77);
    const auto targets = border_points(fx.tw(), fx.th(), rng, 6);
    const auto sources = border_points(fx.sw(), fx.sh(), rng, 4);
    std::vector<std::array<int, 4>> pairs;
    for (const auto& p : targets) {
        for (const auto& q : sources) pairs.push_back({p.first, p.second, q.first, q.second});
        // The near match the guides were built around, and the identity offset.
        pairs.push_back({p.first, p.second, std::min(p.first + 3, fx.sw() - 1),
                         std::min(p.second + 2, fx.sh() - 1)});
    }
    for (bool guides_only : {false, true}) {
        if (guides_only && fx.fg == 0) continue;
        if (!guides_only && fx.fs == 0) continue;  // no style term without style features
        fx.guides_only = guides_only;
        fx.state->style_term = !guides_only;
        const HalfFeatures f = fx.features();
        const int launcher_lanes = cuda::group_lanes(f);
        double worst_ratio = 0.0, worst_relative = 0.0;
        int bad = 0, lane_mismatch = 0;
        for (const auto& pq : pairs) {
            const float cpu = fx.state->patch_distance(pq[0], pq[1], pq[2], pq[3], 3.0e38f);
            const float gpu = gpu_distance(f, launcher_lanes, pq[0], pq[1], pq[2], pq[3]);
            const float one_lane = gpu_distance(f, 1, pq[0], pq[1], pq[2], pq[3]);
            const double bound = distance_bound(fx, pq[0], pq[1], pq[2], pq[3]);
            const double diff = std::fabs(double(gpu) - double(cpu));
            worst_ratio = std::max(worst_ratio, bound > 0 ? diff / bound : (diff > 0 ? 1e9 : 0));
            if (cpu > 0) worst_relative = std::max(worst_relative, diff / cpu);
            if (!(diff <= bound) && ++bad <= 3) {
                CHECK(
                    false,
                    "%s%s: distance (%d,%d)->(%d,%d): GPU %.9g, CPU %.9g, |diff| %.3g > bound %.3g",
                    fx.c.name, guides_only ? " (guides only)" : "", pq[0], pq[1], pq[2], pq[3],
                    double(gpu), double(cpu), diff, bound);
            }
            // G lanes and one lane sum in different orders: both within the bound.
            if (!(std::fabs(double(one_lane) - double(cpu)) <= bound)) ++lane_mismatch;
        }
        CHECK(bad == 0, "%s: %d of %zu distances outside the half-precision bound", fx.c.name, bad,
              pairs.size());
        CHECK(lane_mismatch == 0, "%s: %d one-lane distances outside the bound", fx.c.name,
              lane_mismatch);
        std::printf("  distance%s: %zu pairs, G=%d, worst |GPU-CPU| = %.2f of the bound, "
                    "%.1e of the CPU distance\n",
                    guides_only ? " (guides only)" : "", pairs.size(), launcher_lanes, worst_ratio,
                    worst_relative);
    }
    fx.guides_only = false;
    fx.state->style_term = true;
}

// Batches: four candidates evaluated together give each one's own distance bit for bit (no
// cross-talk between slots), and the early exit only kills candidates whose full distance
// exceeds their bound (survivors hold the full sum).
void test_evaluate_batch(Fixture& fx) {
    if (fx.fs == 0) return;
    const HalfFeatures f = fx.features();
    const int lanes = cuda::group_lanes(f);
    Random rng(91);
    int bad = 0, killed = 0, alive_count = 0;
    for (int trial = 0; trial < 40; ++trial) {
        const int px = rng.below(fx.tw()), py = rng.below(fx.th());
        int qx[4], qy[4];
        float full[4];
        for (int b = 0; b < 4; ++b) {
            qx[b] = rng.below(fx.sw());
            qy[b] = rng.below(fx.sh());
            full[b] = gpu_distance(f, lanes, px, py, qx[b], qy[b]);
        }
        for (int mode = 0; mode < 2; ++mode) {
            float bound[4];
            bool alive[4];
            float total[4];
            for (int b = 0; b < 4; ++b) {
                // mode 0: no bound; mode 1: bounds around the full distance (scaled units)
                const float scaled = full[b] * fx.scale[1];
                bound[b] = mode == 0 ? INFINITY : scaled * (b % 2 == 0 ? 0.5f : 1.5f);
                alive[b] = !(mode == 1 && b == 3);  // a slot that starts dead stays dead
            }
            with_lanes(lanes, [&](auto g) {
                constexpr int G = decltype(g)::value;
                lockstep::run(G, [&](int lane) {
                    bool a[4] = {alive[0], alive[1], alive[2], alive[3]};
                    float t[4];
                    cuda::evaluate<G, 4>(f, lane, cuda::group_mask<G>(), px, py, qx, qy, bound, a,
                                         t);
                    if (lane == 0) {
                        std::copy(a, a + 4, alive);
                        std::copy(t, t + 4, total);
                    }
                });
            });
            for (int b = 0; b < 4; ++b) {
                if (mode == 1 && b == 3) {
                    if (alive[b]) ++bad;
                    continue;
                }
                const float scaled = full[b] * fx.scale[1];
                if (alive[b]) {
                    ++alive_count;
                    if (!same_bits(total[b] * fx.scale[2], full[b])) ++bad;
                    if (mode == 1 && scaled > bound[b]) ++bad;
                } else {
                    ++killed;
                    if (!(scaled > bound[b]) || !(total[b] > bound[b])) ++bad;
                }
            }
        }
    }
    CHECK(bad == 0, "%s: %d batched candidates differ from their own evaluation", fx.c.name, bad);
    CHECK(killed > 0 && alive_count > 0, "%s: the early exit was not exercised", fx.c.name);
}

// ---- random draws, NNF initialisation and upsampling

void test_random_keys() {
    int bad = 0;
    Random rng(5);
    for (int i = 0; i < 2000; ++i) {
        const std::uint64_t seed = rng.next();
        const std::uint32_t level = std::uint32_t(rng.below(8)),
                            iteration = std::uint32_t(rng.next());
        const std::uint32_t pixel = std::uint32_t(rng.next()),
                            step = std::uint32_t(rng.below(3000));
        if (random_key_from_prefix(random_key_prefix(seed, level, iteration), pixel, step) !=
            random_key(seed, level, iteration, pixel, step)) {
            ++bad;
        }
    }
    CHECK(bad == 0, "random_key_from_prefix(random_key_prefix(...)) != random_key in %d cases",
          bad);
}

void test_init_and_upsample(Fixture& fx) {
    const std::uint64_t seed = 0x5eed;
    // random_init_pixel: one lane per target pixel, against the CPU's random_init.
    cpu::random_init(*fx.state, seed);
    int bad = 0;
    for (int p = 0; p < fx.tw() * fx.th(); ++p) {
        const int2 q = cuda::random_init_pixel(fx.sw(), fx.sh(), fx.allowed(), fx.centres(), seed,
                                               0, std::size_t(p));
        if (q.x != fx.state->nnf[2 * std::size_t(p)] ||
            q.y != fx.state->nnf[2 * std::size_t(p) + 1]) {
            ++bad;
        }
    }
    CHECK(bad == 0, "%s: random_init_pixel differs from the CPU at %d pixels", fx.c.name, bad);

    // upsample_pixel against upsample_nnf, from a coarse NNF of the coarser level's source size
    // (odd sizes: the clamp at the right and bottom edges is reached); masked results redrawn.
    const int cw = (fx.tw() + 1) / 2, ch = (fx.th() + 1) / 2;
    const int csw = (fx.sw() + 1) / 2, csh = (fx.sh() + 1) / 2;
    Random rng(17);
    std::vector<std::int32_t> coarse(std::size_t(cw) * ch * 2);
    std::vector<int2> coarse2(std::size_t(cw) * ch);
    for (std::size_t i = 0; i < coarse2.size(); ++i) {
        coarse2[i] = make_int2(rng.below(csw), rng.below(csh));
        if (i % 7 == 0) coarse2[i] = make_int2(csw - 1, csh - 1);  // clamped at the far edges
        coarse[2 * i] = coarse2[i].x;
        coarse[2 * i + 1] = coarse2[i].y;
    }
    for (int level : {1, 3}) {
        fx.state->level_index = level;
        cpu::upsample_nnf(*fx.state, coarse, cw, ch, seed);
        bad = 0;
        int repaired = 0;
        for (int p = 0; p < fx.tw() * fx.th(); ++p) {
            const int2 q =
                cuda::upsample_pixel(coarse2.data(), cw, ch, fx.tw(), fx.sw(), fx.sh(),
                                     fx.allowed(), fx.centres(), seed, level, std::size_t(p));
            if (q.x != fx.state->nnf[2 * std::size_t(p)] ||
                q.y != fx.state->nnf[2 * std::size_t(p) + 1]) {
                ++bad;
            }
            const int x = p % fx.tw(), y = p / fx.tw();
            const int2 c =
                coarse2[std::size_t(std::min(y / 2, ch - 1)) * cw + std::min(x / 2, cw - 1)];
            if (q.x != std::min(2 * c.x + (x & 1), fx.sw() - 1) ||
                q.y != std::min(2 * c.y + (y & 1), fx.sh() - 1)) {
                ++repaired;
            }
            if (fx.allowed() != nullptr) {
                CHECK(fx.allowed()[std::size_t(q.y) * fx.sw() + q.x] != 0,
                      "%s: upsampled centre (%d, %d) is masked", fx.c.name, q.x, q.y);
            }
        }
        CHECK(bad == 0, "%s: upsample_pixel differs from the CPU at %d pixels (level %d)",
              fx.c.name, bad, level);
        if (fx.allowed() != nullptr) {
            CHECK(repaired > 0, "%s: no masked centre was redrawn", fx.c.name);
        }
    }
    fx.state->level_index = 0;
}

// Random picks and upsampled centres of an intermediate level keep a patch radius inside the
// source, as the CPU's, without a mask.
void test_interior_centres(Fixture& fx) {
    if (fx.allowed() != nullptr) return;
    const CentreRange open = fx.state->centres;
    fx.use_interior_centres();
    const CentreRange range = fx.state->centres;
    CHECK(range.min_x == fx.radius() && range.max_x == fx.sw() - 1 - fx.radius(),
          "%s: intermediate level range [%d, %d] is not the interior", fx.c.name, range.min_x,
          range.max_x);
    const std::uint64_t seed = 0x1e7e1;
    fx.state->level_index = 2;
    cpu::random_init(*fx.state, seed);
    const int cw = (fx.tw() + 1) / 2, ch = (fx.th() + 1) / 2;
    std::vector<std::int32_t> coarse(std::size_t(cw) * ch * 2);
    std::vector<int2> coarse2(std::size_t(cw) * ch);
    for (std::size_t i = 0; i < coarse2.size(); ++i) {  // every corner of the coarse source
        coarse2[i] =
            make_int2(i % 3 == 0 ? 0 : (fx.sw() - 1) / 2, i % 2 == 0 ? 0 : (fx.sh() - 1) / 2);
        coarse[2 * i] = coarse2[i].x;
        coarse[2 * i + 1] = coarse2[i].y;
    }
    std::vector<std::int32_t> upsampled(fx.state->nnf.size());
    {
        std::vector<std::int32_t> initial = fx.state->nnf;
        cpu::upsample_nnf(*fx.state, coarse, cw, ch, seed);
        upsampled.swap(fx.state->nnf);
        fx.state->nnf.swap(initial);
    }
    int bad = 0, outside = 0;
    for (int p = 0; p < fx.tw() * fx.th(); ++p) {
        const int2 q = cuda::random_init_pixel(fx.sw(), fx.sh(), nullptr, fx.centres(), seed, 2,
                                               std::size_t(p));
        const int2 u = cuda::upsample_pixel(coarse2.data(), cw, ch, fx.tw(), fx.sw(), fx.sh(),
                                            nullptr, fx.centres(), seed, 2, std::size_t(p));
        bad += q.x != fx.state->nnf[2 * std::size_t(p)] ||
               q.y != fx.state->nnf[2 * std::size_t(p) + 1];
        bad += u.x != upsampled[2 * std::size_t(p)] || u.y != upsampled[2 * std::size_t(p) + 1];
        outside += !range.contains(q.x, q.y) || !range.contains(u.x, u.y);
    }
    CHECK(bad == 0, "%s: interior random/upsampled centres differ from the CPU %d times", fx.c.name,
          bad);
    CHECK(outside == 0, "%s: %d centres outside the interior range", fx.c.name, outside);
    fx.state->level_index = 0;
    fx.state->centres = open;
}

// ---- occupancy

// launch_occupancy's one-pass tile kernel, one block at a time, its three barrier-separated
// steps run for every thread of the block in turn.
std::vector<long long> occupancy_tiles(const std::vector<int>& counts, int sw, int sh, int radius) {
    using namespace cuda;
    std::vector<long long> out(std::size_t(sw) * sh, -1);
    std::vector<int> tile(kOccupancyHaloW * kOccupancyHaloH);
    std::vector<long long> rows(kOccupancyTileW * kOccupancyHaloH);
    for (int y0 = 0; y0 < sh; y0 += kOccupancyTileH) {
        for (int x0 = 0; x0 < sw; x0 += kOccupancyTileW) {
            std::fill(tile.begin(), tile.end(), -999999);  // stale shared memory
            std::fill(rows.begin(), rows.end(), -999999);
            for (int t = 0; t < kOccupancyThreads; ++t) {
                occupancy_tile_load(counts.data(), sw, sh, radius, x0, y0, tile.data(), t);
            }
            for (int t = 0; t < kOccupancyThreads; ++t) {
                occupancy_tile_rows(tile.data(), sw, radius, x0, rows.data(), t);
            }
            for (int t = 0; t < kOccupancyThreads; ++t) {
                occupancy_tile_sums(rows.data(), sw, sh, radius, x0, y0, out.data(), t);
            }
        }
    }
    return out;
}

// The two-pass form (patch radius > kOccupancyMaxRadius).
std::vector<long long> occupancy_two_pass(const std::vector<int>& counts, int sw, int sh,
                                          int radius) {
    std::vector<long long> rows(std::size_t(sw) * sh), out(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        rows[i] = cuda::occupancy_row(counts.data(), sw, radius, i);
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = cuda::occupancy_column(rows.data(), sw, sh, radius, i);
    }
    return out;
}

// launch_occupancy's choice.
std::vector<long long> occupancy(const std::vector<int>& counts, int sw, int sh, int patch) {
    return patch / 2 <= cuda::kOccupancyMaxRadius ? occupancy_tiles(counts, sw, sh, patch / 2)
                                                  : occupancy_two_pass(counts, sw, sh, patch / 2);
}

std::vector<int> count_matches(const std::vector<int2>& nnf, int sw, int sh) {
    std::vector<int> counts(std::size_t(sw) * sh, 0);
    for (const int2& q : nnf) cuda::atomic_add(&counts[std::size_t(q.y) * sw + q.x], 1);
    return counts;
}

void test_occupancy() {
    // Sizes across the 32 x 8 tile grid and smaller than one tile; NNFs that pile many pixels on
    // a few centres (large counts), random ones, and ones on the source border.
    struct Size {
        int sw, sh, tw, th;
    };
    const Size sizes[] = {{70, 21, 40, 30}, {13, 9, 11, 12}, {33, 17, 35, 18}};
    int compared = 0;
    for (const Size& z : sizes) {
        for (int patch = 3; patch <= 15; patch += 2) {
            if (patch > std::min(z.sw, z.sh)) continue;
            // A CPU level of these sizes (style only).
            std::vector<float> style(std::size_t(z.sw) * z.sh, 0.5f);
            std::vector<float> guide_s(style.size(), 0.25f),
                guide_t(std::size_t(z.tw) * z.th, 0.5f);
            SynthesisInput input;
            input.style = {style.data(), z.sw, z.sh, 1};
            input.guides.push_back(
                {{guide_s.data(), z.sw, z.sh, 1}, {guide_t.data(), z.tw, z.th, 1}, 1.0f});
            SynthesisParams params;
            params.patch_size = patch;
            params.pyramid_levels = 1;
            const Problem problem = prepare_problem(input, params);
            cpu::LevelState state(problem, 0, patch);
            for (int kind = 0; kind < 3; ++kind) {
                Random rng(std::uint64_t(1000 * patch + 10 * kind + z.sw));
                std::vector<int2> nnf(std::size_t(z.tw) * z.th);
                for (std::size_t p = 0; p < nnf.size(); ++p) {
                    if (kind == 0) {
                        nnf[p] = make_int2(rng.below(z.sw), rng.below(z.sh));
                    } else if (kind == 1) {
                        nnf[p] = make_int2(rng.below(3) + z.sw / 2, rng.below(2));
                    } else {
                        nnf[p] = rng.below(2) ? make_int2(0, rng.below(z.sh))
                                              : make_int2(z.sw - 1, z.sh - 1 - rng.below(2));
                    }
                    state.nnf[2 * p] = nnf[p].x;
                    state.nnf[2 * p + 1] = nnf[p].y;
                }
                cpu::Occupancy cpu_occupancy;
                ThreadPool occupancy_pool{2};  // the parallel build: same integers
                cpu_occupancy.build(state, occupancy_pool);
                const std::vector<int> counts = count_matches(nnf, z.sw, z.sh);
                const std::vector<long long> two_pass =
                    occupancy_two_pass(counts, z.sw, z.sh, patch / 2);
                std::vector<long long> tiles;
                if (patch / 2 <= cuda::kOccupancyMaxRadius) {
                    tiles = occupancy_tiles(counts, z.sw, z.sh, patch / 2);
                }
                int bad = 0;
                for (int y = 0; y < z.sh; ++y) {
                    for (int x = 0; x < z.sw; ++x) {
                        const long long want = cpu_occupancy.patch_sum(x, y);
                        const std::size_t i = std::size_t(y) * z.sw + x;
                        if (two_pass[i] != want) ++bad;
                        if (!tiles.empty() && tiles[i] != want) ++bad;
                        ++compared;
                    }
                }
                CHECK(bad == 0,
                      "occupancy %dx%d patch %d kind %d: %d patch sums differ from the CPU", z.sw,
                      z.sh, patch, kind, bad);
            }
        }
    }
    std::printf("occupancy: %d patch sums (tile and two-pass forms) equal the CPU's\n", compared);
}

// ---- device pyramid

std::vector<float> gather(const std::vector<cuda::ChannelSource>& table, std::size_t pixels) {
    std::vector<float> out(pixels * table.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = cuda::gather_channel(table.data(), int(table.size()), i);
    }
    return out;
}

// launch_downsample: the row pass into scratch, then the column pass.
std::vector<float> downsample(const std::vector<float>& in, int w, int h, int c) {
    const int ow = (w + 1) / 2, oh = (h + 1) / 2;
    std::vector<float> rows(std::size_t(ow) * h * c), out(std::size_t(ow) * oh * c);
    for (std::size_t i = 0; i < rows.size(); ++i)
        rows[i] = cuda::downsample_row(in.data(), w, c, i);
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = cuda::downsample_column(rows.data(), ow, h, c, i);
    }
    return out;
}

template <typename T> int count_different(const std::vector<T>& a, const std::vector<T>& b) {
    if (a.size() != b.size()) return -1;
    int n = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        n += std::memcmp(&a[i], &b[i], sizeof(T)) != 0 ? 1 : 0;
    }
    return n;
}

// The CUDA backend's build_device_pyramid (device input), its kernels run on the host, against
// prepare_problem's host pyramid: every level's source features, style, target guides,
// modulation and mask bit for bit (the README's promise: same job, same result from either
// memory). Odd sizes, two guides with odd channel counts, a zero-weight guide (left out), values
// over several orders of magnitude.
void test_device_pyramid() {
    Random rng(61);
    const int sw = 37, sh = 29, tw = 35, th = 31, ns = 3;
    auto image = [&](int w, int h, int c) {
        std::vector<float> v(std::size_t(w) * h * c);
        // Normal floats over 2^-81 .. 1, and zeros. (Below 2^-122 the host's fused
        // multiply-adds and the device's separate roundings part: a product by 0.25 is then
        // inexact.)
        for (float& x : v) {
            x = rng.below(8) == 0 ? 0.0f : std::ldexp(rng.uniform(0.5f, 1.0f), -rng.below(3) * 40);
        }
        return v;
    };
    std::vector<float> style = image(sw, sh, ns);
    std::vector<float> gs1 = image(sw, sh, 3), gt1 = image(tw, th, 3);
    std::vector<float> gs2 = image(sw, sh, 1), gt2 = image(tw, th, 1);
    std::vector<float> gs3 = image(sw, sh, 2), gt3 = image(tw, th, 2);
    std::vector<float> modulation = image(tw, th, 1), mask(std::size_t(sw) * sh);
    for (float& m : mask) m = rng.below(3) == 0 ? 0.0f : 1.0f;
    SynthesisInput input;
    input.style = {style.data(), sw, sh, ns};
    input.guides.push_back({{gs1.data(), sw, sh, 3}, {gt1.data(), tw, th, 3}, 2.5f});
    input.guides.push_back({{gs2.data(), sw, sh, 1}, {gt2.data(), tw, th, 1}, 0.0f});
    input.guides.push_back({{gs3.data(), sw, sh, 2}, {gt3.data(), tw, th, 2}, 700.0f});
    input.modulation = {modulation.data(), tw, th, 1};
    input.source_mask = {mask.data(), sw, sh, 1};
    SynthesisParams params;
    params.patch_size = 3;
    params.style_weight = 0.7f;
    const Problem host = prepare_problem(input, params);
    const Problem problem = describe_problem(input, params);
    const int fs = problem.style_feature_channels(), fg = problem.guide_feature_channels;
    CHECK(host.levels.size() >= 3, "device pyramid: only %zu levels", host.levels.size());

    std::vector<cuda::ChannelSource> source_table, target_table;
    for (const GuideFeature& g : problem.guide_features) {
        const GuidePair& pair = input.guides[std::size_t(g.guide)];
        source_table.push_back({pair.source.data, pair.source.channels, g.channel, g.scale});
        target_table.push_back({pair.target.data, pair.target.channels, g.channel, g.scale});
    }
    std::vector<float> level_style = style;
    std::vector<float> source_guides = gather(source_table, std::size_t(sw) * sh);
    std::vector<float> target_guides = gather(target_table, std::size_t(tw) * th);
    std::vector<float> level_modulation = modulation;
    std::vector<std::uint8_t> allowed(mask.size());
    for (std::size_t i = 0; i < mask.size(); ++i) allowed[i] = mask[i] > 0.0f ? 1 : 0;
    int w = sw, h = sh, twl = tw, thl = th;
    for (int l = int(host.levels.size()) - 1; l >= 0; --l) {
        const Level& want = host.levels[std::size_t(l)];
        std::vector<cuda::ChannelSource> features;
        for (int k = 0; k < fs; ++k) {
            features.push_back({level_style.data(), ns,
                                problem.style_feature_channel[std::size_t(k)],
                                problem.style_feature_scale[std::size_t(k)]});
        }
        for (int k = 0; k < fg; ++k) features.push_back({source_guides.data(), fg, k, 1.0f});
        const std::vector<float> source_features = gather(features, std::size_t(w) * h);
        CHECK(w == want.source_width && h == want.source_height && twl == want.target_width &&
                  thl == want.target_height,
              "device pyramid level %d: size %dx%d / %dx%d", l, w, h, twl, thl);
        const int d_features = count_different(source_features, want.source_features.data);
        const int d_style = count_different(level_style, want.source_style.data);
        const int d_guides = count_different(target_guides, want.target_guides.data);
        const int d_modulation = count_different(level_modulation, want.modulation.data);
        const int d_allowed = count_different(allowed, want.source_allowed);
        CHECK(d_features == 0 && d_style == 0 && d_guides == 0 && d_modulation == 0 &&
                  d_allowed == 0,
              "device pyramid level %d differs from the host's: features %d, style %d, target "
              "guides %d, modulation %d, mask %d (-1: size)",
              l, d_features, d_style, d_guides, d_modulation, d_allowed);
        if (l > 0) {
            level_style = downsample(level_style, w, h, ns);
            if (fg > 0) {
                source_guides = downsample(source_guides, w, h, fg);
                target_guides = downsample(target_guides, twl, thl, fg);
            }
            level_modulation = downsample(level_modulation, twl, thl, 1);
            std::vector<std::uint8_t> coarse(std::size_t((w + 1) / 2) * ((h + 1) / 2));
            for (std::size_t i = 0; i < coarse.size(); ++i) {
                coarse[i] = cuda::downsample_mask_pixel(allowed.data(), w, h, i);
            }
            allowed.swap(coarse);
            w = (w + 1) / 2, h = (h + 1) / 2, twl = (twl + 1) / 2, thl = (thl + 1) / 2;
        }
    }
    std::printf("device pyramid: %zu levels equal the host pyramid bit for bit\n",
                host.levels.size());
}

// ---- vote, stop threshold, final error map

void test_vote(Fixture& fx) {
    Random rng(23);
    // An NNF over the whole source (borders included, so votes read past the edge) and
    // distances spread over several orders of magnitude for the weighted vote.
    for (int p = 0; p < fx.tw() * fx.th(); ++p) {
        fx.state->nnf[2 * std::size_t(p)] = rng.below(fx.sw());
        fx.state->nnf[2 * std::size_t(p) + 1] = rng.below(fx.sh());
        fx.state->ssd[std::size_t(p)] = std::ldexp(rng.uniform(0.5f, 1.0f), rng.below(30));
    }
    const std::vector<int2> nnf = fx.nnf_int2();
    const int ns = fx.state->style_channels;
    const float* source_style = fx.level().source_style.data.data();
    for (VoteMode mode : {VoteMode::plain, VoteMode::weighted}) {
        std::vector<float> cpu;
        cpu::vote(*fx.state, fx.pool, mode, cpu);
        std::vector<float> gpu(cpu.size(), -1.0f);
        for (int p = 0; p < fx.tw() * fx.th(); ++p) {
            cuda::vote_pixel(nnf.data(), fx.state->ssd.data(), fx.tw(), fx.th(), source_style,
                             fx.sw(), fx.sh(), ns, fx.radius(), mode == VoteMode::weighted,
                             gpu.data(), std::size_t(p));
        }
        // Each vote is a weighted mean of at most P values: one rounding per product and sum,
        // so 2 P 2^-24 of the largest |value| bounds any difference in the operation order.
        double max_value = 0.0;
        for (float v : fx.level().source_style.data)
            max_value = std::max(max_value, double(std::fabs(v)));
        const double tolerance =
            2.0 * fx.state->patch * fx.state->patch * std::ldexp(1.0, -24) * max_value;
        int identical = 0, bad = 0;
        double worst = 0.0;
        for (std::size_t i = 0; i < cpu.size(); ++i) {
            identical += same_bits(cpu[i], gpu[i]) ? 1 : 0;
            const double diff = std::fabs(double(cpu[i]) - double(gpu[i]));
            worst = std::max(worst, diff);
            if (!(diff <= tolerance)) ++bad;
        }
        CHECK(bad == 0, "%s: %s vote: %d values differ by more than %.3g (worst %.3g)", fx.c.name,
              mode == VoteMode::plain ? "plain" : "weighted", bad, tolerance, worst);
        if (mode == VoteMode::plain) {
            // w = 1: fmaf(1, v, sum) is sum + v rounded once, the CPU's operation.
            CHECK(identical == int(cpu.size()),
                  "%s: plain vote: %zu of %zu values not bit-identical", fx.c.name,
                  cpu.size() - std::size_t(identical), cpu.size());
        }
        std::printf("  %s vote: %d/%zu bit-identical, worst |diff| %.2g (tolerance %.2g)\n",
                    mode == VoteMode::plain ? "plain" : "weighted", identical, cpu.size(), worst,
                    tolerance);
    }
}

void test_stop_threshold(Fixture& fx) {
    Random rng(31);
    const int ns = fx.state->style_channels;
    const std::size_t tn = std::size_t(fx.tw()) * fx.th();
    const float threshold = 5.0f;
    std::vector<float> before(tn * ns), after(tn * ns);
    for (std::size_t i = 0; i < before.size(); ++i) {
        before[i] = rng.uniform(0.0f, 1.0f);
        after[i] = before[i];
    }
    // A few changed pixels (one channel each), some just above, some just below the threshold.
    for (int n = 0; n < 6; ++n) {
        const std::size_t p = std::size_t(rng.below(int(tn)));
        const float step = threshold / kValueScale * (n % 2 == 0 ? 1.02f : 0.98f);
        after[p * ns + std::size_t(rng.below(ns))] += step;
    }
    after[ns - 1] += 1.0f;  // the corner pixel (0, 0)
    cpu::update_frozen(*fx.state, before, after, threshold);
    std::vector<std::uint8_t> changed(tn), rows(tn), frozen(tn);
    for (std::size_t p = 0; p < tn; ++p) {
        changed[p] = cuda::changed_pixel(before.data(), after.data(), ns, threshold, p);
    }
    for (std::size_t p = 0; p < tn; ++p)
        rows[p] = cuda::dilate_row(changed.data(), fx.tw(), fx.radius(), p);
    for (std::size_t p = 0; p < tn; ++p) {
        frozen[p] = cuda::frozen_column(rows.data(), fx.tw(), fx.th(), fx.radius(), p);
    }
    int bad = 0, frozen_count = 0;
    for (std::size_t p = 0; p < tn; ++p) {
        bad += frozen[p] != fx.state->frozen[p] ? 1 : 0;
        frozen_count += frozen[p];
    }
    CHECK(bad == 0, "%s: frozen mask differs from the CPU at %d pixels", fx.c.name, bad);
    CHECK(frozen_count > 0 && frozen_count < int(tn), "%s: degenerate frozen mask (%d)", fx.c.name,
          frozen_count);
    std::fill(fx.state->frozen.begin(), fx.state->frozen.end(), 0);
}

void test_final_error(Fixture& fx) {
    if (fx.fs == 0) return;  // the error map always includes the style term
    Random rng(41);
    for (int p = 0; p < fx.tw() * fx.th(); ++p) {
        fx.state->nnf[2 * std::size_t(p)] = rng.below(fx.sw());
        fx.state->nnf[2 * std::size_t(p) + 1] = rng.below(fx.sh());
    }
    fx.state->style_term = true;
    fx.state->recompute_distances(fx.pool);
    const std::vector<int2> nnf = fx.nnf_int2();
    const Level& level = fx.level();
    int identical = 0, bad = 0;
    double worst = 0.0;
    const int f = fx.fs + fx.fg;
    for (int p = 0; p < fx.tw() * fx.th(); ++p) {
        const float gpu = cuda::final_error_pixel(
            level.source_features.data.data(), fx.sw(), fx.sh(), f, fx.state->style.data(),
            fx.state->style_channels, fx.problem.style_feature_channel.data(),
            fx.problem.style_feature_scale.data(), fx.fs, level.target_guides.data.data(),
            level.modulation.empty() ? nullptr : level.modulation.data.data(), nnf.data(), fx.tw(),
            fx.th(), fx.state->patch, std::size_t(p));
        const float cpu = fx.state->ssd[std::size_t(p)];
        identical += same_bits(cpu, gpu) ? 1 : 0;
        // Same terms in the same order; only the fusing of products into sums may differ (the
        // CPU build contracts them where the compiler chooses): <= 2 n 2^-24 of the sum.
        const double n = double(fx.state->patch) * fx.state->patch * f + 8.0;
        const double tolerance = 2.0 * n * std::ldexp(1.0, -24) * std::fabs(double(cpu));
        const double diff = std::fabs(double(gpu) - double(cpu));
        if (cpu > 0) worst = std::max(worst, diff / cpu);
        if (!(diff <= tolerance)) ++bad;
    }
    CHECK(bad == 0, "%s: %d error map values differ from the CPU's distances", fx.c.name, bad);
    std::printf("  error map: %d/%d bit-identical to the CPU, worst relative diff %.1e\n",
                identical, fx.tw() * fx.th(), worst);
}

// ---- PatchMatch

struct PatchMatchSetup {
    float uniformity;
    bool frozen;
    int lanes;  // 0: the launcher's
};

// The documented update of one pixel, written out from the README / core.cuh comments with the
// CPU's pieces (random_key, random_between, Occupancy::patch_sum) and full (unbounded) distances:
// candidates in batches of four (propagation from the four neighbours' matches of the phase's
// start, then random draws around the best match at each batch's start), prepared against that
// best (clamped, skipped if equal to it, to an earlier candidate of the batch or masked, dropped
// if its penalty leaves no room), accepted in order when d < best_cost - penalty.
struct Reference {
    const Fixture& fx;
    HalfFeatures f;
    int lanes;
    bool uniform;
    float occupancy_scale;
    const cpu::Occupancy* occupancy;
    std::uint64_t seed;
    std::uint32_t iteration;
    const std::uint8_t* frozen;

    float distance(int px, int py, int qx, int qy) const {
        return gpu_distance(f, lanes, px, py, qx, qy);
    }

    void pixel(int px, int py, const std::vector<int2>& nnf0, const std::vector<float>& ssd0,
               std::vector<int2>& nnf, std::vector<float>& ssd, std::vector<int>& counts) const {
        const std::size_t p = std::size_t(py) * fx.tw() + px;
        if (frozen != nullptr && frozen[p]) return;
        const long long area = static_cast<long long>(f.patch) * f.patch;
        int best_x = nnf0[p].x, best_y = nnf0[p].y;
        float best_ssd = ssd0[p];
        float best_cost =
            best_ssd +
            (uniform ? occupancy_scale * float(occupancy->patch_sum(best_x, best_y)) : 0.0f);
        auto batch = [&](const std::vector<std::pair<int, int>>& candidates) {
            struct Prepared {
                int x, y;
                float penalty;
                bool live;
            };
            std::vector<Prepared> prepared;
            for (const auto& c : candidates) {
                const CentreRange& r = f.centres;
                Prepared q{std::clamp(c.first, r.min_x, r.max_x),
                           std::clamp(c.second, r.min_y, r.max_y), 0.0f, false};
                bool skip = q.x == best_x && q.y == best_y;
                for (const Prepared& o : prepared) skip = skip || (o.x == q.x && o.y == q.y);
                skip = skip ||
                       (fx.allowed() != nullptr && !fx.allowed()[std::size_t(q.y) * fx.sw() + q.x]);
                if (!skip) {
                    q.penalty = uniform
                                    ? occupancy_scale * float(occupancy->patch_sum(q.x, q.y) + area)
                                    : 0.0f;
                    q.live = best_cost - q.penalty > 0.0f;
                }
                prepared.push_back(q);
            }
            for (const Prepared& q : prepared) {
                if (!q.live) continue;
                const float d = distance(px, py, q.x, q.y);
                if (d < best_cost - q.penalty) {
                    best_x = q.x, best_y = q.y, best_ssd = d, best_cost = d + q.penalty;
                }
            }
        };
        std::vector<std::pair<int, int>> propagation;
        const int dxs[4] = {-1, 0, 1, 0}, dys[4] = {0, -1, 0, 1};
        for (int b = 0; b < 4; ++b) {
            const int nx = px + dxs[b], ny = py + dys[b];
            if (nx < 0 || nx >= fx.tw() || ny < 0 || ny >= fx.th()) continue;
            const int2 n = nnf0[std::size_t(ny) * fx.tw() + nx];
            propagation.push_back({n.x - dxs[b], n.y - dys[b]});
        }
        batch(propagation);
        std::uint32_t draw = 0;
        int radius = std::max(fx.sw(), fx.sh());
        while (radius >= 1) {
            std::vector<std::pair<int, int>> draws;
            const int cx = best_x, cy = best_y;
            for (int b = 0; b < 4 && radius >= 1; ++b, ++draw, radius /= 2) {
                const std::uint64_t bits = random_key(seed, 0, iteration, std::uint32_t(p), draw);
                draws.push_back({cx + random_between(std::uint32_t(bits), -radius, radius),
                                 cy + random_between(std::uint32_t(bits >> 32), -radius, radius)});
            }
            batch(draws);
        }
        if (best_x != nnf0[p].x || best_y != nnf0[p].y) {
            --counts[std::size_t(nnf0[p].y) * fx.sw() + nnf0[p].x];
            ++counts[std::size_t(best_y) * fx.sw() + best_x];
        }
        nnf[p] = make_int2(best_x, best_y);
        ssd[p] = best_ssd;
    }
};

// One launch of the PatchMatch kernel on the host: the pixels of one parity class, in `order`.
void run_phase(PatchMatchArgs a, int lanes, const std::vector<int>& order) {
    with_lanes(lanes, [&](auto g) {
        constexpr int G = decltype(g)::value;
        for (int p : order) {
            const int x = p % a.f.tw, y = p / a.f.tw;
            lockstep::run(G, [&](int lane) {
                cuda::patchmatch_pixel<G>(a, x, y, lane, cuda::group_mask<G>());
            });
        }
    });
}

void test_patchmatch(Fixture& fx, const PatchMatchSetup& setup) {
    fx.guides_only = false;
    fx.state->style_term = true;
    const HalfFeatures f = fx.features();
    const int lanes = setup.lanes > 0 ? setup.lanes : cuda::group_lanes(f);
    const std::uint64_t seed = 99;
    const bool uniform = setup.uniformity > 0.0f;
    const double area = double(f.patch) * f.patch;
    const float occupancy_scale = float(double(setup.uniformity) * (double(fx.sw()) * fx.sh()) /
                                        (area * area * (double(fx.tw()) * fx.th())));
    const std::size_t tn = std::size_t(fx.tw()) * fx.th();
    // Start: the CPU's random initialisation and the GPU distances of it.
    cpu::random_init(*fx.state, seed);
    std::vector<int2> nnf = fx.nnf_int2();
    std::vector<float> ssd(tn);
    for (std::size_t p = 0; p < tn; ++p) {
        ssd[p] = gpu_distance(f, lanes, int(p % fx.tw()), int(p / fx.tw()), nnf[p].x, nnf[p].y);
    }
    std::vector<int> counts = count_matches(nnf, fx.sw(), fx.sh());
    std::vector<std::uint8_t> frozen;
    if (setup.frozen) {
        Random rng(3);
        frozen.resize(tn);
        for (auto& v : frozen) v = rng.below(5) == 0 ? 1 : 0;
    }
    int moved = 0, bad_reference = 0, bad_order = 0, bad_invariant = 0;
    double cost_before = 0.0, cost_after = 0.0;
    for (std::uint32_t iteration = 0; iteration < 2; ++iteration) {
        for (int phase = 0; phase < 4; ++phase) {
            const std::vector<long long> patch_sum =
                uniform ? occupancy(counts, fx.sw(), fx.sh(), f.patch) : std::vector<long long>();
            if (uniform) {
                bad_invariant += counts != count_matches(nnf, fx.sw(), fx.sh()) ? 1 : 0;
            }
            PatchMatchArgs a;
            a.f = f;
            a.frozen = frozen.empty() ? nullptr : frozen.data();
            a.allowed = fx.allowed();
            a.patch_sum = uniform ? patch_sum.data() : nullptr;
            a.occupancy_scale = occupancy_scale;
            a.key_prefix = random_key_prefix(seed, 0, iteration);
            a.max_radius = std::max(fx.sw(), fx.sh());
            a.phase = phase;
            std::vector<int> order;
            for (int y = phase >> 1; y < fx.th(); y += 2) {
                for (int x = phase & 1; x < fx.tw(); x += 2) order.push_back(y * fx.tw() + x);
            }
            CHECK(int(order.size()) ==
                      cuda::phase_width(fx.tw(), phase) * cuda::phase_height(fx.th(), phase),
                  "phase %d lattice size", phase);
            // Order A: row-major; order B: a fixed shuffle. The same bits are required.
            std::vector<int> shuffled = order;
            Random rng(1000 + 4 * iteration + phase);
            for (std::size_t i = shuffled.size(); i > 1; --i) {
                std::swap(shuffled[i - 1], shuffled[std::size_t(rng.below(int(i)))]);
            }
            const std::vector<int2> nnf0 = nnf;
            const std::vector<float> ssd0 = ssd;
            const std::vector<int> counts0 = counts;
            std::vector<int2> nnf_b = nnf;
            std::vector<float> ssd_b = ssd;
            std::vector<int> counts_b = counts;
            a.nnf_in = a.nnf_out = nnf.data();
            a.ssd_in = a.ssd_out = ssd.data();
            a.counts = uniform ? counts.data() : nullptr;
            run_phase(a, lanes, order);
            a.nnf_in = a.nnf_out = nnf_b.data();
            a.ssd_in = a.ssd_out = ssd_b.data();
            a.counts = uniform ? counts_b.data() : nullptr;
            run_phase(a, lanes, shuffled);
            for (std::size_t p = 0; p < tn; ++p) {
                if (nnf[p].x != nnf_b[p].x || nnf[p].y != nnf_b[p].y ||
                    !same_bits(ssd[p], ssd_b[p])) {
                    ++bad_order;
                }
            }
            if (uniform && counts != counts_b) ++bad_order;

            // The reference, from the phase's start.
            for (int i = 0; i < fx.tw() * fx.th(); ++i) {
                fx.state->nnf[2 * std::size_t(i)] = nnf0[std::size_t(i)].x;
                fx.state->nnf[2 * std::size_t(i) + 1] = nnf0[std::size_t(i)].y;
            }
            cpu::Occupancy cpu_occupancy;
            ThreadPool occupancy_pool{2};
            if (uniform) cpu_occupancy.build(*fx.state, occupancy_pool);
            Reference ref{fx,
                          f,
                          lanes,
                          uniform,
                          occupancy_scale,
                          &cpu_occupancy,
                          seed,
                          iteration,
                          frozen.empty() ? nullptr : frozen.data()};
            std::vector<int2> nnf_r = nnf0;
            std::vector<float> ssd_r = ssd0;
            std::vector<int> counts_r = counts0;
            for (int p : order)
                ref.pixel(p % fx.tw(), p / fx.tw(), nnf0, ssd0, nnf_r, ssd_r, counts_r);
            for (std::size_t p = 0; p < tn; ++p) {
                if (nnf[p].x != nnf_r[p].x || nnf[p].y != nnf_r[p].y ||
                    !same_bits(ssd[p], ssd_r[p])) {
                    if (++bad_reference <= 3) {
                        CHECK(false,
                              "%s: phase %d pixel (%zu, %zu): GPU (%d, %d) %.9g, reference "
                              "(%d, %d) %.9g",
                              fx.c.name, phase, p % fx.tw(), p / fx.tw(), nnf[p].x, nnf[p].y,
                              double(ssd[p]), nnf_r[p].x, nnf_r[p].y, double(ssd_r[p]));
                    }
                }
            }
            if (uniform && counts != counts_r) ++bad_reference;

            // Invariants: the stored distance is the match's distance (bit for bit), nothing
            // lands on a masked centre, frozen pixels keep their match, no cost increases.
            for (int p : order) {
                const std::size_t i = std::size_t(p);
                const int x = p % fx.tw(), y = p / fx.tw();
                if (!same_bits(ssd[i], gpu_distance(f, lanes, x, y, nnf[i].x, nnf[i].y)))
                    ++bad_invariant;
                if (fx.allowed() != nullptr &&
                    !fx.allowed()[std::size_t(nnf[i].y) * fx.sw() + nnf[i].x] &&
                    (nnf[i].x != nnf0[i].x || nnf[i].y != nnf0[i].y)) {
                    ++bad_invariant;
                }
                const bool changed = nnf[i].x != nnf0[i].x || nnf[i].y != nnf0[i].y;
                if (!frozen.empty() && frozen[i] && changed) ++bad_invariant;
                moved += changed ? 1 : 0;
                const auto sum_at = [&](int2 q) {
                    return uniform ? double(occupancy_scale) *
                                         double(patch_sum[std::size_t(q.y) * fx.sw() + q.x])
                                   : 0.0;
                };
                const double before = double(ssd0[i]) + sum_at(nnf0[i]);
                const double after =
                    double(ssd[i]) +
                    (changed ? sum_at(nnf[i]) + double(occupancy_scale) * area * uniform
                             : sum_at(nnf0[i]));
                if (after > before * (1.0 + 1e-6) + 1e-3) ++bad_invariant;
                cost_before += before;
                cost_after += after;
            }
        }
    }
    CHECK(bad_order == 0, "%s: two pixel orders within a phase give different results (%d)",
          fx.c.name, bad_order);
    CHECK(bad_reference == 0, "%s: %d pixels differ from the reference PatchMatch update",
          fx.c.name, bad_reference);
    CHECK(bad_invariant == 0, "%s: %d PatchMatch invariant violations", fx.c.name, bad_invariant);
    CHECK(moved > 0, "%s: PatchMatch moved nothing", fx.c.name);
    std::printf("  patchmatch (uniformity %g%s, G=%d): 2 iterations, %d moves, cost %.4g -> %.4g; "
                "order-free, equal to the reference\n",
                double(setup.uniformity), setup.frozen ? ", 20% frozen" : "", lanes, moved,
                cost_before, cost_after);
}

// A whole search on the host: 32x32 identity (target = source, guide = style), random start,
// PatchMatch iterations of four phases with the occupancy rebuilt before each, as the driver
// runs them. The identity is the unique zero-cost answer; the search must find it nearly
// everywhere (the CUDA self-check's criterion, which cannot run here).
void test_identity_search() {
    constexpr int n = 32;
    std::vector<float> image(std::size_t(n) * n * 3);
    for (std::size_t i = 0; i < image.size(); ++i) {
        image[i] = float(mix64(i * 0x9e3779b97f4a7c15ULL + 7) >> 40) / float(1 << 24);
    }
    SynthesisInput input;
    input.style = {image.data(), n, n, 3};
    input.guides.push_back({{image.data(), n, n, 3}, {image.data(), n, n, 3}, 1.0f});
    Case c{"identity", 3, {3}, {1.0f}, 1.0f, 5, n, n, n, n, false, false, 0, 1};
    Fixture fx(c, 1);
    // Replace the random images by the identity job.
    fx.input = input;
    fx.problem = prepare_problem(input, fx.params);
    fx.state = std::make_unique<cpu::LevelState>(fx.problem, 0, 5);
    fx.centre_list.clear();
    for (int i = 0; i < n * n; ++i) fx.centre_list.push_back(i);
    fx.centre_count = n * n;
    fx.state->style.assign(image.begin(), image.end());
    fx.state->rebuild_target(fx.pool);
    fx.convert();
    const HalfFeatures f = fx.features();
    const std::uint64_t seed = 1;
    const float uniformity = 3500.0f;
    const double area = 25.0;
    const float occupancy_scale = float(double(uniformity) * (n * n) / (area * area * (n * n)));
    std::vector<int2> nnf(std::size_t(n) * n);
    for (std::size_t p = 0; p < nnf.size(); ++p) {
        nnf[p] = cuda::random_init_pixel(n, n, nullptr, fx.centres(), seed, 0, p);
    }
    std::vector<float> ssd(nnf.size());
    for (std::size_t p = 0; p < nnf.size(); ++p) {
        cuda::recompute_ssd_pixel<1>(f, nnf.data(), ssd.data(), static_cast<long long>(p), 0, 1u);
    }
    std::vector<int> counts = count_matches(nnf, n, n);
    // The CPU backend from the same start, for comparison.
    for (std::size_t p = 0; p < nnf.size(); ++p) {
        fx.state->nnf[2 * p] = nnf[p].x;
        fx.state->nnf[2 * p + 1] = nnf[p].y;
    }
    fx.state->recompute_distances(fx.pool);
    SynthesisParams params;
    params.uniformity = uniformity;
    constexpr int kIterations = 6;
    auto identity_share = [&](auto match) {
        int hits = 0, interior = 0;
        for (int y = 2; y < n - 2; ++y) {
            for (int x = 2; x < n - 2; ++x) {
                ++interior;
                const int2 q = match(std::size_t(y) * n + x);
                hits += q.x == x && q.y == y ? 1 : 0;
            }
        }
        return double(hits) / interior;
    };
    for (int it = 0; it < kIterations; ++it) {
        for (int phase = 0; phase < 4; ++phase) {
            const std::vector<long long> patch_sum = occupancy(counts, n, n, 5);
            PatchMatchArgs a;
            a.f = f;
            a.nnf_in = a.nnf_out = nnf.data();
            a.ssd_in = a.ssd_out = ssd.data();
            a.patch_sum = patch_sum.data();
            a.counts = counts.data();
            a.occupancy_scale = occupancy_scale;
            a.key_prefix = random_key_prefix(seed, 0, std::uint32_t(it));
            a.max_radius = n;
            a.phase = phase;
            std::vector<int> order;
            for (int y = phase >> 1; y < n; y += 2) {
                for (int x = phase & 1; x < n; x += 2) order.push_back(y * n + x);
            }
            run_phase(a, 1, order);
        }
        cpu::patchmatch_iteration(*fx.state, fx.pool, params, {seed, std::uint32_t(it)});
    }
    const double gpu = identity_share([&](std::size_t p) { return nnf[p]; });
    const double cpu = identity_share(
        [&](std::size_t p) { return make_int2(fx.state->nnf[2 * p], fx.state->nnf[2 * p + 1]); });
    std::printf("identity search (32x32, %d iterations): GPU logic %.1f%%, CPU %.1f%% of interior "
                "pixels on the identity\n",
                kIterations, 100.0 * gpu, 100.0 * cpu);
    CHECK(gpu >= 0.97, "identity search: only %.1f%% of interior pixels found the identity",
          100.0 * gpu);
}

}  // namespace

int main() {
    test_feature_scale();
    test_random_keys();
    test_occupancy();
    test_device_pyramid();
    int index = 0;
    for (const Case& c : cases()) {
        std::unique_ptr<Fixture> fx;
        try {
            fx = std::make_unique<Fixture>(c, 1000 + std::uint64_t(index++));
        } catch (const std::exception& e) {
            CHECK(false, "%s: setup failed: %s", c.name, e.what());
            continue;
        }
        std::printf("%s: F = %d + %d, %d chunk(s), s = 2^%d\n", c.name, fx->fs, fx->fg, fx->chunks,
                    int(std::lround(std::log2(fx->scale[0]))));
        test_half_round_trip(*fx);
        test_patch_distance(*fx);
        test_evaluate_batch(*fx);
        test_init_and_upsample(*fx);
        test_interior_centres(*fx);
        test_vote(*fx);
        test_stop_threshold(*fx);
        test_final_error(*fx);
    }
    // PatchMatch on three jobs: masked centres with uniformity, a frozen mask, lanes 1 and G.
    {
        const std::vector<Case> all = cases();
        Fixture a(all[0], 1);  // mask + modulation, 5x5
        test_patchmatch(a, {3500.0f, false, 0});
        test_patchmatch(a, {0.0f, true, 1});
        Fixture b(all[3], 2);  // 9 style channels, 2 chunks
        test_patchmatch(b, {3500.0f, true, 0});
        Fixture c(all[2], 3);  // 7x7, weight 1000 guide, mask
        test_patchmatch(c, {500.0f, false, 1});
        Fixture d(all[9], 4);  // 40 features: groups of 32 lanes
        test_patchmatch(d, {3500.0f, false, 0});
        b.use_interior_centres();  // an intermediate level's range: candidates clamped inside
        test_patchmatch(b, {3500.0f, false, 1});
    }
    test_identity_search();
    CHECK(lockstep::divergences == 0, "%d lane groups diverged at a shuffle",
          lockstep::divergences);
    CHECK(lockstep::shuffles > 0, "no lane group was emulated");
    std::printf("%lld emulated group shuffles, %d diverged groups; %d checks, %d failed\n",
                lockstep::shuffles, lockstep::divergences, checks, failures);
    return failures == 0 ? 0 : 1;
}
