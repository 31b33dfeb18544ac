// Unit tests of EmbeddingTable: lookups, training updates, admission, expiry, budget eviction,
// touched-key deltas and their application to a replica.
#include "embedding/embedding_table.h"

#include <cmath>
#include <unordered_set>

#include "gtest/gtest.h"

namespace foryou::embedding {
namespace {

SlotConfig Slot(uint32_t slot, uint32_t dim, OptimizerKind opt = OptimizerKind::kAdagrad) {
  SlotConfig s;
  s.slot = slot;
  s.name = "slot" + std::to_string(slot);
  s.dim = dim;
  s.optimizer = opt;
  return s;
}

std::unique_ptr<EmbeddingTable> MakeTable(std::vector<SlotConfig> slots, uint32_t shards = 4,
                                          uint64_t budget = 0) {
  TableConfig c;
  c.slots = std::move(slots);
  c.shards_per_slot = shards;
  c.memory_budget_bytes = budget;
  auto t = EmbeddingTable::Create(c);
  EXPECT_TRUE(t.ok()) << t.status();
  return std::move(t).value();
}

std::vector<float> LookupOne(const EmbeddingTable& t, FeatureId key) {
  std::vector<float> out(t.DimOf(SlotOf(key)));
  EXPECT_TRUE(t.Lookup({key}, absl::MakeSpan(out)).ok());
  return out;
}

TEST(TableConfigTest, RejectsBadSettingsNamingTheField) {
  TableConfig c;
  EXPECT_NE(c.Validate().message().find("slots"), std::string::npos);
  c.slots = {Slot(1, 0)};
  EXPECT_NE(c.Validate().message().find("dim"), std::string::npos);
  c.slots = {Slot(1, 8), Slot(1, 8)};
  EXPECT_NE(c.Validate().message().find("configured twice"), std::string::npos);
  c.slots = {Slot(1, 8)};
  c.shards_per_slot = 3;
  EXPECT_NE(c.Validate().message().find("shards_per_slot"), std::string::npos);
  c.shards_per_slot = 4;
  c.slots[0].admission.min_count = 0;
  EXPECT_NE(c.Validate().message().find("min_count"), std::string::npos);
  c.slots[0].admission.min_count = 1;
  c.slots[0].admission.probability = 0;
  EXPECT_NE(c.Validate().message().find("probability"), std::string::npos);
  c.slots[0].admission.probability = 1;
  c.slots[0].slot = 40000;
  EXPECT_FALSE(c.Validate().ok());
  EXPECT_FALSE(EmbeddingTable::Create(c).ok());
}

TEST(FeatureIdTest, PacksSlotAndHash) {
  const FeatureId id = MakeFeatureId(7, ~uint64_t{0});
  EXPECT_EQ(SlotOf(id), 7u);
  EXPECT_EQ(id & kHashMask, kHashMask);
  EXPECT_EQ(SlotOf(HashFeature(12, "video-1")), 12u);
  EXPECT_NE(HashFeature(12, "video-1"), HashFeature(12, "video-2"));
  EXPECT_NE(HashFeature(12, "video-1"), HashFeature(13, "video-1"));
}

TEST(EmbeddingTableTest, AbsentKeysReadAsZerosAndCostNothing) {
  auto t = MakeTable({Slot(1, 8)});
  const uint64_t empty_bytes = t->Stats().bytes;
  EXPECT_EQ(LookupOne(*t, MakeFeatureId(1, 42)), std::vector<float>(8, 0.0f));
  EXPECT_EQ(t->Stats().rows, 0u);
  EXPECT_EQ(t->Stats().bytes, empty_bytes);
}

TEST(EmbeddingTableTest, BadBatchesAreRejectedAndChangeNothing) {
  auto t = MakeTable({Slot(1, 4)});
  std::vector<float> g(8, 0.5f);
  // Unknown slot in the middle of the batch.
  absl::Status s = t->ApplyGradients({MakeFeatureId(1, 1), MakeFeatureId(2, 1)}, g, 1000);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("keys[1]"), std::string::npos);
  EXPECT_EQ(t->Stats().rows, 0u);
  // Wrong gradient size.
  s = t->ApplyGradients({MakeFeatureId(1, 1)}, g, 1000);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t->Stats().rows, 0u);
  std::vector<float> out(3);
  EXPECT_FALSE(t->Lookup({MakeFeatureId(1, 1)}, absl::MakeSpan(out)).ok());
  // Bit 63 set: not a feature id, even though its slot bits say slot 1.
  std::vector<float> g4(4, 0.5f);
  s = t->ApplyGradients({MakeFeatureId(1, 1) | (uint64_t{1} << 63)}, g4, 1000);
  EXPECT_NE(s.message().find("bit 63"), std::string::npos) << s;
  EXPECT_EQ(t->Stats().rows, 0u);
}

