// SPDX-License-Identifier: Apache-2.0
// Progress reports and cancellation of one synthesis (SynthesisControl), shared by the backends.
// Work is counted in integer units planned from the pyramid, so the reported fraction never
// decreases and the planned total is reached exactly when the last step is done.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>

#include "problem.h"

namespace synthfx {

class Progress {
  public:
    explicit Progress(const SynthesisControl* control)
        : callback_(control != nullptr && control->progress ? &control->progress : nullptr) {}
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Whether anyone listens; without a callback every method is a no-op.
    bool active() const { return callback_ != nullptr; }

    // Plans the work of a job from its level sizes and reports 0. The plan mirrors the backends'
    // loops: the coarsest level's guide-only search, then per level a starting vote and
    // search_vote_iters rounds (patchmatch_iters iterations and a vote), then the extra 3x3 pass.
    void begin(const Problem& problem, const SynthesisParams& params) {
        if (!active()) return;
        problem_ = &problem;
        total_ = done_ = 0;
        const int level_count = int(problem.levels.size());
        const std::uint64_t searches = std::uint64_t(std::max(params.patchmatch_iters, 0));
        for (int l = problem.first_level; l < level_count; ++l) {
            if (l == 0 && problem.initial_nnf.empty() && problem.guide_feature_channels > 0) {
                total_ += searches * iteration_units(l);
            }
            total_ += vote_units(l);
            total_ += std::uint64_t(std::max(params.search_vote_iters, 0)) *
                      (searches * iteration_units(l) + vote_units(l));
            if (l == level_count - 1 && params.extra_pass_3x3 &&
                params.patch_size != kPolishPatchSize) {
                total_ += searches * iteration_units(l) + vote_units(l);
            }
        }
        total_ = std::max<std::uint64_t>(total_, 1);
        report(0.0f);
    }

    // Work of one PatchMatch iteration / one vote (with the freeze update, target rebuild and
    // distance refresh that follow it) at level `level`: target pixels times a weight. On the CPU
    // backend a vote round takes about twice as long as an iteration (frozen pixels skip
    // PatchMatch), and the 3x3 pass's steps about as long as the others (nothing is frozen
    // there), so the patch size is left out (measurement: bench/README.md).
    std::uint64_t iteration_units(int level) const { return kIterationWeight * pixels(level); }
    std::uint64_t vote_units(int level) const { return kVoteWeight * pixels(level); }

    void iteration_done(int level) {
        if (active()) advance(iteration_units(level));
    }
    void vote_done(int level) {
        if (active()) advance(vote_units(level));
    }

    // Adds `units` of finished work and reports it; throws SynthesisError(cancelled) when the
    // callback asks to stop. The step that completes the plan is reported by finish().
    void advance(std::uint64_t units) {
        if (!active()) return;
        done_ += units;
        if (done_ >= total_) return;
        // Below 1 until finish(), even where the float rounds up.
        report(std::min(float(double(done_) / double(total_)), kBelowOne));
    }

    // Re-reports the current fraction, so a cancel can land inside a long step; empty (nothing
    // to call) without a callback.
    std::function<void()> checkpoint() {
        if (!active()) return {};
        return [this] {
            if (done_ < total_) report(std::min(float(double(done_) / double(total_)), kBelowOne));
        };
    }

    // The result is complete: reports exactly 1 (a cancel asked for now still cancels).
    void finish() {
        if (active()) report(1.0f);
    }

    // After a cancellation: rethrows the callback's own exception if it threw one.
    void rethrow_callback_error() const {
        if (callback_error_) std::rethrow_exception(callback_error_);
    }

  private:
    static constexpr int kPolishPatchSize = 3;
    static constexpr std::uint64_t kIterationWeight = 1;
    static constexpr std::uint64_t kVoteWeight = 2;
    static constexpr float kBelowOne = 0.99999994f;  // the largest float below 1

    std::uint64_t pixels(int level) const {
        const Level& lv = problem_->levels[std::size_t(level)];
        return std::uint64_t(lv.target_width) * std::uint64_t(lv.target_height);
    }

    void report(float fraction) {
        bool stop = false;
        try {
            stop = (*callback_)(fraction);
        } catch (...) {
            callback_error_ = std::current_exception();
            stop = true;
        }
        if (!stop) return;
        char done[32];
        std::snprintf(done, sizeof done, "%.0f%%", double(fraction) * 100.0);
        throw SynthesisError(ErrorCode::cancelled,
                             std::string(callback_error_ ? "synthesis stopped: the progress "
                                                           "callback threw at "
                                                         : "synthesis cancelled by the progress "
                                                           "callback at ") +
                                 done + " done");
    }

    const std::function<bool(float)>* callback_;
    const Problem* problem_ = nullptr;
    std::uint64_t total_ = 1, done_ = 0;
    std::exception_ptr callback_error_;
};

// Runs a backend; a cancellation that came from an exception of the callback rethrows that
// exception instead.
template <typename Body>
auto with_progress(const Progress& progress, Body&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const SynthesisError& e) {
        if (e.code() == ErrorCode::cancelled) progress.rethrow_callback_error();
        throw;
    }
}

}  // namespace synthfx
