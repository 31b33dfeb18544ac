// Tests of the replay through the real-time path: the events of a row give the joiner the log's
// labels; on tiny KuaiRand-format files the through-log replay trains the same examples as the
// direct replay with AUCs within 0.01; and, on the data shipped in demo/kuairand/, a slice of the real
// log keeps the click / long-view AUC within 0.002 of the direct replay.
#include "kuairand/log_replay.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/file_util.h"
#include "data/csv_reader.h"
#include "gtest/gtest.h"
#include "kuairand/test_files.h"
#include "kuairand/real_log_slice.h"
#include "model/model_config.h"
#include "realtime/joiner.h"
#include "kuairand/model_catalog.h"

namespace foryou::kuairand {
namespace {

using realtime::Joiner;
using realtime::JoinerOptions;
using realtime::EndsView;
using realtime::Example;
using stream::Event;
using stream::EventType;


namespace fs = std::filesystem;
using kuairand::ReplayOptions;
using kuairand::ReplayResult;

model::ModelConfig DefaultConfig() {
  absl::StatusOr<model::ModelConfig> c = model::ParseModelConfig(model::DefaultModelConfigJson());
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

// ---- Rows -> events -> joiner labels ----

kuairand::KuaiRandImpression Row(bool click, bool long_view, uint32_t play, uint32_t duration) {
  kuairand::KuaiRandImpression r;
  r.user_id = 7;
  r.video_id = 3;
  r.time_ms = 1650812741436;  // 2022-04-24 23:05:41 +08:00
  r.date = 20220424;
  r.hourmin = 2300;
  r.tab = 4;
  r.is_click = click;
  r.long_view = long_view;
  r.play_time_ms = play;
  r.duration_ms = duration;
  return r;
}

std::shared_ptr<model::Catalog> OneVideoCatalog(uint32_t duration) {
  auto catalog = std::make_shared<model::Catalog>();
  catalog->videos[3].author_id = 4242;
  catalog->videos[3].duration_ms = duration;
  return catalog;
}

// The example the joiner emits for the events of `row` (exactly one, at the view end).
model::Impression Join(const kuairand::KuaiRandImpression& row, const model::Catalog& catalog,
                       uint64_t row_number = 0) {
  std::vector<Event> events;
  KuaiRandRowToEvents(row, row_number, catalog, &events);
  EXPECT_GE(events.size(), 2u);
  EXPECT_LE(events.size(), static_cast<size_t>(kMaxEventsPerKuaiRandRow));
  EXPECT_EQ(events.front().type, EventType::kImpression);
  EXPECT_TRUE(EndsView(events.back().type));
  for (const Event& e : events) {
    EXPECT_TRUE(ValidateEvent(e, row.time_ms + 1).ok()) << ValidateEvent(e, row.time_ms + 1);
    EXPECT_EQ(e.request_id, absl::StrCat("k", row_number));
    EXPECT_EQ(e.time_ms, row.time_ms);
  }
  const model::ModelConfig config = DefaultConfig();
  auto shared = std::make_shared<model::Catalog>(catalog);
  model::FeatureExtractor features(config, shared);
  JoinerOptions jo;
  jo.utc_offset_minutes = 480;
  auto joiner = Joiner::Create(jo, &features, shared);
  EXPECT_TRUE(joiner.ok()) << joiner.status();
  std::vector<Example> out;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_TRUE((*joiner)->Add(events[i], i, &out).ok());
    EXPECT_EQ(out.size(), i + 1 == events.size() ? 1u : 0u) << i;
  }
  EXPECT_EQ((*joiner)->stats().orphan_actions, 0u);
  return out.empty() ? model::Impression{} : out[0].impression;
}

void ExpectLogLabels(const kuairand::KuaiRandImpression& row, const model::Catalog& catalog,
                     bool same_watch_ratio) {
  const model::Impression direct = kuairand::KuaiRandToImpression(row);
  const model::Impression joined = Join(row, catalog);
  for (int t = 0; t < model::kWatchRatio; ++t) {
    EXPECT_EQ(joined.labels[t], direct.labels[t]) << model::kTaskNames[t];
  }
  if (same_watch_ratio) {
    EXPECT_FLOAT_EQ(joined.labels[model::kWatchRatio], direct.labels[model::kWatchRatio]);
  }
  EXPECT_EQ(joined.user_id, direct.user_id);
  EXPECT_EQ(joined.video_id, direct.video_id);
  EXPECT_EQ(joined.tab, direct.tab);
  EXPECT_EQ(joined.time_ms, direct.time_ms);
  // time_ms and date / hourmin agree for this row in UTC+8.
  EXPECT_EQ(joined.day, direct.day);
  EXPECT_EQ(joined.hour, direct.hour);
  EXPECT_EQ(joined.weekday, direct.weekday);
}

TEST(KuaiRandRowToEvents, JoinerLabelsAreTheLogsLabels) {
  const auto catalog = OneVideoCatalog(40000);
  {
    SCOPED_TRACE("played, completed");
    ExpectLogLabels(Row(true, true, 41000, 40000), *catalog, true);
  }
  {
    SCOPED_TRACE("played 20 s of 40: a long view, not completed");
    ExpectLogLabels(Row(true, true, 20000, 40000), *catalog, true);
  }
  {
    SCOPED_TRACE("played 5 s, no long view");
    ExpectLogLabels(Row(true, false, 5000, 40000), *catalog, true);
  }
  {
    SCOPED_TRACE("played 0 ms but clicked");
    ExpectLogLabels(Row(true, false, 0, 40000), *catalog, true);
  }
  {
    SCOPED_TRACE("skipped after 1 s");
    ExpectLogLabels(Row(false, false, 1000, 40000), *catalog, true);
  }
  {
    SCOPED_TRACE("a long view the platform recorded for a 10 s play (watch ratio differs)");
    ExpectLogLabels(Row(true, true, 10000, 40000), *catalog, false);
  }
  {
    SCOPED_TRACE("no click after 9 s on screen (autoplay; clamped to 2999 ms)");
    kuairand::KuaiRandImpression r = Row(false, false, 9000, 40000);
    ExpectLogLabels(r, *catalog, false);
    EXPECT_FLOAT_EQ(Join(r, *catalog).labels[model::kWatchRatio], 2999.0f / 40000.0f);
  }
  {
    SCOPED_TRACE("no click but a long view");
    ExpectLogLabels(Row(false, true, 1000, 40000), *catalog, false);
  }
  {
    SCOPED_TRACE("every explicit action");
    kuairand::KuaiRandImpression r = Row(true, true, 50000, 40000);
    r.is_like = r.is_forward = r.is_comment = r.is_follow = r.is_hate = 1;
    ExpectLogLabels(r, *catalog, true);
    std::vector<Event> events;
    KuaiRandRowToEvents(r, 12, *catalog, &events);
    ASSERT_EQ(events.size(), 7u);
    EXPECT_EQ(events[0].surface, "4");
    EXPECT_EQ(events[0].user, "7");
    EXPECT_EQ(events[0].video, "3");
    EXPECT_EQ(events[1].type, EventType::kLike);
    EXPECT_EQ(events[2].type, EventType::kShare);
    EXPECT_EQ(events[3].type, EventType::kComment);
    EXPECT_EQ(events[4].type, EventType::kFollow);
    EXPECT_EQ(events[4].creator, "4242");
    EXPECT_EQ(events[4].video, "3");
    EXPECT_EQ(events[5].type, EventType::kNotInterested);
    EXPECT_EQ(events[6].type, EventType::kPlay);
  }
  {
    SCOPED_TRACE("a follow on a video missing from the catalog");
    kuairand::KuaiRandImpression r = Row(false, false, 500, 40000);
    r.is_follow = 1;
    model::Catalog empty;
    ExpectLogLabels(r, empty, false);  // no duration: the joiner's ratio is watch / 18 s
    std::vector<Event> events;
    KuaiRandRowToEvents(r, 0, empty, &events);
    EXPECT_EQ(events[1].creator, "0");
  }
  {
    SCOPED_TRACE("a play longer than the event schema allows");
    kuairand::KuaiRandImpression r = Row(true, true, 4'000'000'000u, 40000);
    ExpectLogLabels(r, *catalog, true);
  }
}

// ---- Tiny synthetic KuaiRand files ----

using kuairand::testing::HistoryCsv;
using kuairand::testing::kLogHeader;
using kuairand::testing::kStartMs;
using kuairand::testing::kUsers;
using kuairand::testing::kVideos;
using kuairand::testing::SplitMix;
using kuairand::testing::VideosCsv;
using kuairand::testing::UsersCsv;



// `n` good rows from index `first` on, one every 7 s, date / hourmin in UTC+8 as in KuaiRand.
// Users click videos whose id matches theirs mod 3; some likes, follows, comments, shares, hates.
std::string LogRows(int first, int n, uint64_t seed) {
  std::string out;
  uint64_t s = seed;
  const absl::TimeZone china = absl::FixedTimeZone(8 * 3600);
  for (int i = first; i < first + n; ++i) {
    const int u = static_cast<int>(SplitMix(&s) % kUsers);
    const int v = static_cast<int>(SplitMix(&s) % kVideos);
    const int64_t t = kStartMs + 7000LL * i;
    const absl::CivilSecond cs = absl::ToCivilSecond(absl::FromUnixMillis(t), china);
    const int date = static_cast<int>(cs.year() * 10000 + cs.month() * 100 + cs.day());
    const int hourmin = cs.hour() * 100 + cs.minute();
    const bool click = SplitMix(&s) % 10 < (u % 3 == v % 3 ? 8u : 2u);
    const bool long_view = click && SplitMix(&s) % 3 != 0;
    const bool like = long_view && SplitMix(&s) % 4 == 0;
    const bool follow = click && SplitMix(&s) % 9 == 0;
    const bool comment = long_view && SplitMix(&s) % 6 == 0;
    const bool share = click && SplitMix(&s) % 7 == 0;
    const bool hate = !click && SplitMix(&s) % 8 == 0;
    const int duration = 10000 + 1000 * (v % 20);
    const int play = long_view ? duration + 500 : click ? duration / 4 : 500;
    absl::StrAppend(&out, u, ",", v, ",", date, ",", hourmin, ",", t, ",", click ? 1 : 0, ",",
                    like ? 1 : 0, ",", follow ? 1 : 0, ",", comment ? 1 : 0, ",", share ? 1 : 0,
                    ",", hate ? 1 : 0, ",", long_view ? 1 : 0, ",", play, ",", duration,
                    ",0,0,0,", i % 7 == 0 ? 1 : 0, ",", 1 + i % 3, "\n");
  }
  return out;
}




// Warm-up: kWarmRows good rows + 1 bad (non-numeric user); eval: kEvalRows good rows + 1 bad.
// Tables: one bad row each in the videos and history files.
constexpr uint64_t kWarmRows = 2000, kEvalRows = 1000, kBadRows = 1 + 1 + 1 + 1;

class LogReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           absl::StrCat("foryou_log_replay_", ::getpid(), "_", info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "work");
    work_dir_ = (dir_ / "work").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = (dir_ / name).string();
    EXPECT_TRUE(common::WriteFileAtomically(path, contents).ok()) << path;
    return path;
  }

