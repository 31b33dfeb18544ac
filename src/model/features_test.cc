// FeatureExtractor: no label of a batch reaches its own features (only Observe turns labels into
// history), behaviour sequences, warm-start history, hash-bucket folding, running rates, and
// robustness to ids the catalog does not know.
#include "model/features.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "embedding/feature_id.h"
#include "gtest/gtest.h"
#include "model/model_config.h"

namespace foryou::model {
namespace {

using embedding::FeatureId;
using embedding::HashFeature;
using Labels = std::array<float, kNumTasks>;

constexpr uint32_t kSeqLongViewVideo = 70, kSeqLikeVideo = 74, kSeqSkipAuthor = 79;
constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kT0 = int64_t{1'700'000'000} * 1000;

constexpr char kConfig[] = R"json({
  "dim": 4,
  "sequence_length": 3,
  "profile_fields": ["active_degree", "f1", "f2", "f3", "f4", "f5", "f6",
                     "onehot0", "onehot1", "onehot2", "onehot3"],
  "features": [
    "video_id", "author_id", "music_id", "tag", "duration_bucket", "age_bucket", "user_id",
    "user.active_degree", "user.onehot3", "hour", "tab",
    "user_x_author",
    "seq.long_view.video", "seq.like.video", "seq.skip.author",
    "dense.video_rates", "dense.user_author", "dense.video_prior", "dense.session"
  ]
})json";

// Dense layout of kConfig: video rates (9), user-author rates (9), video prior (3), session (8).
constexpr int kVideoRates = 0, kUserAuthor = 1 + kNumTasks, kVideoPrior = 2 * (1 + kNumTasks),
              kSession = kVideoPrior + 3;

ModelConfig Config(std::string_view json = kConfig) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(json);
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

// Videos 101..110: authors 1001 (odd ids) / 1002 (even ids), sounds and tags per id.
// Users 1, 2, 3 with profile values.
std::shared_ptr<Catalog> MakeCatalog() {
  auto catalog = std::make_shared<Catalog>();
  for (uint64_t v = 101; v <= 110; ++v) {
    VideoInfo& info = catalog->videos[v];
    info.author_id = v % 2 == 1 ? 1001 : 1002;
    info.music_id = 2000 + v % 3;
    info.tag = 3000 + v % 4;
    info.video_type = 1;
    info.upload_type = 2;
    info.upload_day = 19600 - static_cast<int32_t>(v - 100);
    info.duration_ms = static_cast<uint32_t>(5000 * (v - 100));
  }
  for (uint64_t u = 1; u <= 3; ++u) {
    UserInfo& info = catalog->users[u];
    info.profile[0] = ValueId(u == 1 ? "high_active" : "middle_active");
    info.profile[7 + 3] = ValueId(std::to_string(u));
  }
  return catalog;
}

Impression Imp(uint64_t user, uint64_t video, int64_t time_ms, Labels labels = {}) {
  Impression imp;
  imp.user_id = user;
  imp.video_id = video;
  imp.time_ms = time_ms;
  imp.day = 19600;
  imp.hour = static_cast<uint8_t>((time_ms / kHourMs) % 24);
  imp.weekday = 3;
  imp.tab = 1;
  imp.labels = labels;
  return imp;
}

Labels L(float click, float long_view, float like, float watch_ratio = 0.5f) {
  Labels l{};
  l[kClick] = click;
  l[kLongView] = long_view;
  l[kLike] = like;
  l[kWatchRatio] = watch_ratio;
  return l;
}

// Every label changed: 0/1 flipped, watch ratio mirrored.
std::vector<Impression> FlipLabels(std::vector<Impression> batch) {
  for (Impression& imp : batch) {
    for (int t = 0; t < kNumTasks; ++t) {
      imp.labels[t] = t == kWatchRatio ? 1.0f - imp.labels[t] * 0.9f : 1.0f - imp.labels[t];
    }
  }
  return batch;
}

int FieldIndex(const FeatureExtractor& fx, std::string_view name) {
  const std::vector<std::string> names = fx.field_names();
  const auto it = std::find(names.begin(), names.end(), name);
  EXPECT_NE(it, names.end()) << name;
  return static_cast<int>(it - names.begin());
}

std::vector<FeatureId> FieldKeys(const FeatureBatch& fb, int example, int field) {
  const auto span = fb.Field(example, field);
  return {span.begin(), span.end()};
}

float Dense(const FeatureBatch& fb, int example, int offset) {
  return fb.dense[static_cast<size_t>(example) * fb.dense_width + offset];
}

void ExpectSameFeatures(const FeatureBatch& a, const FeatureBatch& b) {
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.fields, b.fields);
  EXPECT_EQ(a.dense_width, b.dense_width);
  EXPECT_EQ(a.keys, b.keys);
  EXPECT_EQ(a.field_begin, b.field_begin);
  EXPECT_EQ(a.dense, b.dense);  // bit-identical
  EXPECT_EQ(a.max_time_ms, b.max_time_ms);
}

