#include "media/transcoder.h"

#include <cstring>
#include <filesystem>

#include "gtest/gtest.h"
#include "media/effects.h"
#include "media/test_clips.h"

namespace foryou::media {
namespace {

using ::testing::HasSubstr;

// The offsets of the top-level MP4 boxes of `type`, or -1.
int64_t BoxOffset(const std::string& bytes, const char* type) {
  size_t pos = 0;
  while (pos + 8 <= bytes.size()) {
    uint64_t size = (uint64_t{uint8_t(bytes[pos])} << 24) |
                    (uint64_t{uint8_t(bytes[pos + 1])} << 16) |
                    (uint64_t{uint8_t(bytes[pos + 2])} << 8) | uint64_t{uint8_t(bytes[pos + 3])};
    if (bytes.compare(pos + 4, 4, type) == 0) return static_cast<int64_t>(pos);
    if (size == 1 && pos + 16 <= bytes.size()) {
      size = 0;
      for (int i = 0; i < 8; ++i) size = (size << 8) | uint8_t(bytes[pos + 8 + i]);
    }
    if (size < 8) return -1;
    pos += size;
  }
  return -1;
}

MediaInfo ProbeOutput(const std::string& path) {
  Limits any;
  any.min_duration_ms = 0;
  absl::StatusOr<MediaInfo> info = Probe(path, any);
  EXPECT_TRUE(info.ok()) << path << ": " << info.status();
  return info.ok() ? *info : MediaInfo{};
}

TEST(TranscoderTest, WritesRenditionsStillsAndSound) {
  TempDir dir;
  std::string clip = MakeClip(dir, "in.mp4", 2, 320, 240);
  std::filesystem::create_directory(dir.File("out"));
  absl::StatusOr<TranscodeResult> r = Transcode({.input = clip, .out_dir = dir.File("out")});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->renditions.size(), 2u);
  EXPECT_EQ(r->renditions[0].height, 720);
  EXPECT_EQ(r->renditions[1].height, 360);
  EXPECT_EQ(r->width, 960);  // 4:3 kept
  EXPECT_NEAR(r->duration_ms, 2000, 150);
  for (const Rendition& x : r->renditions) {
    std::string path = dir.File("out/" + x.file);
    MediaInfo info = ProbeOutput(path);
    EXPECT_EQ(info.height, x.height);
    EXPECT_EQ(info.width, x.height * 4 / 3);
    EXPECT_EQ(info.width % 2, 0);
    EXPECT_EQ(info.video_codec, "h264");
    EXPECT_EQ(info.audio_codec, "aac");
    std::string bytes = ReadBytes(path);
    int64_t moov = BoxOffset(bytes, "moov"), mdat = BoxOffset(bytes, "mdat");
    ASSERT_GE(moov, 0);
    ASSERT_GE(mdat, 0);
    EXPECT_LT(moov, mdat) << x.file << ": the index must come first (faststart)";
  }
  EXPECT_EQ(r->cover, "cover.jpg");
  ASSERT_EQ(r->posters.size(), 3u);
  for (const std::string& f : {r->cover, r->posters[0], r->posters[1], r->posters[2]}) {
    std::string jpeg = ReadBytes(dir.File("out/" + f));
    ASSERT_GT(jpeg.size(), 100u) << f;
    EXPECT_EQ(uint8_t(jpeg[0]), 0xFF);
    EXPECT_EQ(uint8_t(jpeg[1]), 0xD8);
  }
  EXPECT_EQ(r->sound, "sound.m4a");
  EXPECT_TRUE(std::filesystem::file_size(dir.File("out/sound.m4a")) > 1000);
  EXPECT_TRUE(r->has_audio);
  // testsrc is bright and colourful; the 440 Hz sine peaks near -18 dBFS (amplitude 1/8).
  EXPECT_GT(r->mean_luma, 60);
  EXPECT_LT(r->mean_luma, 200);
  EXPECT_NEAR(r->audio_peak_dbfs, -18, 1.5);
}

TEST(TranscoderTest, BlackSilentClip) {
  TempDir dir;
  Ffmpeg(
      "-f lavfi -i color=black:size=160x120:rate=10:duration=1.5 -f lavfi -i "
      "anullsrc=r=44100:cl=stereo -t 1.5 -c:v libx264 -preset ultrafast -c:a aac " +
      dir.File("dark.mp4"));
  absl::StatusOr<TranscodeResult> r =
      Transcode({.input = dir.File("dark.mp4"), .out_dir = dir.path()});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_LT(r->mean_luma, 20);
  EXPECT_EQ(r->audio_peak_dbfs, TranscodeResult::kSilenceDbfs);
}

TEST(TranscoderTest, ClipWithoutAudio) {
  TempDir dir;
  std::string clip = MakeClip(dir, "mute.mp4", 1.5, 160, 120, false);
  absl::StatusOr<TranscodeResult> r = Transcode({.input = clip, .out_dir = dir.path()});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->has_audio);
  EXPECT_EQ(r->sound, "");
  EXPECT_FALSE(std::filesystem::exists(dir.File("sound.m4a")));
  EXPECT_EQ(ProbeOutput(dir.File("360.mp4")).audio_codec, "");
}

TEST(TranscoderTest, EveryEffectRuns) {
  TempDir dir;
  std::string clip = MakeClip(dir, "in.mp4", 1.2, 96, 64, true, 10);
  for (const Effect& e : Effects()) {
    std::string out = dir.File(e.name);
    std::filesystem::create_directory(out);
    absl::StatusOr<TranscodeResult> r =
        Transcode({.input = clip, .out_dir = out, .effect = e.name});
    ASSERT_TRUE(r.ok()) << e.name << ": " << r.status();
    EXPECT_NEAR(r->duration_ms, 1200 / e.speed, 250) << e.name;
    EXPECT_EQ(ProbeOutput(out + "/720.mp4").height, 720);
  }
}

