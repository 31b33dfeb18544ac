#include "realtime/batch_pool.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace foryou::realtime {
namespace {

TEST(FeatureBatchPoolTest, KeepsAtMostMaxKeptBatchesWhateverTheThreads) {
  FeatureBatchPool pool(4);
  // 32 threads each score once, all at the same time: 32 batches in use, 4 kept after.
  std::vector<std::unique_ptr<model::FeatureBatch>> in_use;
  for (int i = 0; i < 32; ++i) {
    in_use.push_back(pool.Take());
    in_use.back()->keys.resize(10'000);
  }
  for (auto& b : in_use) pool.Give(std::move(b));
  EXPECT_EQ(pool.kept(), 4u);
  // A kept batch is handed out again, its capacity with it.
  std::unique_ptr<model::FeatureBatch> again = pool.Take();
  EXPECT_GE(again->keys.capacity(), 10'000u);
  EXPECT_EQ(pool.kept(), 3u);
  pool.Give(std::move(again));
  // From many threads one after the other: still at most 4.
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&pool] {
      for (int i = 0; i < 100; ++i) {
        std::unique_ptr<model::FeatureBatch> b = pool.Take();
        b->dense.assign(64, 1.0f);
        pool.Give(std::move(b));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(pool.kept(), 4u);
  EXPECT_GE(pool.kept(), 1u);
}

}  // namespace
}  // namespace foryou::realtime
