// Snapshot round trips, refusal of corrupt/truncated/mismatched files, atomic replacement and
// consistency under concurrent training.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/file_util.h"
#include "common/heap.h"
#include "embedding/embedding_table.h"
#include "gtest/gtest.h"

namespace foryou::embedding {
namespace {

std::string TestDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("foryou_snapshot_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TableConfig Config(OptimizerKind opt2 = OptimizerKind::kFtrl) {
  TableConfig c;
  SlotConfig a;
  a.slot = 1;
  a.dim = 8;
  SlotConfig b;
  b.slot = 300;
  b.dim = 4;
  b.optimizer = opt2;
  c.slots = {a, b};
  c.shards_per_slot = 8;
  return c;
}

std::vector<FeatureId> Keys(int n) {
  std::vector<FeatureId> keys;
  for (int k = 0; k < n; ++k) keys.push_back(MakeFeatureId(k % 3 == 0 ? 300 : 1, k * 7919));
  return keys;
}

std::vector<float> Grads(const EmbeddingTable& t, const std::vector<FeatureId>& keys, float v) {
  std::vector<float> g;
  for (FeatureId k : keys) {
    for (uint32_t i = 0; i < t.DimOf(SlotOf(k)); ++i) g.push_back(v * static_cast<float>(k % 13));
  }
  return g;
}

std::vector<float> Values(const EmbeddingTable& t, const std::vector<FeatureId>& keys) {
  size_t n = 0;
  for (FeatureId k : keys) n += t.DimOf(SlotOf(k));
  std::vector<float> out(n);
  EXPECT_TRUE(t.Lookup(keys, absl::MakeSpan(out)).ok());
  return out;
}

TEST(SnapshotTest, RoundTripRestoresRowsStateAndMeta) {
  const std::string path = TestDir() + "/table.fysnap";
  auto t = EmbeddingTable::Create(Config()).value();
  auto keys = Keys(20000);
  ASSERT_TRUE(t->ApplyGradients(keys, Grads(*t, keys, 0.1f), 10'000).ok());
  ASSERT_TRUE(t->WriteSnapshot(path, 42).ok());

  auto u = EmbeddingTable::Create(Config()).value();
  auto version = u->LoadSnapshot(path);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 42u);
  EXPECT_EQ(u->Stats().rows, t->Stats().rows);
  EXPECT_EQ(Values(*u, keys), Values(*t, keys));
  uint32_t c1, s1, c2, s2;
  ASSERT_TRUE(t->GetRowMeta(keys[5], &c1, &s1));
  ASSERT_TRUE(u->GetRowMeta(keys[5], &c2, &s2));
  EXPECT_EQ(c1, c2);
  EXPECT_EQ(s1, s2);
  // Optimizer state came along: one more identical step gives identical rows.
  ASSERT_TRUE(t->ApplyGradients(keys, Grads(*t, keys, 0.2f), 20'000).ok());
  ASSERT_TRUE(u->ApplyGradients(keys, Grads(*u, keys, 0.2f), 20'000).ok());
  EXPECT_EQ(Values(*u, keys), Values(*t, keys));
  EXPECT_EQ(u->Stats().pending_touched, t->Stats().pending_touched);
}

TEST(SnapshotTest, LoadsIntoADifferentShardCountAndAServingLayout) {
  const std::string path = TestDir() + "/table.fysnap";
  auto t = EmbeddingTable::Create(Config()).value();
  auto keys = Keys(5000);
  ASSERT_TRUE(t->ApplyGradients(keys, Grads(*t, keys, 0.1f), 10'000).ok());
  ASSERT_TRUE(t->WriteSnapshot(path).ok());
  TableConfig serving = Config(OptimizerKind::kNone);
  serving.slots[0].optimizer = OptimizerKind::kNone;
  serving.shards_per_slot = 2;
  auto u = EmbeddingTable::Create(serving).value();
  ASSERT_TRUE(u->LoadSnapshot(path).ok());
  EXPECT_EQ(Values(*u, keys), Values(*t, keys));
}

TEST(SnapshotTest, EmptyTableRoundTrips) {
  const std::string path = TestDir() + "/empty.fysnap";
  auto t = EmbeddingTable::Create(Config()).value();
  ASSERT_TRUE(t->WriteSnapshot(path, 7).ok());
  auto u = EmbeddingTable::Create(Config()).value();
  ASSERT_TRUE(u->ApplyGradients(Keys(10), Grads(*u, Keys(10), 1), 1).ok());
  ASSERT_EQ(*u->LoadSnapshot(path), 7u);
  EXPECT_EQ(u->Stats().rows, 0u);
}

class CorruptSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = TestDir() + "/table.fysnap";
    auto t = EmbeddingTable::Create(Config()).value();
    auto keys = Keys(3000);
    ASSERT_TRUE(t->ApplyGradients(keys, Grads(*t, keys, 0.1f), 10'000).ok());
    ASSERT_TRUE(t->WriteSnapshot(path_).ok());
    bytes_ = *common::ReadFile(path_);
    // The table we try to load into has rows of its own, which must survive a refused load.
    target_ = EmbeddingTable::Create(Config()).value();
    own_keys_ = {MakeFeatureId(1, 123456789)};
    ASSERT_TRUE(target_->ApplyGradients(own_keys_, std::vector<float>(8, 1.0f), 1).ok());
    before_ = Values(*target_, own_keys_);
  }
  void ExpectRefused(const std::string& contents, absl::StatusCode code = absl::StatusCode::kDataLoss) {
    ASSERT_TRUE(common::WriteFileAtomically(path_, contents).ok());
    auto r = target_->LoadSnapshot(path_);
    EXPECT_EQ(r.status().code(), code) << r.status();
    EXPECT_NE(r.status().message().find("refused"), std::string::npos) << r.status();
    EXPECT_EQ(target_->Stats().rows, 1u);
    EXPECT_EQ(Values(*target_, own_keys_), before_);
  }
  std::string path_, bytes_;
  std::unique_ptr<EmbeddingTable> target_;
  std::vector<FeatureId> own_keys_;
  std::vector<float> before_;
};

TEST_F(CorruptSnapshotTest, FlippedByteAnywhereIsRefused) {
  for (size_t pos : {size_t{0}, size_t{9}, size_t{40}, bytes_.size() / 2, bytes_.size() - 40,
                     bytes_.size() - 1}) {
    std::string c = bytes_;
    c[pos] ^= 0x5a;
    ExpectRefused(c);
  }
}

TEST_F(CorruptSnapshotTest, RandomDamageIsAlwaysRefusedNeverCrashes) {
  uint64_t x = 99;
  auto next = [&] {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x >> 33;
  };
  for (int trial = 0; trial < 150; ++trial) {
    std::string c = bytes_;
    const int damage = 1 + static_cast<int>(next() % 4);
    for (int d = 0; d < damage; ++d) {
      const size_t pos = next() % c.size();
      const char v = static_cast<char>(next());
      c[pos] = c[pos] == v ? static_cast<char>(v ^ 1) : v;
    }
    if (trial % 3 == 0) c.resize(next() % c.size());  // and sometimes truncate
    ExpectRefused(c);
  }
}

TEST_F(CorruptSnapshotTest, TruncatedIsRefused) {
  for (size_t len : {size_t{0}, size_t{10}, size_t{100}, bytes_.size() / 3, bytes_.size() - 1}) {
    ExpectRefused(bytes_.substr(0, len));
  }
}

TEST_F(CorruptSnapshotTest, ConfigMismatchIsRefusedWithTheSlotNamed) {
  ASSERT_TRUE(common::WriteFileAtomically(path_, bytes_).ok());
  TableConfig other = Config();
  other.slots[1].dim = 5;
  auto u = EmbeddingTable::Create(other).value();
  auto r = u->LoadSnapshot(path_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("slot 300"), std::string::npos) << r.status();
  other = Config();
  other.slots.pop_back();
  auto v = EmbeddingTable::Create(other).value();
  EXPECT_EQ(v->LoadSnapshot(path_).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SnapshotTest, MissingFileIsNotFound) {
  auto t = EmbeddingTable::Create(Config()).value();
  EXPECT_EQ(t->LoadSnapshot(TestDir() + "/nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(SnapshotTest, FailedWriteLeavesThePreviousSnapshot) {
  const std::string dir = TestDir();
  const std::string path = dir + "/table.fysnap";
  auto t = EmbeddingTable::Create(Config()).value();
  auto keys = Keys(1000);
  ASSERT_TRUE(t->ApplyGradients(keys, Grads(*t, keys, 0.1f), 10'000).ok());
  ASSERT_TRUE(t->WriteSnapshot(path, 1).ok());
  const std::string first = *common::ReadFile(path);
  // A crash mid-write leaves a partial temp file behind; it must not matter.
  ASSERT_TRUE(common::WriteFileAtomically(path + ".tmp.partial", first.substr(0, 100)).ok());
  std::filesystem::rename(path + ".tmp.partial", path + ".tmp");
  // A write that cannot complete (the temp name is taken by a directory) fails cleanly.
  std::filesystem::remove(path + ".tmp");
  std::filesystem::create_directory(path + ".tmp");
  EXPECT_FALSE(t->WriteSnapshot(path, 2).ok());
  EXPECT_EQ(*common::ReadFile(path), first);
  auto u = EmbeddingTable::Create(Config()).value();
  EXPECT_EQ(*u->LoadSnapshot(path), 1u);
}

// Training applies whole batches that raise every key's count by one. A consistent snapshot holds
// all keys with the same count: never a batch half-applied.
TEST(SnapshotTest, WritingHoldsOneShardOfRowsInMemoryAtATime) {
  // ~17 MB of rows over 64 shards; a poller watches the heap while the snapshot is written.
  TableConfig c;
  SlotConfig a;
  a.slot = 1;
  a.dim = 32;
  c.slots = {a};
  c.shards_per_slot = 64;
  auto t = EmbeddingTable::Create(c);
  ASSERT_TRUE(t.ok());
  std::vector<FeatureId> keys;
  for (uint64_t k = 0; k < 65'536; ++k) keys.push_back(MakeFeatureId(1, k));
  ASSERT_TRUE((*t)->ApplyGradients(keys, std::vector<float>(keys.size() * 32, 0.5f), 1).ok());
  const uint64_t payload = (*t)->Stats().payload_bytes;
  ASSERT_GE(payload, 16u << 20);

  const uint64_t before = common::ReadHeap().in_use;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> peak{before};
  std::thread poller([&] {
    while (!done.load()) {
      const uint64_t now = common::ReadHeap().in_use;
      if (now > peak.load()) peak.store(now);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  const absl::Status s = (*t)->WriteSnapshot(TestDir() + "/t.snap");
  done.store(true);
  poller.join();
  ASSERT_TRUE(s.ok()) << s;
  // A copy of every row (the table's payload) held while compressing would pass a quarter of
  // it; one shard is 1/64.
  const uint64_t extra = peak.load() > before ? peak.load() - before : 0;
  EXPECT_LT(extra, payload / 4) << "extra heap while writing " << extra << " bytes, rows " << payload;
}

TEST(SnapshotTest, SnapshotDuringTrainingHoldsWholeBatches) {
  const std::string path = TestDir() + "/table.fysnap";
  TableConfig c = Config();
  c.slots.pop_back();
  auto t = EmbeddingTable::Create(c).value();
  std::vector<FeatureId> keys;
  for (int k = 0; k < 20000; ++k) keys.push_back(MakeFeatureId(1, k));
  std::vector<float> g(keys.size() * 8, 0.01f);
  std::atomic<bool> stop{false};
  std::thread trainer([&] {
    for (int step = 1; !stop.load(); ++step) ASSERT_TRUE(t->ApplyGradients(keys, g, step * 1000).ok());
  });
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(t->WriteSnapshot(path).ok());
    auto u = EmbeddingTable::Create(c).value();
    ASSERT_TRUE(u->LoadSnapshot(path).ok());
    // Before the first batch the snapshot is empty; after, every key has the same count.
    uint32_t first_count = 0, seen;
    const bool any = u->GetRowMeta(keys[0], &first_count, &seen);
    EXPECT_EQ(u->Stats().rows, any ? keys.size() : 0u);
    for (FeatureId k : keys) {
      uint32_t count = 0;
      ASSERT_EQ(u->GetRowMeta(k, &count, &seen), any);
      ASSERT_EQ(count, first_count) << "snapshot " << i << " saw half a batch";
    }
  }
  stop = true;
  trainer.join();
}

}  // namespace
}  // namespace foryou::embedding