// Checks the invariants of any extracted batch.
void ExpectWellFormed(const FeatureExtractor& fx, const FeatureBatch& fb, size_t n) {
  ASSERT_EQ(fb.size, static_cast<int>(n));
  ASSERT_EQ(fb.fields, fx.fields());
  ASSERT_EQ(fb.dense_width, fx.dense_width());
  ASSERT_EQ(fb.field_begin.size(), n * fb.fields + 1);
  EXPECT_EQ(fb.field_begin.front(), 0u);
  EXPECT_EQ(fb.field_begin.back(), fb.keys.size());
  EXPECT_TRUE(std::is_sorted(fb.field_begin.begin(), fb.field_begin.end()));
  EXPECT_EQ(fb.dense.size(), n * fb.dense_width);
  for (float v : fb.dense) EXPECT_TRUE(std::isfinite(v));
}

// A history for users 1 and 2 so that sequences and counters are not empty.
std::vector<Impression> Warmup() {
  std::vector<Impression> w;
  for (int i = 0; i < 6; ++i) {
    const uint64_t v = 101 + i;
    w.push_back(Imp(1, v, kT0 + i * 1000, L(1, i % 2, i % 3 == 0, 0.9f)));
    w.push_back(Imp(2, v + 2, kT0 + i * 1000 + 500, L(i % 2, 0, 0, 0.2f)));
  }
  return w;
}

std::vector<Impression> Batch(int64_t t) {
  return {Imp(1, 101, t, L(1, 1, 1, 1.0f)), Imp(1, 104, t + 10, L(0, 0, 0, 0.1f)),
          Imp(2, 101, t + 20, L(1, 0, 1, 0.4f)), Imp(2, 107, t + 30, L(0, 1, 0, 0.7f)),
          Imp(3, 102, t + 40, L(1, 1, 0, 0.8f)), Imp(1, 109, t + 50, L(0, 0, 1, 0.0f))};
}

TEST(FeaturesTest, LabelsOfABatchNeverReachItsFeatures) {
  FeatureExtractor fx(Config(), MakeCatalog());
  fx.Observe(Warmup());
  const std::vector<Impression> batch = Batch(kT0 + 10 * kHourMs);
  const std::vector<Impression> flipped = FlipLabels(batch);
  ASSERT_NE(batch[0].labels, flipped[0].labels);

  FeatureBatch a, b;
  fx.Extract(batch, &a);
  fx.Extract(flipped, &b);
  ExpectWellFormed(fx, a, batch.size());
  ExpectSameFeatures(a, b);

  // The comparison can see labels: once a batch is observed, its labels are history, and the
  // same impressions extracted again (same times) get different sequences and rates.
  FeatureExtractor fx_flipped(Config(), MakeCatalog());
  fx_flipped.Observe(Warmup());
  fx.Observe(batch);
  fx_flipped.Observe(flipped);
  const std::vector<Impression> next = Batch(kT0 + 10 * kHourMs);
  FeatureBatch after, after_flipped;
  fx.Extract(next, &after);
  fx_flipped.Extract(next, &after_flipped);
  EXPECT_NE(after.keys, a.keys);
  EXPECT_NE(after.dense, a.dense);
  // And what the labels were matters, not only that there were impressions.
  EXPECT_NE(after.keys, after_flipped.keys);
  EXPECT_NE(after.dense, after_flipped.dense);
  const int like = FieldIndex(fx, "seq.like.video");
  // User 1 liked 109 (row 5) in `batch` but not in `flipped`.
  const std::vector<FeatureId> liked = FieldKeys(after, 0, like);
  EXPECT_NE(std::find(liked.begin(), liked.end(), HashFeature(kSeqLikeVideo, uint64_t{109})),
            liked.end());
  const std::vector<FeatureId> liked_flipped = FieldKeys(after_flipped, 0, like);
  EXPECT_EQ(std::find(liked_flipped.begin(), liked_flipped.end(),
                      HashFeature(kSeqLikeVideo, uint64_t{109})),
            liked_flipped.end());
  // Video 101 was clicked twice in `batch`, never in `flipped`.
  EXPECT_GT(Dense(after, 0, kVideoRates + 1 + kClick),
            Dense(after_flipped, 0, kVideoRates + 1 + kClick));
}

