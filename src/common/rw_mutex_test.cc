#include "common/rw_mutex.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace foryou::common {
namespace {

// Writers keep two fields equal under the lock; readers must never see them differ.
TEST(RwMutexTest, ReadersSeeConsistentStateUnderConcurrentWrites) {
  RwMutex mu;
  int64_t a = 0, b = 0;
  std::atomic<bool> torn{false};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    for (int i = 0; i < 20000; ++i) {
      WriterLock l(&mu);
      ++a;
      ++b;
    }
  });
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        ReaderLock l(&mu);
        if (a != b) torn = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(torn.load());
  EXPECT_EQ(a, 20000);
}

}  // namespace
}  // namespace foryou::common