  ReplayOptions Tiny(const std::string& extra_eval_rows = "") {
    std::string warm = kLogHeader + LogRows(0, 1200, 1);
    warm += "abc,1,20220425,0,1650812741436,1,0,0,0,0,0,1,61802,49866,0,0,0,0,1\n";
    warm += LogRows(1200, kWarmRows - 1200, 2);
    std::string eval = kLogHeader + LogRows(kWarmRows, 600, 3);
    eval += "5,1,20220426,0,1650900000000,1,0,0,0,0,0,1,sixty,49866,0,0,0,0,1\n";
    eval += extra_eval_rows;
    eval += LogRows(kWarmRows + 600, kEvalRows - 600, 4);
    ReplayOptions o;
    o.warmup = {Write("warm.csv", warm)};
    o.eval = Write("eval.csv", eval);
    o.videos = Write("videos.csv", VideosCsv());
    o.users = Write("users.csv", UsersCsv());
    o.history = Write("history.csv", HistoryCsv());
    o.config = DefaultConfig();
    o.batch = 64;
    o.progress = false;
    return o;
  }

  bool WorkDirIsEmpty() const { return fs::is_empty(work_dir_); }

  fs::path dir_;
  std::string work_dir_;
};

void ExpectCloseAucs(const ReplayResult& through, const ReplayResult& direct, double tolerance) {
  for (int t : {model::kClick, model::kLongView}) {
    SCOPED_TRACE(model::kTaskNames[t]);
    ASSERT_TRUE(std::isfinite(direct.auc[t]));
    EXPECT_NEAR(through.auc[t], direct.auc[t], tolerance);
  }
}

TEST_F(LogReplayTest, SameExamplesAndCloseAucsAsTheDirectReplay) {
  ReplayOptions o = Tiny();
  absl::StatusOr<ReplayResult> direct = kuairand::RunReplay(o, std::cerr);
  ASSERT_TRUE(direct.ok()) << direct.status();
  std::ostringstream progress;
  o.progress = true;
  absl::StatusOr<ReplayResult> through = RunReplayThroughLog(o, work_dir_, progress);
  ASSERT_TRUE(through.ok()) << through.status();
  std::cerr << "direct:      " << direct->Line() << "\nthrough-log: " << through->Line() << "\n";
  EXPECT_EQ(direct->examples, kWarmRows + kEvalRows);
  EXPECT_EQ(through->examples, direct->examples);
  EXPECT_EQ(through->eval_examples, kEvalRows);
  EXPECT_EQ(through->eval_examples, direct->eval_examples);
  EXPECT_EQ(through->bad_rows, kBadRows);
  EXPECT_EQ(through->bad_rows, direct->bad_rows);
  // The set is learnable: well above chance, and the same through the log.
  EXPECT_GT(direct->auc[model::kClick], 0.7);
  ExpectCloseAucs(*through, *direct, 0.01);
  EXPECT_NEAR(through->watch_ratio_rmse, direct->watch_ratio_rmse, 0.01);
  EXPECT_GT(through->peak_rss_mb, 1.0);
  EXPECT_NE(progress.str().find("replay: skipped 2 bad rows"), std::string::npos) << progress.str();
  EXPECT_NE(progress.str().find(" 0 orphan actions"), std::string::npos) << progress.str();
  EXPECT_TRUE(WorkDirIsEmpty());
}

TEST_F(LogReplayTest, BatchesNeverMixWarmupAndEvalRows) {
  ReplayOptions o = Tiny();
  for (int batch : {7, 1000, 65536}) {
    SCOPED_TRACE(batch);
    o.batch = batch;
    o.history.clear();
    absl::StatusOr<ReplayResult> r = RunReplayThroughLog(o, work_dir_, std::cerr);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->examples, kWarmRows + kEvalRows);
    EXPECT_EQ(r->eval_examples, kEvalRows);
    EXPECT_EQ(r->bad_rows, kBadRows - 1);  // no history file read
  }
  o.warmup.clear();
  absl::StatusOr<ReplayResult> r = RunReplayThroughLog(o, work_dir_, std::cerr);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->examples, kEvalRows);
  EXPECT_EQ(r->eval_examples, kEvalRows);
}

