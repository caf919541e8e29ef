// SPDX-License-Identifier: Apache-2.0
// NNF initialisation, upsampling and the deterministic tiled PatchMatch iteration.
#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../random.h"
#include "../search_window.h"
#include "level_state.h"

namespace synthfx::cpu {
namespace {

// Fixed tile size: tiles are scanned independently, so results depend on this constant and
// never on the thread count.
constexpr int kTile = 64;

// Step indices of the random draws, kept apart so no two uses share a key.
constexpr std::uint32_t kInitStep = 1000;
constexpr std::uint32_t kRepairStep = 2000;
// Random-search draws per pixel: enough halvings for any image a 32-bit index addresses.
constexpr int kMaxDraws = 32;
// Draws nearer than this, and the propagation candidates, skip the mean bound: their patches
// overlap the best's, so it almost never rules them out (under 2% at radius 1 and 8% at 3,
// against 85% at 31).
constexpr int kBoundRadius = 4;

void random_centre(const LevelState& state, std::uint64_t key, int* x, int* y) {
    if (!state.allowed_centres.empty()) {
        const std::size_t pick =
            std::size_t((key >> 16) % std::uint64_t(state.allowed_centres.size()));
        const std::int32_t index = state.allowed_centres[pick];
        *x = index % state.sw;
        *y = index / state.sw;
        return;
    }
    const CentreRange& c = state.centres;
    *x = random_between(std::uint32_t(key), c.min_x, c.max_x);
    *y = random_between(std::uint32_t(key >> 32), c.min_y, c.max_y);
}

// Target pixel (x, y) starts at centre (qx, qy), clamped to the level's centres and redrawn at
// random where the mask forbids it.
void place_centre(LevelState& state, int x, int y, int qx, int qy, std::uint64_t seed) {
    const CentreRange& r = state.centres;
    qx = std::clamp(qx, r.min_x, r.max_x);
    qy = std::clamp(qy, r.min_y, r.max_y);
    const std::uint32_t pixel = std::uint32_t(y * state.tw + x);
    if (!state.centre_allowed(qx, qy)) {
        const std::uint64_t key =
            random_key(seed, std::uint32_t(state.level_index), 0, pixel, kRepairStep);
        random_centre(state, key, &qx, &qy);
    }
    state.nnf[2 * pixel] = qx;
    state.nnf[2 * pixel + 1] = qy;
}

// Per-thread changes of omega made by the tile being scanned; all zero between tiles. Held with
// `radius` zero pixels around the source (and a few more on the right), so a patch's window
// never needs clipping: cells outside the source are never written.
class TileOccupancy {
  public:
    TileOccupancy(const LevelState& state, bool enabled)
        : sw_(state.sw), sh_(state.sh), radius_(state.radius),
          stride_(state.sw + 2 * state.radius + kLanes) {
        if (!enabled) return;
        std::vector<std::int16_t>& delta = storage();
        const std::size_t size = std::size_t(stride_) * (sh_ + 2 * radius_);
        if (delta.size() < size) delta.assign(size, 0);
        delta_ = delta.data();
    }
    ~TileOccupancy() {
        for (std::size_t i = 0; i < touched_.size(); i += 2)
            add(touched_[i], touched_[i + 1], 0, true);
    }
    TileOccupancy(const TileOccupancy&) = delete;
    TileOccupancy& operator=(const TileOccupancy&) = delete;

    void move(int from_x, int from_y, int to_x, int to_y) {
        add(from_x, from_y, -1, false);
        add(to_x, to_y, +1, false);
        touched_.insert(touched_.end(), {from_x, from_y, to_x, to_y});
    }
    std::int64_t patch_delta(int qx, int qy) const {
        if (touched_.empty()) return 0;
        const int side = 2 * radius_ + 1;
        const std::int16_t* row = delta_ + std::size_t(qy) * stride_ + qx;
#if defined(__SSE2__)
        if (side <= kLanes) {
            // A row of the window in one load; lanes past its side count 0.
            alignas(16) std::int16_t ones[kLanes];
            for (int i = 0; i < kLanes; ++i) ones[i] = i < side ? 1 : 0;
            const __m128i mask = _mm_load_si128(reinterpret_cast<const __m128i*>(ones));
            __m128i sum = _mm_setzero_si128();
            for (int y = 0; y < side; ++y, row += stride_) {
                const __m128i cells = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row));
                sum = _mm_add_epi32(sum, _mm_madd_epi16(cells, mask));
            }
            sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(1, 0, 3, 2)));
            sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
            return _mm_cvtsi128_si32(sum);
        }
