// Unit tests of the row budget (SlotConfig::max_rows, EmbeddingTable::TrimToRowBudget): the
// table stays bounded under a stream of ids never seen again, the least recently updated rows
// go first, and a replica fed by deltas ends up with the same rows.
#include <vector>

#include "embedding/embedding_table.h"
#include "gtest/gtest.h"

namespace foryou::embedding {
namespace {

std::unique_ptr<EmbeddingTable> MakeTable(uint64_t max_rows, OptimizerKind opt = OptimizerKind::kAdagrad) {
  TableConfig c;
  SlotConfig s;
  s.slot = 1;
  s.name = "user_x_author";
  s.dim = 4;
  s.optimizer = opt;
  s.max_rows = max_rows;
  c.slots.push_back(s);
  c.shards_per_slot = 4;
  auto t = EmbeddingTable::Create(c);
  EXPECT_TRUE(t.ok()) << t.status();
  return std::move(t).value();
}

bool Present(const EmbeddingTable& t, FeatureId key) {
  uint32_t count = 0, last_seen = 0;
  return t.GetRowMeta(key, &count, &last_seen);
}

TEST(RowBudgetTest, StaysBoundedUnderIdsNeverSeenAgain) {
  constexpr uint64_t kMaxRows = 256;
  auto table = MakeTable(kMaxRows);
  uint64_t id = 0;
  for (int round = 0; round < 20; ++round) {
    std::vector<FeatureId> keys;
    for (int i = 0; i < 500; ++i) keys.push_back(MakeFeatureId(1, ++id));
    ASSERT_TRUE(table->ApplyGradients(keys, std::vector<float>(keys.size() * 4, 0.1f),
                                      int64_t{round + 1} * 1000).ok());
    table->TrimToRowBudget();
    // Each of the 4 shards holds at most its 64-row share (15/16 of it after a trim).
    EXPECT_LE(table->Stats().rows, kMaxRows) << "round " << round;
  }
  EXPECT_EQ(table->Stats().budget_evictions, 20u * 500u - table->Stats().rows);
}

TEST(RowBudgetTest, EvictsTheLeastRecentlyUpdatedRows) {
  auto table = MakeTable(/*max_rows=*/64);
  std::vector<FeatureId> old_keys, new_keys;
  for (uint64_t i = 0; i < 200; ++i) old_keys.push_back(MakeFeatureId(1, i));
  for (uint64_t i = 200; i < 220; ++i) new_keys.push_back(MakeFeatureId(1, i));
  ASSERT_TRUE(table->ApplyGradients(old_keys, std::vector<float>(200 * 4, 0.1f), 1'000).ok());
  ASSERT_TRUE(table->ApplyGradients(new_keys, std::vector<float>(20 * 4, 0.1f), 9'000).ok());
  // An old id updated again counts as recent.
  ASSERT_TRUE(table->ApplyGradients({old_keys[0]}, std::vector<float>(4, 0.1f), 9'000).ok());
  EXPECT_GT(table->TrimToRowBudget(), 0u);
  for (FeatureId k : new_keys) EXPECT_TRUE(Present(*table, k));
  EXPECT_TRUE(Present(*table, old_keys[0]));
  EXPECT_LE(table->Stats().rows, 60u);
  EXPECT_EQ(table->TrimToRowBudget(), 0u);  // within budget now
}

TEST(RowBudgetTest, ReplicaFollowsTheEvictionsThroughDeltas) {
  auto trainer = MakeTable(/*max_rows=*/64);
  auto replica = MakeTable(/*max_rows=*/0, OptimizerKind::kNone);  // no budget of its own
  std::vector<FeatureId> keys;
  for (uint64_t i = 0; i < 300; ++i) keys.push_back(MakeFeatureId(1, i));
  for (size_t i = 0; i < keys.size(); i += 50) {
    std::vector<FeatureId> batch(keys.begin() + i, keys.begin() + i + 50);
    ASSERT_TRUE(trainer->ApplyGradients(batch, std::vector<float>(50 * 4, 0.2f),
                                        static_cast<int64_t>(i) * 1000).ok());
    ASSERT_TRUE(replica->ApplyDelta(trainer->DrainDelta()).ok());
  }
  EXPECT_EQ(replica->Stats().rows, 300u);
  trainer->TrimToRowBudget();
  ASSERT_TRUE(replica->ApplyDelta(trainer->DrainDelta()).ok());
  EXPECT_EQ(replica->Stats().rows, trainer->Stats().rows);
  EXPECT_LE(replica->Stats().rows, 64u);
  for (FeatureId k : keys) EXPECT_EQ(Present(*replica, k), Present(*trainer, k));
}

TEST(RowBudgetTest, ZeroMeansUnbounded) {
  auto table = MakeTable(/*max_rows=*/0);
  std::vector<FeatureId> keys;
  for (uint64_t i = 0; i < 1000; ++i) keys.push_back(MakeFeatureId(1, i));
  ASSERT_TRUE(table->ApplyGradients(keys, std::vector<float>(4000, 0.1f), 1'000).ok());
  EXPECT_EQ(table->TrimToRowBudget(), 0u);
  EXPECT_EQ(table->Stats().rows, 1000u);
}

}  // namespace
}  // namespace foryou::embedding
