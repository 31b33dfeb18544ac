// The fresh-upload slot (fresh_slot.h): which testing upload is lifted onto the page.
#include "feed/fresh_slot.h"

#include <random>
#include <vector>

#include "feed/rules_testing.h"
#include "gtest/gtest.h"

namespace foryou::feed {
namespace {

// World's videos are uploaded at time 0: one second later they are in their test.
constexpr int64_t kNow = 1000;
constexpr uint32_t kFresh = 1u << static_cast<uint32_t>(Source::kFresh);

TEST(FreshSlotTest, LiftsATestingUploadOntoThePage) {
  World w;
  std::vector<Candidate> ranked;
  for (int i = 0; i < 20; ++i) ranked.push_back(w.Item(absl::StrCat("t", i)));
  ranked.push_back(w.Make({.creator = "new", .sources = kFresh, .score = -5}));
  EngagementStats engagement;
  std::mt19937_64 rng(7);
  PlaceFreshUpload(FreshPoolOptions{}, engagement, 10, kNow, rng, &ranked);
  int at = -1;
  for (int i = 0; i < 10; ++i) {
    if (ranked[i].video->creator == "new") at = i;
  }
  EXPECT_GE(at, 0) << "the testing upload is on the first page";
  EXPECT_GT(ranked[at].fresh_lift, 0);
}

TEST(FreshSlotTest, NeverLiftsAnUploadTheViewerSaidNotInterestedTo) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    World w;
    std::vector<Candidate> ranked;
    for (int i = 0; i < 20; ++i) ranked.push_back(w.Item(absl::StrCat("t", i)));
    Candidate hidden = w.Make({.creator = "muted", .sources = kFresh, .score = -5});
    hidden.penalty = 3;  // ApplyNotInterested: the viewer said "not interested" to its creator
    ranked.push_back(hidden);
    EngagementStats engagement;
    std::mt19937_64 rng(seed);
    PlaceFreshUpload(FreshPoolOptions{}, engagement, 10, kNow, rng, &ranked);
    for (int i = 0; i < 10; ++i) {
      EXPECT_NE(ranked[i].video->creator, "muted") << "seed " << seed << " position " << i;
    }
    EXPECT_EQ(ranked.back().fresh_lift, 0) << seed;
  }
}

}  // namespace
}  // namespace foryou::feed
