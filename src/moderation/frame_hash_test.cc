// Hashes tiny clips made with the ffmpeg CLI (scripts/install_deps.sh installs it): a copy
// scaled down and mirrored matches its original; a different clip does not.
#include "moderation/frame_hash.h"

#include <bit>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "moderation/duplicate_index.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace foryou::moderation {
namespace {

class FrameHashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("frame_hash_test_", ::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs ffmpeg with `args`, writing dir_/name; fails the test if it fails.
  std::string Make(const std::string& name, const std::string& args) {
    const std::string out = (dir_ / name).string();
    const std::string cmd =
        absl::StrCat("ffmpeg -nostdin -hide_banner -loglevel error -y ", args, " ", out);
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(FrameHashTest, ScaledMirroredCopyMatchesAndAnotherClipDoesNot) {
  const std::string original = Make(
      "a.mp4", "-f lavfi -i testsrc2=size=320x240:rate=10:duration=3 -pix_fmt yuv420p");
  const std::string copy =
      Make("copy.mp4", absl::StrCat("-i ", original, " -vf scale=160:120,hflip -crf 35"));
  const std::string other = Make(
      "b.mp4", "-f lavfi -i mandelbrot=size=320x240:rate=10 -t 3 -pix_fmt yuv420p");

  absl::StatusOr<std::vector<uint64_t>> a = HashVideoFrames(original, {});
  absl::StatusOr<std::vector<uint64_t>> c = HashVideoFrames(copy, {});
  absl::StatusOr<std::vector<uint64_t>> b = HashVideoFrames(other, {});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->size(), 3u);  // at 0.5 s, 1.5 s, 2.5 s
  EXPECT_EQ(c->size(), 3u);

  DuplicateIndex index(DuplicateIndexOptions{});
  ASSERT_TRUE(index.Add("a", *a).ok());
  const std::vector<DuplicateMatch> m = index.Lookup(*c);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].video, "a");
  EXPECT_GE(m[0].matched_share, 0.99);
  EXPECT_TRUE(index.Lookup(*b).empty());
}

TEST_F(FrameHashTest, MirrorFlipsExactlyTheOddHorizontalFrequencyBits) {
  cv::Mat image(90, 160, CV_8UC3);
  cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::GaussianBlur(image, image, cv::Size(15, 15), 5);
  cv::Mat mirrored;
  cv::flip(image, mirrored, 1);
  EXPECT_LE(std::popcount(DctHash(mirrored) ^ (DctHash(image) ^ kDctMirrorMask)), 1);
  EXPECT_GE(std::popcount(DctHash(mirrored) ^ DctHash(image)), 10);
}

TEST_F(FrameHashTest, FlatFramesAreNotHashed) {
  const std::string black =
      Make("black.mp4", "-f lavfi -i color=c=black:size=160x120:rate=10:duration=2");
  absl::StatusOr<std::vector<uint64_t>> h = HashVideoFrames(black, {});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE(h->empty());
}

TEST_F(FrameHashTest, MissingOrBrokenFileIsAnError) {
  EXPECT_EQ(HashVideoFrames((dir_ / "none.mp4").string(), {}).status().code(),
            absl::StatusCode::kNotFound);
  const std::string junk = (dir_ / "junk.mp4").string();
  {
    std::FILE* f = std::fopen(junk.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not a video", f);
    std::fclose(f);
  }
  EXPECT_EQ(HashVideoFrames(junk, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace foryou::moderation