TEST(FeaturesTest, EarlierRowsOfABatchDoNotReachLaterRows) {
  FeatureExtractor fx(Config(), MakeCatalog());
  fx.Observe(Warmup());
  const int64_t t = kT0 + 5 * kHourMs;
  // Row 0: user 1 long-views and likes 110 (author 1002), clicks; row 1: user 1 again on 108
  // (also author 1002).
  const std::vector<Impression> batch = {Imp(1, 110, t, L(1, 1, 1, 1.0f)),
                                         Imp(1, 108, t + 1000)};
  FeatureBatch fb, alone;
  fx.Extract(batch, &fb);
  fx.Extract(absl::MakeConstSpan(batch).subspan(1), &alone);
  ASSERT_EQ(alone.size, 1);
  // Row 1 of the batch is exactly what row 1 extracted by itself is.
  for (int f = 0; f < fb.fields; ++f) EXPECT_EQ(FieldKeys(fb, 1, f), FieldKeys(alone, 0, f)) << f;
  for (int d = 0; d < fb.dense_width; ++d) EXPECT_EQ(Dense(fb, 1, d), Dense(alone, 0, d)) << d;
  const FeatureId liked_110 = HashFeature(kSeqLikeVideo, uint64_t{110});
  const FeatureId long_110 = HashFeature(kSeqLongViewVideo, uint64_t{110});
  for (int f = 0; f < fb.fields; ++f) {
    for (FeatureId k : FieldKeys(fb, 1, f)) {
      EXPECT_NE(k, liked_110);
      EXPECT_NE(k, long_110);
    }
  }
  const float user_author_clicks = Dense(fb, 1, kUserAuthor + 1 + kClick);

  // After Observe, the same row sees row 0's outcome.
  fx.Observe(absl::MakeConstSpan(batch).subspan(0, 1));
  FeatureBatch later;
  fx.Extract(absl::MakeConstSpan(batch).subspan(1), &later);
  const std::vector<FeatureId> liked = FieldKeys(later, 0, FieldIndex(fx, "seq.like.video"));
  EXPECT_NE(std::find(liked.begin(), liked.end(), liked_110), liked.end());
  const std::vector<FeatureId> longs = FieldKeys(later, 0, FieldIndex(fx, "seq.long_view.video"));
  ASSERT_FALSE(longs.empty());
  EXPECT_EQ(longs.back(), long_110);
  EXPECT_GT(Dense(later, 0, kUserAuthor + 1 + kClick), user_author_clicks);
}

