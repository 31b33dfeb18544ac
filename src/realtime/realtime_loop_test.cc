#include "realtime/realtime_loop.h"

#include "common/id_key.h"

#include <chrono>
#include <filesystem>
#include <thread>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "model/model_config.h"
#include "realtime/test_util.h"

namespace foryou::realtime {
namespace {

using common::WallMs;

model::ModelConfig Config() { return testing::TinyConfig(); }

std::vector<Event> View(int user, int video, int request, int64_t now, bool like) {
  Event imp;
  imp.type = EventType::kImpression;
  imp.user = absl::StrCat("u", user);
  imp.video = absl::StrCat("v", video);
  imp.request_id = absl::StrCat("r", request);
  imp.surface = "foryou";
  imp.time_ms = now;
  std::vector<Event> out = {imp};
  imp.surface.clear();
  if (like) {
    Event l = imp;
    l.type = EventType::kLike;
    out.push_back(l);
  }
  Event play = imp;
  play.type = EventType::kPlay;
  play.watch_ms = 12'000;
  out.push_back(play);
  return out;
}

class RealtimeLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/loop_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(RealtimeLoopTest, EventsReachTheServingModel) {
  LoopOptions o;
  o.log.dir = dir_;
  o.sync_interval_ms = 20;
  auto loop = RealtimeLoop::Open(o, Config(), nullptr);
  ASSERT_TRUE(loop.ok()) << loop.status();
  (*loop)->Start();
  const int64_t now = WallMs();
  std::vector<Event> events;
  for (int i = 0; i < 300; ++i) {
    auto v = View(i % 20, i % 7, i, now, i % 3 == 0);
    events.insert(events.end(), v.begin(), v.end());
  }
  auto first = (*loop)->Ingest(events, now);
  ASSERT_TRUE(first.ok()) << first.status();
  const uint64_t end = *first + events.size();
  ASSERT_TRUE((*loop)->WaitForServing(end, 60'000)) << (*loop)->status();
  ASSERT_GE((*loop)->serving_offset(), end);
  (*loop)->Stop();
  ASSERT_TRUE((*loop)->status().ok()) << (*loop)->status();
  const LoopStats st = (*loop)->stats();
  EXPECT_EQ(st.events_read, events.size());
  EXPECT_EQ(st.examples_trained, 300u);  // one per view, emitted at the play
  EXPECT_EQ(st.joiner.emitted_at_view_end, 300u);
  EXPECT_GE(st.syncs, 1u);
  // The serving replica holds the trained rows of the users' ids.
  auto& table = (*loop)->serving().table();
  const uint32_t dim = table.DimOf(10);
  ASSERT_GT(dim, 0u);
  std::vector<float> row(dim);
  const embedding::FeatureId key = embedding::HashFeature(10, common::UserKey("u3"));
  ASSERT_TRUE(table.Lookup({key}, absl::MakeSpan(row)).ok());
  float norm = 0;
  for (float x : row) norm += x * x;
  EXPECT_GT(norm, 0.0f);
}

TEST_F(RealtimeLoopTest, PredictionsRunWhileTheLoopTrainsAndSyncs) {
  LoopOptions o;
  o.log.dir = dir_;
  o.sync_interval_ms = 1;
  o.dense_sync_interval_ms = 2;
  o.batch_size = 16;
  auto loop = RealtimeLoop::Open(o, Config(), nullptr);
  ASSERT_TRUE(loop.ok()) << loop.status();
  (*loop)->Start();
  // Feature rows to score, extracted once with a separate extractor of the same config.
  auto catalog = std::make_shared<model::Catalog>();
  model::FeatureExtractor fx(Config(), catalog);
  std::vector<model::Impression> candidates(32);
  for (size_t i = 0; i < candidates.size(); ++i) {
    candidates[i].user_id = common::UserKey(absl::StrCat("u", i % 20));
    candidates[i].video_id = common::VideoKey(absl::StrCat("v", i % 7));
  }
  model::FeatureBatch features;
  fx.Extract(candidates, &features);
  std::atomic<bool> stop{false};
  std::atomic<int> predictions{0}, errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      std::vector<float> probs(candidates.size() * model::kNumTasks);
      while (!stop.load()) {
        if (!(*loop)->serving_model().Predict(features, probs.data()).ok()) ++errors;
        for (float p : probs) {
          if (!(p >= 0 && p <= 1)) ++errors;
        }
        ++predictions;
      }
    });
  }
  const int64_t now = WallMs();
  uint64_t end = 0;
  for (int b = 0; b < 20; ++b) {
    std::vector<Event> events;
    for (int i = 0; i < 30; ++i) {
      auto v = View(i % 20, i % 7, b * 100 + i, now, i % 2 == 0);
      events.insert(events.end(), v.begin(), v.end());
    }
    auto first = (*loop)->Ingest(events, now);
    ASSERT_TRUE(first.ok()) << first.status();
    end = *first + events.size();
    (*loop)->WaitForServing(*first, 60'000);  // readers overlap each batch's training
  }
  EXPECT_TRUE((*loop)->WaitForServing(end, 60'000)) << (*loop)->status();
  stop = true;
  for (auto& r : readers) r.join();
  (*loop)->Stop();
  ASSERT_TRUE((*loop)->status().ok()) << (*loop)->status();
  EXPECT_GE((*loop)->serving_offset(), end);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(predictions.load(), 0);
  EXPECT_GT((*loop)->serving_model().dense_version(), 1u) << "dense weights were published during the run";
}

// A restart restores the serving replica from the newest snapshot: it predicts exactly what it
// predicted before the restart (the replica holds no optimizer state, only the rows).
TEST_F(RealtimeLoopTest, ARestartServesWhatWasServedBeforeIt) {
  LoopOptions o;
  o.log.dir = dir_ + "/log";
  o.snapshot_dir = dir_ + "/snapshots";
  auto catalog = std::make_shared<model::Catalog>();
  model::FeatureExtractor fx(Config(), catalog);
  std::vector<model::Impression> candidates(16);
  for (size_t i = 0; i < candidates.size(); ++i) {
    candidates[i].user_id = common::UserKey(absl::StrCat("u", i % 5));
    candidates[i].video_id = common::VideoKey(absl::StrCat("v", i % 7));
  }
  model::FeatureBatch features;
  fx.Extract(candidates, &features);
  std::vector<float> before(candidates.size() * model::kNumTasks);
  std::vector<float> after(before.size());
  {
    auto loop = RealtimeLoop::Open(o, Config(), catalog);
    ASSERT_TRUE(loop.ok()) << loop.status();
    const int64_t now = WallMs();
    std::vector<Event> events;
    for (int i = 0; i < 200; ++i) {
      auto v = View(i % 5, i % 7, i, now, i % 3 == 0);
      events.insert(events.end(), v.begin(), v.end());
    }
    ASSERT_TRUE((*loop)->Ingest(events, now).ok());
    ASSERT_TRUE((*loop)->ProcessAvailable().ok());
    ASSERT_TRUE((*loop)->Snapshot().ok());
    ASSERT_TRUE((*loop)->serving_model().Predict(features, before.data()).ok());
  }
  auto loop = RealtimeLoop::Open(o, Config(), catalog);
  ASSERT_TRUE(loop.ok()) << loop.status();
  EXPECT_GT((*loop)->restored_offset(), 0u);
  ASSERT_TRUE((*loop)->serving_model().Predict(features, after.data()).ok());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_NEAR(after[i], before[i], 1e-6) << i;
}

TEST_F(RealtimeLoopTest, InvalidEventRefusesTheBatchAndAppendsNothing) {
  LoopOptions o;
  o.log.dir = dir_;
  auto loop = RealtimeLoop::Open(o, Config(), nullptr);
  ASSERT_TRUE(loop.ok()) << loop.status();
  const int64_t now = WallMs();
  std::vector<Event> events = View(1, 1, 1, now, false);
  events[1].video.clear();  // a play without its video
  auto r = (*loop)->Ingest(events, now);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("events[1]"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("video"), std::string::npos) << r.status();
  EXPECT_EQ((*loop)->log().EndOffset(), 0u);
}

TEST_F(RealtimeLoopTest, BadOptionsAreRefused) {
  LoopOptions o;  // no log dir
  EXPECT_FALSE(RealtimeLoop::Open(o, Config(), nullptr).ok());
  o.log.dir = dir_;
  o.batch_size = 0;
  EXPECT_FALSE(RealtimeLoop::Open(o, Config(), nullptr).ok());
}

// A deletion marker is applied in log order: a restart from a snapshot taken before it, and
// the replay of the log after that snapshot, leave no row of the deleted user, even from an
// impression of theirs still waiting for its view end when the marker was written.
TEST_F(RealtimeLoopTest, ADeletionMarkerRemovesTheUsersRowsOnReplay) {
  LoopOptions o;
  o.log.dir = dir_ + "/log";
  o.log.fsync = FsyncPolicy::kNever;
  o.snapshot_dir = dir_ + "/snapshots";
  o.snapshot_interval_ms = 1'000'000;
  o.joiner.window_ms = 200;
  const int64_t t0 = WallMs() - 60'000;
  {
    auto loop = RealtimeLoop::Open(o, Config(), nullptr).value();
    for (int v = 0; v < 4; ++v) {
      ASSERT_TRUE(loop->Ingest(View(7, v, v, t0, v % 2 == 0), WallMs()).ok());
      ASSERT_TRUE(loop->Ingest(View(8, v, 100 + v, t0, false), WallMs()).ok());
    }
    ASSERT_TRUE(loop->ProcessAvailable().ok());
    ASSERT_TRUE(loop->Snapshot().ok());  // holds u7's rows
    // An impression of u7 without a view end, then the deletion, then traffic that closes its
    // window.
    ASSERT_TRUE(loop->Ingest({View(7, 9, 9, t0 + 100, false)[0]}, WallMs()).ok());
    ASSERT_TRUE(loop->LogUserDeletion({.user = "u7", .epochs = 0, .time_ms = WallMs()}).ok());
    const std::string u7 = "u7";
    EXPECT_GT(loop->RemoveUserRows(absl::MakeConstSpan(&u7, 1)).value(), 0u);
    ASSERT_TRUE(loop->Ingest(View(8, 20, 200, t0 + 5000, true), WallMs()).ok());
    ASSERT_TRUE(loop->ProcessAvailable().ok());
    EXPECT_EQ(loop->stats().user_deletions, 1u);
    EXPECT_EQ(loop->RemoveUserRows(absl::MakeConstSpan(&u7, 1)).value(), 0u);
  }
  auto loop = RealtimeLoop::Open(o, Config(), nullptr).value();
  ASSERT_GT(loop->restored_offset(), 0u);
  ASSERT_TRUE(loop->ProcessAvailable().ok());
  EXPECT_EQ(loop->stats().user_deletions, 1u);
  const std::vector<std::string> users = {"u7", "u8"};
  EXPECT_EQ(loop->RemoveUserRows(absl::MakeConstSpan(&users[0], 1)).value(), 0u);
  EXPECT_EQ(loop->RemoveUserRows(absl::MakeConstSpan(&users[1], 1)).value(), 1u);  // untouched
  // An id that is not one is refused, and nothing is appended.
  const uint64_t end = loop->log().EndOffset();
  EXPECT_TRUE(absl::IsInvalidArgument(
      loop->LogUserDeletion({.user = "a b", .epochs = 0, .time_ms = WallMs()}).status()));
  EXPECT_EQ(loop->log().EndOffset(), end);
}

}  // namespace
}  // namespace foryou::realtime
