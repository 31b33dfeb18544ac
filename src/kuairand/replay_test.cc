// Tests of RunReplay: tiny KuaiRand-format files written here (counts, bad rows, determinism
// across thread counts, the output line, errors), and a sanity floor on a slice of the real log
// shipped in demo/kuairand/.
#include "kuairand/replay.h"

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
#include "common/file_util.h"
#include "data/csv_reader.h"
#include "gtest/gtest.h"
#include "kuairand/test_files.h"
#include "kuairand/real_log_slice.h"
#include "model/model_config.h"

namespace foryou::kuairand {
namespace {

using trainer::ProgressiveMetrics;


namespace fs = std::filesystem;

class ReplayTest : public ::testing::Test {
 public:
  struct TinyFiles {
    std::string warm, eval, videos, users, history;
  };

 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           absl::StrCat("foryou_replay_", ::getpid(), "_", info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
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

  // Writes the tiny files described at kWarmRows below into dir_.
  TinyFiles WriteTiny();

  fs::path dir_;
};

model::ModelConfig DefaultConfig() {
  absl::StatusOr<model::ModelConfig> c = model::ParseModelConfig(model::DefaultModelConfigJson());
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

// ---- Tiny synthetic KuaiRand files ----

using testing::HistoryCsv;
using testing::kLogHeader;
using testing::kStartMs;
using testing::kUsers;
using testing::kVideos;
using testing::SplitMix;
using testing::VideosCsv;

// The shared users file plus one bad row (a non-numeric id).
std::string UsersCsv() {
  return testing::UsersCsv() + "x,full_active,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n";
}



// `n` good log rows from row index `first` on; users click videos whose id matches theirs mod 3.
std::string LogRows(int first, int n, uint64_t seed) {
  std::string out;
  uint64_t s = seed;
  for (int i = first; i < first + n; ++i) {
    const int u = static_cast<int>(SplitMix(&s) % kUsers);
    const int v = static_cast<int>(SplitMix(&s) % kVideos);
    const int64_t t = kStartMs + 60000LL * i;  // one a minute
    const int day = 25 + static_cast<int>((t - kStartMs) / 86400000);
    const int hourmin = static_cast<int>((t - kStartMs) / 60000 % 1440 / 60 * 100);
    const bool click = SplitMix(&s) % 10 < (u % 3 == v % 3 ? 8u : 2u);
    const bool long_view = click && SplitMix(&s) % 2;
    const bool like = long_view && SplitMix(&s) % 5 == 0;
    const int duration = 10000 + 1000 * (v % 20);
    const int play = long_view ? duration : click ? duration / 4 : 500;
    absl::StrAppend(&out, u, ",", v, ",202204", day, ",", hourmin, ",", t, ",", click ? 1 : 0, ",",
                    like ? 1 : 0, ",0,0,0,0,", long_view ? 1 : 0, ",", play, ",", duration,
                    ",0,0,0,", i % 7 == 0 ? 1 : 0, ",", 1 + i % 3, "\n");
  }
  return out;
}




// Warm-up: 300 good rows + 2 bad (non-numeric user, short row). Eval: 200 good rows + 2 bad
// (a label of 2, a non-numeric play time). Tables: one bad row each (videos, users, history).
constexpr uint64_t kWarmRows = 300, kEvalRows = 200, kBadRows = 2 + 2 + 1 + 1 + 1;

ReplayTest::TinyFiles ReplayTest::WriteTiny() {
  TinyFiles f;
  std::string warm = kLogHeader + LogRows(0, 150, 1);
  warm += "abc,1,20220425,0,1650812741436,1,0,0,0,0,0,1,61802,49866,0,0,0,0,1\n";
  warm += LogRows(150, 100, 2);
  warm += "5,1,20220425\n";
  warm += LogRows(250, 50, 3);
  std::string eval = kLogHeader + LogRows(300, 120, 4);
  eval += "5,1,20220426,0,1650900000000,2,0,0,0,0,0,1,61802,49866,0,0,0,0,1\n";
  eval += LogRows(420, 40, 5);
  eval += "5,1,20220426,0,1650900000000,1,0,0,0,0,0,1,sixty,49866,0,0,0,0,1\n";
  eval += LogRows(460, 40, 6);
  f.warm = Write("warm.csv", warm);
  f.eval = Write("eval.csv", eval);
  f.videos = Write("videos.csv", VideosCsv());
  f.users = Write("users.csv", UsersCsv());
  f.history = Write("history.csv", HistoryCsv());
  return f;
}

ReplayOptions Options(const ReplayTest::TinyFiles& f) {
  ReplayOptions o;
  o.warmup = {f.warm};
  o.eval = f.eval;
  o.videos = f.videos;
  o.users = f.users;
  o.history = f.history;
  o.config = DefaultConfig();
  o.batch = 64;
  o.progress = false;
  return o;
}

void ExpectSameDouble(double a, double b) {
  if (std::isnan(b)) {
    EXPECT_TRUE(std::isnan(a)) << a;
  } else {
    EXPECT_EQ(a, b);
  }
}

TEST_F(ReplayTest, CountsExamplesAndBadRows) {
  const TinyFiles f = WriteTiny();
  std::ostringstream progress;
  ReplayOptions o = Options(f);
  o.progress = true;
  absl::StatusOr<ReplayResult> r = RunReplay(o, progress);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->examples, kWarmRows + kEvalRows);
  EXPECT_EQ(r->eval_examples, kEvalRows);
  EXPECT_EQ(r->bad_rows, kBadRows);
  EXPECT_GT(r->secs, 0.0);
  EXPECT_GT(r->peak_rss_mb, 1.0);
  for (int t : {model::kClick, model::kLongView}) {
    EXPECT_GE(r->auc[t], 0.0) << t;
    EXPECT_LE(r->auc[t], 1.0) << t;
    EXPECT_TRUE(std::isfinite(r->logloss[t])) << t;
  }
  EXPECT_TRUE(std::isnan(r->auc[model::kFollow]));  // no follows in the file
  EXPECT_TRUE(std::isfinite(r->watch_ratio_rmse));
  EXPECT_NE(progress.str().find("replay: skipped 4 bad rows"), std::string::npos)
      << progress.str();
}

TEST_F(ReplayTest, BatchSizeDoesNotMixWarmupAndEvalRows) {
  const TinyFiles f = WriteTiny();
  for (int batch : {1, 7, 256, 65536}) {
    SCOPED_TRACE(batch);
    ReplayOptions o = Options(f);
    o.batch = batch;
    o.history.clear();  // optional
    absl::StatusOr<ReplayResult> r = RunReplay(o, std::cerr);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->examples, kWarmRows + kEvalRows);
    EXPECT_EQ(r->eval_examples, kEvalRows);
    EXPECT_EQ(r->bad_rows, kBadRows - 1);  // no history file read
  }
}

TEST_F(ReplayTest, SeveralWarmupFilesAndNoWarmup) {
  const TinyFiles f = WriteTiny();
  const std::string warm2 = Write("warm2.csv", kLogHeader + LogRows(1000, 77, 8));
  ReplayOptions o = Options(f);
  o.warmup = {f.warm, warm2};
  absl::StatusOr<ReplayResult> r = RunReplay(o, std::cerr);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->examples, kWarmRows + 77 + kEvalRows);
  EXPECT_EQ(r->eval_examples, kEvalRows);

