#include "model/serving_model.h"

#include <thread>

#include "gtest/gtest.h"
#include "model/model_config.h"

namespace foryou::model {
namespace {

ModelConfig Config() {
  auto c = ParseModelConfig(R"({"dim": 4, "hidden": [8], "features": ["video_id", "user_id"]})");
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

FeatureBatch Batch(const ModelConfig& config, size_t rows = 8) {
  auto catalog = std::make_shared<Catalog>();
  FeatureExtractor fx(config, catalog);
  std::vector<Impression> imps(rows);
  for (size_t i = 0; i < imps.size(); ++i) {
    imps[i].user_id = i;
    imps[i].video_id = 100 + i;
  }
  FeatureBatch b;
  fx.Extract(imps, &b);
  return b;
}

TEST(ServingModelTest, PredictsWithThePublishedWeightsAndCorrectsSampling) {
  const ModelConfig config = Config();
  auto trainer = RankingModel::Create(config).value();
  const FeatureBatch batch = Batch(config);
  std::vector<Labels> labels(batch.size);
  for (size_t i = 0; i < labels.size(); ++i) labels[i][kClick] = i % 2;
  for (int step = 0; step < 20; ++step) ASSERT_TRUE(trainer->Train(batch, labels, nullptr).ok());

  ServingModel plain(config, trainer->shared_table()), sampled(config, trainer->shared_table());
  EXPECT_EQ(plain.dense_version(), 0u);
  ASSERT_TRUE(plain.PublishDense(trainer->SaveDense()).ok());
  ASSERT_TRUE(sampled.PublishDense(trainer->SaveDense()).ok());
  sampled.set_negative_sample_rate(0.1);
  EXPECT_EQ(plain.dense_version(), 1u);

  std::vector<float> expected(batch.size * kNumTasks), p(expected.size()), q(expected.size());
  ASSERT_TRUE(trainer->Predict(batch, expected.data()).ok());
  ASSERT_TRUE(plain.Predict(batch, p.data()).ok());
  ASSERT_TRUE(sampled.Predict(batch, q.data()).ok());
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_FLOAT_EQ(p[i], expected[i]);
    EXPECT_NEAR(q[i], CorrectSampledProbability(p[i], 0.1), 1e-6);
    EXPECT_LT(q[i], p[i] + 1e-7) << "a sampled model over-predicts; the correction lowers it";
  }
  // Another thread gets its own view of the same weights.
  std::vector<float> r(expected.size());
  std::thread t([&] { ASSERT_TRUE(plain.Predict(batch, r.data()).ok()); });
  t.join();
  EXPECT_EQ(r, p);
  // New weights reach the next Predict.
  for (int step = 0; step < 20; ++step) ASSERT_TRUE(trainer->Train(batch, labels, nullptr).ok());
  ASSERT_TRUE(plain.PublishDense(trainer->SaveDense()).ok());
  ASSERT_TRUE(trainer->Predict(batch, expected.data()).ok());
  ASSERT_TRUE(plain.Predict(batch, p.data()).ok());
  for (size_t i = 0; i < p.size(); ++i) EXPECT_FLOAT_EQ(p[i], expected[i]);
}

TEST(ServingModelTest, ABadBlobIsRefusedAndChangesNothing) {
  const ModelConfig config = Config();
  auto trainer = RankingModel::Create(config).value();
  ServingModel serving(config, trainer->shared_table());
  ASSERT_TRUE(serving.PublishDense(trainer->SaveDense()).ok());
  std::string blob = trainer->SaveDense();
  blob[blob.size() / 2] ^= 0x40;
  EXPECT_FALSE(serving.PublishDense(blob).ok());
  EXPECT_FALSE(serving.PublishDense("").ok());
  EXPECT_EQ(serving.dense_version(), 1u);
}

// A loaded view (what PublishDense builds) holds exactly the blob's weights, as a view that
// drew its initial weights and then loaded them; a bad blob or table is refused.
TEST(ServingModelTest, ALoadedViewHoldsTheBlobsWeights) {
  const ModelConfig config = Config();
  auto trainer = RankingModel::Create(config).value();
  const FeatureBatch batch = Batch(config);
  std::vector<Labels> labels(batch.size);
  for (size_t i = 0; i < labels.size(); ++i) labels[i][kClick] = i % 2;
  for (int step = 0; step < 10; ++step) ASSERT_TRUE(trainer->Train(batch, labels, nullptr).ok());
  const std::string blob = trainer->SaveDense();

  auto loaded = RankingModel::CreateLoadedView(config, trainer->shared_table(), blob);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto drawn = RankingModel::CreateView(config, trainer->shared_table()).value();
  ASSERT_TRUE(drawn->LoadDense(blob).ok());
  EXPECT_EQ((*loaded)->SaveDense(), blob);
  EXPECT_EQ((*loaded)->SaveDense(), drawn->SaveDense());
  std::vector<float> expected(batch.size * kNumTasks), got(expected.size());
  ASSERT_TRUE(trainer->Predict(batch, expected.data()).ok());
  ASSERT_TRUE((*loaded)->Predict(batch, got.data()).ok());
  EXPECT_EQ(got, expected);

  std::string bad = blob;
  bad[bad.size() / 2] ^= 0x40;
  EXPECT_EQ(RankingModel::CreateLoadedView(config, trainer->shared_table(), bad).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(RankingModel::CreateLoadedView(config, nullptr, blob).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ServingModelTest, ABufferViewPredictsOnlyWithSharedWeights) {
  const ModelConfig config = Config();
  auto trainer = RankingModel::Create(config).value();
  const FeatureBatch batch = Batch(config);
  std::vector<Labels> labels(batch.size);
  for (size_t i = 0; i < labels.size(); ++i) labels[i][kLike] = i % 3 == 0;
  for (int step = 0; step < 10; ++step) ASSERT_TRUE(trainer->Train(batch, labels, nullptr).ok());

  auto view = RankingModel::CreateBufferView(config, trainer->shared_table()).value();
  EXPECT_FALSE(view->has_dense());
  std::vector<float> expected(batch.size * kNumTasks), got(expected.size());
  ASSERT_TRUE(trainer->Predict(batch, expected.data()).ok());
  ASSERT_TRUE(view->PredictWith(*trainer, batch, got.data()).ok());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], expected[i]) << i;
  // One row: the unshared forward path.
  const FeatureBatch one = Batch(config, 1);
  ASSERT_TRUE(trainer->Predict(one, expected.data()).ok());
  ASSERT_TRUE(view->PredictWith(*trainer, one, got.data()).ok());
  for (int t = 0; t < kNumTasks; ++t) EXPECT_FLOAT_EQ(got[t], expected[t]) << t;

  // Nothing but PredictWith: it has no weights to predict, train, load or sync with.
  EXPECT_EQ(view->Predict(batch, got.data()).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(view->Train(batch, labels, nullptr).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(view->LoadDense(trainer->SaveDense()).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(trainer->SyncTo(view.get(), /*dense=*/true).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(view->PredictWith(*view, batch, got.data()).code(),
            absl::StatusCode::kFailedPrecondition);

  auto other_config = ParseModelConfig(
      R"({"dim": 4, "hidden": [6], "features": ["video_id", "user_id"]})");
  ASSERT_TRUE(other_config.ok());
  auto other = RankingModel::Create(*other_config).value();
  EXPECT_EQ(view->PredictWith(*other, batch, got.data()).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace foryou::model
