// FeatureExtractor's per-pair behaviour counters under a stream of user x author / sound / tag /
// video pairs never seen again: bounded by max_pair_counters, oldest first; and the model
// config's memory knobs (max_pair_counters, max_rows) parsed and checked.
#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "model/features.h"
#include "model/model_config.h"

namespace foryou::model {
namespace {

constexpr int64_t kT0 = int64_t{1'700'000'000} * 1000;

std::string ConfigJson(const std::string& extra) {
  return R"json({"dim": 4, )json" + extra + R"json(
    "features": ["video_id", "user_x_author", "dense.user_author", "dense.user_tag",
                 "dense.session"]})json";
}

std::shared_ptr<Catalog> MakeCatalog() {
  auto catalog = std::make_shared<Catalog>();
  for (uint64_t v = 101; v <= 110; ++v) {
    VideoInfo& info = catalog->videos[v];
    info.author_id = 1000 + v;
    info.music_id = 2000 + v;
    info.tag = 3000 + v;
    info.duration_ms = 10'000;
  }
  return catalog;
}

Impression Imp(uint64_t user, uint64_t video, int64_t time_ms) {
  Impression imp;
  imp.user_id = user;
  imp.video_id = video;
  imp.time_ms = time_ms;
  imp.labels[kClick] = 1;
  imp.labels[kLongView] = 1;
  return imp;
}

// The user x author and user x tag rates (the first dense features of ConfigJson's) of one
// (user, video 101) impression at `time_ms`.
std::vector<float> PairRatesOf(const FeatureExtractor& fx, uint64_t user, int64_t time_ms) {
  FeatureBatch fb;
  const Impression imp = Imp(user, 101, time_ms);
  fx.Extract(absl::MakeConstSpan(&imp, 1), &fb);
  return {fb.dense.begin(), fb.dense.begin() + 2 * (1 + kNumTasks)};
}

TEST(PairCounterBoundTest, StaysBoundedAndKeepsTheRecentPairs) {
  absl::StatusOr<ModelConfig> config = ParseModelConfig(ConfigJson(R"("max_pair_counters": 64,)"));
  ASSERT_TRUE(config.ok()) << config.status();
  FeatureExtractor fx(*config, MakeCatalog());
  constexpr uint64_t kUsers = 2000;
  for (uint64_t u = 1; u <= kUsers; u += 10) {
    std::vector<Impression> batch;
    for (uint64_t i = 0; i < 10; ++i) batch.push_back(Imp(u + i, 101, kT0 + int64_t(u + i) * 1000));
    fx.Observe(batch);
    EXPECT_LE(fx.pair_counters(), 4u * 64u) << "after user " << u;
  }
  EXPECT_GE(fx.pair_counters(), 4u * 60u);
  const int64_t now = kT0 + int64_t{kUsers + 1} * 1000;
  const std::vector<float> unseen = PairRatesOf(fx, kUsers + 100, now);
  EXPECT_EQ(PairRatesOf(fx, 1, now), unseen);        // the oldest pairs went
  EXPECT_NE(PairRatesOf(fx, kUsers, now), unseen);   // the newest stayed
}

TEST(PairCounterBoundTest, ZeroMeansUnbounded) {
  absl::StatusOr<ModelConfig> config = ParseModelConfig(ConfigJson(""));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->max_pair_counters, 0u);
  FeatureExtractor fx(*config, MakeCatalog());
  std::vector<Impression> batch;
  for (uint64_t u = 1; u <= 500; ++u) batch.push_back(Imp(u, 101, kT0 + int64_t(u) * 1000));
  fx.Observe(batch);
  EXPECT_EQ(fx.pair_counters(), 4u * 500u);
}

TEST(StateStreamTest, TheSameBytesInPiecesOfAboutOneMegabyte) {
  absl::StatusOr<ModelConfig> config = ParseModelConfig(ConfigJson(""));
  ASSERT_TRUE(config.ok()) << config.status();
  FeatureExtractor fx(*config, MakeCatalog());
  std::vector<Impression> batch;
  for (uint64_t u = 1; u <= 20'000; ++u) batch.push_back(Imp(u, 101 + u % 10, kT0 + int64_t(u)));
  fx.Observe(batch);
  std::string whole;
  fx.SaveState(&whole);
  ASSERT_GT(whole.size(), 3u << 20);
  std::string streamed;
  size_t pieces = 0, largest = 0;
  fx.SaveState([&](std::string_view piece) {
    ++pieces;
    largest = std::max(largest, piece.size());
    streamed.append(piece);
  });
  EXPECT_EQ(streamed, whole);
  EXPECT_GE(pieces, 3u);
  EXPECT_LT(largest, (1u << 20) + 4096);
  FeatureExtractor restored(*config, MakeCatalog());
  ASSERT_TRUE(restored.LoadState(streamed).ok());
  EXPECT_EQ(restored.pair_counters(), fx.pair_counters());
}

TEST(MemoryKnobsTest, ParsedIntoTheConfigAndTheTable) {
  absl::StatusOr<ModelConfig> config = ParseModelConfig(ConfigJson(
      R"("max_pair_counters": 1000, "sparse_defaults": {"max_rows": 5000},)"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->max_pair_counters, 1000u);
  absl::StatusOr<embedding::TableConfig> table = config->ToTableConfig();
  ASSERT_TRUE(table.ok()) << table.status();
  for (const embedding::SlotConfig& s : table->slots) EXPECT_EQ(s.max_rows, 5000u) << s.name;
  for (const char* bad : {R"("max_pair_counters": -1,)", R"("max_pair_counters": 1.5,)",
                          R"("sparse_defaults": {"max_rows": -5},)"}) {
    absl::StatusOr<ModelConfig> c = ParseModelConfig(ConfigJson(bad));
    EXPECT_FALSE(c.ok()) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
  }
}

TEST(MemoryKnobsTest, TheDefaultConfigBoundsTheModel) {
  absl::StatusOr<ModelConfig> config = ParseModelConfig(DefaultModelConfigJson());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_GT(config->max_pair_counters, 0u);
  absl::StatusOr<embedding::TableConfig> table = config->ToTableConfig();
  ASSERT_TRUE(table.ok()) << table.status();
  for (const embedding::SlotConfig& s : table->slots) EXPECT_GT(s.max_rows, 0u) << s.name;
}

}  // namespace
}  // namespace foryou::model