  o.warmup.clear();
  r = RunReplay(o, std::cerr);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->examples, kEvalRows);
  EXPECT_EQ(r->eval_examples, kEvalRows);
}

TEST_F(ReplayTest, TwoThreadsGiveTheSameResultAsOne) {
  const TinyFiles f = WriteTiny();
  ReplayOptions o = Options(f);
  absl::StatusOr<ReplayResult> one = RunReplay(o, std::cerr);
  ASSERT_TRUE(one.ok()) << one.status();
  o.threads = 2;
  absl::StatusOr<ReplayResult> two = RunReplay(o, std::cerr);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->examples, one->examples);
  EXPECT_EQ(two->eval_examples, one->eval_examples);
  EXPECT_EQ(two->bad_rows, one->bad_rows);
  for (int t = 0; t < model::kNumTasks; ++t) {
    SCOPED_TRACE(model::kTaskNames[t]);
    ExpectSameDouble(two->auc[t], one->auc[t]);
    ExpectSameDouble(two->logloss[t], one->logloss[t]);
  }
  ExpectSameDouble(two->gauc_long_view, one->gauc_long_view);
  ExpectSameDouble(two->watch_ratio_rmse, one->watch_ratio_rmse);
  // And a rerun on one thread is identical too (nothing depends on the clock or addresses).
  o.threads = 1;
  absl::StatusOr<ReplayResult> again = RunReplay(o, std::cerr);
  ASSERT_TRUE(again.ok());
  ExpectSameDouble(again->auc[model::kClick], one->auc[model::kClick]);
  ExpectSameDouble(again->logloss[model::kLongView], one->logloss[model::kLongView]);
}

TEST_F(ReplayTest, HashedRowsRunToo) {
  const TinyFiles f = WriteTiny();
  ReplayOptions o = Options(f);
  o.hash_buckets = 16;
  absl::StatusOr<ReplayResult> r = RunReplay(o, std::cerr);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->eval_examples, kEvalRows);
  EXPECT_TRUE(std::isfinite(r->auc[model::kClick]));
}