TEST(FeaturesTest, SequencesKeepTheMostRecentItems) {
  FeatureExtractor fx(Config(), MakeCatalog());  // sequence_length 3
  const int64_t t = kT0;
  std::vector<Impression> history;
  // Long-viewed: 101..105 (in this order); liked: 102, 104, 106, 108; skipped: 107, 108, 109,
  // 110 (not long-viewed), whose authors are 1001, 1002, 1001, 1002.
  for (uint64_t v = 101; v <= 105; ++v) history.push_back(Imp(1, v, t + v, L(1, 1, v % 2 == 0)));
  history.push_back(Imp(1, 106, t + 106, L(1, 1, 1)));
  for (uint64_t v = 107; v <= 110; ++v) history.push_back(Imp(1, v, t + v, L(0, 0, v == 108)));
  fx.Observe(history);

  FeatureBatch fb;
  fx.Extract({Imp(1, 101, t + 1000)}, &fb);
  ExpectWellFormed(fx, fb, 1);
  auto keys = [](uint32_t slot, std::vector<uint64_t> values) {
    std::vector<FeatureId> out;
    for (uint64_t v : values) out.push_back(HashFeature(slot, v));
    return out;
  };
  EXPECT_EQ(FieldKeys(fb, 0, FieldIndex(fx, "seq.long_view.video")),
            keys(kSeqLongViewVideo, {104, 105, 106}));
  EXPECT_EQ(FieldKeys(fb, 0, FieldIndex(fx, "seq.like.video")),
            keys(kSeqLikeVideo, {104, 106, 108}));
  EXPECT_EQ(FieldKeys(fb, 0, FieldIndex(fx, "seq.skip.author")),
            keys(kSeqSkipAuthor, {1002, 1001, 1002}));  // videos 108, 109, 110

  // Another user's lists are their own (empty here).
  FeatureBatch other;
  fx.Extract({Imp(2, 101, t + 1000)}, &other);
  EXPECT_TRUE(FieldKeys(other, 0, FieldIndex(fx, "seq.like.video")).empty());
  EXPECT_TRUE(FieldKeys(other, 0, FieldIndex(fx, "seq.skip.author")).empty());
  EXPECT_EQ(fx.users_tracked(), 1u);
}

TEST(FeaturesTest, SparseFieldsAreTheSlotHashesOfTheirValues) {
  FeatureExtractor fx(Config(), MakeCatalog());
  FeatureBatch fb;
  Impression imp = Imp(2, 103, kT0 + 7 * kHourMs);
  fx.Extract({imp}, &fb);
  ExpectWellFormed(fx, fb, 1);
  auto one = [&](std::string_view name) {
    const std::vector<FeatureId> k = FieldKeys(fb, 0, FieldIndex(fx, name));
    EXPECT_EQ(k.size(), 1u) << name;
    return k.empty() ? FeatureId{0} : k[0];
  };
  EXPECT_EQ(one("video_id"), HashFeature(1, uint64_t{103}));
  EXPECT_EQ(one("author_id"), HashFeature(2, uint64_t{1001}));
  EXPECT_EQ(one("music_id"), HashFeature(3, uint64_t{2000 + 103 % 3}));
  EXPECT_EQ(one("tag"), HashFeature(4, uint64_t{3000 + 103 % 4}));
  EXPECT_EQ(one("user_id"), HashFeature(10, uint64_t{2}));
  EXPECT_EQ(one("user.active_degree"), HashFeature(20, ValueId("middle_active")));
  EXPECT_EQ(one("user.onehot3"), HashFeature(33, ValueId("2")));
  EXPECT_EQ(one("hour"), HashFeature(11, uint64_t{imp.hour}));
  // The cross differs per user and per author.
  const FeatureId cross = one("user_x_author");
  EXPECT_EQ(embedding::SlotOf(cross), 60u);
  FeatureBatch fb2;
  fx.Extract({Imp(1, 103, imp.time_ms), Imp(2, 104, imp.time_ms), Imp(2, 105, imp.time_ms)},
             &fb2);
  const int cx = FieldIndex(fx, "user_x_author");
  EXPECT_NE(FieldKeys(fb2, 0, cx)[0], cross);  // other user
  EXPECT_NE(FieldKeys(fb2, 1, cx)[0], cross);  // other author (1002)
  EXPECT_EQ(FieldKeys(fb2, 2, cx)[0], cross);  // same user, same author (1001)
}