TEST(EmbeddingTableTest, RemoveDropsOnlyTheNamedRowsAndReplicasFollow) {
  auto t = MakeTable({Slot(1, 4), Slot(2, 4)});
  auto replica = MakeTable({Slot(1, 4), Slot(2, 4)});
  std::vector<FeatureId> keys;
  for (uint64_t i = 1; i <= 40; ++i) keys.push_back(MakeFeatureId(1 + i % 2, i));
  std::vector<float> g(keys.size() * 4, 0.5f);
  ASSERT_TRUE(t->ApplyGradients(keys, g, 1000).ok());
  ASSERT_TRUE(replica->ApplyDelta(t->DrainDelta()).ok());
  const FeatureId gone = keys[3], kept = keys[4];
  const std::vector<float> kept_before = LookupOne(*t, kept);

  // An absent key is skipped; a key of an unknown slot refuses the whole call.
  EXPECT_FALSE(t->Remove({gone, MakeFeatureId(9, 1)}).ok());
  uint32_t count, seen;
  EXPECT_TRUE(t->GetRowMeta(gone, &count, &seen));
  absl::StatusOr<uint64_t> removed = t->Remove({gone, MakeFeatureId(1, 999)});
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 1u);
  EXPECT_FALSE(t->GetRowMeta(gone, &count, &seen));
  EXPECT_EQ(LookupOne(*t, gone), std::vector<float>(4, 0.0f));
  EXPECT_EQ(LookupOne(*t, kept), kept_before);
  EXPECT_EQ(t->Stats().rows, keys.size() - 1);
  EXPECT_EQ(*t->Remove({gone}), 0u);

  TableDelta d = t->DrainDelta();
  EXPECT_EQ(d.deletes(), 1u);
  ASSERT_TRUE(replica->ApplyDelta(d).ok());
  EXPECT_FALSE(replica->GetRowMeta(gone, &count, &seen));
  EXPECT_EQ(replica->Stats().rows, keys.size() - 1);
}

TEST(EmbeddingTableTest, AdagradUpdatesInPlace) {
  SlotConfig sc = Slot(1, 4);
  sc.init_scale = 0;
  sc.adagrad.learning_rate = 0.1f;
  sc.adagrad.initial_accumulator = 0.0f;
  auto t = MakeTable({sc});
  const FeatureId k = MakeFeatureId(1, 5);
  std::vector<float> g = {1, -2, 0.5, 0};
  ASSERT_TRUE(t->ApplyGradients({k}, g, 1000).ok());
  std::vector<float> w = LookupOne(*t, k);
  for (int i = 0; i < 4; ++i) {
    const float expect = g[i] == 0 ? 0 : -0.1f * g[i] / (std::fabs(g[i]) + 1e-6f);
    EXPECT_NEAR(w[i], expect, 1e-6) << i;
  }
  ASSERT_TRUE(t->ApplyGradients({k}, g, 2000).ok());
  w = LookupOne(*t, k);
  // Second step: acc = 2 g^2, step = lr * g / (sqrt(2) |g|).
  EXPECT_NEAR(w[0], -0.1f - 0.1f / std::sqrt(2.0f), 1e-5);
  uint32_t count, seen;
  ASSERT_TRUE(t->GetRowMeta(k, &count, &seen));
  EXPECT_EQ(count, 2u);
  EXPECT_EQ(seen, 2u);
}

