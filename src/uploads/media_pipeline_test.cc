// MediaPipeline over a real catalog store and job queue, with stand-in workers (shell scripts):
// a short job is not held up by a long one, a crash fails the job and leaves the video pending,
// a stop hands the running job back to the queue uncounted, a clip's own audio becomes its sound
// once; and with the real worker on 1 s clips: a borrowed sound replaces the clip's audio.
#include "uploads/media_pipeline.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
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
  absl::Status PutSound(const catalog::Sound& s) override { return store_->PutSound(s); }

 private:
  catalog::CatalogStore* store_;
};

// Inputs whose path contains "long" wait for <dir>/release (at most 20 s); "crash" ones SIGSEGV;
// others succeed at once, "voiced" ones with the clip's own sound.m4a.
constexpr char kWorker[] = R"sh(#!/bin/sh
job="$3"; result="$5"
out=$(sed -n 's/.*"out_dir":"\([^"]*\)".*/\1/p' "$job")
case "$(cat "$job")" in
  *crash*) kill -SEGV $$ ;;
  *long*) i=0; while [ ! -e "$(dirname "$0")/release" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done ;;
esac
: > "$out/720.mp4"; : > "$out/360.mp4"
sound=''
case "$(cat "$job")" in *voiced*) : > "$out/sound.m4a"; sound=',"sound":"sound.m4a"' ;; esac
echo '{"duration_ms":3000,"renditions":[{"height":720,"file":"720.mp4"},{"height":360,"file":"360.mp4"}]'"$sound"'}' > "$result"
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
  // `binary`: the worker run ("" = the stand-in script).
  void MakePipeline(const std::string& binary = "") {
    PipelineOptions o;
    o.work_dir = dir_ + "/work";
    o.media_dir = dir_ + "/media";
    o.worker.binary = binary.empty() ? dir_ + "/worker.sh" : binary;
    o.worker.wall_ms = 30'000;
    o.poll_ms = 50;
    pipeline_ = std::make_unique<MediaPipeline>(o, queue_.get(), sink_.get(),
                                                [] { return common::WallMs(); });
  }
  // A pending video (its sound `sound`) and its queued job.
  std::string Add(const std::string& video, Lane lane, const std::string& sound = "",
                  const std::string& input = "", const std::string& sound_input = "") {
    catalog::Video v{.id = video, .creator = "alice", .sound = sound, .upload_ms = 1};
    EXPECT_TRUE(store_->CreateVideo(v).ok());
    JobSpec spec{.video = video,
                 .owner = "alice",
                 .input = input.empty() ? dir_ + "/in-" + video : input,
                 .sound_input = sound_input,
                 .lane = lane};
    return queue_->Enqueue(spec, 1).value().id;
  }
  // The real worker: `media_worker JOB RESULT` behind the `BINARY media-worker --job J --result
  // R` protocol.
  std::string RealWorker() {
    const std::string path = dir_ + "/real_worker.sh";
    std::ofstream(path) << "#!/bin/sh\nexec '" << FORYOU_MEDIA_WORKER << "' \"$3\" \"$5\"\n";
    ::chmod(path.c_str(), 0755);
    return path;
  }
  // Runs `ffmpeg -v error -y ARGS`.
  void Ffmpeg(const std::string& args) {
    const std::string cmd = "ffmpeg -nostdin -v error -y " + args;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
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

TEST_F(MediaPipelineTest, AClipsOwnAudioBecomesItsSoundOnceEvenWhenTheRunRepeats) {
  Add("vu-ab12", Lane::kShort, "", dir_ + "/in-voiced");
  Add("silent1", Lane::kShort);
  MakePipeline();
  ASSERT_TRUE(pipeline_->RunOne(Lane::kShort).value());
  ASSERT_TRUE(pipeline_->RunOne(Lane::kShort).value());
  const catalog::Video v = store_->GetVideo("vu-ab12").value();
  EXPECT_EQ(v.sound, "so-ab12");
  const catalog::Sound want{.id = "so-ab12",
                            .title = "original sound - alice",
                            .creator = "alice",
                            .audio_url = "/media/vu-ab12/sound.m4a",
                            .original_video = "vu-ab12"};
  EXPECT_EQ(store_->GetSound("so-ab12").value(), want);
  EXPECT_TRUE(fs::exists(dir_ + "/media/vu-ab12/sound.m4a"));
  EXPECT_EQ(store_->VideosBySound("so-ab12").value().size(), 1u);
  // A clip without audio has no sound of its own.
  EXPECT_EQ(store_->GetVideo("silent1").value().sound, "");
  EXPECT_TRUE(absl::IsNotFound(store_->GetSound(SoundIdOf("silent1")).status()));

  // A crash after the sound's write but before the video's runs the job again: the same sound,
  // the same video, nothing else.
  catalog::Video before_crash = v;
  before_crash.sound = "";
  before_crash.moderation = catalog::Moderation::kPending;
  ASSERT_TRUE(store_->PutVideo(before_crash).ok());
  JobSpec again{.video = "vu-ab12", .owner = "alice", .input = dir_ + "/in-voiced"};
  ASSERT_TRUE(queue_->Enqueue(again, 2).ok());
  ASSERT_TRUE(pipeline_->RunOne(Lane::kShort).value());
  EXPECT_EQ(store_->GetVideo("vu-ab12").value(), v);
  EXPECT_EQ(store_->GetSound("so-ab12").value(), want);
  EXPECT_EQ(store_->VideosBySound("so-ab12").value().size(), 1u);
  // A post that borrowed a sound keeps it: its own audio (if any) makes no second one.
  Add("vu-cd34", Lane::kShort, "so-ab12", dir_ + "/in-voiced-too");
  ASSERT_TRUE(pipeline_->RunOne(Lane::kShort).value());
  EXPECT_EQ(store_->GetVideo("vu-cd34").value().sound, "so-ab12");
  EXPECT_TRUE(absl::IsNotFound(store_->GetSound("so-cd34").status()));
}

TEST_F(MediaPipelineTest, TheRealWorkerReplacesASilentClipsAudioWithTheBorrowedSound) {
  // A 1 s clip without an audio stream, and a stereo 440 Hz tone at amplitude 1/4 (-12 dBFS) as
  // an earlier post's sound.
  const std::string clip = dir_ + "/silent.mp4";
  Ffmpeg("-f lavfi -i testsrc=size=160x120:rate=10:duration=1 -c:v libx264 -preset ultrafast "
         "-pix_fmt yuv420p " + clip);
  fs::create_directories(dir_ + "/media/vu-0001");
  const std::string tone = dir_ + "/media/vu-0001/sound.m4a";
  Ffmpeg("-f lavfi -i 'aevalsrc=0.25*sin(880*PI*t)|0.25*sin(880*PI*t):s=44100:d=0.5' -c:a aac " +
         tone);
  Add("vu-0002", Lane::kShort, "so-0001", clip, tone);
  MakePipeline(RealWorker());
  nlohmann::json result;
  pipeline_->set_on_processed([&](catalog::Video* v, const nlohmann::json& r) {
    result = r;
    v->moderation = catalog::Moderation::kLimited;
  });
  ASSERT_TRUE(pipeline_->RunOne(Lane::kShort).value());
  const Job job = queue_->JobOfVideo("vu-0002").value();
  ASSERT_EQ(job.state, JobState::kDone) << job.error;
  // The clip had no audio; the output's is the tone (looped to the clip's second).
  EXPECT_EQ(result["has_audio"], true) << result.dump();
  EXPECT_NEAR(result["audio_peak_dbfs"].get<double>(), -12, 1.5) << result.dump();
  EXPECT_NEAR(result["duration_ms"].get<int64_t>(), 1000, 150);
  // The post keeps the sound it borrowed and makes none of its own.
  EXPECT_EQ(store_->GetVideo("vu-0002").value().sound, "so-0001");
  EXPECT_TRUE(absl::IsNotFound(store_->GetSound("so-0002").status()));
}

}  // namespace
}  // namespace foryou::uploads
