#include "media/media_job.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "media/test_clips.h"
#include "nlohmann/json.hpp"

namespace foryou::media {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json ReadJson(const std::string& path) { return json::parse(ReadBytes(path)); }

TEST(MediaJobTest, ParsesAJob) {
  absl::StatusOr<MediaJob> job = ParseMediaJob(R"({"kind":"transcode","input":"/u/1",
      "out_dir":"/o","effect":"mono","sound_input":"","duet_input":"/v/2","stitch_input":"",
      "limits":{"max_bytes":1000,"min_duration_ms":500,"max_duration_ms":9000,
                "max_width":1920,"max_height":1080}})");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->kind, JobKind::kTranscode);
  EXPECT_EQ(job->transcode.input, "/u/1");
  EXPECT_EQ(job->transcode.out_dir, "/o");
  EXPECT_EQ(job->transcode.effect, "mono");
  EXPECT_EQ(job->transcode.duet_input, "/v/2");
  EXPECT_EQ(job->transcode.limits.max_bytes, 1000);
  EXPECT_EQ(job->transcode.limits.min_duration_ms, 500);
  EXPECT_EQ(job->transcode.limits.max_duration_ms, 9000);
  EXPECT_EQ(job->transcode.limits.max_width, 1920);
  EXPECT_EQ(job->transcode.limits.max_height, 1080);
}

TEST(MediaJobTest, RefusesBadJobs) {
  EXPECT_FALSE(ParseMediaJob("not json").ok());
  EXPECT_FALSE(ParseMediaJob("[1]").ok());
  EXPECT_THAT(ParseMediaJob(R"({"kind":"zip","input":"a"})").status().message(),
              HasSubstr("unknown kind"));
  EXPECT_THAT(ParseMediaJob(R"({"kind":"probe"})").status().message(), HasSubstr("\"input\""));
  EXPECT_THAT(ParseMediaJob(R"({"kind":"transcode","input":"a"})").status().message(),
              HasSubstr("out_dir"));
  EXPECT_THAT(
      ParseMediaJob(R"({"kind":"probe","input":"a","limits":{"max_width":-1}})").status().message(),
      HasSubstr("max_width"));
  EXPECT_FALSE(ParseMediaJob(R"({"kind":"probe","input":7})").ok());
}

class WorkerTest : public ::testing::Test {
 protected:
  int Run(const json& job) {
    WriteBytes(dir_.File("job.json"), job.dump());
    return RunMediaJob(dir_.File("job.json"), dir_.File("result.json"));
  }
  TempDir dir_;
};

TEST_F(WorkerTest, ProbeOk) {
  std::string clip = MakeClip(dir_, "in.mp4", 1.5, 160, 120);
  ASSERT_EQ(Run({{"kind", "probe"}, {"input", clip}}), kWorkerOk);
  json r = ReadJson(dir_.File("result.json"));
  EXPECT_EQ(r["width"], 160);
  EXPECT_EQ(r["height"], 120);
  EXPECT_EQ(r["video_codec"], "h264");
  EXPECT_EQ(r["audio_codec"], "aac");
  EXPECT_EQ(r["has_audio"], true);
  EXPECT_NEAR(r["duration_ms"].get<int64_t>(), 1500, 100);
}

TEST_F(WorkerTest, RefusedInputExitsTwoWithTheReason) {
  std::string clip = MakeClip(dir_, "in.mp4", 1.5, 160, 120);
  json job = {{"kind", "probe"}, {"input", clip}, {"limits", {{"max_width", 100}}}};
  ASSERT_EQ(Run(job), kWorkerRefused);
  EXPECT_EQ(ReadJson(dir_.File("result.json"))["error"], "resolution 160x120 exceeds 100x4096");
  WriteBytes(dir_.File("junk"), "junk");
  job = {{"kind", "transcode"}, {"input", dir_.File("junk")}, {"out_dir", dir_.path()}};
  ASSERT_EQ(Run(job), kWorkerRefused);
  EXPECT_THAT(ReadJson(dir_.File("result.json"))["error"].get<std::string>(),
              HasSubstr("not a video"));
}

TEST_F(WorkerTest, BadJobOrOutDirExitsOne) {
  WriteBytes(dir_.File("job.json"), "{");
  EXPECT_EQ(RunMediaJob(dir_.File("job.json"), dir_.File("result.json")), kWorkerFailed);
  EXPECT_TRUE(ReadJson(dir_.File("result.json")).contains("error"));
  std::string clip = MakeClip(dir_, "in.mp4", 1.5, 96, 64, false);
  EXPECT_EQ(Run({{"kind", "transcode"}, {"input", clip}, {"out_dir", dir_.File("missing")}}),
            kWorkerFailed);
}

TEST_F(WorkerTest, TranscodeWritesTheResult) {
  std::string clip = MakeClip(dir_, "in.mp4", 1.5, 160, 120);
  std::filesystem::create_directory(dir_.File("out"));
  ASSERT_EQ(Run({{"kind", "transcode"},
                 {"input", clip},
                 {"out_dir", dir_.File("out")},
                 {"effect", "vivid"}}),
            kWorkerOk);
  json r = ReadJson(dir_.File("result.json"));
  EXPECT_EQ(r["video_codec"], "h264");
  EXPECT_EQ(r["audio_codec"], "aac");
  EXPECT_EQ(r["has_audio"], true);
  EXPECT_EQ(r["height"], 720);
  ASSERT_EQ(r["renditions"].size(), 2u);
  EXPECT_EQ(r["renditions"][0]["height"], 720);
  EXPECT_EQ(r["renditions"][1]["height"], 360);
  for (const json& x : r["renditions"]) {
    EXPECT_TRUE(std::filesystem::exists(dir_.File("out/" + x["file"].get<std::string>())));
  }
  EXPECT_EQ(r["cover"], "cover.jpg");
  EXPECT_EQ(r["posters"].size(), 3u);
  EXPECT_EQ(r["sound"], "sound.m4a");
  EXPECT_TRUE(r["frame_hashes"].is_array());
  EXPECT_GT(r["mean_luma"].get<double>(), 0);
  EXPECT_LT(r["audio_peak_dbfs"].get<double>(), 0);
}

}  // namespace
}  // namespace foryou::media
