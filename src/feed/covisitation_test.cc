#include "feed/covisitation.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>

namespace foryou::feed {
namespace {

// Video 0 co-visited with `partners` distinct videos once each (1..partners), and with video
// `partners + 1` every tenth time.
CoVisitation Traffic(size_t max_neighbours, uint32_t partners) {
  CoVisitation covis(max_neighbours);
  for (uint32_t v = 0; v < partners + 2; ++v) covis.AddVideo();
  for (uint32_t p = 1; p <= partners; ++p) {
    covis.AddLive(std::deque<uint32_t>{0}, p, /*window=*/1);
    if (p % 10 == 0) covis.AddLive(std::deque<uint32_t>{0}, partners + 1, 1);
  }
  return covis;
}

TEST(CoVisitationTest, NeighbourTablesStopGrowingOnceTheyHoldMaxNeighbours) {
  constexpr size_t kMax = 64;
  const CoVisitation some = Traffic(kMax, 1'000);
  const CoVisitation more = Traffic(kMax, 20'000);
  // The smallest table that holds 64 entries (capacity 127), not one that holds 2 x 64.
  EXPECT_LT(more.NeighboursOf(0).capacity(), 2 * kMax);
  EXPECT_EQ(more.NeighboursOf(0).capacity(), some.NeighboursOf(0).capacity());
  EXPECT_TRUE(more.NeighboursOf(0).contains(20'001));  // the frequent partner
}

TEST(CoVisitationTest, PruningKeepsTheStrongestAndTheHistoryPartners) {
  constexpr size_t kMax = 16;
  CoVisitation covis(kMax);
  for (uint32_t v = 0; v < 3'000; ++v) covis.AddVideo();
  covis.AddHistory({0, 2'999}, /*window=*/1);  // a history partner of video 0
  for (uint32_t p = 1; p < 2'000; ++p) {
    covis.AddLive(std::deque<uint32_t>{0}, p, 1);
    covis.AddLive(std::deque<uint32_t>{0}, 2'500, 1);  // the strongest live partner
  }
  const auto& n = covis.NeighboursOf(0);
  EXPECT_LT(n.size(), 4 * kMax);
  ASSERT_TRUE(n.contains(2'500));
  EXPECT_EQ(n.at(2'500).live, 1'999);
  ASSERT_TRUE(n.contains(2'999));
  EXPECT_EQ(n.at(2'999).history, 1);
  // The count of pairs matches the tables.
  size_t entries = 0;
  for (uint32_t v = 0; v < covis.size(); ++v) entries += covis.NeighboursOf(v).size();
  EXPECT_EQ(covis.pairs(), entries);
}

TEST(CoVisitationTest, ASlotTakesNineBytes) {
  // A video with 500 live partners: its table's estimated bytes over its capacity is one slot.
  const CoVisitation covis = Traffic(/*max_neighbours=*/512, 500);
  const size_t capacity = covis.NeighboursOf(0).capacity();
  size_t tables = 0;
  for (uint32_t v = 0; v < covis.size(); ++v) tables += covis.NeighboursOf(v).capacity();
  CoVisitation empty(512);  // the same videos without partners
  for (uint32_t v = 0; v < covis.size(); ++v) empty.AddVideo();
  ASSERT_GT(capacity, 500u);
  const double per_slot = static_cast<double>(covis.MemoryBytes() - empty.MemoryBytes()) / tables;
  EXPECT_LE(per_slot, 9.5) << "bytes a slot (two float counts made it 13)";
}

TEST(CoVisitationTest, CountsSaturateInsteadOfWrapping) {
  CoVisitation covis(16);
  for (uint32_t v = 0; v < 3; ++v) covis.AddVideo();
  for (int i = 0; i < 70'000; ++i) covis.AddLive(std::deque<uint32_t>{0}, 1, 1);
  covis.AddLive(std::deque<uint32_t>{0}, 2, 1);
  EXPECT_EQ(covis.NeighboursOf(0).at(1).live, CoVisitation::kMaxCount);
  EXPECT_EQ(covis.NeighboursOf(1).at(0).live, CoVisitation::kMaxCount);
  EXPECT_EQ(covis.NeighboursOf(0).at(2).live, 1);
}

}  // namespace
}  // namespace foryou::feed
