#include "sim/world.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace foryou::sim {
namespace {

TEST(WorldTest, GenerateIsDeterministicAndWellFormed) {
  const WorldOptions o{.categories = 5, .creators = 20, .sounds = 30, .videos = 400};
  const World a = World::Generate(o, 7).value(), b = World::Generate(o, 7).value(),
              c = World::Generate(o, 8).value();
  ASSERT_EQ(a.videos().size(), 400u);
  int differ = 0, original = 0;
  for (size_t i = 0; i < a.videos().size(); ++i) {
    const SimVideo& v = a.videos()[i];
    EXPECT_EQ(v.id, b.videos()[i].id);
    EXPECT_EQ(v.quality, b.videos()[i].quality);
    differ += v.quality != c.videos()[i].quality;
    ASSERT_FALSE(v.hashtags.empty());
    EXPECT_EQ(v.hashtags[0], a.CategoryTag(v.category));
    EXPECT_GE(v.duration_ms, 8000u);
    EXPECT_EQ(a.VideoIndex(v.id), static_cast<int>(i));
    original += v.sound < 0;
  }
  EXPECT_GT(differ, 300);
  EXPECT_GT(original, 20);  // ~20% original sounds
  EXPECT_EQ(a.VideoIndex("v99999"), -1);
  EXPECT_EQ(a.VideoIndex("p0001"), -1);
  EXPECT_EQ(a.SoundId(-1), "");
}

TEST(WorldTest, TasteDrivesLikes) {
  const World w = World::Generate({.categories = 10, .videos = 2000}, 1).value();
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    const Taste t = w.RandomTaste(rng, {0, 1});
    ASSERT_GE(t.main.size(), 1u);
    ASSERT_LE(t.main.size(), 3u);
    for (int m : t.main) EXPECT_TRUE(m != 0 && m != 1);
    double in = 0, out = 0;
    int n_in = 0, n_out = 0;
    for (const SimVideo& v : w.videos()) {
      const bool main = std::find(t.main.begin(), t.main.end(), v.category) != t.main.end();
      (main ? in : out) += w.PLike(t, v);
      (main ? n_in : n_out) += 1;
      EXPECT_LE(w.PLike(t, v), w.PLongView(t, v));
    }
    EXPECT_GT(in / n_in, 4 * (out / n_out));
    const auto all = [](int) { return true; };
    const auto none = [](int) { return 0.0; };
    EXPECT_GT(w.Oracle(t, 10, all, none), 2 * w.RandomFeedRate(t, all, none));
    EXPECT_GE(w.Oracle(t, 1, all, none), w.Oracle(t, 10, all, none));
  }
}

TEST(WorldTest, ReactionsFollowTheProbabilities) {
  const World w = World::Generate({.categories = 4, .videos = 50}, 2).value();
  std::mt19937_64 rng(5);
  const Taste t = w.RandomTaste(rng, {});
  const SimVideo& v = w.videos()[0];
  int likes = 0, longs = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const Reaction r = w.React(t, v, 0.0, rng);
    likes += r.liked;
    longs += r.long_view;
    EXPECT_TRUE(!r.liked || r.long_view);
    EXPECT_TRUE(!r.quick_skip || r.watch_ms < 3000);
    EXPECT_TRUE(!r.completed || r.watch_ms >= v.duration_ms);
    EXPECT_TRUE(!r.shared || r.liked);
  }
  EXPECT_NEAR(static_cast<double>(likes) / n, w.PLike(t, v), 0.02);
  EXPECT_NEAR(static_cast<double>(longs) / n, w.PLongView(t, v), 0.02);
}

TEST(WorldTest, TheShippedCalibrationParsesAndShapesTheWorld) {
  absl::StatusOr<WorldCalibration> c = ParseWorldCalibration(DefaultWorldCalibrationJson());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->category_share.size(), 20u);
  ASSERT_GE(c->taste_profiles.size(), 100u);
  EXPECT_GT(c->popularity, 0);
  const WorldOptions o{.categories = 20, .videos = 3000, .calibration = *c};
  const World w = World::Generate(o, 1).value();
  // The catalog follows the real category shares: the largest category holds the most videos.
  std::vector<int> per(20);
  for (const SimVideo& v : w.videos()) ++per[v.category];
  const int largest = static_cast<int>(std::max_element(c->category_share.begin(),
                                                        c->category_share.end()) -
                                       c->category_share.begin());
  EXPECT_EQ(std::max_element(per.begin(), per.end()) - per.begin(), largest);
  // Tastes are real profiles: their main categories are the ones at 0.5 or more, and a taste
  // asked to avoid some categories has none of them among its main ones.
  std::mt19937_64 rng(9);
  for (int trial = 0; trial < 50; ++trial) {
    const Taste t = w.RandomTaste(rng, {largest});
    ASSERT_FALSE(t.main.empty());
    EXPECT_DOUBLE_EQ(t.category[t.main[0]], 1.0);
    for (int m : t.main) EXPECT_NE(m, largest);
  }
  // The crowd pulls: a video many have seen appeals more than the same video unseen.
  const SimVideo& v = w.videos()[0];
  EXPECT_GT(w.Appeal(v, 100, 0), w.Appeal(v, 0, 0));
  const Taste t = w.RandomTaste(rng, {});
  EXPECT_GT(w.PLike(t, v, w.Appeal(v, 100, 0)), w.PLike(t, v, w.Appeal(v, 0, 0)));
}

TEST(WorldTest, BadCalibrationsAreRefused) {
  for (const char* bad : {"[]", "{}", R"({"category_share": [1, 1], "taste_profiles": [[1]],
                                        "activity": [], "popularity": 0, "age_slope_per_day": 0})",
                          R"({"category_share": [1], "taste_profiles": [[1]], "activity": [-1],
                              "popularity": 0, "age_slope_per_day": 0})",
                          R"({"category_share": [1], "taste_profiles": [[1]], "activity": [1],
                              "popularity": "x", "age_slope_per_day": 0})",
                          R"({"category_share": [], "taste_profiles": [[]], "activity": [],
                              "popularity": 0, "age_slope_per_day": 0})",
                          R"({"category_share": [0, 0], "taste_profiles": [[1, 0]], "activity": [],
                              "popularity": 0, "age_slope_per_day": 0})",
                          R"({"category_share": [1, 1], "taste_profiles": [[0.2, 0.1]],
                              "activity": [], "popularity": 0, "age_slope_per_day": 0})",
                          R"({"category_share": [1], "taste_profiles": [[1]], "activity": [1e12],
                              "popularity": 0, "age_slope_per_day": 0})",
                          "not json"}) {
    EXPECT_EQ(ParseWorldCalibration(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  absl::StatusOr<WorldCalibration> c = ParseWorldCalibration(DefaultWorldCalibrationJson());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(World::Generate({.categories = 5, .calibration = *c}, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace foryou::sim