TEST(TranscoderTest, MonoRemovesColour) {
  TempDir dir;
  std::string clip = MakeClip(dir, "in.mp4", 1.2, 96, 64, false, 10);
  ASSERT_TRUE(Transcode({.input = clip, .out_dir = dir.path(), .effect = "mono"}).ok());
  // The chroma of a grey picture is flat at 128: decode the cover's colour through ffmpeg.
  Ffmpeg("-i " + dir.File("cover.jpg") +
         " -vf signalstats,metadata=print:key=lavfi.signalstats.SATMAX:file=" +
         dir.File("sat.txt") + " -f null -");
  std::string sat = ReadBytes(dir.File("sat.txt"));
  size_t eq = sat.rfind('=');
  ASSERT_NE(eq, std::string::npos) << sat;
  EXPECT_LT(std::stod(sat.substr(eq + 1)), 3) << sat;
}

TEST(TranscoderTest, RefusesUnknownEffectAndTwoCompositions) {
  TempDir dir;
  std::string clip = MakeClip(dir, "in.mp4", 1.2, 96, 64, false, 10);
  EXPECT_EQ(
      Transcode({.input = clip, .out_dir = dir.path(), .effect = "sparkles"}).status().message(),
      "unknown effect \"sparkles\"");
  absl::Status s =
      Transcode({.input = clip, .out_dir = dir.path(), .sound_input = clip, .duet_input = clip})
          .status();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_FALSE(std::filesystem::exists(dir.File("720.mp4")));
}

TEST(TranscoderTest, DuetStacksBothAtOneHeight) {
  TempDir dir;
  std::string clip = MakeClip(dir, "new.mp4", 1.5, 160, 120);       // 4:3
  std::string orig = MakeClip(dir, "orig.mp4", 2, 90, 160, false);  // 9:16
  absl::StatusOr<TranscodeResult> r =
      Transcode({.input = clip, .out_dir = dir.path(), .duet_input = orig});
  ASSERT_TRUE(r.ok()) << r.status();
  // At 720 lines: 960 (4:3) + 406 (9:16, even) side by side.
  EXPECT_EQ(ProbeOutput(dir.File("720.mp4")).width, 960 + 406);
  EXPECT_NEAR(r->duration_ms, 1500, 200);
  EXPECT_TRUE(r->has_audio);
}

TEST(TranscoderTest, StitchPlaysTheOriginalFirst) {
  TempDir dir;
  std::string orig = MakeClip(dir, "orig.mp4", 6, 96, 64, true, 10);
  std::string clip = MakeClip(dir, "new.mp4", 1.5, 160, 120, false, 10);
  absl::StatusOr<TranscodeResult> r =
      Transcode({.input = clip, .out_dir = dir.path(), .stitch_input = orig});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->duration_ms, 5000 + 1500, 250);
  EXPECT_TRUE(r->has_audio);
  EXPECT_EQ(r->sound, "");   // the original's sound is not the clip's own
  EXPECT_EQ(r->width, 960);  // the clip's size
}

TEST(TranscoderTest, SoundReplacesAndLoops) {
  TempDir dir;
  std::string clip = MakeClip(dir, "in.mp4", 3, 96, 64, false, 10);
  // A 1 s stereo tone at amplitude 1/16 (-24 dBFS): it loops to the clip's 3 s.
  Ffmpeg(
      "-f lavfi -i 'aevalsrc=0.0625*sin(2000*PI*t)|0.0625*sin(2000*PI*t):s=44100:d=1' "
      "-c:a libmp3lame " +
      dir.File("sound.mp3"));
  absl::StatusOr<TranscodeResult> r =
      Transcode({.input = clip, .out_dir = dir.path(), .sound_input = dir.File("sound.mp3")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->has_audio);
  EXPECT_NEAR(r->audio_peak_dbfs, -24, 1.5);
  // The audio track lasts as long as the video: the 1 s sound looped three times.
  Ffmpeg("-i " + dir.File("720.mp4") + " -map 0:a -c copy " + dir.File("audio.m4a"));
  ASSERT_TRUE(std::filesystem::exists(dir.File("audio.m4a")));
  std::string cmd = "ffprobe -v error -show_entries format=duration -of csv=p=0 " +
                    dir.File("audio.m4a") + " > " + dir.File("d.txt");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_NEAR(std::stod(ReadBytes(dir.File("d.txt"))), 3.0, 0.2);
}

TEST(TranscoderTest, SurvivesDamagedInput) {
  TempDir dir;
  std::string clip = MakeClip(dir, "in.mp4", 2, 160, 120);
  std::string bytes = ReadBytes(clip);
  // Index first, then the media cut off and the middle overwritten with garbage.
  std::string cut = bytes.substr(0, bytes.size() * 2 / 3);
  for (size_t i = cut.size() / 2; i < cut.size() / 2 + 2000 && i < cut.size(); ++i)
    cut[i] = char(i * 7);
  WriteBytes(clip, cut);
  absl::StatusOr<TranscodeResult> r = Transcode({.input = clip, .out_dir = dir.path()});
  if (!r.ok()) {
    EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  }
}

TEST(TranscoderTest, MissingOutDirIsNotTheInputsFault) {
  TempDir dir;
  std::string clip = MakeClip(dir, "in.mp4", 1.2, 96, 64, false, 10);
  absl::Status s = Transcode({.input = clip, .out_dir = dir.File("nowhere")}).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
}

}  // namespace
}  // namespace foryou::media
