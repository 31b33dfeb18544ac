// Proof of the table's central promise: distinct ids never share a row. Millions of distinct
// keys, including adversarial ones (ids that differ only in their slot, dense sequential ids,
// ids equal in their low 32 bits), are written with a value derived from the key; every key must
// read back exactly its own value and the row count must equal the number of keys.
#include <cstring>
#include <vector>

#include "embedding/embedding_table.h"
#include "gtest/gtest.h"

namespace foryou::embedding {
namespace {

#ifdef FORYOU_SANITIZED
constexpr uint64_t kKeys = 1'000'000;  // sanitizers are ~5-10x slower
#else
constexpr uint64_t kKeys = 4'000'000;
#endif
constexpr uint32_t kDim = 2;

// Two floats that together encode all 64 bits of the key.
void Encode(FeatureId k, float* out) {
  const uint32_t lo = static_cast<uint32_t>(k), hi = static_cast<uint32_t>(k >> 32);
  std::memcpy(&out[0], &lo, 4);
  std::memcpy(&out[1], &hi, 4);
}

std::vector<FeatureId> AdversarialKeys() {
  std::vector<FeatureId> keys;
  keys.reserve(kKeys);
  uint64_t x = 0x1234567;
  while (keys.size() < kKeys) {
    const uint64_t i = keys.size();
    switch (i % 4) {
      case 0: keys.push_back(MakeFeatureId(1, i)); break;                  // dense
      case 1: keys.push_back(MakeFeatureId(2, i - 1)); break;              // same hash, other slot
      case 2: keys.push_back(MakeFeatureId(1, ((i / 4) << 28) | 0xabcdu)); break;  // equal low 28 bits
      default:
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        keys.push_back(MakeFeatureId(2, (x & ((uint64_t{1} << 47) - 1)) | (uint64_t{1} << 47)));
    }
  }
  return keys;
}

TableConfig Config(OptimizerKind opt) {
  TableConfig c;
  for (uint32_t slot : {1u, 2u}) {
    SlotConfig s;
    s.slot = slot;
    s.dim = kDim;
    s.optimizer = opt;
    c.slots.push_back(s);
  }
  return c;
}

TEST(CollisionlessTest, EveryDistinctKeyHasItsOwnRow) {
  auto table = EmbeddingTable::Create(Config(OptimizerKind::kNone)).value();
  const std::vector<FeatureId> keys = AdversarialKeys();
  // Write exact values through the delta path (no optimizer arithmetic in the way).
  const size_t kBatch = 1 << 16;
  for (size_t b = 0; b < keys.size(); b += kBatch) {
    TableDelta d;
    SlotDelta s1{.slot = 1, .dim = kDim, .optimizer = OptimizerKind::kNone};
    SlotDelta s2{.slot = 2, .dim = kDim, .optimizer = OptimizerKind::kNone};
    for (size_t i = b; i < std::min(keys.size(), b + kBatch); ++i) {
      SlotDelta& s = SlotOf(keys[i]) == 1 ? s1 : s2;
      s.keys.push_back(keys[i]);
      s.last_seen_s.push_back(1);
      s.counts.push_back(1);
      s.values.resize(s.values.size() + kDim);
      Encode(keys[i], &s.values[s.values.size() - kDim]);
    }
    d.slots = {std::move(s1), std::move(s2)};
    ASSERT_TRUE(table->ApplyDelta(d).ok());
  }
  ASSERT_EQ(table->Stats().rows, kKeys);
  std::vector<float> out(kBatch * kDim);
  size_t wrong = 0;
  for (size_t b = 0; b < keys.size(); b += kBatch) {
    const size_t n = std::min(keys.size() - b, kBatch);
    ASSERT_TRUE(table->Lookup(absl::MakeConstSpan(keys).subspan(b, n),
                              absl::MakeSpan(out).subspan(0, n * kDim))
                    .ok());
    for (size_t i = 0; i < n; ++i) {
      float expect[kDim];
      Encode(keys[b + i], expect);
      wrong += std::memcmp(expect, &out[i * kDim], sizeof(expect)) != 0;
    }
  }
  EXPECT_EQ(wrong, 0u);
}

TEST(CollisionlessTest, TrainingInsertsOneRowPerDistinctKey) {
  auto table = EmbeddingTable::Create(Config(OptimizerKind::kAdagrad)).value();
  std::vector<FeatureId> keys = AdversarialKeys();
  keys.resize(kKeys / 4);
  std::vector<float> g(keys.size() * kDim, 0.0f);
  ASSERT_TRUE(table->ApplyGradients(keys, g, 1000).ok());
  ASSERT_TRUE(table->ApplyGradients(keys, g, 2000).ok());
  EXPECT_EQ(table->Stats().rows, keys.size());
  for (size_t i = 0; i < keys.size(); i += 97) {
    uint32_t count, seen;
    ASSERT_TRUE(table->GetRowMeta(keys[i], &count, &seen));
    ASSERT_EQ(count, 2u) << i;
  }
}

}  // namespace
}  // namespace foryou::embedding