#endif
        std::int64_t sum = 0;
        for (int y = 0; y < side; ++y, row += stride_)
            for (int x = 0; x < side; ++x) sum += row[x];
        return sum;
    }

  private:
    // One 128-bit load of int16 cells: windows up to this wide (patch 7) take one per row.
    static constexpr int kLanes = 8;
    // A cell changes by at most one per target pixel of the tile (each moves once per scan).
    static_assert(2 * kTile * kTile <= 32767, "tile moves must fit the int16 cells");

    static std::vector<std::int16_t>& storage() {
        thread_local std::vector<std::int16_t> delta;
        return delta;
    }
    void add(int cx, int cy, int value, bool reset) {
        const int x0 = std::max(cx - radius_, 0), x1 = std::min(cx + radius_, sw_ - 1);
        for (int y = std::max(cy - radius_, 0); y <= std::min(cy + radius_, sh_ - 1); ++y) {
            std::int16_t* row = delta_ + std::size_t(y + radius_) * stride_ + radius_;
            for (int x = x0; x <= x1; ++x)
                row[x] = reset ? std::int16_t(0) : std::int16_t(row[x] + value);
        }
    }

    int sw_, sh_, radius_, stride_;
    std::int16_t* delta_ = nullptr;
    std::vector<int> touched_;
};

}  // namespace

void random_init(LevelState& state, std::uint64_t seed) {
    for (int y = 0; y < state.th; ++y) {
        for (int x = 0; x < state.tw; ++x) {
            const std::uint32_t pixel = std::uint32_t(y * state.tw + x);
            const std::uint64_t key =
                random_key(seed, std::uint32_t(state.level_index), 0, pixel, kInitStep);
            random_centre(state, key, &state.nnf[2 * pixel], &state.nnf[2 * pixel + 1]);
        }
    }
}

void upsample_nnf(LevelState& state, const std::vector<std::int32_t>& coarse, int coarse_width,
                  int coarse_height, std::uint64_t seed) {
    for (int y = 0; y < state.th; ++y) {
        const int cy = std::min(y / 2, coarse_height - 1);
        for (int x = 0; x < state.tw; ++x) {
            const int cx = std::min(x / 2, coarse_width - 1);
            const std::size_t c = std::size_t(cy) * coarse_width + cx;
            place_centre(state, x, y, 2 * coarse[2 * c] + (x & 1), 2 * coarse[2 * c + 1] + (y & 1),
                         seed);
        }
    }
}

void seed_nnf(LevelState& state, const std::vector<std::int32_t>& full, int full_width,
              int full_height, std::uint64_t seed) {
    const int shift = int(state.problem->levels.size()) - 1 - state.level_index;
    // Each level pixel reads the full-size pixel in the middle of the block it covers.
    const int middle = (1 << shift) / 2;
    for (int y = 0; y < state.th; ++y) {
        const int fy = std::min((y << shift) + middle, full_height - 1);
        for (int x = 0; x < state.tw; ++x) {
            const int fx = std::min((x << shift) + middle, full_width - 1);
            const std::size_t f = std::size_t(fy) * full_width + fx;
            place_centre(state, x, y, full[2 * f] >> shift, full[2 * f + 1] >> shift, seed);
        }
    }
}

