// WatchNext, one part at a time (counters, co-visitation, the sequence model, the item-item model,
// forgetting users) and the blend: Scores, Top and TopParts.
#include "feed/watch_next.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <string>
#include <vector>

namespace foryou::feed {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kNow = 1'000 * kHour;

// Only the named part of the score.
WatchNextOptions Only(float WatchNextOptions::*weight) {
  WatchNextOptions o;
  o.w_long_views_6h = o.w_long_views_24h = o.w_impressions_1h = 0;
  o.w_covis = o.w_history_covis = o.w_sequence = 0;
  o.*weight = 1;
  return o;
}

std::vector<float> ScoresOf(WatchNext& wn, const std::string& user, std::vector<uint64_t> keys,
                            int64_t now = kNow) {
  std::vector<float> s(keys.size());
  wn.Scores(user, keys, now, s.data());
  return s;
}

TEST(WatchNextTest, LongViewWindowsCountOnlyTheirHours) {
  WatchNext wn(Only(&WatchNextOptions::w_long_views_6h));
  // Video 1: 3 long views 2 h ago. Video 2: 10 long views 8 h ago (outside 6 h). Video 3: none.
  for (int i = 0; i < 3; ++i) wn.Observe("u", 1, kNow - 2 * kHour, WatchNext::kLongView);
  for (int i = 0; i < 10; ++i) wn.Observe("u", 2, kNow - 8 * kHour, WatchNext::kLongView);
  wn.Observe("u", 3, kNow - kHour, WatchNext::kImpression);
  const std::vector<float> s = ScoresOf(wn, "v", {1, 2, 3, 99});
  EXPECT_NEAR(s[0], std::log1p(3.0f), 1e-5);
  EXPECT_FLOAT_EQ(s[1], 0);
  EXPECT_FLOAT_EQ(s[2], 0);
  EXPECT_FLOAT_EQ(s[3], 0);  // unknown video
}

TEST(WatchNextTest, DayWindowForgetsOlderThanADay) {
  WatchNext wn(Only(&WatchNextOptions::w_long_views_24h));
  wn.Observe("u", 1, kNow - 30 * kHour, WatchNext::kLongView);
  wn.Observe("u", 2, kNow - 20 * kHour, WatchNext::kLongView);
  const std::vector<float> s = ScoresOf(wn, "v", {1, 2});
  EXPECT_FLOAT_EQ(s[0], 0);
  EXPECT_NEAR(s[1], std::log1p(1.0f), 1e-5);
}

TEST(WatchNextTest, ImpressionHourIsPartialForTheOldestBucket) {
  WatchNext wn(Only(&WatchNextOptions::w_impressions_1h));
  // 4 impressions in the hour bucket that ended 30 minutes ago: half of it is in the window.
  const int64_t now = kNow + kHour / 2;
  for (int i = 0; i < 4; ++i) wn.Observe("u", 1, kNow - kHour + 10, WatchNext::kImpression);
  const std::vector<float> s = ScoresOf(wn, "v", {1}, now);
  EXPECT_NEAR(s[0], std::log1p(2.0f), 1e-3);
}

TEST(WatchNextTest, LiveCoVisitationFollowsWhatOthersWatchedNext) {
  WatchNext wn(Only(&WatchNextOptions::w_covis));
  // Many users watch 10 then 11 to the end; others watch 20 then 21.
  for (int u = 0; u < 20; ++u) {
    const std::string user = absl::StrCat("a", u);
    wn.Observe(user, 10, kNow - 100, WatchNext::kLongView);
    wn.Observe(user, 11, kNow - 50, WatchNext::kLongView);
    const std::string other = absl::StrCat("b", u);
    wn.Observe(other, 20, kNow - 100, WatchNext::kLongView);
    wn.Observe(other, 21, kNow - 50, WatchNext::kLongView);
  }
  wn.Observe("me", 10, kNow - 10, WatchNext::kLongView);
  const std::vector<float> s = ScoresOf(wn, "me", {11, 21});
  EXPECT_GT(s[0], 0);
  EXPECT_FLOAT_EQ(s[1], 0);
  // A user with no history has no co-visitation score.
  EXPECT_FLOAT_EQ(ScoresOf(wn, "nobody", {11})[0], 0);
}

TEST(WatchNextTest, HistoryCoVisitationIsNormalisedByPopularity) {
  WatchNext wn(Only(&WatchNextOptions::w_history_covis));
  // 1 is watched next to 2 in 4 histories; 3 is watched next to 2 in 4 histories too, but 3 is
  // in 100 other histories as well: it is just popular.
  for (int u = 0; u < 4; ++u) {
    wn.AddHistory(absl::StrCat("h", u), std::vector<uint64_t>{2, 1});
    wn.AddHistory(absl::StrCat("k", u), std::vector<uint64_t>{2, 3});
  }
  for (int u = 0; u < 100; ++u) wn.AddHistory(absl::StrCat("p", u), std::vector<uint64_t>{3});
  wn.AddHistory("me", std::vector<uint64_t>{2});
  const std::vector<float> s = ScoresOf(wn, "me", {1, 3});
  EXPECT_GT(s[0], s[1]);
  EXPECT_GT(s[1], 0);
}

TEST(WatchNextTest, LivePairsPerVideoStayBounded) {
  WatchNextOptions o = Only(&WatchNextOptions::w_covis);
  o.max_neighbours = 4;
  WatchNext wn(o);
  // Video 1 is co-visited with 200 different videos once each, and with video 2 a hundred times.
  for (int i = 0; i < 200; ++i) {
    const std::string user = absl::StrCat("u", i);
    wn.Observe(user, 1, kNow, WatchNext::kLongView);
    wn.Observe(user, 1000 + static_cast<uint64_t>(i), kNow, WatchNext::kLongView);
    if (i % 2 == 0) wn.Observe(user, 2, kNow, WatchNext::kLongView);
  }
  // Unbounded, the pairs would be 2 x (200 + 100 + 1) = 602 entries; videos 1 and 2 keep at
  // most 2 x max_neighbours + 1 live-only entries each.
  EXPECT_LE(wn.stats().covis_pairs, 2u * 9 + 300);
  // The frequent partner survives pruning.
  wn.Observe("me", 1, kNow, WatchNext::kLongView);
  EXPECT_GT(ScoresOf(wn, "me", {2})[0], std::log1p(50.0f));
}

// Two groups of videos that users watch within their group: after pre-training, a user who
// watched group A gets group A ranked above group B by the sequence model alone.
TEST(WatchNextTest, SequenceModelLearnsWhatFollowsWhat) {
  WatchNextOptions o = Only(&WatchNextOptions::w_sequence);
  o.pretrain_epochs = 8;
  o.pretrain_batch = 64;
  o.pretrain_negatives = 32;
  o.learning_rate = 0.02f;
  WatchNext wn(o);
  std::mt19937_64 rng(3);
  for (int u = 0; u < 400; ++u) {
    const uint64_t base = u % 2 == 0 ? 100 : 200;  // group A: 100..109, group B: 200..209
    std::vector<uint64_t> seq;
    for (int i = 0; i < 12; ++i) seq.push_back(base + rng() % 10);
    wn.AddHistory(absl::StrCat("u", u), seq);
  }
  const double loss = wn.Pretrain();
  EXPECT_GT(loss, 0);
  // Guessing would give log(~92): 96 columns (64 targets + 32 negatives) minus the ~4 that
  // repeat the example's own target.
  EXPECT_LT(loss, 4.2);
  for (uint64_t v : {101, 103, 105}) wn.Observe("fan_a", v, kNow, WatchNext::kLongView);
  for (uint64_t v : {202, 204, 206}) wn.Observe("fan_b", v, kNow, WatchNext::kLongView);
  std::vector<uint64_t> keys;
  for (uint64_t v = 100; v < 110; ++v) keys.push_back(v);
  for (uint64_t v = 200; v < 210; ++v) keys.push_back(v);
  const std::vector<float> a = ScoresOf(wn, "fan_a", keys), b = ScoresOf(wn, "fan_b", keys);
  float a_in = 0, a_out = 0, b_in = 0, b_out = 0;
  for (size_t i = 0; i < 10; ++i) {
    a_in += a[i], a_out += a[10 + i];
    b_in += b[10 + i], b_out += b[i];
  }
  EXPECT_GT(a_in, a_out + 5);
  EXPECT_GT(b_in, b_out + 5);
  EXPECT_GT(wn.stats().train_steps, 0u);
}

TEST(WatchNextTest, OnlineTrainingRunsEveryBatch) {
  WatchNextOptions o;
  o.batch = 8;
  o.negatives = 4;
  WatchNext wn(o);
  for (int i = 0; i < 40; ++i) wn.Observe(absl::StrCat("u", i % 5), 1 + i % 7, kNow, WatchNext::kLongView);
  EXPECT_EQ(wn.stats().train_steps, 5u);
  EXPECT_EQ(wn.stats().examples, 40u);
  EXPECT_EQ(wn.stats().users, 5u);
  EXPECT_EQ(wn.stats().videos, 7u);
  // By default impressions are counted but not learnt from, and a like right after a long view
  // of the same video is not a second example.
  for (int i = 0; i < 16; ++i) wn.Observe("u0", 100 + i, kNow, WatchNext::kImpression);
  wn.Observe("u9", 1, kNow, WatchNext::kLongView);
  wn.Observe("u9", 1, kNow, WatchNext::kPositive);
  wn.Observe("u9", 2, kNow, WatchNext::kPositive);
  EXPECT_EQ(wn.stats().train_steps, 5u);
  EXPECT_EQ(wn.stats().videos, 23u);
  wn.Observe("u9", 3, kNow, WatchNext::kPositive);
  wn.Observe("u9", 4, kNow, WatchNext::kPositive);
  wn.Observe("u9", 5, kNow, WatchNext::kPositive);
  wn.Observe("u9", 6, kNow, WatchNext::kPositive);
  wn.Observe("u9", 7, kNow, WatchNext::kPositive);
  EXPECT_EQ(wn.stats().train_steps, 5u);  // 7 examples pending
  wn.Observe("u9", 8, kNow, WatchNext::kPositive);
  EXPECT_EQ(wn.stats().train_steps, 6u);
  EXPECT_EQ(wn.stats().examples, 48u);
}

TEST(WatchNextTest, LearningFromImpressionsTrainsOnWhatWasShown) {
  WatchNextOptions o = Only(&WatchNextOptions::w_covis);
  o.learn_from_impressions = true;
  o.batch = 4;
  o.negatives = 4;
  WatchNext wn(o);
  for (int u = 0; u < 5; ++u) {
    wn.Observe(absl::StrCat("u", u), 10, kNow, WatchNext::kImpression);
    wn.Observe(absl::StrCat("u", u), 11, kNow, WatchNext::kImpression);
    wn.Observe(absl::StrCat("u", u), 11, kNow, WatchNext::kLongView);  // not an example here
  }
  EXPECT_EQ(wn.stats().examples, 8u);  // 2 steps of 4; 2 pending
  wn.Observe("me", 10, kNow, WatchNext::kImpression);
  EXPECT_GT(ScoresOf(wn, "me", {11})[0], 0);
}

TEST(WatchNextTest, TopIsBestFirstAndSkips) {
  WatchNext wn(Only(&WatchNextOptions::w_long_views_6h));
  for (uint64_t v = 1; v <= 5; ++v) {
    for (uint64_t i = 0; i < v; ++i) wn.Observe("u", v, kNow - kHour, WatchNext::kLongView);
  }
  EXPECT_EQ(wn.Top("x", 3, kNow, [](uint64_t) { return false; }), (std::vector<uint64_t>{5, 4, 3}));
  EXPECT_EQ(wn.Top("x", 3, kNow, [](uint64_t k) { return k == 4; }), (std::vector<uint64_t>{5, 3, 2}));
  EXPECT_EQ(wn.Top("x", 10, kNow, [](uint64_t) { return false; }).size(), 5u);
}

// Skips that eat the whole shortlist (2n + 16 videos) send Top through the rest of the
// catalog; it must still give the best unskipped videos, best first, ties by first seen.
TEST(WatchNextTest, TopPastTheShortlistIsStillBestFirst) {
  WatchNext wn(Only(&WatchNextOptions::w_long_views_6h));
  constexpr uint64_t kVideos = 300;
  for (uint64_t v = 1; v <= kVideos; ++v) {
    for (uint64_t i = 0; i < v % 97; ++i) wn.Observe("u", v, kNow - kHour, WatchNext::kLongView);
  }
  // The expected order: by long views (v % 97) descending, then by index (first observed).
  std::vector<uint64_t> best(kVideos);
  for (uint64_t v = 1; v <= kVideos; ++v) best[v - 1] = v;
  std::stable_sort(best.begin(), best.end(),
                   [](uint64_t a, uint64_t b) { return a % 97 > b % 97; });
  for (const size_t n : {size_t{3}, size_t{10}, size_t{40}}) {
    auto skip = [](uint64_t k) { return k % 5 != 0; };  // four in five skipped
    std::vector<uint64_t> want;
    for (uint64_t v : best) {
      if (want.size() < n && !skip(v)) want.push_back(v);
    }
    EXPECT_EQ(wn.Top("x", n, kNow, skip), want) << n;
  }
  EXPECT_EQ(wn.Top("x", 5, kNow, [](uint64_t k) { return k != 7; }), (std::vector<uint64_t>{7}));
}

WatchNextOptions ItemItemOnly(bool background) {
  WatchNextOptions o = Only(&WatchNextOptions::w_item_item);
  o.item_item.lambda = 1;
  o.item_item.min_users = 1;
  o.item_item_refit_ms = kHour;
  o.item_item_background = background;
  o.learn_from_impressions = true;
  o.pretrain_epochs = 0;
  return o;
}

TEST(WatchNextTest, ItemItemModelFitsAfterPretrainAndScoresPartners) {
  WatchNext wn(ItemItemOnly(false));
  // 1 goes with 2; 3 goes with 4; "me" watched 1.
  for (int u = 0; u < 6; ++u) {
    wn.AddHistory(absl::StrCat("a", u), std::vector<uint64_t>{1, 2});
    wn.AddHistory(absl::StrCat("b", u), std::vector<uint64_t>{3, 4});
  }
  wn.AddHistory("me", std::vector<uint64_t>{1});
  EXPECT_EQ(ScoresOf(wn, "me", {2, 4}), (std::vector<float>{0, 0}));  // not fitted yet
  wn.Pretrain();
  EXPECT_EQ(wn.stats().item_item_fits, 1u);
  EXPECT_EQ(wn.stats().item_item_videos, 4u);
  const std::vector<float> s = ScoresOf(wn, "me", {2, 4});
  EXPECT_GT(s[0], 0.1f);
  EXPECT_LE(s[1], 1e-6f);
}

TEST(WatchNextTest, ItemItemModelRefitsEachPeriodFromLiveEvents) {
  for (bool background : {false, true}) {
    WatchNext wn(ItemItemOnly(background));
    // Within one hour: users watch 5 then 6. No fit yet (the first period only starts).
    for (int u = 0; u < 6; ++u) {
      wn.Observe(absl::StrCat("u", u), 5, kNow + u, WatchNext::kImpression);
      wn.Observe(absl::StrCat("u", u), 6, kNow + u, WatchNext::kImpression);
    }
    wn.Observe("me", 5, kNow + 10, WatchNext::kImpression);
    EXPECT_EQ(wn.stats().item_item_fits, 0u);
    // The next hour's first event starts a fit.
    wn.Observe("other", 7, kNow + kHour, WatchNext::kImpression);
    wn.WaitForItemItemFit();  // background: the fit this event started
    ASSERT_EQ(wn.stats().item_item_fits, 1u) << background;
    EXPECT_GT(ScoresOf(wn, "me", {6}, kNow + kHour)[0], 0.1f) << background;
    // Later events in the same hour do not refit.
    wn.Observe("other", 8, kNow + kHour + 5, WatchNext::kImpression);
    EXPECT_EQ(wn.stats().item_item_fits, 1u);
  }
}

TEST(WatchNextTest, ItemItemModelFitsWhenTheDataDoubles) {
  WatchNextOptions o = ItemItemOnly(false);
  o.item_item_refit_ms = 1000 * kHour;  // no period boundary in this test
  o.item_item_growth_fit = 20;
  WatchNext wn(o);
  // Pairs (v, v + 1): each user adds two distinct (user, video) pairs.
  auto add_users = [&](int from, int to) {
    for (int u = from; u < to; ++u) {
      const uint64_t v = 100 + 2 * static_cast<uint64_t>(u % 3);
      wn.Observe(absl::StrCat("u", u), v, kNow + u, WatchNext::kImpression);
      wn.Observe(absl::StrCat("u", u), v + 1, kNow + u, WatchNext::kImpression);
    }
  };
  add_users(0, 9);  // 18 pairs: below the first threshold
  EXPECT_EQ(wn.stats().item_item_fits, 0u);
  add_users(9, 10);  // 20: the first fit
  EXPECT_EQ(wn.stats().item_item_fits, 1u);
  add_users(10, 19);  // 38: not doubled yet
  EXPECT_EQ(wn.stats().item_item_fits, 1u);
  add_users(19, 20);  // 40: doubled
  EXPECT_EQ(wn.stats().item_item_fits, 2u);
  wn.Observe("me", 100, kNow + 50, WatchNext::kImpression);
  EXPECT_GT(ScoresOf(wn, "me", {101}, kNow + 50)[0], 0.1f);

  o.item_item_growth_fit = 0;  // off: only the periods
  WatchNext periods_only(o);
  for (int u = 0; u < 40; ++u) {
    periods_only.Observe(absl::StrCat("u", u), 100 + static_cast<uint64_t>(u), kNow, WatchNext::kImpression);
    periods_only.Observe(absl::StrCat("u", u), 200, kNow, WatchNext::kImpression);
  }
  EXPECT_EQ(periods_only.stats().item_item_fits, 0u);
}

TEST(WatchNextTest, ForgetsTheLeastRecentlyActiveUsersPastMaxUsers) {
  for (bool embedding : {false, true}) {
    WatchNextOptions o = Only(&WatchNextOptions::w_covis);
    o.learn_from_impressions = true;
    o.user_embedding = embedding;
    o.max_users = 16;
    o.batch = 4;  // training steps run (and see the recycled rows) while users come and go
    o.negatives = 4;
    WatchNext wn(o);
    // "old" watched 1 then 2, long ago; 16 users then arrive, one a minute.
    wn.Observe("old", 1, kNow - kHour, WatchNext::kImpression);
    wn.Observe("old", 2, kNow - kHour, WatchNext::kImpression);
    for (int u = 0; u < 15; ++u) {
      wn.Observe(absl::StrCat("u", u), 10 + static_cast<uint64_t>(u), kNow + u * 60'000, WatchNext::kImpression);
    }
    EXPECT_EQ(wn.stats().users, 16u);
    EXPECT_EQ(wn.stats().users_forgotten, 0u);
    EXPECT_GT(ScoresOf(wn, "old", {1, 2})[0] + ScoresOf(wn, "old", {1, 2})[1], 0.0f);  // knows "old"
    // The 17th user: the least recent eighth (2 of 16: "old" and u0) is forgotten.
    wn.Observe("new", 99, kNow + kHour, WatchNext::kImpression);
    EXPECT_EQ(wn.stats().users, 15u) << embedding;
    EXPECT_EQ(wn.stats().users_forgotten, 2u) << embedding;
    // "old" scores as a new user: no recent videos, so no co-visitation with 1's partner 2.
    EXPECT_EQ(ScoresOf(wn, "old", {2})[0], 0.0f) << embedding;
    // The rest are kept, and events keep flowing (recycled embedding rows included).
    for (int u = 0; u < 40; ++u) {
      wn.Observe(absl::StrCat("w", u), 200 + static_cast<uint64_t>(u % 5), kNow + 2 * kHour + u,
                 WatchNext::kImpression);
    }
    EXPECT_LE(wn.stats().users, 16u);
    EXPECT_GT(wn.stats().train_steps, 0u);
  }
}

TEST(WatchNextTest, TopPartsAddUpToTheScoreAndIncludeTheTarget) {
  WatchNextOptions o;  // every part weighted (defaults), item-item too
  o.w_item_item = 2;
  o.item_item.lambda = 1;
  o.item_item.min_users = 1;
  o.learn_from_impressions = true;
  o.pretrain_epochs = 1;
  WatchNext wn(o);
  for (int u = 0; u < 6; ++u) {
    wn.AddHistory(absl::StrCat("a", u), std::vector<uint64_t>{1, 2, 3});
    wn.AddHistory(absl::StrCat("b", u), std::vector<uint64_t>{4, 5});
  }
  wn.Pretrain();
  for (int u = 0; u < 5; ++u) {
    wn.Observe(absl::StrCat("c", u), 2, kNow - kHour, WatchNext::kImpression);
    wn.Observe(absl::StrCat("c", u), 2, kNow - 10, WatchNext::kLongView);
    wn.Observe(absl::StrCat("c", u), 6, kNow - 5, WatchNext::kImpression);
  }
  wn.Observe("me", 1, kNow - 1, WatchNext::kImpression);
  const std::vector<WatchNext::Parts> parts =
      wn.TopParts("me", 3, kNow, [](uint64_t key) { return key == 1; }, /*also=*/5);
  ASSERT_EQ(parts.size(), 4u);  // the best 3 (not 1), then 5
  EXPECT_EQ(parts.back().key, 5u);
  const std::vector<uint64_t> top = wn.Top("me", 3, kNow, [](uint64_t key) { return key == 1; });
  for (size_t i = 0; i < parts.size(); ++i) {
    const WatchNext::Parts& p = parts[i];
    if (i < 3) {
      EXPECT_EQ(p.key, top[i]);
      if (i > 0) {
        EXPECT_GE(parts[i - 1].score, p.score);
      }
    }
    const float blended = o.w_long_views_6h * p.long_views_6h + o.w_long_views_24h * p.long_views_24h +
                          o.w_impressions_1h * p.impressions_1h + o.w_sequence * p.sequence +
                          o.w_covis * p.covis + o.w_history_covis * p.history_covis +
                          o.w_item_item * p.item_item;
    EXPECT_NEAR(blended, p.score, 1e-3f) << "video " << p.key;
  }
  // 2 is 1's partner in the histories and was watched in the last hour: its parts show it.
  const auto two = std::find_if(parts.begin(), parts.end(), [](const auto& p) { return p.key == 2; });
  ASSERT_NE(two, parts.end());
  EXPECT_GT(two->history_covis, 0);
  EXPECT_GT(two->item_item, 0);
  EXPECT_NEAR(two->long_views_6h, std::log1p(5.0f), 1e-4f);
  // An unknown `also` adds nothing; disabled, nothing at all.
  EXPECT_EQ(wn.TopParts("me", 2, kNow, [](uint64_t) { return false; }, 999).size(), 2u);
  WatchNextOptions off;
  off.enabled = false;
  WatchNext disabled(off);
  EXPECT_TRUE(disabled.TopParts("me", 2, kNow, [](uint64_t) { return false; }, 1).empty());
}

TEST(WatchNextTest, DisabledDoesNothing) {
  WatchNextOptions o;
  o.enabled = false;
  WatchNext wn(o);
  wn.AddHistory("u", std::vector<uint64_t>{1, 2, 3});
  wn.Observe("u", 1, kNow, WatchNext::kLongView);
  EXPECT_EQ(wn.Pretrain(), 0);
  EXPECT_EQ(ScoresOf(wn, "u", {1, 2}), (std::vector<float>{0, 0}));
  EXPECT_EQ(wn.stats().videos, 0u);
}

}  // namespace
}  // namespace foryou::feed
