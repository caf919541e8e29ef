// SPDX-License-Identifier: Apache-2.0
// A minimal fork-join pool. Tasks must be independent: results never depend on which thread ran
// which task, which is what keeps the engine's output identical for any thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace synthfx {

class ThreadPool {
  public:
    explicit ThreadPool(int threads) {
        if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
        for (int i = 1; i < threads; ++i) {
            try {
                workers_.emplace_back([this] { worker_loop(); });
            } catch (const std::system_error&) {
                // No more threads now (EAGAIN on a loaded machine): run on those that started.
                // Results do not depend on the thread count, so this only costs time.
                break;
            }
        }
    }
    ~ThreadPool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
    }
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return int(workers_.size()) + 1; }

    // Runs task(i) for i in [0, count), on all threads including the caller; returns when done.
    void parallel_for(int count, const std::function<void(int)>& task) {
        if (count <= 0) return;
        if (workers_.empty() || count == 1) {
            for (int i = 0; i < count; ++i) task(i);
            return;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            task_ = &task;
            count_ = count;
            next_.store(0);
            pending_workers_ = int(workers_.size());
            ++generation_;
        }
        wake_.notify_all();
        run_tasks(task, count);
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return pending_workers_ == 0; });
        task_ = nullptr;
    }

  private:
    void run_tasks(const std::function<void(int)>& task, int count) {
        for (int i = next_.fetch_add(1); i < count; i = next_.fetch_add(1)) task(i);
    }

    void worker_loop() {
        unsigned long seen = 0;
        for (;;) {
            const std::function<void(int)>* task = nullptr;
            int count = 0;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
                if (stopping_) return;
                seen = generation_;
                task = task_;
                count = count_;
            }
            run_tasks(*task, count);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                --pending_workers_;
            }
            done_.notify_one();
        }
    }

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    const std::function<void(int)>* task_ = nullptr;
    int count_ = 0;
    int pending_workers_ = 0;
    unsigned long generation_ = 0;
    bool stopping_ = false;
    std::atomic<int> next_{0};
};

}  // namespace synthfx