void patchmatch_iteration(LevelState& state, ThreadPool& pool, const SynthesisParams& params,
                          IterationKey key, const std::function<void()>& between_phases) {
    const bool uniform = params.uniformity > 0.0f;
    Occupancy& occupancy = state.occupancy;
    const double area = double(state.patch) * state.patch;
    // occ(q) = patch_sum(q) / (P * omega_best), omega_best = |T| * P / |S|.
    const float occupancy_scale = float(double(params.uniformity) * (double(state.sw) * state.sh) /
                                        (area * area * (double(state.tw) * state.th)));
    const std::int64_t own_footprint = std::int64_t(area);

    const int tiles_x = (state.tw + kTile - 1) / kTile;
    const int tiles_y = (state.th + kTile - 1) / kTile;
    const bool forward = key.iteration % 2 == 0;
    const int step = forward ? 1 : -1;
    // The random search's window radii: the level's widest, halved down to 1.
    int radii[kMaxDraws], draws = 0;
    for (int r = search_window(state.sw, state.sh, state.level_index); r >= 1 && draws < kMaxDraws;
         r /= 2)
        radii[draws++] = r;

    auto process_tile = [&](int tx, int ty) {
        const int x0 = tx * kTile, y0 = ty * kTile;
        const int x1 = std::min(x0 + kTile, state.tw), y1 = std::min(y0 + kTile, state.th);
        // This tile's own moves update its view of omega at once (as a sequential scan would);
        // other tiles of the phase see them only after the phase, keeping results order-free.
        TileOccupancy local(state, uniform);
        auto occupancy_at = [&](int qx, int qy) {
            return occupancy.patch_sum(qx, qy) + local.patch_delta(qx, qy);
        };
        for (int j = 0; j < y1 - y0; ++j) {
            const int y = forward ? y0 + j : y1 - 1 - j;
            for (int i = 0; i < x1 - x0; ++i) {
                const int x = forward ? x0 + i : x1 - 1 - i;
                const std::size_t p = std::size_t(y) * state.tw + x;
                if (state.frozen[p]) continue;
                int best_x = state.nnf[2 * p], best_y = state.nnf[2 * p + 1];
                float best_ssd = state.ssd[p];
                const int start_x = best_x, start_y = best_y;
                float best_cost =
                    best_ssd +
                    (uniform ? occupancy_scale * float(occupancy_at(best_x, best_y)) : 0.f);

                auto clamp_x = [&](int qx) {
                    return std::clamp(qx, state.centres.min_x, state.centres.max_x);
                };
                auto clamp_y = [&](int qy) {
                    return std::clamp(qy, state.centres.min_y, state.centres.max_y);
                };
                // `lower` <= the candidate's distance (state.distance_lower_bound): a candidate
                // it rules out is one the distance would reject too.
                auto try_candidate = [&](int qx, int qy, float lower) {
                    if ((qx == best_x && qy == best_y) || !state.centre_allowed(qx, qy)) return;
                    if (lower >= best_cost) return;
                    // The penalty before the distance: most candidates that get this far lose on
                    // it (the distance alone beats the best's cost but not with the penalty), so
                    // the bound, or the distance's early exit, stops them sooner.
                    const float penalty =
                        uniform ? occupancy_scale * float(occupancy_at(qx, qy) + own_footprint)
                                : 0.0f;
                    const float limit = best_cost - penalty;
                    if (lower >= limit) return;
                    const float d = state.patch_distance(x, y, qx, qy, limit);
                    if (d < limit) {
                        best_x = qx, best_y = qy, best_ssd = d, best_cost = d + penalty;
                    }
                };
                auto try_at = [&](int qx, int qy) {
                    qx = clamp_x(qx), qy = clamp_y(qy);
                    try_candidate(qx, qy, 0.0f);
                };

                // Propagation from the neighbours visited before in this scan direction. A
                // neighbour in another tile belongs to another phase, never to a tile being
                // written concurrently.
                const int nx = x - step, ny = y - step;
                if (nx >= 0 && nx < state.tw) {
                    const std::size_t n = std::size_t(y) * state.tw + nx;
                    try_at(state.nnf[2 * n] + step, state.nnf[2 * n + 1]);
                }
                if (ny >= 0 && ny < state.th) {
                    const std::size_t n = std::size_t(ny) * state.tw + x;
                    try_at(state.nnf[2 * n], state.nnf[2 * n + 1] + step);
                }
                // Random search in shrinking windows around the best match. The best rarely
                // moves during the search, so every draw's position and bound are computed
                // from it at once: their memory reads then overlap instead of queueing. Draws
                // after a move are recomputed from the new best.
                int offset_x[kMaxDraws], offset_y[kMaxDraws];
                for (int d = 0; d < draws; ++d) {
                    const std::uint64_t bits =
                        random_key(key.seed, std::uint32_t(state.level_index), key.iteration,
                                   std::uint32_t(p), std::uint32_t(d));
                    offset_x[d] = random_between(std::uint32_t(bits), -radii[d], radii[d]);
                    offset_y[d] = random_between(std::uint32_t(bits >> 32), -radii[d], radii[d]);
                }
                int cand_x[kMaxDraws], cand_y[kMaxDraws];
                float lower[kMaxDraws];
                int from_x = best_x, from_y = best_y;
                auto plan_from = [&](int first) {
                    from_x = best_x, from_y = best_y;
                    for (int d = first; d < draws; ++d) {
                        cand_x[d] = clamp_x(from_x + offset_x[d]);
                        cand_y[d] = clamp_y(from_y + offset_y[d]);
                    }
                    for (int d = first; d < draws; ++d)
                        lower[d] = radii[d] >= kBoundRadius
                                       ? state.distance_lower_bound(x, y, cand_x[d], cand_y[d])
                                       : 0.0f;
                    for (int d = first; d < draws; ++d)
                        if (lower[d] < best_cost) state.prefetch_source_row(cand_x[d], cand_y[d]);
                };
                plan_from(0);
                for (int d = 0; d < draws; ++d) {
                    if (best_x != from_x || best_y != from_y) plan_from(d);
                    try_candidate(cand_x[d], cand_y[d], lower[d]);
                }
                if (uniform && (best_x != start_x || best_y != start_y)) {
                    local.move(start_x, start_y, best_x, best_y);
                }
                state.nnf[2 * p] = best_x;
                state.nnf[2 * p + 1] = best_y;
                state.ssd[p] = best_ssd;
            }
        }
    };

    // Four phases in a 2x2 checkerboard of tiles: tiles of one phase never touch, so they run in
    // parallel without sharing a pixel, and the occupancy map is refreshed between phases so
    // the uniformity term sees most moves of this iteration.
    for (int phase = 0; phase < 4; ++phase) {
        const int px = forward ? phase % 2 : 1 - phase % 2;
        const int py = forward ? phase / 2 : 1 - phase / 2;
        const int count_x = (tiles_x - px + 1) / 2, count_y = (tiles_y - py + 1) / 2;
        if (count_x <= 0 || count_y <= 0) continue;
        if (uniform) occupancy.build(state, pool);
        pool.parallel_for(count_x * count_y, [&](int t) {
            process_tile(px + 2 * (t % count_x), py + 2 * (t / count_x));
        });
        if (between_phases && phase < 3) between_phases();
    }
}

}  // namespace synthfx::cpu