TEST(FeaturesTest, AddHistoryFillsTheLists) {
  FeatureExtractor fx(Config(), MakeCatalog());
  // Watched 101..104 (101 twice); long-viewed 101 (once) and 103; liked 102.
  const std::vector<uint64_t> watched = {101, 102, 101, 103, 104};
  const std::vector<uint64_t> liked = {102};
  const std::vector<uint64_t> long_viewed = {101, 103};
  fx.AddHistory(1, watched, liked, long_viewed, kT0);
  EXPECT_EQ(fx.users_tracked(), 1u);

  FeatureBatch fb;
  fx.Extract({Imp(1, 101, kT0 + 1000), Imp(2, 110, kT0 + 1000)}, &fb);
  ExpectWellFormed(fx, fb, 2);
  EXPECT_EQ(FieldKeys(fb, 0, FieldIndex(fx, "seq.long_view.video")),
            (std::vector<FeatureId>{HashFeature(kSeqLongViewVideo, uint64_t{101}),
                                    HashFeature(kSeqLongViewVideo, uint64_t{103})}));
  EXPECT_EQ(FieldKeys(fb, 0, FieldIndex(fx, "seq.like.video")),
            (std::vector<FeatureId>{HashFeature(kSeqLikeVideo, uint64_t{102})}));
  // Skipped = watched minus long-viewed, counted with multiplicity: 102, 101 (second watch),
  // 104 -> authors 1002, 1001, 1002.
  EXPECT_EQ(FieldKeys(fb, 0, FieldIndex(fx, "seq.skip.author")),
            (std::vector<FeatureId>{HashFeature(kSeqSkipAuthor, uint64_t{1002}),
                                    HashFeature(kSeqSkipAuthor, uint64_t{1001}),
                                    HashFeature(kSeqSkipAuthor, uint64_t{1002})}));
  // The warm-start prior of video 101: 2 watches, 0 likes, 1 long view.
  EXPECT_FLOAT_EQ(Dense(fb, 0, kVideoPrior + 0), std::log1p(2.0f) * 0.2f);
  EXPECT_FLOAT_EQ(Dense(fb, 0, kVideoPrior + 1), 0.0f);
  EXPECT_FLOAT_EQ(Dense(fb, 0, kVideoPrior + 2), std::log1p(1.0f) * 0.2f);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Dense(fb, 1, kVideoPrior + i), 0.0f);  // no history
  // Other users are not affected.
  EXPECT_TRUE(FieldKeys(fb, 1, FieldIndex(fx, "seq.like.video")).empty());
}

TEST(FeaturesTest, AddHistoryRespectsTheSequenceLength) {
  FeatureExtractor fx(Config(), MakeCatalog());  // sequence_length 3
  const std::vector<uint64_t> watched = {101, 102, 103, 104, 105, 106};
  fx.AddHistory(1, watched, watched, {}, kT0);
  FeatureBatch fb;
  fx.Extract({Imp(1, 101, kT0 + 1000)}, &fb);
  EXPECT_EQ(FieldKeys(fb, 0, FieldIndex(fx, "seq.like.video")),
            (std::vector<FeatureId>{HashFeature(kSeqLikeVideo, uint64_t{104}),
                                    HashFeature(kSeqLikeVideo, uint64_t{105}),
                                    HashFeature(kSeqLikeVideo, uint64_t{106})}));
  EXPECT_EQ(FieldKeys(fb, 0, FieldIndex(fx, "seq.skip.author")).size(), 3u);
}