TEST(EmbeddingTableTest, FtrlMatchesClosedForm) {
  SlotConfig sc = Slot(1, 1, OptimizerKind::kFtrl);
  sc.init_scale = 0;
  sc.ftrl = {.alpha = 0.5f, .beta = 1.0f, .l1 = 0.1f, .l2 = 0.01f};
  auto t = MakeTable({sc});
  const FeatureId k = MakeFeatureId(1, 5);
  ASSERT_TRUE(t->ApplyGradients({k}, {2.0f}, 1000).ok());
  // n = 4, sigma = 2/0.5 = 4 (w was 0), z = 2; w = -(2 - 0.1) / ((1 + 2)/0.5 + 0.01)
  EXPECT_NEAR(LookupOne(*t, k)[0], -1.9f / 6.01f, 1e-6);
  // A small gradient below l1 in |z| sets w to zero.
  auto t2 = MakeTable({sc});
  ASSERT_TRUE(t2->ApplyGradients({k}, {0.05f}, 1000).ok());
  EXPECT_EQ(LookupOne(*t2, k)[0], 0.0f);
}

TEST(EmbeddingTableTest, DuplicateKeysInABatchApplyInOrder) {
  SlotConfig sc = Slot(1, 2);
  sc.init_scale = 0;
  auto t = MakeTable({sc});
  const FeatureId k = MakeFeatureId(1, 9);
  ASSERT_TRUE(t->ApplyGradients({k, k, k}, std::vector<float>(6, 1.0f), 1000).ok());
  uint32_t count, seen;
  ASSERT_TRUE(t->GetRowMeta(k, &count, &seen));
  EXPECT_EQ(count, 3u);
  EXPECT_EQ(t->Stats().rows, 1u);
}

TEST(EmbeddingTableTest, MixedDimsUseConcatenatedLayout) {
  SlotConfig a = Slot(1, 2), b = Slot(2, 3);
  a.init_scale = b.init_scale = 0;
  auto t = MakeTable({a, b});
  const FeatureId ka = MakeFeatureId(1, 1), kb = MakeFeatureId(2, 1);
  std::vector<float> g = {1, 1, -1, -1, -1};
  ASSERT_TRUE(t->ApplyGradients({ka, kb}, g, 1000).ok());
  std::vector<float> out(5);
  ASSERT_TRUE(t->Lookup({ka, kb}, absl::MakeSpan(out)).ok());
  EXPECT_LT(out[0], 0);
  EXPECT_LT(out[1], 0);
  EXPECT_GT(out[2], 0);
  EXPECT_GT(out[4], 0);
}

TEST(AdmissionTest, MinCountAdmitsAtTheNthOccurrence) {
  SlotConfig sc = Slot(1, 4);
  sc.admission.min_count = 3;
  sc.admission.sketch_width = 1 << 16;
  auto t = MakeTable({sc});
  const uint64_t bytes0 = t->Stats().bytes;
  std::vector<float> g(4, 0.1f);
  for (uint64_t k = 0; k < 100; ++k) {
    const FeatureId key = MakeFeatureId(1, k);
    ASSERT_TRUE(t->ApplyGradients({key}, g, 1000).ok());
    ASSERT_TRUE(t->ApplyGradients({key}, g, 1000).ok());
    EXPECT_EQ(LookupOne(*t, key), std::vector<float>(4, 0.0f));
  }
  EXPECT_EQ(t->Stats().rows, 0u);
  EXPECT_EQ(t->Stats().bytes, bytes0);  // the sketch only
  EXPECT_EQ(t->Stats().admission_rejects, 200u);
  for (uint64_t k = 0; k < 100; ++k) {
    ASSERT_TRUE(t->ApplyGradients({MakeFeatureId(1, k)}, g, 1000).ok());
  }
  EXPECT_EQ(t->Stats().rows, 100u);
  EXPECT_NE(LookupOne(*t, MakeFeatureId(1, 0)), std::vector<float>(4, 0.0f));
}

