#include "media/probe.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "media/test_clips.h"

namespace foryou::media {
namespace {

using ::testing::HasSubstr;

TEST(ProbeTest, ReadsHeaders) {
  TempDir dir;
  std::string clip = MakeClip(dir, "ok.mp4", 2, 320, 240);
  absl::StatusOr<MediaInfo> info = Probe(clip, Limits{});
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, 320);
  EXPECT_EQ(info->height, 240);
  EXPECT_NEAR(info->duration_ms, 2000, 100);
  EXPECT_EQ(info->video_codec, "h264");
  EXPECT_EQ(info->audio_codec, "aac");
  EXPECT_TRUE(info->has_audio);
  EXPECT_EQ(info->size_bytes, static_cast<int64_t>(std::filesystem::file_size(clip)));
}

TEST(ProbeTest, VideoWithoutAudio) {
  TempDir dir;
  absl::StatusOr<MediaInfo> info =
      Probe(MakeClip(dir, "mute.webm", 1.5, 160, 120, false, 15,
                     "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -an"),
            Limits{});
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->video_codec, "vp9");
  EXPECT_FALSE(info->has_audio);
  EXPECT_EQ(info->audio_codec, "");
}

TEST(ProbeTest, RefusesShortClip) {
  TempDir dir;
  absl::StatusOr<MediaInfo> info = Probe(MakeClip(dir, "short.mp4", 0.4), Limits{});
  ASSERT_TRUE(absl::IsInvalidArgument(info.status())) << info.status();
  EXPECT_THAT(info.status().message(), HasSubstr("is under the 1 s minimum"));
  EXPECT_THAT(info.status().message(), HasSubstr("duration 0.4 s"));
}

TEST(ProbeTest, RefusesLongClip) {
  TempDir dir;
  Limits limits;
  limits.max_duration_ms = 1500;
  absl::StatusOr<MediaInfo> info = Probe(MakeClip(dir, "long.mp4", 2), limits);
  ASSERT_TRUE(absl::IsInvalidArgument(info.status())) << info.status();
  EXPECT_THAT(info.status().message(), HasSubstr("exceeds the 1.5 s maximum"));
}

TEST(ProbeTest, RefusesResolutionOverTheLimit) {
  TempDir dir;
  absl::StatusOr<MediaInfo> info =
      Probe(MakeClip(dir, "wide.mp4", 1.2, 4112, 64, false, 5), Limits{});
  ASSERT_TRUE(absl::IsInvalidArgument(info.status())) << info.status();
  EXPECT_EQ(info.status().message(), "resolution 4112x64 exceeds 4096x4096");
}

TEST(ProbeTest, RefusesFileOverTheSizeLimit) {
  TempDir dir;
  Limits limits;
  limits.max_bytes = 1000;
  absl::StatusOr<MediaInfo> info = Probe(MakeClip(dir, "big.mp4", 1.5), limits);
  ASSERT_TRUE(absl::IsInvalidArgument(info.status())) << info.status();
  EXPECT_THAT(info.status().message(), HasSubstr("exceeds the 1000-byte maximum"));
}

TEST(ProbeTest, RefusesNotAVideo) {
  TempDir dir;
  WriteBytes(dir.File("notes.mp4"), "these are not the frames you are looking for\n");
  absl::StatusOr<MediaInfo> info = Probe(dir.File("notes.mp4"), Limits{});
  ASSERT_TRUE(absl::IsInvalidArgument(info.status())) << info.status();
  EXPECT_THAT(info.status().message(), HasSubstr("not a video"));
}

TEST(ProbeTest, RefusesAnImage) {
  TempDir dir;
  Ffmpeg("-f lavfi -i testsrc=size=64x64 -frames:v 1 " + dir.File("still.jpg"));
  absl::StatusOr<MediaInfo> info = Probe(dir.File("still.jpg"), Limits{});
  ASSERT_TRUE(absl::IsInvalidArgument(info.status())) << info.status();
  EXPECT_THAT(info.status().message(), HasSubstr("not a video"));
}

TEST(ProbeTest, RefusesEmptyAndMissingFiles) {
  TempDir dir;
  WriteBytes(dir.File("empty.mp4"), "");
  EXPECT_EQ(Probe(dir.File("empty.mp4"), Limits{}).status().message(), "empty file");
  EXPECT_TRUE(absl::IsNotFound(Probe(dir.File("absent.mp4"), Limits{}).status()));
}

TEST(ProbeTest, RefusesAudioOnly) {
  TempDir dir;
  Ffmpeg("-f lavfi -i sine=duration=2 -c:a aac " + dir.File("song.m4a"));
  absl::StatusOr<MediaInfo> info = Probe(dir.File("song.m4a"), Limits{});
  EXPECT_EQ(info.status().message(), "no video stream");
}

TEST(ProbeTest, RefusesTruncatedFile) {
  TempDir dir;
  // The index (moov) at the end, as a phone writes it: cutting the file loses it.
  std::string clip = MakeClip(dir, "cut.mp4", 2, 160, 120, true, 15, "");
  std::string bytes = ReadBytes(clip);
  WriteBytes(clip, bytes.substr(0, bytes.size() / 2));
  absl::StatusOr<MediaInfo> info = Probe(clip, Limits{});
  ASSERT_TRUE(absl::IsInvalidArgument(info.status())) << info.status();
  EXPECT_THAT(info.status().message(), HasSubstr("not a video"));
}

TEST(ProbeTest, RefusesUnsupportedCodec) {
  TempDir dir;
  std::string clip =
      MakeClip(dir, "old.avi", 1.5, 160, 120, false, 15, "-c:v mjpeg -pix_fmt yuvj420p");
  absl::StatusOr<MediaInfo> info = Probe(clip, Limits{});
  EXPECT_THAT(info.status().message(), HasSubstr("video codec mjpeg is not supported"));
}

}  // namespace
}  // namespace foryou::media
