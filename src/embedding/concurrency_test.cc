// Concurrent readers and writers (run under ThreadSanitizer by `make test`): lookups during
// training, during delta application to a replica, and during expiry and budget eviction.
//
// Invariant used to detect torn rows: every gradient has equal components and rows start at
// zero (init_scale 0), so every dimension of a row stays equal. A reader that ever sees two
// different values in one row has seen a half-written row.
#include <atomic>
#include <thread>
#include <vector>

#include "embedding/embedding_table.h"
#include "gtest/gtest.h"

namespace foryou::embedding {
namespace {

constexpr uint32_t kDim = 8;

TableConfig Config(uint64_t budget = 0, int64_t expire = 0) {
  TableConfig c;
  SlotConfig s;
  s.slot = 1;
  s.dim = kDim;
  s.init_scale = 0;
  s.expire_after_s = expire;
  c.slots = {s};
  c.shards_per_slot = 8;
  c.memory_budget_bytes = budget;
  return c;
}

void ReadUntil(const EmbeddingTable& t, const std::atomic<bool>& stop, int n_keys,
               std::atomic<int>* torn, std::atomic<int64_t>* reads) {
  std::vector<FeatureId> keys(64);
  std::vector<float> out(64 * kDim);
  uint64_t x = 12345;
  while (!stop.load(std::memory_order_relaxed)) {
    for (auto& k : keys) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      k = MakeFeatureId(1, (x >> 33) % n_keys);
    }
    ASSERT_TRUE(t.Lookup(keys, absl::MakeSpan(out)).ok());
    for (size_t i = 0; i < keys.size(); ++i) {
      for (uint32_t d = 1; d < kDim; ++d) {
        if (out[i * kDim + d] != out[i * kDim]) torn->fetch_add(1);
      }
    }
    reads->fetch_add(1, std::memory_order_relaxed);
  }
}

void Train(EmbeddingTable* t, int n_keys, int batches, int first_key_step = 1) {
  std::vector<FeatureId> keys(256);
  std::vector<float> g(256 * kDim);
  uint64_t x = 99;
  for (int b = 0; b < batches; ++b) {
    for (size_t i = 0; i < keys.size(); ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      keys[i] = MakeFeatureId(1, (x >> 33) % n_keys);
      std::fill_n(g.begin() + i * kDim, kDim, ((x >> 20) % 100) / 100.0f - 0.5f);
    }
    ASSERT_TRUE(t->ApplyGradients(keys, g, int64_t{1000} * (b + 1)).ok());
  }
}

TEST(ConcurrencyTest, ReadersDuringTrainingNeverSeeTornRows) {
  auto t = EmbeddingTable::Create(Config()).value();
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int64_t> reads{0};
  std::thread r1([&] { ReadUntil(*t, stop, 20000, &torn, &reads); });
  std::thread r2([&] { ReadUntil(*t, stop, 20000, &torn, &reads); });
  // Training must overlap reading: on a loaded machine the readers may not have been scheduled
  // before the ~50 ms of training end (seen once: reads == 0).
  while (reads.load() == 0) std::this_thread::yield();
  Train(t.get(), 20000, 400);
  stop = true;
  r1.join();
  r2.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_GT(t->Stats().rows, 10000u);
}

TEST(ConcurrencyTest, TwoWritersOnDisjointShardsAndAReader) {
  auto t = EmbeddingTable::Create(Config()).value();
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int64_t> reads{0};
  std::thread reader([&] { ReadUntil(*t, stop, 50000, &torn, &reads); });
  std::vector<std::thread> writers;
  for (uint32_t w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      std::vector<FeatureId> mine;
      for (uint64_t k = 0; k < 50000; ++k) {
        if (t->ShardOf(MakeFeatureId(1, k)) % 2 == w) mine.push_back(MakeFeatureId(1, k));
      }
      std::vector<float> g(mine.size() * kDim, 0.25f);
      for (int rep = 0; rep < 3; ++rep) ASSERT_TRUE(t->ApplyGradients(mine, g, 1000).ok());
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(t->Stats().rows, 50000u);
  uint32_t c, s;
  ASSERT_TRUE(t->GetRowMeta(MakeFeatureId(1, 777), &c, &s));
  EXPECT_EQ(c, 3u);
}

TEST(ConcurrencyTest, ReplicaReadersDuringDeltaSync) {
  auto trainer = EmbeddingTable::Create(Config()).value();
  TableConfig serving = Config();
  serving.slots[0].optimizer = OptimizerKind::kNone;
  auto replica = EmbeddingTable::Create(serving).value();
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int64_t> reads{0};
  std::thread reader([&] { ReadUntil(*replica, stop, 20000, &torn, &reads); });
  std::thread syncer([&] {
    while (!stop.load()) ASSERT_TRUE(replica->ApplyDelta(trainer->DrainDelta()).ok());
  });
  Train(trainer.get(), 20000, 300);
  stop = true;
  syncer.join();
  reader.join();
  ASSERT_TRUE(replica->ApplyDelta(trainer->DrainDelta()).ok());
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(replica->Stats().rows, trainer->Stats().rows);
}

TEST(ConcurrencyTest, ReadersDuringExpiryBudgetEvictionAndSnapshots) {
  auto t = EmbeddingTable::Create(Config(/*budget=*/1 << 20, /*expire=*/50)).value();
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int64_t> reads{0};
  std::thread reader([&] { ReadUntil(*t, stop, 40000, &torn, &reads); });
  std::thread expirer([&] {
    int64_t now = 0;
    while (!stop.load()) t->Expire(now += 10'000, 256);
  });
  const std::string path = ::testing::TempDir() + "/concurrency_" + std::to_string(::getpid()) + ".fysnap";
  std::thread snapshotter([&] {
    for (int i = 0; i < 3 && !stop.load(); ++i) ASSERT_TRUE(t->WriteSnapshot(path).ok());
  });
  Train(t.get(), 40000, 300);
  stop = true;
  reader.join();
  expirer.join();
  snapshotter.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_LE(t->Stats().bytes, uint64_t{1} << 20);
}

}  // namespace
}  // namespace foryou::embedding