TEST(AdmissionTest, ProbabilityGrowsWithOccurrences) {
  SlotConfig sc = Slot(1, 2);
  sc.admission.probability = 0.25;
  auto t = MakeTable({sc});
  const int n = 20000;
  std::vector<FeatureId> keys;
  for (int k = 0; k < n; ++k) keys.push_back(MakeFeatureId(1, k));
  std::vector<float> g(2 * n, 0.0f);
  ASSERT_TRUE(t->ApplyGradients(keys, g, 1000).ok());
  const double after1 = static_cast<double>(t->Stats().rows) / n;
  ASSERT_TRUE(t->ApplyGradients(keys, g, 1000).ok());
  const double after2 = static_cast<double>(t->Stats().rows) / n;
  EXPECT_NEAR(after1, 0.25, 0.02);
  EXPECT_NEAR(after2, 1 - 0.75 * 0.75, 0.02);
}

TEST(ExpiryTest, EvictsRowsUnseenForTheSlotsSpan) {
  SlotConfig short_lived = Slot(1, 2), forever = Slot(2, 2);
  short_lived.expire_after_s = 3600;
  auto t = MakeTable({short_lived, forever});
  const FeatureId old_key = MakeFeatureId(1, 1), fresh_key = MakeFeatureId(1, 2),
                  kept = MakeFeatureId(2, 1);
  std::vector<float> g(2, 0.1f);
  ASSERT_TRUE(t->ApplyGradients({old_key, kept}, std::vector<float>(4, 0.1f), 1'000'000).ok());
  ASSERT_TRUE(t->ApplyGradients({fresh_key}, g, 1'000'000 + 3000'000).ok());
  EXPECT_EQ(t->Expire(1'000'000 + 3601'000), 1u);  // old_key: 3601 s idle
  EXPECT_EQ(LookupOne(*t, old_key), std::vector<float>(2, 0.0f));
  EXPECT_NE(LookupOne(*t, fresh_key), std::vector<float>(2, 0.0f));
  EXPECT_NE(LookupOne(*t, kept), std::vector<float>(2, 0.0f));
  EXPECT_EQ(t->Stats().expired, 1u);
  EXPECT_EQ(t->Stats().rows, 2u);
}

TEST(ExpiryTest, ManyRowsAcrossStepsAndShards) {
  SlotConfig sc = Slot(1, 4);
  sc.expire_after_s = 10;
  auto t = MakeTable({sc}, 8);
  std::vector<FeatureId> keys;
  for (int k = 0; k < 50000; ++k) keys.push_back(MakeFeatureId(1, k));
  std::vector<float> g(4 * keys.size(), 0.0f);
  // Even keys at t=100 s, odd keys at t=200 s.
  std::vector<FeatureId> even, odd;
  for (size_t i = 0; i < keys.size(); ++i) (i % 2 ? odd : even).push_back(keys[i]);
  ASSERT_TRUE(t->ApplyGradients(even, absl::MakeSpan(g).subspan(0, 4 * even.size()), 100'000).ok());
  ASSERT_TRUE(t->ApplyGradients(odd, absl::MakeSpan(g).subspan(0, 4 * odd.size()), 200'000).ok());
  EXPECT_EQ(t->Expire(150'000, /*step_rows=*/100), even.size());
  EXPECT_EQ(t->Stats().rows, odd.size());
  for (FeatureId k : odd) {
    uint32_t c, s;
    ASSERT_TRUE(t->GetRowMeta(k, &c, &s));
  }
}

TEST(BudgetTest, StaysUnderBudgetAndEvictsColdRowsFirst) {
  const uint64_t budget = 4 << 20;
  auto t = MakeTable({Slot(1, 16)}, 4, budget);
  std::vector<float> g(16, 0.0f);
  // 2000 hot keys, refreshed every round at the newest time; a stream of cold one-off keys.
  int64_t now = 1'000'000;
  std::vector<FeatureId> hot;
  for (int k = 0; k < 2000; ++k) hot.push_back(MakeFeatureId(1, 1'000'000'000 + k));
  std::vector<float> hot_g(16 * hot.size(), 0.0f);
  uint64_t next_cold = 0;
  for (int round = 0; round < 100; ++round) {
    now += 1000;
    ASSERT_TRUE(t->ApplyGradients(hot, hot_g, now).ok());
    std::vector<FeatureId> cold;
    for (int i = 0; i < 1000; ++i) cold.push_back(MakeFeatureId(1, next_cold++));
    std::vector<float> cg(16 * cold.size(), 0.0f);
    now += 1000;
    ASSERT_TRUE(t->ApplyGradients(cold, cg, now).ok());
    ASSERT_LE(t->Stats().bytes, budget) << "round " << round;
  }
  const TableStats st = t->Stats();
  EXPECT_GT(st.budget_evictions, 50000u);
  int hot_alive = 0;
  for (FeatureId k : hot) {
    uint32_t c, s;
    hot_alive += t->GetRowMeta(k, &c, &s);
  }
  // Sampled eviction can hit a hot row only when all 8 samples are hot: rare.
  EXPECT_GT(hot_alive, 1900);
}

TEST(BudgetTest, RefusesInsertWhenNothingCanBeEvicted) {
  auto t = MakeTable({Slot(1, 16)}, 1, /*budget=*/100);
  ASSERT_TRUE(t->ApplyGradients({MakeFeatureId(1, 1)}, std::vector<float>(16, 0), 1000).ok());
  EXPECT_EQ(t->Stats().rows, 0u);
  EXPECT_EQ(t->Stats().budget_rejects, 1u);
}

TEST(DeltaTest, DrainCarriesEveryTouchedRowAndApplyMakesAnEqualReplica) {
  SlotConfig a = Slot(1, 8), b = Slot(2, 4, OptimizerKind::kFtrl);
  auto trainer = MakeTable({a, b}, 16);
  auto replica = MakeTable({a, b}, 4);
  std::vector<FeatureId> keys;
  for (int k = 0; k < 300000; ++k) keys.push_back(MakeFeatureId(1 + (k % 2), k));
  std::vector<float> g;
  for (FeatureId k : keys) {
    for (uint32_t i = 0; i < trainer->DimOf(SlotOf(k)); ++i) g.push_back(0.01f * (k % 7));
  }
  ASSERT_TRUE(trainer->ApplyGradients(keys, g, 5000).ok());
  EXPECT_EQ(trainer->Stats().pending_touched, keys.size());
  TableDelta d = trainer->DrainDelta();
  EXPECT_EQ(d.upserts(), keys.size());  // none dropped, whatever the volume
  EXPECT_EQ(trainer->Stats().pending_touched, 0u);
  EXPECT_TRUE(trainer->DrainDelta().empty());
  ASSERT_TRUE(replica->ApplyDelta(d).ok());
  std::vector<float> x(g.size()), y(g.size());
  ASSERT_TRUE(trainer->Lookup(keys, absl::MakeSpan(x)).ok());
  ASSERT_TRUE(replica->Lookup(keys, absl::MakeSpan(y)).ok());
  EXPECT_EQ(x, y);
  // Touch a few again: only those come back.
  ASSERT_TRUE(trainer->ApplyGradients({keys[0], keys[1], keys[0]},
                                      std::vector<float>(8 + 4 + 8, 0.5f), 6000)
                  .ok());
  TableDelta d2 = trainer->DrainDelta();
  EXPECT_EQ(d2.upserts(), 2u);
  ASSERT_TRUE(replica->ApplyDelta(d2).ok());
  EXPECT_EQ(LookupOne(*replica, keys[0]), LookupOne(*trainer, keys[0]));
  uint32_t c1, s1, c2, s2;
  ASSERT_TRUE(trainer->GetRowMeta(keys[0], &c1, &s1));
  ASSERT_TRUE(replica->GetRowMeta(keys[0], &c2, &s2));
  EXPECT_EQ(c1, c2);
  EXPECT_EQ(s1, s2);
}

TEST(DeltaTest, EvictionsReachTheReplica) {
  SlotConfig sc = Slot(1, 4);
  sc.expire_after_s = 10;
  auto trainer = MakeTable({sc});
  auto replica = MakeTable({sc});
  const FeatureId k1 = MakeFeatureId(1, 1), k2 = MakeFeatureId(1, 2);
  ASSERT_TRUE(trainer->ApplyGradients({k1, k2}, std::vector<float>(8, 1), 1'000).ok());
  ASSERT_TRUE(replica->ApplyDelta(trainer->DrainDelta()).ok());
  ASSERT_TRUE(trainer->ApplyGradients({k2}, std::vector<float>(4, 1), 20'000).ok());
  EXPECT_EQ(trainer->Expire(20'000), 1u);
  TableDelta d = trainer->DrainDelta();
  EXPECT_EQ(d.deletes(), 1u);
  EXPECT_EQ(d.upserts(), 1u);
  ASSERT_TRUE(replica->ApplyDelta(d).ok());
  EXPECT_EQ(LookupOne(*replica, k1), std::vector<float>(4, 0.0f));
  EXPECT_EQ(replica->Stats().rows, 1u);
}

TEST(DeltaTest, EvictedThenReinsertedIsAnUpsertNotADelete) {
  SlotConfig sc = Slot(1, 4);
  sc.expire_after_s = 10;
  auto trainer = MakeTable({sc});
  const FeatureId k = MakeFeatureId(1, 1);
  ASSERT_TRUE(trainer->ApplyGradients({k}, std::vector<float>(4, 1), 1'000).ok());
  EXPECT_EQ(trainer->Expire(20'000), 1u);
  ASSERT_TRUE(trainer->ApplyGradients({k}, std::vector<float>(4, 1), 21'000).ok());
  TableDelta d = trainer->DrainDelta();
  EXPECT_EQ(d.upserts(), 1u);
  EXPECT_EQ(d.deletes(), 0u);
}

TEST(DeltaTest, ServingReplicaKeepsEmbeddingsOnly) {
  SlotConfig train = Slot(1, 8);
  SlotConfig serve = Slot(1, 8, OptimizerKind::kNone);
  auto trainer = MakeTable({train});
  auto replica = MakeTable({serve});
  std::vector<FeatureId> keys;
  for (int k = 0; k < 1000; ++k) keys.push_back(MakeFeatureId(1, k));
  ASSERT_TRUE(trainer->ApplyGradients(keys, std::vector<float>(8000, 0.3f), 1000).ok());
  ASSERT_TRUE(replica->ApplyDelta(trainer->DrainDelta()).ok());
  std::vector<float> x(8000), y(8000);
  ASSERT_TRUE(trainer->Lookup(keys, absl::MakeSpan(x)).ok());
  ASSERT_TRUE(replica->Lookup(keys, absl::MakeSpan(y)).ok());
  EXPECT_EQ(x, y);
  EXPECT_EQ(replica->Stats().payload_bytes * 2, trainer->Stats().payload_bytes);
}

TEST(DeltaTest, BadDeltaIsRejectedAndChangesNothing) {
  auto replica = MakeTable({Slot(1, 4)});
  TableDelta d;
  SlotDelta good{.slot = 1, .dim = 4, .optimizer = OptimizerKind::kAdagrad};
  good.keys = {MakeFeatureId(1, 1)};
  good.last_seen_s = {1};
  good.counts = {1};
  good.values.assign(8, 1.0f);
  d.slots.push_back(good);
  SlotDelta bad = good;
  bad.dim = 5;
  d.slots.push_back(bad);
  EXPECT_EQ(replica->ApplyDelta(d).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(replica->Stats().rows, 0u);
  d.slots[1] = good;
  d.slots[1].values.pop_back();
  EXPECT_EQ(replica->ApplyDelta(d).code(), absl::StatusCode::kInvalidArgument);
  d.slots[1] = good;
  d.slots[1].slot = 9;
  EXPECT_EQ(replica->ApplyDelta(d).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(replica->Stats().rows, 0u);
}

}  // namespace
}  // namespace foryou::embedding

#include "embedding/slot_table.h"

namespace foryou::embedding::internal {
namespace {

TEST(RowDividerTest, ExactForEveryRowSizeAndManyRows) {
  for (uint32_t d : {1u, 2u, 3u, 7u, 170u, 2047u, 2048u, 7281u, 14563u, 131072u}) {
    RowDivider div(d);
    uint64_t x = 1;
    for (int i = 0; i < 200000; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const uint32_t n = static_cast<uint32_t>(x >> 33);  // < 2^31
      ASSERT_EQ(div.Div(n), n / d) << n << " / " << d;
    }
    for (uint32_t n : {0u, d - 1, d, d + 1, (1u << 31) - 1}) ASSERT_EQ(div.Div(n), n / d);
  }
}

}  // namespace
}  // namespace foryou::embedding::internal
