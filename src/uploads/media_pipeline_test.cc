// MediaPipeline over a real catalog store and job queue, with stand-in workers (shell scripts):
// a short job is not held up by a long one, a crash fails the job and leaves the video pending,
// and a stop hands the running job back to the queue uncounted.
#include "uploads/media_pipeline.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_store.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace foryou::uploads {
namespace {

namespace fs = std::filesystem;

class StoreSink : public VideoSink {
 public:
  explicit StoreSink(catalog::CatalogStore* store) : store_(store) {}
  absl::StatusOr<catalog::Video> GetVideo(std::string_view id) override {
    return store_->GetVideo(id);
  }
  absl::Status CreateVideo(const catalog::Video& v) override { return store_->CreateVideo(v); }
  absl::Status UpdateVideo(const catalog::Video& v) override { return store_->PutVideo(v); }

 private:
  catalog::CatalogStore* store_;
};

// Inputs whose path contains "long" wait for <dir>/release (at most 20 s); "crash" ones SIGSEGV;
// others succeed at once.
constexpr char kWorker[] = R"sh(#!/bin/sh
job="$3"; result="$5"
out=$(sed -n 's/.*"out_dir":"\([^"]*\)".*/\1/p' "$job")
case "$(cat "$job")" in
  *crash*) kill -SEGV $$ ;;
  *long*) i=0; while [ ! -e "$(dirname "$0")/release" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done ;;
esac
: > "$out/720.mp4"; : > "$out/360.mp4"
echo '{"duration_ms":3000,"renditions":[{"height":720,"file":"720.mp4"},{"height":360,"file":"360.mp4"}]}' > "$result"
)sh";

class MediaPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = (fs::temp_directory_path() / absl::StrCat("foryou_pipeline_", ::getpid(), "_", n++))
               .string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ + "/worker.sh") << kWorker;
    ::chmod((dir_ + "/worker.sh").c_str(), 0755);
    store_ = catalog::CatalogStore::Open(dir_ + "/catalog").value();
    queue_ = JobQueue::Open(dir_ + "/jobs", 0).value();
    sink_ = std::make_unique<StoreSink>(store_.get());
  }
  void TearDown() override {
    pipeline_.reset();
    fs::remove_all(dir_);
  }
  void MakePipeline() {
    PipelineOptions o;
    o.work_dir = dir_ + "/work";
    o.media_dir = dir_ + "/media";
    o.worker.binary = dir_ + "/worker.sh";
    o.worker.wall_ms = 30'000;
    o.poll_ms = 50;
    pipeline_ = std::make_unique<MediaPipeline>(o, queue_.get(), sink_.get(),
                                                [] { return common::WallMs(); });
  }
  // A pending video and its queued job.
  std::string Add(const std::string& video, Lane lane) {
    catalog::Video v{.id = video, .creator = "alice", .upload_ms = 1};
    EXPECT_TRUE(store_->CreateVideo(v).ok());
    JobSpec spec{.video = video, .owner = "alice", .input = dir_ + "/in-" + video, .lane = lane};
    return queue_->Enqueue(spec, 1).value().id;
  }
  JobState StateOf(const std::string& job) { return queue_->Get(job).value().state; }
  bool WaitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 1000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::string dir_;
  std::unique_ptr<catalog::CatalogStore> store_;
  std::unique_ptr<JobQueue> queue_;
  std::unique_ptr<StoreSink> sink_;
  std::unique_ptr<MediaPipeline> pipeline_;
};

TEST_F(MediaPipelineTest, AShortJobIsNotHeldUpByALongOne) {
  const std::string long_job = Add("long1", Lane::kLong);
  const std::string short_job = Add("short1", Lane::kShort);
  MakePipeline();
  pipeline_->Start();
  ASSERT_TRUE(WaitFor([&] { return StateOf(short_job) == JobState::kDone; }));
  EXPECT_EQ(StateOf(long_job), JobState::kRunning);
  catalog::Video v = store_->GetVideo("short1").value();
  EXPECT_EQ(v.moderation, catalog::Moderation::kLimited);
  EXPECT_EQ(v.duration_ms, 3000u);
  EXPECT_EQ(v.media_url, "/media/short1/720.mp4");
  EXPECT_TRUE(fs::exists(dir_ + "/media/short1/360.mp4"));
  std::ofstream(dir_ + "/release") << "";
  ASSERT_TRUE(WaitFor([&] { return StateOf(long_job) == JobState::kDone; }));
}

TEST_F(MediaPipelineTest, ACrashFailsTheJobAndTheVideoStaysPending) {
  const std::string job = Add("crash1", Lane::kShort);
  MakePipeline();
  ASSERT_TRUE(pipeline_->RunOne(Lane::kShort).value());
  Job j = queue_->Get(job).value();
  EXPECT_EQ(j.state, JobState::kFailed);
  EXPECT_EQ(j.error, "worker killed by signal 11 (SIGSEGV)");
  EXPECT_EQ(store_->GetVideo("crash1").value().moderation, catalog::Moderation::kPending);
  EXPECT_FALSE(fs::exists(dir_ + "/media/crash1"));
  EXPECT_FALSE(pipeline_->RunOne(Lane::kShort).value());
}

TEST_F(MediaPipelineTest, TheProcessedHookDecidesTheModerationState) {
  Add("hooked", Lane::kShort);
  MakePipeline();
  pipeline_->set_on_processed([](catalog::Video* v, const nlohmann::json& result) {
    v->moderation = result.value("duration_ms", 0) >= 3000 ? catalog::Moderation::kPending
                                                           : catalog::Moderation::kLimited;
  });
  ASSERT_TRUE(pipeline_->RunOne(Lane::kShort).value());
  catalog::Video v = store_->GetVideo("hooked").value();
  EXPECT_EQ(v.moderation, catalog::Moderation::kPending);
  EXPECT_EQ(v.media_url, "/media/hooked/720.mp4");
}

TEST_F(MediaPipelineTest, StoppingHandsTheRunningJobBackUncounted) {
  const std::string job = Add("long2", Lane::kLong);
  MakePipeline();
  pipeline_->Start();
  ASSERT_TRUE(WaitFor([&] { return StateOf(job) == JobState::kRunning; }));
  const auto start = std::chrono::steady_clock::now();
  pipeline_->Stop();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
  Job j = queue_->Get(job).value();
  EXPECT_EQ(j.state, JobState::kQueued);
  EXPECT_EQ(j.attempts, 0);
}

}  // namespace
}  // namespace foryou::uploads
