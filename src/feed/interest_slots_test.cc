// The interest slots of a new user's page: which candidates are lifted, by how much, and which
// are not (interest_slots.h).
#include "feed/interest_slots.h"

#include <string>
#include <vector>

#include "feed/rules_testing.h"
#include "gtest/gtest.h"

namespace foryou::feed {
namespace {

constexpr uint32_t kHashtag = 1u << static_cast<uint32_t>(Source::kSameHashtag);

TEST(InterestSlotsTest, LiftsTheBestInterestCandidatesAboveTheRestInTheirOrder) {
  World w;
  std::vector<Candidate> ranked;
  for (int i = 0; i < 10; ++i) ranked.push_back(w.Item(absl::StrCat("t", i), "", "pets"));
  for (int i = 0; i < 10; ++i) {
    ranked.push_back(w.Make({.creator = absl::StrCat("i", i),
                             .category = "pets",
                             .sources = kHashtag,
                             .score = 5.0f - i,
                             .more_hashtags = {"cats"}}));
  }
  const std::vector<Candidate> before = ranked;
  PlaceInterests({"cats"}, 10, RuleOptions{}, &ranked);
  // ceil(10 x 0.7) = 7 lifted, first, in their order; then the rest as they were.
  const std::vector<std::string> ids = Ids(ranked);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(ids[i], before[10 + i].video->id) << i;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(ids[7 + i], before[i].video->id) << i;
  for (int i = 0; i < 7; ++i) {
    EXPECT_GT(ranked[i].score, before[0].score);
    EXPECT_GT(ranked[i].interest_lift, 0);
    EXPECT_FLOAT_EQ(ranked[i].score, ranked[i].value + ranked[i].interest_lift);
  }
  for (size_t i = 7; i < ranked.size(); ++i) EXPECT_EQ(ranked[i].interest_lift, 0) << i;
}

TEST(InterestSlotsTest, SkipsOtherSourcesPenaltiesAndCreatorsBeyondTheSpacing) {
  World w;
  std::vector<Candidate> ranked = {w.Item("t0"), w.Item("t1")};
  for (int i = 0; i < 5; ++i) {
    ranked.push_back(
        w.Make({.creator = "a", .sources = kHashtag, .score = 1, .more_hashtags = {"cats"}}));
  }
  Candidate penalised =
      w.Make({.creator = "b", .sources = kHashtag, .score = 1, .more_hashtags = {"cats"}});
  penalised.penalty = 2;
  ranked.push_back(penalised);
  ranked.push_back(w.Make({.creator = "c", .score = 1, .more_hashtags = {"cats"}}));  // trending
  ranked.push_back(
      w.Make({.creator = "d", .sources = kHashtag, .score = 1, .more_hashtags = {"dogs"}}));
  PlaceInterests({"cats"}, 10, RuleOptions{}, &ranked);
  // Creator spacing 5 lets "a" twice on a page of 10: two lifted, nothing else.
  EXPECT_EQ(Creators(ranked).substr(0, 6), "aat0t1");
  int lifted = 0;
  for (const Candidate& c : ranked) lifted += c.interest_lift > 0;
  EXPECT_EQ(lifted, 2);
}

TEST(InterestSlotsTest, NoInterestsOrNoMatchChangesNothing) {
  World w;
  std::vector<Candidate> ranked = {
      w.Item("t0"), w.Make({.creator = "a", .sources = kHashtag, .more_hashtags = {"cats"}})};
  const std::vector<std::string> before = Ids(ranked);
  PlaceInterests({}, 10, RuleOptions{}, &ranked);
  PlaceInterests({"dogs"}, 10, RuleOptions{}, &ranked);
  EXPECT_EQ(Ids(ranked), before);
  for (const Candidate& c : ranked) EXPECT_EQ(c.interest_lift, 0);
}

}  // namespace
}  // namespace foryou::feed