TEST(FeaturesTest, HashBucketsFoldEachSlot) {
  constexpr uint64_t kBuckets = 16;
  auto catalog = MakeCatalog();
  FeatureExtractor fx(Config(), catalog, kBuckets);
  FeatureExtractor exact(Config(), catalog);
  std::vector<Impression> batch;
  for (uint64_t i = 0; i < 300; ++i) {
    batch.push_back(Imp(1 + i % 3, 5000 + i * 7919, kT0 + static_cast<int64_t>(i), L(0, 1, 1)));
  }
  FeatureBatch fb, fb_exact;
  fx.Extract(batch, &fb);
  exact.Extract(batch, &fb_exact);
  ExpectWellFormed(fx, fb, batch.size());
  EXPECT_EQ(fb.field_begin, fb_exact.field_begin);  // same shape, only the keys fold
  const int video = FieldIndex(fx, "video_id");
  std::set<FeatureId> distinct, distinct_exact;
  for (int b = 0; b < fb.size; ++b) {
    for (FeatureId k : FieldKeys(fb, b, video)) {
      EXPECT_EQ(embedding::SlotOf(k), 1u);
      distinct.insert(k);
    }
    for (FeatureId k : FieldKeys(fb_exact, b, video)) distinct_exact.insert(k);
  }
  EXPECT_EQ(distinct_exact.size(), 300u);
  EXPECT_LE(distinct.size(), kBuckets);
  EXPECT_GT(distinct.size(), kBuckets / 2);  // folded, not collapsed
  // Every field keeps its slot.
  for (int f = 0; f < fb.fields; ++f) {
    for (int b = 0; b < fb.size; ++b) {
      const std::vector<FeatureId> k = FieldKeys(fb, b, f), ke = FieldKeys(fb_exact, b, f);
      ASSERT_EQ(k.size(), ke.size());
      for (size_t i = 0; i < k.size(); ++i) {
        EXPECT_EQ(embedding::SlotOf(k[i]), embedding::SlotOf(ke[i]));
        EXPECT_LT(k[i] & embedding::kHashMask, kBuckets);
      }
    }
  }
  // Sequence keys fold too.
  fx.Observe(batch);
  FeatureBatch seq;
  fx.Extract({Imp(1, 101, kT0 + 1000)}, &seq);
  for (FeatureId k : FieldKeys(seq, 0, FieldIndex(fx, "seq.long_view.video"))) {
    EXPECT_EQ(embedding::SlotOf(k), kSeqLongViewVideo);
    EXPECT_LT(k & embedding::kHashMask, kBuckets);
  }
  EXPECT_EQ(FieldKeys(seq, 0, FieldIndex(fx, "seq.long_view.video")).size(), 3u);
}

TEST(FeaturesTest, RatesMoveWithEngagement) {
  FeatureExtractor fx(Config(), MakeCatalog());
  std::vector<Impression> log;
  // Video 101 is clicked every time, 102 never; 103 is not shown. User 1 clicks author 1001.
  for (int i = 0; i < 40; ++i) {
    log.push_back(Imp(1 + i % 3, 101, kT0 + i * 1000, L(1, 1, 0)));
    log.push_back(Imp(1 + i % 3, 102, kT0 + i * 1000 + 1, L(0, 0, 0)));
  }
  fx.Observe(log);
  FeatureBatch fb;
  const int64_t t = kT0 + 60 * 1000;
  fx.Extract({Imp(2, 101, t), Imp(2, 102, t), Imp(2, 104, t), Imp(1, 103, t), Imp(1, 104, t)},
             &fb);
  ExpectWellFormed(fx, fb, 5);
  const float clicked = Dense(fb, 0, kVideoRates + 1 + kClick);
  const float ignored = Dense(fb, 1, kVideoRates + 1 + kClick);
  const float unseen = Dense(fb, 2, kVideoRates + 1 + kClick);
  EXPECT_GT(clicked, 0.0f);
  EXPECT_LT(ignored, 0.0f);
  EXPECT_GT(clicked, unseen);
  EXPECT_GT(unseen, ignored);
  EXPECT_FLOAT_EQ(unseen, 0.0f);  // no evidence: the global rate, lift 0
  // Impression counts: 101 was seen 40 times, 104 never.
  EXPECT_NEAR(Dense(fb, 0, kVideoRates), std::log1p(40.0f) * 0.2f, 1e-3);
  EXPECT_EQ(Dense(fb, 2, kVideoRates), 0.0f);
  // User 1 clicked author 1001 (video 101) and not author 1002 (video 102).
  EXPECT_GT(Dense(fb, 3, kUserAuthor + 1 + kClick), Dense(fb, 4, kUserAuthor + 1 + kClick));

  // Counters decay: a week later the evidence (and the lift) is smaller.
  FeatureBatch week;
  fx.Extract({Imp(2, 101, t + 7 * 24 * kHourMs)}, &week);
  EXPECT_LT(Dense(week, 0, kVideoRates), Dense(fb, 0, kVideoRates));
  EXPECT_LT(Dense(week, 0, kVideoRates + 1 + kClick), clicked);
  EXPECT_GT(Dense(week, 0, kVideoRates + 1 + kClick), 0.0f);
}

