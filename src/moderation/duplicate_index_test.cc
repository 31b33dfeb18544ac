#include "moderation/duplicate_index.h"

#include <bit>
#include <random>

#include "gtest/gtest.h"
#include "moderation/frame_hash.h"

namespace foryou::moderation {
namespace {

// `h` with its lowest `bits` bits of each 16-bit band flipped in turn (spread over bands, so a
// single band never holds all the difference).
uint64_t FlipSpread(uint64_t h, int bits) {
  for (int i = 0; i < bits; ++i) h ^= uint64_t{1} << ((i % 4) * 16 + i / 4);
  return h;
}

// `h` with `bits` bits flipped, all in the lowest band.
uint64_t FlipOneBand(uint64_t h, int bits) {
  for (int i = 0; i < bits; ++i) h ^= uint64_t{1} << i;
  return h;
}

std::vector<uint64_t> RandomHashes(std::mt19937_64* rng, int n) {
  std::vector<uint64_t> out(n);
  for (uint64_t& h : out) h = (*rng)();
  return out;
}

TEST(DuplicateIndexTest, ExactCopyMatchesWithDistanceZero) {
  std::mt19937_64 rng(1);
  DuplicateIndex index(DuplicateIndexOptions{});
  const std::vector<uint64_t> a = RandomHashes(&rng, 8);
  ASSERT_TRUE(index.Add("a", a).ok());
  ASSERT_TRUE(index.Add("b", RandomHashes(&rng, 8)).ok());
  const std::vector<DuplicateMatch> m = index.Lookup(a);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], (DuplicateMatch{"a", 0.0, 1.0}));
}

TEST(DuplicateIndexTest, NearCopyWithinTheDistanceMatchesWherevertheBitsDiffer) {
  std::mt19937_64 rng(2);
  DuplicateIndexOptions o;
  o.max_frame_distance = 10;
  DuplicateIndex index(o);
  const std::vector<uint64_t> a = RandomHashes(&rng, 6);
  ASSERT_TRUE(index.Add("a", a).ok());
  // 10 bits spread over the bands (each band <= 3 differing, one band <= 2) and 10 bits all in
  // one band (three bands exact): both must be found.
  for (auto flip : {FlipSpread, FlipOneBand}) {
    std::vector<uint64_t> q;
    for (uint64_t h : a) q.push_back(flip(h, 10));
    const std::vector<DuplicateMatch> m = index.Lookup(q);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].video, "a");
    EXPECT_DOUBLE_EQ(m[0].distance, 10.0);
    EXPECT_DOUBLE_EQ(m[0].matched_share, 1.0);
  }
}

TEST(DuplicateIndexTest, FarHashesDoNotMatch) {
  std::mt19937_64 rng(3);
  DuplicateIndexOptions o;
  o.max_frame_distance = 10;
  o.aligned_frame_distance = 10;  // the per-frame rule only (duplicate_runs_test.cc: runs)
  DuplicateIndex index(o);
  const std::vector<uint64_t> a = RandomHashes(&rng, 6);
  ASSERT_TRUE(index.Add("a", a).ok());
  std::vector<uint64_t> q;
  for (uint64_t h : a) q.push_back(FlipSpread(h, 11));
  EXPECT_TRUE(index.Lookup(q).empty());
  EXPECT_TRUE(index.Lookup(RandomHashes(&rng, 6)).empty());
}

TEST(DuplicateIndexTest, MirroredQueryMatchesOnlyWhenEnabled) {
  std::mt19937_64 rng(4);
  const std::vector<uint64_t> a = RandomHashes(&rng, 5);
  std::vector<uint64_t> mirrored;
  for (uint64_t h : a) mirrored.push_back(FlipSpread(h ^ kDctMirrorMask, 3));
  DuplicateIndexOptions o;
  DuplicateIndex with_mirror(o);
  ASSERT_TRUE(with_mirror.Add("a", a).ok());
  const std::vector<DuplicateMatch> m = with_mirror.Lookup(mirrored);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_DOUBLE_EQ(m[0].distance, 3.0);
  o.match_mirrored = false;
  DuplicateIndex without(o);
  ASSERT_TRUE(without.Add("a", a).ok());
  EXPECT_TRUE(without.Lookup(mirrored).empty());
}

TEST(DuplicateIndexTest, MatchedShareIsComparedWithTheThreshold) {
  std::mt19937_64 rng(5);
  const std::vector<uint64_t> a = RandomHashes(&rng, 4);
  // Two of the query's four frames come from `a`.
  std::vector<uint64_t> q = {a[0], a[1], rng(), rng()};
  DuplicateIndexOptions o;
  o.min_matched_share = 0.5;
  DuplicateIndex half(o);
  ASSERT_TRUE(half.Add("a", a).ok());
  const std::vector<DuplicateMatch> m = half.Lookup(q);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_DOUBLE_EQ(m[0].matched_share, 0.5);
  o.min_matched_share = 0.75;
  DuplicateIndex most(o);
  ASSERT_TRUE(most.Add("a", a).ok());
  EXPECT_TRUE(most.Lookup(q).empty());
}

