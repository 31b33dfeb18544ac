#include "realtime/joiner.h"

#include "common/id_key.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/model_config.h"
#include "realtime/test_util.h"

namespace foryou::realtime {
namespace {

using model::kClick;
using model::kFollow;
using model::kHate;
using model::kLike;
using model::kLongView;
using model::kWatchRatio;

constexpr int64_t kT0 = 1'700'000'000'000;

model::ModelConfig Config() { return testing::TinyConfig(); }

Event Impression(std::string user, std::string video, std::string request, int64_t t) {
  Event e;
  e.type = EventType::kImpression;
  e.user = std::move(user);
  e.video = std::move(video);
  e.request_id = std::move(request);
  e.surface = "foryou";
  e.time_ms = t;
  return e;
}

Event Action(EventType type, std::string user, std::string video, std::string request, int64_t t) {
  Event e;
  e.type = type;
  e.user = std::move(user);
  e.video = std::move(video);
  e.request_id = std::move(request);
  e.time_ms = t;
  return e;
}

class JoinerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = std::make_shared<model::Catalog>();
    catalog_->videos[common::VideoKey("v1")].duration_ms = 20'000;
    features_ = std::make_unique<model::FeatureExtractor>(Config(), catalog_);
    dir_ = ::testing::TempDir() + "/joiner_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Joiner> Make(JoinerOptions o) {
    auto j = Joiner::Create(std::move(o), features_.get(), catalog_);
    EXPECT_TRUE(j.ok()) << j.status();
    return std::move(*j);
  }
  std::shared_ptr<model::Catalog> catalog_;
  std::unique_ptr<model::FeatureExtractor> features_;
  std::string dir_;
};

