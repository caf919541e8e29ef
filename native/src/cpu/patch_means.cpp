// SPDX-License-Identifier: Apache-2.0
#include "patch_means.h"

#include <algorithm>
#include <numeric>

namespace synthfx::cpu {
namespace {

constexpr int kK = PatchMeanBound::kComponents;

// Output rows per task of for_each_projected_row: the horizontal sums of a band and its 2r
// extra rows are the only scratch, so memory stays small at any image size.
constexpr int kBand = 16;

// The patch centred at every pixel of a width x height image held with `radius` replicated
// pixels per side, projected onto `directions` (kK x features) and summed over sqrt(area), handed
// to emit(band, y, row) one output row at a time (row: width x kK). Bands run in parallel; every
// value is computed the same way whichever band or thread computes it.
template <class Emit>
void for_each_projected_row(ThreadPool& pool, const float* padded, int width, int height,
                            int radius, int features, const std::vector<double>& directions,
                            Emit emit) {
    const int patch = 2 * radius + 1;
    const int padded_width = width + 2 * radius;
    const std::size_t f = std::size_t(features);
    const double scale = 1.0 / std::sqrt(double(patch) * patch);
    const int bands = (height + kBand - 1) / kBand;
    pool.parallel_for(bands, [&](int band) {
        const int y0 = band * kBand, y1 = std::min(y0 + kBand, height);
        const int rows = y1 - y0 + 2 * radius;
        std::vector<double> pixel(std::size_t(padded_width) * kK);
        std::vector<double> horizontal(std::size_t(rows) * width * kK);
        for (int r = 0; r < rows; ++r) {
            const float* in = padded + std::size_t(y0 + r) * padded_width * f;
            for (int x = 0; x < padded_width; ++x) {
                for (int j = 0; j < kK; ++j) {
                    double p = 0.0;
                    for (std::size_t k = 0; k < f; ++k) p += directions[j * f + k] * in[x * f + k];
                    pixel[std::size_t(x) * kK + j] = p;
                }
            }
            double* out = horizontal.data() + std::size_t(r) * width * kK;
            for (int x = 0; x < width; ++x) {
                for (int j = 0; j < kK; ++j) {
                    double sum = 0.0;
                    for (int k = 0; k < patch; ++k) sum += pixel[std::size_t(x + k) * kK + j];
                    out[std::size_t(x) * kK + j] = sum;
                }
            }
        }
        std::vector<double> row(std::size_t(width) * kK);
        for (int y = y0; y < y1; ++y) {
            for (std::size_t i = 0; i < row.size(); ++i) {
                double sum = 0.0;
                for (int k = 0; k < patch; ++k)
                    sum += horizontal[std::size_t(y - y0 + k) * width * kK + i];
                row[i] = sum * scale;
            }
            emit(band, y, row.data());
        }
    });
}

// Eigenvectors of the symmetric n x n matrix `a` (row-major), by cyclic Jacobi rotations: a
// fixed sequence of operations, so the same matrix always gives the same vectors. Returns them
// as rows, by decreasing eigenvalue.
std::vector<double> principal_directions(std::vector<double> a, int n) {
    std::vector<double> v(std::size_t(n) * n, 0.0);
    for (int i = 0; i < n; ++i) v[std::size_t(i) * n + i] = 1.0;
    for (int sweep = 0; sweep < 64; ++sweep) {
        double off = 0.0;
        for (int p = 0; p < n; ++p)
            for (int q = p + 1; q < n; ++q) off += a[p * n + q] * a[p * n + q];
        if (off < 1e-30) break;
        for (int p = 0; p < n; ++p) {
            for (int q = p + 1; q < n; ++q) {
                const double apq = a[p * n + q];
                if (std::fabs(apq) < 1e-300) continue;
                const double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                const double t =
                    (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
                const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < n; ++k) {  // a = J^T a J, v = v J
                    const double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; ++k) {
                    const double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < n; ++k) {
                    const double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int i, int j) { return a[i * n + i] > a[j * n + j]; });
    std::vector<double> rows(std::size_t(n) * n);
    for (int r = 0; r < n; ++r)
        for (int k = 0; k < n; ++k) rows[std::size_t(r) * n + k] = v[std::size_t(k) * n + order[r]];
    return rows;
}

}  // namespace

void PatchMeanBound::build_source(ThreadPool& pool, const float* padded, int width, int height,
                                  int radius, int features) {
    radius_ = radius;
    features_ = features;
    source_width_ = width;
    const std::size_t f = std::size_t(features);
    const int padded_width = width + 2 * radius;
    // Covariance of the source's pixels, accumulated per row and then over rows in order: the
    // same for any thread count. Any orthonormal directions give a valid bound; the principal
    // ones give the tightest with few components.
    std::vector<double> row_moments(std::size_t(height) * (f + f * f), 0.0);
    pool.parallel_for(height, [&](int y) {
        double* m = row_moments.data() + std::size_t(y) * (f + f * f);
        const float* row = padded + (std::size_t(y + radius) * padded_width + radius) * f;
        for (int x = 0; x < width; ++x) {
            const float* s = row + std::size_t(x) * f;
            for (std::size_t i = 0; i < f; ++i) {
                m[i] += s[i];
                for (std::size_t j = 0; j < f; ++j) m[f + i * f + j] += double(s[i]) * s[j];
            }
        }
    });
    std::vector<double> moments(f + f * f, 0.0);
    for (int y = 0; y < height; ++y)
        for (std::size_t i = 0; i < moments.size(); ++i)
            moments[i] += row_moments[std::size_t(y) * (f + f * f) + i];
    const double pixels = double(width) * height;
    std::vector<double> covariance(f * f);
    for (std::size_t i = 0; i < f; ++i)
        for (std::size_t j = 0; j < f; ++j)
            covariance[i * f + j] =
                moments[f + i * f + j] / pixels - moments[i] / pixels * (moments[j] / pixels);
    const std::vector<double> rows = principal_directions(covariance, features);
    // Jacobi's vectors are orthonormal to ~1e-15; shrinking them keeps the projection's norm
    // below 1, which the bound needs.
    directions_.assign(std::size_t(kK) * f, 0.0);
    for (std::size_t j = 0; j < std::min<std::size_t>(kK, f); ++j)
        for (std::size_t k = 0; k < f; ++k) directions_[j * f + k] = rows[j * f + k] * (1.0 - 1e-9);

    // Two passes over the projections, none of them stored: their range, then their codes.
    const int bands = (height + kBand - 1) / kBand;
    std::vector<double> band_low(std::size_t(bands) * kK, HUGE_VAL);
    std::vector<double> band_high(std::size_t(bands) * kK, -HUGE_VAL);
    for_each_projected_row(pool, padded, width, height, radius, features, directions_,
                           [&](int band, int, const double* row) {
                               double* lo = band_low.data() + std::size_t(band) * kK;
                               double* hi = band_high.data() + std::size_t(band) * kK;
                               for (int x = 0; x < width; ++x) {
                                   for (int j = 0; j < kK; ++j) {
                                       lo[j] = std::min(lo[j], row[x * kK + j]);
                                       hi[j] = std::max(hi[j], row[x * kK + j]);
                                   }
                               }
                           });
    for (int j = 0; j < kK; ++j) {
        double lo = HUGE_VAL, hi = -HUGE_VAL;
        for (int b = 0; b < bands; ++b) {
            lo = std::min(lo, band_low[std::size_t(b) * kK + j]);
            hi = std::max(hi, band_high[std::size_t(b) * kK + j]);
        }
        // A range within double rounding of its values would make a step the sums' own error
        // could cross: such a component is left out (step 0 adds nothing to the bound).
        const bool usable = hi - lo > 1e-9 * (std::fabs(hi) + std::fabs(lo)) + 1e-30;
        low_[j] = lo;
        step_[j] = usable ? (hi - lo) / 255.0 : 0.0;
        step_squared_[j] = float(step_[j] * step_[j] * (1.0 - 1e-6));
    }
    codes_.resize(std::size_t(width) * height * kK);
    for_each_projected_row(pool, padded, width, height, radius, features, directions_,
                           [&](int, int y, const double* row) {
                               std::uint8_t* out = codes_.data() + std::size_t(y) * width * kK;
                               for (std::size_t i = 0; i < std::size_t(width) * kK; ++i) {
                                   const long code = std::lround(units(int(i % kK), row[i]));
                                   out[i] = std::uint8_t(std::clamp(code, 0L, 255L));
                               }
                           });
    target_units_.clear();
}

void PatchMeanBound::build_target(ThreadPool& pool, const float* padded, int width, int height) {
    target_width_ = width;
    target_units_.resize(std::size_t(width) * height * kK);
    for_each_projected_row(pool, padded, width, height, radius_, features_, directions_,
                           [&](int, int y, const double* row) {
                               float* out = target_units_.data() + std::size_t(y) * width * kK;
                               for (std::size_t i = 0; i < std::size_t(width) * kK; ++i) {
                                   // Clamping far outside the codes' range only shrinks the bound,
                                   // and keeps it finite.
                                   out[i] =
                                       float(std::clamp(units(int(i % kK), row[i]), -1e6, 1e6));
                               }
                           });
}

}  // namespace synthfx::cpu