TEST(DuplicateIndexTest, ResultsAreOrderedByShareThenDistance) {
  std::mt19937_64 rng(6);
  const std::vector<uint64_t> a = RandomHashes(&rng, 4);
  DuplicateIndex index(DuplicateIndexOptions{});
  ASSERT_TRUE(index.Add("exact", a).ok());
  std::vector<uint64_t> near;
  for (uint64_t h : a) near.push_back(FlipSpread(h, 4));
  ASSERT_TRUE(index.Add("near", near).ok());
  ASSERT_TRUE(index.Add("half", {a[0], a[1]}).ok());
  const std::vector<DuplicateMatch> m = index.Lookup(a);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].video, "exact");
  EXPECT_EQ(m[1].video, "near");
  EXPECT_EQ(m[2].video, "half");
  EXPECT_DOUBLE_EQ(m[2].matched_share, 0.5);
}

TEST(DuplicateIndexTest, RemoveAndReplace) {
  std::mt19937_64 rng(7);
  DuplicateIndex index(DuplicateIndexOptions{});
  const std::vector<uint64_t> a = RandomHashes(&rng, 4);
  const std::vector<uint64_t> b = RandomHashes(&rng, 4);
  ASSERT_TRUE(index.Add("a", a).ok());
  ASSERT_TRUE(index.Add("b", b).ok());
  EXPECT_TRUE(index.Remove("a"));
  EXPECT_FALSE(index.Remove("a"));
  EXPECT_FALSE(index.Contains("a"));
  EXPECT_TRUE(index.Lookup(a).empty());
  // A freed slot reused by another video answers for that video only.
  ASSERT_TRUE(index.Add("c", a).ok());
  ASSERT_EQ(index.Lookup(a).size(), 1u);
  EXPECT_EQ(index.Lookup(a)[0].video, "c");
  // Adding again replaces the old hashes.
  ASSERT_TRUE(index.Add("b", a).ok());
  EXPECT_TRUE(index.Lookup(b).empty());
  EXPECT_EQ(index.Lookup(a).size(), 2u);
  EXPECT_EQ(index.size(), 2u);
}

TEST(DuplicateIndexTest, BadAddIsRefusedAndChangesNothing) {
  DuplicateIndex index(DuplicateIndexOptions{});
  EXPECT_EQ(index.Add("", {1, 2}).code(), absl::StatusCode::kInvalidArgument);
  std::vector<uint64_t> too_many(kMaxFrameHashes + 1, 7);
  EXPECT_EQ(index.Add("a", too_many).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.Lookup({7}).empty());
  ASSERT_TRUE(index.Add("empty", {}).ok());
  EXPECT_TRUE(index.Lookup({7}).empty());
  EXPECT_TRUE(index.Lookup({}).empty());
}

TEST(DuplicateIndexTest, OptionsFromJson) {
  absl::StatusOr<DuplicateIndexOptions> o =
      ParseDuplicateIndexOptions(R"({"max_frame_distance":8,"min_matched_share":0.4,
                                     "match_mirrored":false})");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->max_frame_distance, 8);
  EXPECT_DOUBLE_EQ(o->min_matched_share, 0.4);
  EXPECT_FALSE(o->match_mirrored);
  for (const char* bad : {"[]", "{", R"({"max_frame_distance":40})",
                          R"({"min_matched_share":0})", R"({"threshold":1})",
                          R"({"max_frame_distance":"8"})"}) {
    absl::StatusOr<DuplicateIndexOptions> r = ParseDuplicateIndexOptions(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(FrameHashesTextTest, RoundTrips) {
  const std::vector<uint64_t> hashes = {0, 1, 0xfedcba9876543210ull, ~uint64_t{0}};
  const std::string text = SerializeFrameHashes(hashes);
  EXPECT_EQ(text,
            "dct64:0000000000000000,0000000000000001,fedcba9876543210,ffffffffffffffff");
  absl::StatusOr<std::vector<uint64_t>> back = ParseFrameHashes(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, hashes);
  EXPECT_EQ(SerializeFrameHashes({}), "dct64:");
  ASSERT_TRUE(ParseFrameHashes("dct64:").ok());
  EXPECT_TRUE(ParseFrameHashes("dct64:")->empty());
  EXPECT_EQ(*ParseFrameHash("FEDCBA9876543210"), 0xfedcba9876543210ull);
}

TEST(FrameHashesTextTest, BadInputGetsAClearError) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "prefix"},
      {"phash:0000000000000000", "prefix"},
      {"dct64:123", "item 1: frame hash \"123\" is not 16 hex digits"},
      {"dct64:0000000000000000,", "item 2"},
      {"dct64:0000000000000000,,0000000000000000", "item 2"},
      {"dct64:000000000000000g", "not a hex digit"},
      {"dct64: 000000000000000", "not a hex digit"},
      {"dct64:0000000000000000 ", "not 16 hex digits"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<uint64_t>> r = ParseFrameHashes(c.text);
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status();
  }
  std::vector<uint64_t> too_many(kMaxFrameHashes + 1, 1);
  EXPECT_EQ(ParseFrameHashes(SerializeFrameHashes(too_many)).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<uint64_t> most(kMaxFrameHashes, 1);
  EXPECT_TRUE(ParseFrameHashes(SerializeFrameHashes(most)).ok());
}

}  // namespace
}  // namespace foryou::moderation
