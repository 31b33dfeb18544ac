// ThreadPool: a fixed set of worker threads running submitted tasks in FIFO order. Used to split
// one request's work (scoring a feed's candidates) over the cores.
//
// Example:
//   ThreadPool pool(2);
//   std::future<void> done = pool.Submit([&] { ScoreHalf(); });
//   ScoreOtherHalf();
//   done.wait();
#pragma once

#include <deque>
#include <functional>
#include <future>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"

namespace foryou::common {

class ThreadPool {
 public:
  explicit ThreadPool(int threads) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Run(); });
  }
  ~ThreadPool() {
    {
      MutexLock lock(&mu_);
      stop_ = true;
    }
    cv_.SignalAll();
    for (std::thread& t : workers_) t.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()); }

  // Runs `task` on a worker; the future is ready when it has returned.
  std::future<void> Submit(std::function<void()> task) {
    std::packaged_task<void()> job(std::move(task));
    std::future<void> done = job.get_future();
    {
      MutexLock lock(&mu_);
      queue_.push_back(std::move(job));
    }
    cv_.Signal();
    return done;
  }

 private:
  void Run() {
    while (true) {
      std::packaged_task<void()> job;
      {
        MutexLock lock(&mu_);
        while (!stop_ && queue_.empty()) cv_.Wait(&mu_);
        if (queue_.empty()) return;  // stopping, and nothing left to run
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }

  Mutex mu_;
  CondVar cv_;
  std::deque<std::packaged_task<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;  // filled by the constructor, read-only after
};

}  // namespace foryou::common
