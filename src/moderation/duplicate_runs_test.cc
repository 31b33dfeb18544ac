// The run rule of DuplicateIndex (aligned_frame_distance, min_aligned_frames): frames further
// than max_frame_distance still match when enough of them line up at one time offset. Hashes
// are built bit by bit, and from frames drawn in memory (a panning scene, a crop of it, a
// caption over it), so the tests need no video files.
#include <bit>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "moderation/duplicate_index.h"
#include "moderation/frame_hash.h"
#include "opencv2/imgproc.hpp"

namespace foryou::moderation {
namespace {

// `h` with the given number of bits flipped in each 16-bit band (lowest bits of the band).
uint64_t FlipBands(uint64_t h, std::vector<int> per_band) {
  for (int b = 0; b < 4; ++b) {
    for (int i = 0; i < per_band[b]; ++i) h ^= uint64_t{1} << (16 * b + i);
  }
  return h;
}

std::vector<uint64_t> RandomHashes(std::mt19937_64* rng, int n) {
  std::vector<uint64_t> out(n);
  for (uint64_t& h : out) h = (*rng)();
  return out;
}

// 14 bits away: beyond max_frame_distance (10), within aligned_frame_distance (16). The
// first pattern leaves one band within the probe radius (a seed); the second does not.
uint64_t FarSeed(uint64_t h) { return FlipBands(h, {2, 4, 4, 4}); }
uint64_t FarHidden(uint64_t h) { return FlipBands(h, {4, 4, 3, 3}); }

TEST(DuplicateRunsTest, FramesBeyondTheFrameDistanceMatchAlongARun) {
  std::mt19937_64 rng(11);
  const std::vector<uint64_t> a = RandomHashes(&rng, 6);
  std::vector<uint64_t> q;
  for (size_t i = 0; i < a.size(); ++i) q.push_back(i == 2 ? FarSeed(a[i]) : FarHidden(a[i]));
  DuplicateIndex index(DuplicateIndexOptions{});
  ASSERT_TRUE(index.Add("a", a).ok());
  // One seed is enough: the run check compares every frame at the seed's offset.
  const std::vector<DuplicateMatch> m = index.Lookup(q);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], (DuplicateMatch{"a", 14.0, 1.0}));
  // The same query with the rule off (aligned distance = frame distance) matches nothing.
  DuplicateIndexOptions off;
  off.aligned_frame_distance = off.max_frame_distance;
  DuplicateIndex strict(off);
  ASSERT_TRUE(strict.Add("a", a).ok());
  EXPECT_TRUE(strict.Lookup(q).empty());
}

TEST(DuplicateRunsTest, ARunNeedsMinAlignedFrames) {
  std::mt19937_64 rng(12);
  const std::vector<uint64_t> a = RandomHashes(&rng, 6);
  std::vector<uint64_t> q;
  for (uint64_t h : a) q.push_back(FarSeed(h));
  for (int k : {6, 7}) {
    DuplicateIndexOptions o;
    o.min_aligned_frames = k;
    DuplicateIndex index(o);
    ASSERT_TRUE(index.Add("a", a).ok());
    EXPECT_EQ(index.Lookup(q).size(), k <= 6 ? 1u : 0u) << "k=" << k;
  }
  // A one-frame query cannot form a run: 14 bits away is no match, 10 bits away is.
  DuplicateIndex index(DuplicateIndexOptions{});
  ASSERT_TRUE(index.Add("a", a).ok());
  EXPECT_TRUE(index.Lookup({FarSeed(a[3])}).empty());
  EXPECT_EQ(index.Lookup({FlipBands(a[3], {2, 3, 3, 2})}).size(), 1u);
}

TEST(DuplicateRunsTest, FramesAtInconsistentOffsetsDoNotFormARun) {
  std::mt19937_64 rng(13);
  const std::vector<uint64_t> a = RandomHashes(&rng, 12);
  DuplicateIndex index(DuplicateIndexOptions{});
  ASSERT_TRUE(index.Add("a", a).ok());
  // Offsets 9, -1 and 3, or 4, 5, 6: no two at one offset.
  EXPECT_TRUE(index.Lookup({FarSeed(a[9]), FarSeed(a[0]), FarSeed(a[5])}).empty());
  EXPECT_TRUE(index.Lookup({FarSeed(a[4]), FarSeed(a[6]), FarSeed(a[8])}).empty());
  // Offsets 4, 4, 4, and 4, 5, 5 (a run of two of three frames).
  EXPECT_EQ(index.Lookup({FarSeed(a[4]), FarSeed(a[5]), FarSeed(a[6])}).size(), 1u);
  EXPECT_EQ(index.Lookup({FarSeed(a[4]), FarSeed(a[6]), FarSeed(a[7])}).size(), 1u);
}

TEST(DuplicateRunsTest, OneChancePostingDoesNotMakeARunOfAStillShot) {
  // The query is one image repeated (a still shot); the stored video has one frame 14 bits from
  // it among random ones. Two query frames must pair with two stored frames.
  std::mt19937_64 rng(16);
  std::vector<uint64_t> v = RandomHashes(&rng, 6);
  const uint64_t still = FarSeed(v[3]);
  DuplicateIndex index(DuplicateIndexOptions{});
  ASSERT_TRUE(index.Add("v", v).ok());
  EXPECT_TRUE(index.Lookup({still, still, still, still}).empty());
  v[4] = v[3];  // the stored video holds the image twice in a row: a run of two
  ASSERT_TRUE(index.Add("v", v).ok());
  EXPECT_EQ(index.Lookup({still, still, still, still}).size(), 1u);
}