TEST_F(LogReplayTest, RowsWithAnInvalidEventAreSkippedAndCounted) {
  // 2017: before the schema's earliest time; the direct replay trains on it, the log refuses it.
  ReplayOptions o = Tiny("5,1,20170714,1000,1500000000000,1,0,0,0,0,0,0,5000,49866,0,0,0,0,1\n");
  absl::StatusOr<ReplayResult> direct = kuairand::RunReplay(o, std::cerr);
  ASSERT_TRUE(direct.ok()) << direct.status();
  std::ostringstream progress;
  o.progress = true;
  absl::StatusOr<ReplayResult> through = RunReplayThroughLog(o, work_dir_, progress);
  ASSERT_TRUE(through.ok()) << through.status();
  EXPECT_EQ(direct->eval_examples, kEvalRows + 1);
  EXPECT_EQ(through->eval_examples, kEvalRows);
  EXPECT_EQ(through->bad_rows, direct->bad_rows + 1);
  EXPECT_NE(progress.str().find("skipped 1 rows with an invalid event"), std::string::npos)
      << progress.str();
  EXPECT_NE(progress.str().find("time_ms: 1500000000000 is before 2020"), std::string::npos)
      << progress.str();
}

TEST_F(LogReplayTest, BadOptionsAndFilesAreErrorsAndLeaveNoWorkDir) {
  ReplayOptions o = Tiny();
  o.hash_buckets = 16;
  absl::Status s = RunReplayThroughLog(o, work_dir_, std::cerr).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("--through-log does not support --hash-buckets"), std::string::npos);
  o = Tiny();
  o.batch = 0;
  EXPECT_EQ(RunReplayThroughLog(o, work_dir_, std::cerr).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = Tiny();
  o.eval.clear();
  EXPECT_EQ(RunReplayThroughLog(o, work_dir_, std::cerr).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = Tiny();
  EXPECT_FALSE(RunReplayThroughLog(o, (dir_ / "no_such_dir").string(), std::cerr).ok());
  // A failure after the log was created still removes it.
  o.eval = o.videos;
  s = RunReplayThroughLog(o, work_dir_, std::cerr).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  o = Tiny();
  o.history = o.users;
  EXPECT_FALSE(RunReplayThroughLog(o, work_dir_, std::cerr).ok());
  EXPECT_TRUE(WorkDirIsEmpty());
}

// ---- The real log ----

using kuairand::testing::DemoData;

// The first 20,000 rows of the 25-30 Apr log as warm-up, the next 10,000 as eval (as
// replay_test's RealLogSlice): the real-time path loses at most 0.002 of click / long-view AUC.
TEST_F(LogReplayTest, RealLogSliceMatchesTheDirectReplay) {
  const std::string log = DemoData("log_standard_20220425_20220430.csv.zst");
  ASSERT_TRUE(std::filesystem::exists(log)) << log << " is missing from the checkout";
  absl::StatusOr<kuairand::testing::LogSlice> slice = kuairand::testing::SliceLog(log, 20000, 10000);
  ASSERT_TRUE(slice.ok()) << slice.status();
  ReplayOptions o;
  o.warmup = {Write("warm.csv", slice->warm)};
  o.eval = Write("eval.csv", slice->eval);
  o.videos = DemoData("video_features_basic_pure.csv.zst");
  o.users = DemoData("user_features_pure.csv.zst");
  o.history = DemoData("user_sequences_before_20220425.csv.zst");
  o.config = DefaultConfig();
  o.progress = false;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ReplayResult> direct = kuairand::RunReplay(o, std::cerr);
  ASSERT_TRUE(direct.ok()) << direct.status();
  absl::StatusOr<ReplayResult> through = RunReplayThroughLog(o, work_dir_, std::cerr);
  ASSERT_TRUE(through.ok()) << through.status();
  std::cerr << "direct:      " << direct->Line() << "\nthrough-log: " << through->Line()
            << "\n(test wall "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << " s)\n";
  EXPECT_EQ(through->examples, 30000u);
  EXPECT_EQ(through->eval_examples, 10000u);
  EXPECT_EQ(through->bad_rows, direct->bad_rows);
  ExpectCloseAucs(*through, *direct, 0.002);
  EXPECT_TRUE(WorkDirIsEmpty());
}

}  // namespace
}  // namespace foryou::kuairand