TEST_F(JoinerTest, ViewEndEmitsWithEveryLabelSoFar) {
  auto j = Make({.window_ms = 60'000});
  std::vector<Example> out;
  ASSERT_TRUE(j->Add(Impression("u1", "v1", "r1", kT0), 10, &out).ok());
  ASSERT_TRUE(j->Add(Action(EventType::kLike, "u1", "v1", "r1", kT0 + 2000), 11, &out).ok());
  EXPECT_TRUE(out.empty()) << "a like before the view ends waits for the view end";
  Event play = Action(EventType::kPlay, "u1", "v1", "r1", kT0 + 9000);
  play.watch_ms = 10'000;
  ASSERT_TRUE(j->Add(play, 12, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  const Example& ex = out[0];
  EXPECT_EQ(ex.offset, 12u);
  EXPECT_FALSE(ex.correction);
  EXPECT_EQ(ex.impression.user_id, common::UserKey("u1"));
  EXPECT_EQ(ex.impression.video_id, common::VideoKey("v1"));
  EXPECT_EQ(ex.impression.labels[kClick], 1);
  EXPECT_EQ(ex.impression.labels[kLike], 1);
  EXPECT_EQ(ex.impression.labels[kLongView], 0);                   // 10 s of 20 s, not completed
  EXPECT_FLOAT_EQ(ex.impression.labels[kWatchRatio], 0.5f);        // from the catalog duration
  EXPECT_EQ(ex.features.size, 1);
  EXPECT_EQ(ex.features.fields, features_->fields());
  EXPECT_EQ(j->stats().emitted_at_view_end, 1u);
}

TEST_F(JoinerTest, FeaturesAreThoseAtImpressionTime) {
  auto j = Make({.window_ms = 60'000});
  std::vector<Example> out;
  ASSERT_TRUE(j->Add(Impression("u1", "v1", "r1", kT0), 1, &out).ok());
  model::FeatureBatch expected;
  model::Impression imp = {.user_id = common::UserKey("u1"), .video_id = common::VideoKey("v1"), .time_ms = kT0};
  features_->Extract(absl::MakeConstSpan(&imp, 1), &expected);
  // The behaviour state changes after the impression (another view of the user ends)...
  model::Impression other = imp;
  other.video_id = common::VideoKey("v9");
  other.labels[kLongView] = 1;
  other.labels[kClick] = 1;
  features_->Observe(absl::MakeConstSpan(&other, 1));
  // ... but the example carries what the ranker saw at impression time.
  Event skip = Action(EventType::kSkip, "u1", "v1", "r1", kT0 + 500);
  skip.watch_ms = 500;
  ASSERT_TRUE(j->Add(skip, 2, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].features.keys, expected.keys);
  EXPECT_EQ(out[0].features.dense, expected.dense);
  EXPECT_EQ(out[0].impression.labels[kClick], 0) << "a 0.5 s skip is not a play";
  model::FeatureBatch now;
  features_->Extract(absl::MakeConstSpan(&imp, 1), &now);
  EXPECT_NE(now.keys, expected.keys) << "the test must be able to tell the two apart";
}

TEST_F(JoinerTest, WindowCloseEmitsUnendedImpressions) {
  auto j = Make({.window_ms = 10'000});
  std::vector<Example> out;
  ASSERT_TRUE(j->Add(Impression("u1", "v1", "r1", kT0), 1, &out).ok());
  ASSERT_TRUE(j->Add(Impression("u2", "v2", "r2", kT0 + 5000), 2, &out).ok());
  ASSERT_TRUE(j->Advance(kT0 + 9999, 3, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(j->Advance(kT0 + 10'000, 4, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].impression.video_id, common::VideoKey("v1"));
  EXPECT_EQ(out[0].offset, 4u);
  for (float y : out[0].impression.labels) EXPECT_EQ(y, 0);
  // Any later event advances the watermark too.
  ASSERT_TRUE(j->Add(Impression("u3", "v3", "r3", kT0 + 15'000), 5, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].impression.video_id, common::VideoKey("v2"));
  EXPECT_EQ(j->stats().emitted_at_window_close, 2u);
  EXPECT_EQ(j->stats().pending, 1u);
}

TEST_F(JoinerTest, ActionAfterViewEndInWindowIsACorrection) {
  auto j = Make({.window_ms = 60'000});
  std::vector<Example> out;
  ASSERT_TRUE(j->Add(Impression("u1", "v1", "r1", kT0), 1, &out).ok());
  Event play = Action(EventType::kPlay, "u1", "v1", "r1", kT0 + 1000);
  play.watch_ms = 20'000;
  play.completed = true;
  ASSERT_TRUE(j->Add(play, 2, &out).ok());
  ASSERT_TRUE(j->Add(Action(EventType::kShare, "u1", "v1", "r1", kT0 + 2000), 3, &out).ok());
  // A second like-free unlike changes nothing: no example.
  ASSERT_TRUE(j->Add(Action(EventType::kUnlike, "u1", "v1", "r1", kT0 + 2500), 4, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].correction);
  EXPECT_EQ(out[0].impression.labels[model::kShare], 0);
  EXPECT_TRUE(out[1].correction);
  EXPECT_EQ(out[1].impression.labels[model::kShare], 1);
  EXPECT_EQ(out[1].impression.labels[kLongView], 1) << "a correction carries every label so far";
  EXPECT_EQ(out[1].features.keys, out[0].features.keys);
}

TEST_F(JoinerTest, LateActionsFromTheLateStore) {
  auto j = Make({.window_ms = 10'000, .late_window_ms = 3'600'000, .late_store_dir = dir_});
  std::vector<Example> out;
  ASSERT_TRUE(j->Add(Impression("u1", "v1", "r1", kT0), 1, &out).ok());
  Event skip = Action(EventType::kSkip, "u1", "v1", "r1", kT0 + 4000);
  skip.watch_ms = 4000;
  ASSERT_TRUE(j->Add(skip, 2, &out).ok());
  ASSERT_TRUE(j->Advance(kT0 + 20'000, 3, &out).ok());  // window closed: to the late store
  EXPECT_EQ(j->stats().pending, 0u);
  ASSERT_EQ(out.size(), 1u);
  // Ten minutes later the user follows the creator from this video's page.
  Event follow = Action(EventType::kFollow, "u1", "v1", "r1", kT0 + 600'000);
  follow.creator = "c1";
  ASSERT_TRUE(j->Add(follow, 4, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[1].correction);
  EXPECT_EQ(out[1].impression.labels[kFollow], 1);
  EXPECT_EQ(out[1].impression.labels[kClick], 1);  // the skip after 4 s was a play
  EXPECT_EQ(out[1].features.keys, out[0].features.keys);
  EXPECT_EQ(j->stats().late_actions, 1u);
  // The same follow again changes nothing.
  ASSERT_TRUE(j->Add(follow, 5, &out).ok());
  EXPECT_EQ(out.size(), 2u);
  // Past the late window: an orphan.
  Event hate = Action(EventType::kNotInterested, "u1", "v1", "r1", kT0 + 3'700'000);
  ASSERT_TRUE(j->Add(hate, 6, &out).ok());
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(j->stats().orphan_actions, 1u);
}

TEST_F(JoinerTest, LateStoreSurvivesReopen) {
  std::vector<Example> out;
  {
    auto j = Make({.window_ms = 10'000, .late_store_dir = dir_});
    ASSERT_TRUE(j->Add(Impression("u1", "v1", "r1", kT0), 1, &out).ok());
    ASSERT_TRUE(j->Advance(kT0 + 10'000, 2, &out).ok());
  }
  auto j = Make({.window_ms = 10'000, .late_store_dir = dir_});
  ASSERT_TRUE(j->Add(Action(EventType::kLike, "u1", "v1", "r1", kT0 + 60'000), 3, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[1].correction);
  EXPECT_EQ(out[1].impression.labels[kLike], 1);
}

TEST_F(JoinerTest, WithoutLateStoreLateActionsAreOrphans) {
  auto j = Make({.window_ms = 10'000});
  std::vector<Example> out;
  ASSERT_TRUE(j->Add(Impression("u1", "v1", "r1", kT0), 1, &out).ok());
  ASSERT_TRUE(j->Advance(kT0 + 10'000, 2, &out).ok());
  ASSERT_TRUE(j->Add(Action(EventType::kLike, "u1", "v1", "r1", kT0 + 11'000), 3, &out).ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(j->stats().orphan_actions, 1u);
  // An action on a video never shown is an orphan too.
  ASSERT_TRUE(j->Add(Action(EventType::kLike, "u1", "v7", "", kT0 + 11'000), 4, &out).ok());
  EXPECT_EQ(j->stats().orphan_actions, 2u);
}

TEST_F(JoinerTest, ActionsWithoutRequestIdMatchTheLatestImpressionOfTheVideo) {
  auto j = Make({.window_ms = 60'000});
  std::vector<Example> out;
  ASSERT_TRUE(j->Add(Impression("u1", "v1", "r1", kT0), 1, &out).ok());
  ASSERT_TRUE(j->Add(Impression("u1", "v1", "r2", kT0 + 100), 2, &out).ok());
  Event play = Action(EventType::kPlay, "u1", "v1", "", kT0 + 200);
  play.watch_ms = 1000;
  ASSERT_TRUE(j->Add(play, 3, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].impression.time_ms, kT0 + 100);
}

TEST_F(JoinerTest, DuplicateImpressionsCountOnce) {
  auto j = Make({.window_ms = 10'000});
  std::vector<Example> out;
  ASSERT_TRUE(j->Add(Impression("u1", "v1", "r1", kT0), 1, &out).ok());
  ASSERT_TRUE(j->Add(Impression("u1", "v1", "r1", kT0), 2, &out).ok());
  ASSERT_TRUE(j->Advance(kT0 + 10'000, 3, &out).ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(j->stats().duplicate_impressions, 1u);
}

TEST_F(JoinerTest, NegativeSamplingKeepsTheRateAndEveryPositive) {
  auto j = Make({.window_ms = 1000, .negative_sample_rate = 0.25});
  std::vector<Example> out;
  const int n = 4000;
  int positives = 0;
  for (int i = 0; i < n; ++i) {
    const std::string r = absl::StrCat("r", i);
    ASSERT_TRUE(j->Add(Impression("u1", absl::StrCat("v", i), r, kT0 + i), 2 * i, &out).ok());
    if (i % 10 == 0) {
      Event play = Action(EventType::kPlay, "u1", absl::StrCat("v", i), r, kT0 + i);
      play.watch_ms = 5000;
      ASSERT_TRUE(j->Add(play, 2 * i + 1, &out).ok());
      ++positives;
    }
  }
  ASSERT_TRUE(j->Advance(kT0 + n + 1000, 2 * n, &out).ok());
  int kept_pos = 0, kept_neg = 0;
  for (const Example& e : out) (e.impression.labels[kClick] > 0 ? kept_pos : kept_neg)++;
  EXPECT_EQ(kept_pos, positives);
  const double rate = static_cast<double>(kept_neg) / (n - positives);
  EXPECT_NEAR(rate, 0.25, 0.03);
  EXPECT_EQ(j->stats().negatives_dropped, static_cast<uint64_t>(n - positives - kept_neg));
}

TEST_F(JoinerTest, TablesGiveBackABurstsCapacityOnceItCloses) {
  auto j = Make({.window_ms = 60'000});
  std::vector<Example> out;
  constexpr int kBurst = 20'000;
  for (int i = 0; i < kBurst; ++i) {
    ASSERT_TRUE(j->Add(Impression(absl::StrCat("u", i), "v1", absl::StrCat("r", i), kT0), i, &out).ok());
  }
  const size_t peak = j->MemoryBytes();
  // The window closes on the burst; ten impressions of a quiet minute stay pending.
  const int64_t later = kT0 + 120'000;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        j->Add(Impression(absl::StrCat("q", i), "v1", absl::StrCat("s", i), later), kBurst + i, &out)
            .ok());
  }
  EXPECT_EQ(j->stats().pending, 10u);
  EXPECT_LT(j->MemoryBytes(), peak / 20) << "peak " << peak;
  // The entries left join as before the tables were rebuilt.
  out.clear();
  for (int i = 0; i < 10; ++i) {
    Event play = Action(EventType::kPlay, absl::StrCat("q", i), "v1", absl::StrCat("s", i), later + 1000);
    play.watch_ms = 10'000;
    ASSERT_TRUE(j->Add(play, 2 * kBurst + i, &out).ok());
  }
  ASSERT_EQ(out.size(), 10u);
  EXPECT_EQ(out[9].impression.user_id, common::UserKey("q9"));
  EXPECT_EQ(out[9].impression.labels[kClick], 1.0f);
}

TEST_F(JoinerTest, ViewEndedEntriesMoveToTheLateStorePastTheBudget) {
  constexpr size_t kBudget = 64 << 10;
  auto j = Make({.window_ms = 60'000, .late_store_dir = dir_, .max_pending_bytes = kBudget});
  std::vector<Example> out;
  // An impression whose view has not ended stays in memory whatever the budget.
  ASSERT_TRUE(j->Add(Impression("w", "v1", "open", kT0), 0, &out).ok());
  constexpr int kViews = 2'000;
  for (int i = 0; i < kViews; ++i) {
    const std::string user = absl::StrCat("u", i), request = absl::StrCat("r", i);
    ASSERT_TRUE(j->Add(Impression(user, "v1", request, kT0 + i), 2 * i + 1, &out).ok());
    Event skip = Action(EventType::kSkip, user, "v1", request, kT0 + i);
    skip.watch_ms = 500;
    ASSERT_TRUE(j->Add(skip, 2 * i + 2, &out).ok());
    ASSERT_LE(j->pending_bytes(), kBudget) << "after view " << i;
  }
  ASSERT_EQ(out.size(), static_cast<size_t>(kViews));  // every view emitted once
  EXPECT_LT(j->stats().pending, static_cast<uint64_t>(kViews) / 2);
  EXPECT_GT(j->moved_for_budget(), static_cast<uint64_t>(kViews) / 2);
  // The earliest views moved first; a like on one of them still joins, from the late store.
  ASSERT_TRUE(j->Add(Action(EventType::kLike, "u0", "v1", "r0", kT0 + 5'000), 2 * kViews + 1, &out).ok());
  ASSERT_EQ(out.size(), static_cast<size_t>(kViews) + 1);
  EXPECT_TRUE(out.back().correction);
  EXPECT_EQ(out.back().impression.labels[kLike], 1);
  EXPECT_EQ(out.back().features.keys, out[0].features.keys);
  EXPECT_EQ(j->stats().late_actions, 1u);
  // The open impression is still in memory and ends as usual.
  Event play = Action(EventType::kPlay, "w", "v1", "open", kT0 + 6'000);
  play.watch_ms = 10'000;
  ASSERT_TRUE(j->Add(play, 2 * kViews + 2, &out).ok());
  ASSERT_EQ(out.size(), static_cast<size_t>(kViews) + 2);
  EXPECT_FALSE(out.back().correction);
  EXPECT_EQ(out.back().impression.labels[kClick], 1);
  // The snapshot of the state holds the same budget once loaded.
  std::string state;
  j->SaveState(&state);
  auto loaded = Make({.window_ms = 60'000, .max_pending_bytes = kBudget});
  ASSERT_TRUE(loaded->LoadState(state).ok());
  EXPECT_EQ(loaded->pending_bytes(), j->pending_bytes());
}

TEST(SamplingCorrection, UndoesTheOddsInflation) {
  // A model trained on negatives kept at rate r sees odds multiplied by 1/r.
  const double r = 0.1, p = 0.02;
  const double trained_odds = p / (1 - p) / r;
  const float trained_p = static_cast<float>(trained_odds / (1 + trained_odds));
  EXPECT_NEAR(CorrectSampledProbability(trained_p, r), p, 1e-6);
  EXPECT_FLOAT_EQ(CorrectSampledProbability(0.3f, 1.0), 0.3f);
  EXPECT_FLOAT_EQ(CorrectSampledProbability(0.0f, 0.5), 0.0f);
  EXPECT_FLOAT_EQ(CorrectSampledProbability(1.0f, 0.5), 1.0f);
}

TEST(JoinerOptionsTest, BadOptionsAreRefused) {
  auto catalog = std::make_shared<model::Catalog>();
  model::FeatureExtractor fx(Config(), catalog);
  EXPECT_FALSE(Joiner::Create({.window_ms = 0}, &fx, catalog).ok());
  EXPECT_FALSE(Joiner::Create({.window_ms = 10, .late_window_ms = 5}, &fx, catalog).ok());
  EXPECT_FALSE(Joiner::Create({.negative_sample_rate = 0}, &fx, catalog).ok());
  EXPECT_FALSE(Joiner::Create({.negative_sample_rate = 1.5}, &fx, catalog).ok());
  EXPECT_FALSE(Joiner::Create({}, nullptr, catalog).ok());
  EXPECT_FALSE(Joiner::Create({.late_store_dir = "/proc/not-a-place/db"}, &fx, catalog).ok());
}

}  // namespace
}  // namespace foryou::realtime
