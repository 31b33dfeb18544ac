// Targeting matches and lookalike audiences.
#include "ads/targeting.h"

#include <vector>

#include "gtest/gtest.h"

namespace foryou::ads {
namespace {

ViewerProfile Viewer() {
  ViewerProfile v;
  v.user = "u1";
  v.country = "US";
  v.language = "en";
  v.age_band = "18-24";
  v.device = "ios";
  v.interests = {"dance", "#spring"};
  v.audiences = {"newsletter"};
  return v;
}

TEST(AdsTargetingTest, IncludeListsAndExclusions) {
  Targeting t;
  EXPECT_TRUE(Matches(t, Viewer()));
  t.countries = {"GB", "US"};
  t.interests = {"cooking", "#spring"};
  EXPECT_TRUE(Matches(t, Viewer()));
  t.countries = {"GB"};
  EXPECT_FALSE(Matches(t, Viewer()));
  t.countries = {};
  t.interests = {"cooking"};
  EXPECT_FALSE(Matches(t, Viewer()));
  t.interests = {};
  t.audiences = {"newsletter"};
  EXPECT_TRUE(Matches(t, Viewer()));
  t.excluded_interests = {"dance"};
  EXPECT_FALSE(Matches(t, Viewer()));
  t.excluded_interests = {};
  t.excluded_audiences = {"newsletter"};
  EXPECT_FALSE(Matches(t, Viewer()));
}

TEST(AdsTargetingTest, UnknownGenderMatchesNoGenderList) {
  Targeting t;
  t.genders = {"female"};
  ViewerProfile v = Viewer();
  EXPECT_FALSE(Matches(t, v));
  v.gender = "female";
  EXPECT_TRUE(Matches(t, v));
  t.devices = {"android"};
  EXPECT_FALSE(Matches(t, v));
}

TEST(AdsTargetingTest, LookalikeIsNearestToTheSeeds) {
  // Seeds point along x; "near" is close to x, "far" along y, "opposite" along -x.
  const std::vector<std::string> users = {"seed1", "seed2", "far", "near", "opposite", "mid"};
  const std::vector<float> vectors = {1, 0,  2, 0.2f,  0, 1,  5, 0.5f,  -1, 0,  1, 1};
  absl::StatusOr<std::vector<std::string>> got =
      Lookalike(users, vectors, 2, std::vector<std::string>{"seed1", "seed2"}, 3);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, (std::vector<std::string>{"near", "mid", "far"}));
  // Asked to, the seeds rank among the others.
  const std::vector<std::string> three = {"a", "b", "c"};
  const std::vector<float> planar = {1, 0,  0.8f, 0.6f,  0, 1};
  const std::vector<std::string> seed_a = {"a"};
  EXPECT_EQ(*Lookalike(three, planar, 2, seed_a, 2), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(*Lookalike(three, planar, 2, seed_a, 2, /*include_seeds=*/true),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Lookalike(users, vectors, 3, std::vector<std::string>{"seed1"}, 3).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Lookalike(users, vectors, 2, std::vector<std::string>{"nobody"}, 3).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Lookalike(users, vectors, 2, {}, 3).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace foryou::ads
