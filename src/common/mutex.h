// An exclusive lock, its scoped holder and a condition variable, annotated for clang's
// thread-safety analysis (-Wthread-safety: the clang sanitizer builds of `make test` run it on
// every file; scripts/check_thread_safety.sh runs it syntax-only over a GCC build's sources).
//
// Why not absl::Mutex: Debian's abseil is not built with ThreadSanitizer, so TSan cannot see
// absl::Mutex's happens-before edges and reports false races. These wrap std::mutex and
// std::condition_variable (pthread underneath), which TSan intercepts. For a reader/writer lock
// see common/rw_mutex.h.
//
// Example:
//   class Counter {
//    public:
//     void Add(int64_t n) {
//       common::MutexLock lock(&mu_);
//       total_ += n;
//       changed_.SignalAll();
//     }
//     // Blocks until the total reaches `n`.
//     void AwaitAtLeast(int64_t n) {
//       common::MutexLock lock(&mu_);
//       while (total_ < n) changed_.Wait(&mu_);
//     }
//    private:
//     common::Mutex mu_;
//     common::CondVar changed_;
//     int64_t total_ ABSL_GUARDED_BY(mu_) = 0;
//   };
//
// Waits take the condition as a `while` loop at the call site rather than a predicate lambda:
// the analysis cannot tell that a lambda runs with the lock held, but it checks the loop.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace foryou::common {

// A non-recursive exclusive lock. Prefer MutexLock to calling Lock/Unlock by hand.
class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  [[nodiscard]] bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return mu_.try_lock(); }

  // Tells the analysis the calling thread holds the lock, where it cannot see that itself (a
  // callback run under the lock). Checks nothing at run time: std::mutex keeps no owner.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `mu` from construction to destruction. Unlock() and Lock() release and retake it in
// between (for work that must run outside the lock); the destructor releases it only if held.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() {
    if (held_) mu_->Unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() ABSL_UNLOCK_FUNCTION() {
    mu_->Unlock();
    held_ = false;
  }
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    mu_->Lock();
    held_ = true;
  }

 private:
  Mutex* const mu_;
  bool held_ = true;
};

// A condition variable used with a Mutex. Every wait may also return spuriously: wait in a loop
// that re-checks the condition. Signal/SignalAll may be called with or without the lock held.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases `mu`, blocks until signalled, and retakes `mu` before returning.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // `mu` stays held by the caller
  }

  // As Wait, but also returns once `deadline` has passed. Returns true if it returned because
  // the deadline passed (a timeout), false if signalled (or woken spuriously) before it.
  template <class Clock, class Duration>
  bool WaitUntil(Mutex* mu, const std::chrono::time_point<Clock, Duration>& deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    const bool timed_out = cv_.wait_until(lock, deadline) == std::cv_status::timeout;
    lock.release();
    return timed_out;
  }

  // As WaitUntil with a deadline of now (steady clock) plus `timeout`.
  template <class Rep, class Period>
  bool WaitFor(Mutex* mu, const std::chrono::duration<Rep, Period>& timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return WaitUntil(mu, std::chrono::steady_clock::now() + timeout);
  }

  // Wakes one waiter / every waiter.
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace foryou::common