TEST(FeaturesTest, SessionFeaturesFollowTheObservedOutcomes) {
  FeatureExtractor fx(Config(), MakeCatalog());
  const int64_t t = kT0 + 3 * kHourMs;
  FeatureBatch fb;
  fx.Extract({Imp(1, 101, t)}, &fb);
  EXPECT_EQ(Dense(fb, 0, kSession + 0), 2.0f);  // never seen: as if long ago
  for (int i = 1; i < 8; ++i) EXPECT_EQ(Dense(fb, 0, kSession + i), 0.0f) << i;

  // User 1 sees 101 twice (clicked once), the last impression a long view without a click.
  fx.Observe({Imp(1, 101, t, L(1, 0, 0)), Imp(1, 102, t + 10'000, L(0, 0, 0)),
              Imp(1, 101, t + 20'000, L(0, 1, 0))});
  fx.Extract({Imp(1, 101, t + 20'000 + 60'000), Imp(1, 103, t + 20'000 + 60'000),
              Imp(2, 101, t + 20'000 + 60'000)},
             &fb);
  ExpectWellFormed(fx, fb, 3);
  EXPECT_NEAR(Dense(fb, 0, kSession + 0), std::log1p(1.0f) * 0.2f, 1e-6);  // a minute ago
  // Session counts decay with a 30-minute half-life; the impressions are 80, 70, 60 s old.
  auto decayed = [](double age_s) { return std::exp2(-age_s / 1800.0); };
  const double n = decayed(80) + decayed(70) + decayed(60);
  EXPECT_NEAR(Dense(fb, 0, kSession + 1), std::log1p(n) * 0.5, 1e-4);
  EXPECT_NEAR(Dense(fb, 0, kSession + 2), (decayed(80) + 1) / (n + 2), 1e-4);  // smoothed clicks
  EXPECT_NEAR(Dense(fb, 0, kSession + 3), (decayed(60) + 1) / (n + 2), 1e-4);  // long views
  EXPECT_EQ(Dense(fb, 0, kSession + 4), 0.0f);  // last impression: no click
  EXPECT_EQ(Dense(fb, 0, kSession + 5), 1.0f);  // but a long view
  EXPECT_FLOAT_EQ(Dense(fb, 0, kSession + 6), std::log1p(2.0f));  // 101 seen twice before
  EXPECT_EQ(Dense(fb, 0, kSession + 7), 1.0f);                    // and clicked
  EXPECT_EQ(Dense(fb, 1, kSession + 6), 0.0f);  // 103: not a repeat
  EXPECT_EQ(Dense(fb, 1, kSession + 7), 0.0f);
  EXPECT_EQ(Dense(fb, 2, kSession + 0), 2.0f);  // user 2 has no session
  EXPECT_EQ(Dense(fb, 2, kSession + 6), 0.0f);
}

TEST(FeaturesTest, UnknownVideosAndUsersGiveWellFormedBatches) {
  FeatureExtractor fx(Config(), MakeCatalog());
  fx.Observe(Warmup());
  const std::vector<Impression> batch = {Imp(999, 101, kT0 + 10'000, L(0, 0, 0)),
                                         Imp(1, 9999, kT0 + 10'000, L(0, 0, 1)),
                                         Imp(998, 9998, kT0 + 10'000, L(1, 0, 1))};
  FeatureBatch fb;
  fx.Extract(batch, &fb);
  ExpectWellFormed(fx, fb, batch.size());
  const std::vector<std::string> names = fx.field_names();
  for (int b = 0; b < fb.size; ++b) {
    for (int f = 0; f < fb.fields; ++f) {
      if (names[f].rfind("seq.", 0) == 0) continue;
      EXPECT_EQ(FieldKeys(fb, b, f).size(), 1u) << names[f];  // one key per sparse field
    }
  }
  EXPECT_EQ(FieldKeys(fb, 1, FieldIndex(fx, "video_id"))[0], HashFeature(1, uint64_t{9999}));
  // Unknown ids become history like any other; an unknown video has no author to pool.
  fx.Observe(batch);
  FeatureBatch next;
  fx.Extract({Imp(999, 102, kT0 + 20'000), Imp(998, 102, kT0 + 20'000)}, &next);
  ExpectWellFormed(fx, next, 2);
  EXPECT_EQ(FieldKeys(next, 0, FieldIndex(fx, "seq.skip.author")),
            (std::vector<FeatureId>{HashFeature(kSeqSkipAuthor, uint64_t{1001})}));
  EXPECT_TRUE(FieldKeys(next, 1, FieldIndex(fx, "seq.skip.author")).empty());
  EXPECT_EQ(FieldKeys(next, 1, FieldIndex(fx, "seq.like.video")),
            (std::vector<FeatureId>{HashFeature(kSeqLikeVideo, uint64_t{9998})}));

  // An empty batch is well formed too.
  FeatureBatch empty;
  fx.Extract({}, &empty);
  ExpectWellFormed(fx, empty, 0);
}

TEST(FeaturesTest, ShapeFollowsTheConfig) {
  FeatureExtractor fx(Config(), MakeCatalog());
  EXPECT_EQ(fx.fields(), 15);
  EXPECT_EQ(fx.dense_width(), 2 * (1 + kNumTasks) + 3 + 8);
  EXPECT_EQ(fx.field_names().front(), "video_id");
  EXPECT_EQ(fx.field_names().back(), "seq.skip.author");
}

// A feed request's batch holds one user's candidates at one time: the user's fields and rates are
// read for the first row of each run and copied to the next rows. Every row must equal that row
// extracted alone, across runs of users, times and unknown users.
TEST(FeaturesTest, RowsOfOneUserEqualEachRowAlone) {
  const ModelConfig config = Config(R"json({
    "dim": 4, "sequence_length": 3,
    "profile_fields": ["active_degree", "f1", "f2", "f3", "f4", "f5", "f6",
                       "onehot0", "onehot1", "onehot2", "onehot3"],
    "features": ["video_id", "author_id", "user_id", "user.active_degree", "user.onehot3",
                 "hour", "user_x_author", "seq.long_view.video", "seq.like.video",
                 "seq.skip.author", "dense.user_rates", "dense.video_rates",
                 "dense.user_author", "dense.session"]
  })json");
  FeatureExtractor fx(config, MakeCatalog());
  fx.Observe(Warmup());
  const int64_t t = kT0 + 2 * kHourMs;
  std::vector<Impression> batch;
  for (uint64_t v = 101; v <= 110; ++v) batch.push_back(Imp(1, v, t));   // user 1 at t
  for (uint64_t v = 103; v <= 106; ++v) batch.push_back(Imp(1, v, t + kHourMs));  // later
  for (uint64_t v = 101; v <= 104; ++v) batch.push_back(Imp(2, v, t));   // another user
  batch.push_back(Imp(99, 101, t));                                      // unknown user
  batch.push_back(Imp(99, 102, t));
  batch.push_back(Imp(1, 999, t));                                       // unknown video
  batch.push_back(Imp(1, 101, t));

  FeatureBatch together;
  fx.Extract(batch, &together);
  ExpectWellFormed(fx, together, batch.size());
  FeatureBatch one_by_one;
  for (const Impression& imp : batch) {
    FeatureBatch row;
    fx.Extract(absl::MakeConstSpan(&imp, 1), &row);
    AppendRows(row, &one_by_one);
  }
  ExpectSameFeatures(together, one_by_one);
  // The user's sequences are not empty, so the copies carry keys.
  const int like = FieldIndex(fx, "seq.like.video");
  EXPECT_FALSE(FieldKeys(together, 9, like).empty());
  EXPECT_EQ(FieldKeys(together, 9, like), FieldKeys(together, 0, like));
}

}  // namespace
}  // namespace foryou::model