TEST(DuplicateRunsTest, MirroredRunMatches) {
  std::mt19937_64 rng(14);
  const std::vector<uint64_t> a = RandomHashes(&rng, 5);
  std::vector<uint64_t> q;
  for (uint64_t h : a) q.push_back(FarSeed(h ^ kDctMirrorMask));
  DuplicateIndex index(DuplicateIndexOptions{});
  ASSERT_TRUE(index.Add("a", a).ok());
  const std::vector<DuplicateMatch> m = index.Lookup(q);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_DOUBLE_EQ(m[0].distance, 14.0);
}

TEST(DuplicateRunsTest, RandomVideosDoNotMatchShortOrLongQueries) {
  // 20,000 videos of 3..8 random hashes: many postings within 16 bits of any query frame, but
  // never two at one offset of one video.
  std::mt19937_64 rng(15);
  DuplicateIndex index(DuplicateIndexOptions{});
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(index.Add("v" + std::to_string(i), RandomHashes(&rng, 3 + i % 6)).ok());
  }
  for (int n : {1, 2, 3, 8}) {
    for (int trial = 0; trial < 20; ++trial) {
      EXPECT_TRUE(index.Lookup(RandomHashes(&rng, n)).empty()) << "n=" << n;
    }
  }
}

TEST(DuplicateRunsTest, OptionsFromJson) {
  absl::StatusOr<DuplicateIndexOptions> o = ParseDuplicateIndexOptions(
      R"({"max_frame_distance":9,"aligned_frame_distance":15,"min_aligned_frames":3})");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->aligned_frame_distance, 15);
  EXPECT_EQ(o->min_aligned_frames, 3);
  for (const char* bad : {R"({"aligned_frame_distance":32})",
                          R"({"max_frame_distance":12,"aligned_frame_distance":11})",
                          R"({"min_aligned_frames":1})", R"({"min_aligned_frames":2.5})"}) {
    EXPECT_EQ(ParseDuplicateIndexOptions(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

// Six one-second frames of a panning scene: smooth random colour blobs (seeded), 40 px a frame.
std::vector<cv::Mat> PanningScene(int seed) {
  cv::RNG rng(seed);
  cv::Mat wide(360, 900, CV_8UC3);
  rng.fill(wide, cv::RNG::UNIFORM, 0, 255);
  cv::GaussianBlur(wide, wide, cv::Size(0, 0), 12);
  cv::normalize(wide, wide, 0, 255, cv::NORM_MINMAX);
  std::vector<cv::Mat> frames;
  for (int t = 0; t < 6; ++t) frames.push_back(wide(cv::Rect(t * 40, 0, 640, 360)).clone());
  return frames;
}

cv::Mat CentredCrop(const cv::Mat& f) {  // 92% of the width and height
  const int dx = f.cols * 4 / 100, dy = f.rows * 4 / 100;
  return f(cv::Rect(dx, dy, f.cols - 2 * dx, f.rows - 2 * dy)).clone();
}

cv::Mat Caption(const cv::Mat& f) {  // a darkened box with white text over the lower fifth
  cv::Mat out = f.clone();
  const cv::Rect box(f.cols / 6, f.rows * 82 / 100, f.cols * 2 / 3, f.rows / 10);
  out(box) *= 0.4;
  cv::putText(out, "@reposter_follow_me", cv::Point(box.x + 5, box.y + box.height - 8),
              cv::FONT_HERSHEY_SIMPLEX, 0.9, cv::Scalar(255, 255, 255), 2);
  return out;
}

std::vector<uint64_t> Hashes(const std::vector<cv::Mat>& frames, cv::Mat (*edit)(const cv::Mat&)) {
  std::vector<uint64_t> out;
  for (const cv::Mat& f : frames) out.push_back(DctHash(edit ? edit(f) : f));
  return out;
}

TEST(DuplicateRunsTest, CroppedAndCaptionedCopiesMatchAndAnotherSceneDoesNot) {
  const std::vector<cv::Mat> scene = PanningScene(2);
  DuplicateIndex index(DuplicateIndexOptions{});
  ASSERT_TRUE(index.Add("original", Hashes(scene, nullptr)).ok());
  DuplicateIndexOptions off;
  off.aligned_frame_distance = off.max_frame_distance;
  DuplicateIndex strict(off);
  ASSERT_TRUE(strict.Add("original", Hashes(scene, nullptr)).ok());
  for (auto edit : {CentredCrop, Caption}) {
    const std::vector<uint64_t> copy = Hashes(scene, edit);
    const std::vector<DuplicateMatch> m = index.Lookup(copy);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].video, "original");
    EXPECT_GE(m[0].matched_share, 0.5);
    // Most of these frames are beyond max_frame_distance: the per-frame rule alone misses them.
    EXPECT_TRUE(strict.Lookup(copy).empty());
  }
  EXPECT_TRUE(index.Lookup(Hashes(PanningScene(102), nullptr)).empty());
  EXPECT_TRUE(index.Lookup(Hashes(PanningScene(102), Caption)).empty());
}

}  // namespace
}  // namespace foryou::moderation
