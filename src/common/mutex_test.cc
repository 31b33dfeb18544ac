#include "common/mutex.h"

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace foryou::common {
namespace {

// Whether another thread can take `mu` right now (it releases it again at once).
bool OtherThreadCanLock(Mutex& mu) {
  bool acquired = false;
  std::thread other([&] {
    if (mu.TryLock()) {
      acquired = true;
      mu.Unlock();
    }
  });
  other.join();
  return acquired;
}

// Threads add under the lock; no increment is lost.
TEST(MutexTest, MutexLockExcludes) {
  Mutex mu;
  int64_t total = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        MutexLock lock(&mu);
        ++total;
      }
    });
  }
  for (auto& t : threads) t.join();
  MutexLock lock(&mu);
  EXPECT_EQ(total, 40000);
}

TEST(MutexTest, TryLockFailsWhileHeld) {
  Mutex mu;
  MutexLock lock(&mu);
  EXPECT_FALSE(OtherThreadCanLock(mu));
  lock.Unlock();
  if (mu.TryLock()) {
    mu.Unlock();
  } else {
    ADD_FAILURE() << "TryLock failed on a free mutex";
  }
  lock.Lock();  // the destructor releases it again
}

// A MutexLock released in the middle lets another thread in, and the destructor does not unlock
// twice (which std::mutex would not survive quietly under TSan).
TEST(MutexTest, MutexLockUnlockAndRelock) {
  Mutex mu;
  int value = 0;
  {
    MutexLock lock(&mu);
    value = 1;
    lock.Unlock();
    std::thread other([&] {
      MutexLock l(&mu);
      value = 2;
    });
    other.join();
    lock.Lock();
    EXPECT_EQ(value, 2);
  }
  {
    MutexLock lock(&mu);
    lock.Unlock();
  }
  if (mu.TryLock()) {
    mu.Unlock();
  } else {
    ADD_FAILURE() << "the mutex is still held after the MutexLock's scope";
  }
}

// Two threads take turns through a CondVar: each waits for its turn, flips it and signals.
TEST(CondVarTest, PingPong) {
  Mutex mu;
  CondVar cv;
  int turn = 0;
  int64_t rounds = 0;
  auto player = [&](int me) {
    for (int i = 0; i < 1000; ++i) {
      MutexLock lock(&mu);
      while (turn != me) cv.Wait(&mu);
      ++rounds;
      turn = 1 - me;
      cv.SignalAll();
    }
  };
  std::thread a(player, 0), b(player, 1);
  a.join();
  b.join();
  EXPECT_EQ(rounds, 2000);
}

// A waiter wakes when another thread sets the flag and signals, before any deadline.
TEST(CondVarTest, SignalWakesTimedWaiter) {
  Mutex mu;
  CondVar cv;
  bool ready = false;
  std::thread setter([&] {
    MutexLock lock(&mu);
    ready = true;
    cv.Signal();
  });
  {
    MutexLock lock(&mu);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
    while (!ready) ASSERT_FALSE(cv.WaitUntil(&mu, deadline));
    EXPECT_TRUE(ready);
  }
  setter.join();
}

// A deadline already passed times out at once; WaitFor(0) too (after any spurious wakeups).
TEST(CondVarTest, PassedDeadlineTimesOut) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  const auto past = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  EXPECT_TRUE(cv.WaitUntil(&mu, past));
  bool timed_out = false;
  for (int i = 0; i < 100 && !timed_out; ++i) timed_out = cv.WaitFor(&mu, std::chrono::seconds(0));
  EXPECT_TRUE(timed_out);
  // The lock is still held after the waits: another thread cannot take it.
  EXPECT_FALSE(OtherThreadCanLock(mu));
}

}  // namespace
}  // namespace foryou::common
