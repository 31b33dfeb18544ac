// Many threads predict through one ServingModel while new dense weights are published: every
// prediction equals one published version's (never a mix, never a freed model). Runs under TSan.
#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "model/model_config.h"
#include "model/serving_model.h"

namespace foryou::model {
namespace {

TEST(ServingModelConcurrencyTest, PredictionsSeeWholePublishedVersionsWhilePublishing) {
  auto config = ParseModelConfig(R"({"dim": 4, "hidden": [8], "features": ["video_id", "user_id"]})");
  ASSERT_TRUE(config.ok()) << config.status();
  auto trainer = RankingModel::Create(*config).value();
  auto catalog = std::make_shared<Catalog>();
  FeatureExtractor fx(*config, catalog);
  std::vector<Impression> imps(6);
  for (size_t i = 0; i < imps.size(); ++i) {
    imps[i].user_id = 7;
    imps[i].video_id = 100 + i;
  }
  FeatureBatch batch;
  fx.Extract(imps, &batch);
  std::vector<Labels> labels(batch.size);
  for (size_t i = 0; i < labels.size(); ++i) labels[i][kClick] = i % 2;

  // The versions, trained and scored up front (training leaves the table untouched after this:
  // every version shares the same sparse rows).
  constexpr int kVersions = 12;
  std::vector<std::string> blobs;
  std::vector<std::vector<float>> expected;
  for (int v = 0; v < kVersions; ++v) {
    ASSERT_TRUE(trainer->Train(batch, labels, nullptr).ok());
    blobs.push_back(trainer->SaveDense());
  }
  ServingModel serving(*config, trainer->shared_table());
  for (const std::string& blob : blobs) {
    ASSERT_TRUE(serving.PublishDense(blob).ok());
    std::vector<float> p(batch.size * kNumTasks);
    ASSERT_TRUE(serving.Predict(batch, p.data()).ok());
    expected.push_back(std::move(p));
  }

  ServingModel live(*config, trainer->shared_table());
  ASSERT_TRUE(live.PublishDense(blobs[0]).ok());
  std::atomic<bool> done{false};
  std::atomic<int> mismatches{0}, predictions{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      std::vector<float> p(batch.size * kNumTasks);
      while (!done.load()) {
        if (!live.Predict(batch, p.data()).ok()) ++mismatches;
        bool any = false;
        for (const auto& e : expected) any = any || e == p;
        if (!any) ++mismatches;
        ++predictions;
      }
    });
  }
  for (int round = 0; round < 5; ++round) {
    for (const std::string& blob : blobs) ASSERT_TRUE(live.PublishDense(blob).ok());
  }
  while (predictions.load() < 200) std::this_thread::yield();
  done = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace foryou::model