TEST_F(ReplayTest, LineHasEveryKey) {
  const TinyFiles f = WriteTiny();
  absl::StatusOr<ReplayResult> r = RunReplay(Options(f), std::cerr);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string line = r->Line();
  EXPECT_EQ(line.rfind("replay examples=500 ", 0), 0u) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  for (const char* key :
       {"examples", "secs", "ex_per_s", "auc_is_click", "auc_long_view", "auc_is_like",
        "auc_is_follow", "auc_is_comment", "auc_is_forward", "auc_is_hate", "gauc_long_view",
        "peak_rss_mb", "eval_examples", "bad_rows"}) {
    EXPECT_NE(line.find(absl::StrCat(" ", key, "=")), std::string::npos) << key << ": " << line;
  }
  EXPECT_NE(line.find(" eval_examples=200 "), std::string::npos) << line;
  EXPECT_NE(line.find(absl::StrCat(" bad_rows=", kBadRows, " ")), std::string::npos) << line;
  EXPECT_EQ(line.find("auc_watch_ratio"), std::string::npos) << line;  // a regression, no AUC
}

TEST_F(ReplayTest, MissingOrForeignFilesAreErrors) {
  const TinyFiles f = WriteTiny();
  const std::string missing = (dir_ / "no_such_file.csv").string();
  const std::string garbage = Write("garbage.csv.zst", "this is not zstd at all\n1,2,3\n");
  const std::string empty = Write("empty.csv", "");
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    auto run = [&](auto mutate) {
      ReplayOptions o = Options(f);
      o.threads = threads;
      mutate(o);
      return RunReplay(o, std::cerr).status();
    };
    EXPECT_FALSE(run([&](ReplayOptions& o) { o.eval = missing; }).ok());
    EXPECT_FALSE(run([&](ReplayOptions& o) { o.warmup = {missing}; }).ok());
    EXPECT_FALSE(run([&](ReplayOptions& o) { o.videos = missing; }).ok());
    EXPECT_FALSE(run([&](ReplayOptions& o) { o.users = missing; }).ok());
    EXPECT_FALSE(run([&](ReplayOptions& o) { o.history = missing; }).ok());
    EXPECT_FALSE(run([&](ReplayOptions& o) { o.eval = garbage; }).ok());
    EXPECT_FALSE(run([&](ReplayOptions& o) { o.eval = empty; }).ok());
    // Files of another kind: named as such.
    absl::Status s = run([&](ReplayOptions& o) { o.eval = f.videos; });
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_NE(s.message().find("not a KuaiRand log"), std::string::npos) << s;
    s = run([&](ReplayOptions& o) { o.warmup = {f.warm, f.users}; });
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_FALSE(run([&](ReplayOptions& o) { o.videos = f.eval; }).ok());
    EXPECT_FALSE(run([&](ReplayOptions& o) { o.users = f.videos; }).ok());
    EXPECT_FALSE(run([&](ReplayOptions& o) { o.history = f.users; }).ok());
  }
}

TEST_F(ReplayTest, BadOptionsAreInvalidArgument) {
  const TinyFiles f = WriteTiny();
  for (int batch : {0, -1, 65537}) {
    ReplayOptions o = Options(f);
    o.batch = batch;
    EXPECT_EQ(RunReplay(o, std::cerr).status().code(), absl::StatusCode::kInvalidArgument)
        << batch;
  }
  ReplayOptions o = Options(f);
  o.threads = 0;
  EXPECT_EQ(RunReplay(o, std::cerr).status().code(), absl::StatusCode::kInvalidArgument);
  o = Options(f);
  o.eval.clear();
  EXPECT_EQ(RunReplay(o, std::cerr).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- The real log ----

using testing::DemoData;

// The first 20,000 rows of the 25-30 Apr log as warm-up, the next 10,000 as eval (a sanity floor
// for the whole pipeline on real data, not the benchmark: that is bench/replay_vs_peer.sh).
TEST_F(ReplayTest, RealLogSliceBeatsASanityFloor) {
  const std::string log = DemoData("log_standard_20220425_20220430.csv.zst");
  ASSERT_TRUE(std::filesystem::exists(log)) << log << " is missing from the checkout";
  absl::StatusOr<testing::LogSlice> slice = testing::SliceLog(log, 20000, 10000);
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
  absl::StatusOr<ReplayResult> r = RunReplay(o, std::cerr);
  ASSERT_TRUE(r.ok()) << r.status();
  std::cerr << r->Line() << " (test wall "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << " s)\n";
  EXPECT_EQ(r->examples, 30000u);
  EXPECT_EQ(r->eval_examples, 10000u);
  EXPECT_GT(r->auc[model::kClick], 0.65);
  EXPECT_GT(r->auc[model::kLongView], 0.6);
}

}  // namespace
}  // namespace foryou::kuairand
