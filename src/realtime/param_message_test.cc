// Parameter messages (docs/formats/params.md): a sync encodes into parts that decode back to the
// same rows without their optimizer state, in order and within the part size; damage is refused.
#include "realtime/param_message.h"

#include "gtest/gtest.h"

namespace foryou::realtime {
namespace {

embedding::TableDelta AdagradDelta(uint32_t slot, size_t rows, size_t deleted) {
  embedding::SlotDelta s;
  s.slot = slot;
  s.dim = 4;
  s.optimizer = embedding::OptimizerKind::kAdagrad;
  for (size_t i = 0; i < rows; ++i) {
    s.keys.push_back(embedding::MakeFeatureId(slot, i + 1));
    s.last_seen_s.push_back(static_cast<uint32_t>(1000 + i));
    s.counts.push_back(static_cast<uint32_t>(i));
    for (uint32_t f = 0; f < s.row_floats(); ++f) {
      s.values.push_back(static_cast<float>(i * 10 + f));
    }
  }
  for (size_t i = 0; i < deleted; ++i) {
    s.deleted.push_back(embedding::MakeFeatureId(slot, 1u << 20 | i));
  }
  embedding::TableDelta d;
  d.slots.push_back(std::move(s));
  return d;
}

TEST(ParamMessageTest, SyncRoundTripsWithoutOptimizerState) {
  const embedding::TableDelta delta = AdagradDelta(3, 5, 2);
  const ParamSyncHeader header{400, 401, 0xABCDEF};
  const std::vector<std::string> parts = EncodeParamSync(delta, "dense-bytes", header, 1 << 20);
  ASSERT_EQ(parts.size(), 1u);
  absl::StatusOr<ParamMessage> m = DecodeParamMessage(parts[0]);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->last);
  EXPECT_EQ(m->part, 0u);
  EXPECT_EQ(m->header.events, 400u);
  EXPECT_EQ(m->header.ledger_events, 401u);
  EXPECT_EQ(m->header.ledger_checksum, 0xABCDEFu);
  EXPECT_EQ(m->dense, "dense-bytes");
  ASSERT_EQ(m->delta.slots.size(), 1u);
  const embedding::SlotDelta& s = m->delta.slots[0];
  EXPECT_EQ(s.optimizer, embedding::OptimizerKind::kNone);
  EXPECT_EQ(s.keys, delta.slots[0].keys);
  EXPECT_EQ(s.counts, delta.slots[0].counts);
  EXPECT_EQ(s.last_seen_s, delta.slots[0].last_seen_s);
  EXPECT_EQ(s.deleted, delta.slots[0].deleted);
  ASSERT_EQ(s.values.size(), 5u * 4);
  // Row 2's embedding: its first dim floats, without the adagrad accumulators after them.
  EXPECT_EQ(s.values[2 * 4 + 0], 20.0f);
  EXPECT_EQ(s.values[2 * 4 + 3], 23.0f);
}

TEST(ParamMessageTest, LargeSyncIsCutIntoPartsInOrder) {
  const embedding::TableDelta delta = AdagradDelta(5, 1000, 300);
  const std::vector<std::string> parts = EncodeParamSync(delta, std::string(10000, 'd'),
                                                         ParamSyncHeader{7, 7, 1}, 8192);
  ASSERT_GT(parts.size(), 5u);
  std::vector<embedding::FeatureId> keys, deleted;
  std::string dense;
  for (size_t i = 0; i < parts.size(); ++i) {
    // The dense blob alone is over the size: it is a part of its own.
    EXPECT_LE(parts[i].size(), i + 1 == parts.size() ? 10000u + 200 : 8192u);
    absl::StatusOr<ParamMessage> m = DecodeParamMessage(parts[i]);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->part, i);
    EXPECT_EQ(m->last, i + 1 == parts.size());
    EXPECT_EQ(m->header.events, 7u);
    for (const auto& s : m->delta.slots) {
      keys.insert(keys.end(), s.keys.begin(), s.keys.end());
      deleted.insert(deleted.end(), s.deleted.begin(), s.deleted.end());
    }
    dense += m->dense;
  }
  EXPECT_EQ(keys, delta.slots[0].keys);
  EXPECT_EQ(deleted, delta.slots[0].deleted);
  EXPECT_EQ(dense, std::string(10000, 'd'));
}

TEST(ParamMessageTest, EmptySyncIsOnePartThatMovesTheOffset) {
  const std::vector<std::string> parts =
      EncodeParamSync(embedding::TableDelta{}, "", ParamSyncHeader{9, 9, 2}, 8192);
  ASSERT_EQ(parts.size(), 1u);
  absl::StatusOr<ParamMessage> m = DecodeParamMessage(parts[0]);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->last);
  EXPECT_EQ(m->header.events, 9u);
  EXPECT_TRUE(m->delta.empty());
}

TEST(ParamMessageTest, DamageIsDataLoss) {
  const std::string part =
      EncodeParamSync(AdagradDelta(3, 3, 1), "d", ParamSyncHeader{1, 1, 1}, 1 << 20)[0];
  std::string flipped = part;
  flipped[40] ^= 1;
  EXPECT_TRUE(absl::IsDataLoss(DecodeParamMessage(flipped).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeParamMessage(part.substr(0, part.size() - 1)).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeParamMessage("").status()));
  // An event record is not a parameter message.
  EXPECT_TRUE(absl::IsDataLoss(DecodeParamMessage(std::string(100, 'x')).status()));
}

}  // namespace
}  // namespace foryou::realtime
