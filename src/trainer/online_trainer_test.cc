// Tests of the online trainer: progressive metrics on hand-computed cases, the score-before-train
// protocol checked against a model driven by hand, sync to a serving replica, and learning on a
// small deterministic synthetic stream.
#include "trainer/online_trainer.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "model/features.h"
#include "model/model_config.h"
#include "model/ranking_model.h"
#include "model/model_config.h"

namespace foryou::trainer {
namespace {

using model::FeatureBatch;
using model::Impression;
using model::kClick;
using model::kLike;
using model::kLongView;
using model::kNumTasks;
using model::kWatchRatio;

// ---- ProgressiveMetrics ----

// Six examples, three users. Click scores / labels (user):
//   0.9/1 (u1)  0.3/0 (u1)  0.6/0 (u2)  0.5/1 (u2)  0.7/1 (u3)  0.35/0 (u1)
// AUC: positives {0.9, 0.5, 0.7} vs negatives {0.3, 0.6, 0.35}: 3 + 2 + 3 = 8 of 9 pairs.
// GAUC: u1 (3 examples) 1.0, u2 (2 examples) 0.0, u3 has one class and is skipped: 3/5.
// Watch ratio (soft labels) scores / labels: 0.2/0.5 0.4/0.2 0.8/1 0.1/0 0.3/0.3 0.6/0.9
// RMSE: squared errors .09 .04 .04 .01 0 .09 = .27 over 6 -> sqrt(0.045).
// AUC with labels >= 0.5 positive: positives {0.2, 0.8, 0.6} vs {0.4, 0.1, 0.3}: 1 + 3 + 3 = 7/9
// (a strict > 0.5 threshold would make 0.2 a negative and give 1.0).
struct SmallCase {
  std::vector<Impression> batch;
  std::vector<float> probs;  // batch.size() x kNumTasks
};

SmallCase MakeSmallCase() {
  const uint64_t users[] = {1, 1, 2, 2, 3, 1};
  const float click_p[] = {0.9f, 0.3f, 0.6f, 0.5f, 0.7f, 0.35f};
  const float click_y[] = {1, 0, 0, 1, 1, 0};
  const float ratio_p[] = {0.2f, 0.4f, 0.8f, 0.1f, 0.3f, 0.6f};
  const float ratio_y[] = {0.5f, 0.2f, 1.0f, 0.0f, 0.3f, 0.9f};
  SmallCase c;
  c.probs.assign(6 * kNumTasks, 0.5f);
  for (int i = 0; i < 6; ++i) {
    Impression imp;
    imp.user_id = users[i];
    imp.video_id = 100 + i;
    imp.labels[kClick] = click_y[i];
    imp.labels[kWatchRatio] = ratio_y[i];
    c.batch.push_back(imp);
    c.probs[i * kNumTasks + kClick] = click_p[i];
    c.probs[i * kNumTasks + kWatchRatio] = ratio_p[i];
  }
  return c;
}

TEST(ProgressiveMetricsTest, HandComputedCase) {
  const SmallCase c = MakeSmallCase();
  ProgressiveMetrics m;
  m.Record(c.batch, c.probs.data());
  EXPECT_EQ(m.examples(), 6u);
  EXPECT_NEAR(m.Auc(kClick), 8.0 / 9.0, 1e-12);
  EXPECT_NEAR(m.GroupAuc(kClick), 3.0 / 5.0, 1e-12);
  const double click_logloss =
      -(std::log(0.9) + std::log(0.7) + std::log(0.4) + std::log(0.5) + std::log(0.7) +
        std::log(0.65)) / 6.0;
  EXPECT_NEAR(m.LogLoss(kClick), click_logloss, 1e-6);
  EXPECT_NEAR(m.Rmse(kWatchRatio), std::sqrt(0.045), 1e-6);
  EXPECT_NEAR(m.Auc(kWatchRatio), 7.0 / 9.0, 1e-12);
  // Soft-label cross-entropy: -(y log p + (1 - y) log(1 - p)).
  const double p[] = {0.2, 0.4, 0.8, 0.1, 0.3, 0.6}, y[] = {0.5, 0.2, 1.0, 0.0, 0.3, 0.9};
  double ratio_logloss = 0;
  for (int i = 0; i < 6; ++i) ratio_logloss -= y[i] * std::log(p[i]) + (1 - y[i]) * std::log(1 - p[i]);
  EXPECT_NEAR(m.LogLoss(kWatchRatio), ratio_logloss / 6, 1e-6);
  // Like: every label 0 and every score 0.5 -> AUC undefined, log loss ln 2, RMSE 0.5.
  EXPECT_TRUE(std::isnan(m.Auc(kLike)));
  EXPECT_TRUE(std::isnan(m.GroupAuc(kLike)));
  EXPECT_NEAR(m.LogLoss(kLike), std::log(2.0), 1e-6);
  EXPECT_NEAR(m.Rmse(kLike), 0.5, 1e-6);
}

TEST(ProgressiveMetricsTest, RecordsAccumulateAcrossBatches) {
  const SmallCase c = MakeSmallCase();
  ProgressiveMetrics whole, split;
  whole.Record(c.batch, c.probs.data());
  split.Record(absl::MakeConstSpan(c.batch).subspan(0, 2), c.probs.data());
  split.Record(absl::MakeConstSpan(c.batch).subspan(2), c.probs.data() + 2 * kNumTasks);
  EXPECT_EQ(split.examples(), 6u);
  for (int t = 0; t < kNumTasks; ++t) {
    SCOPED_TRACE(t);
    EXPECT_NEAR(split.LogLoss(t), whole.LogLoss(t), 1e-12);
    EXPECT_NEAR(split.Rmse(t), whole.Rmse(t), 1e-12);
  }
  EXPECT_DOUBLE_EQ(split.Auc(kClick), whole.Auc(kClick));
  EXPECT_DOUBLE_EQ(split.GroupAuc(kClick), whole.GroupAuc(kClick));
}

TEST(ProgressiveMetricsTest, EmptyIsNaNAndExtremeScoresStayFinite) {
  ProgressiveMetrics empty;
  EXPECT_EQ(empty.examples(), 0u);
  EXPECT_TRUE(std::isnan(empty.Auc(kClick)));
  EXPECT_TRUE(std::isnan(empty.LogLoss(kClick)));
  EXPECT_TRUE(std::isnan(empty.Rmse(kWatchRatio)));

  // A confidently wrong score of exactly 0 or 1 is clamped to 1e-7, not infinite.
  std::vector<Impression> batch(2);
  batch[0].labels[kClick] = 1;
  std::vector<float> probs(2 * kNumTasks, 0.0f);
  probs[1 * kNumTasks + kClick] = 1.0f;  // label 0
  ProgressiveMetrics m;
  m.Record(batch, probs.data());
  EXPECT_NEAR(m.LogLoss(kClick), -std::log(1e-7), 1e-3);
  EXPECT_DOUBLE_EQ(m.Auc(kClick), 0.0);
}

// ---- A deterministic synthetic world ----

// Users 1000..1000+kUsers-1 each prefer one of kTags tags; videos 5000.. have tag v % kTags.
// A user clicks a video of their tag 90% of the time and any other 10% of the time.
constexpr int kUsers = 120, kVideos = 60, kTags = 5;

uint64_t SplitMix(uint64_t* s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::shared_ptr<model::Catalog> MakeCatalog() {
  auto c = std::make_shared<model::Catalog>();
  for (int v = 0; v < kVideos + 20; ++v) {  // 20 videos never shown in MakeStream's default range
    model::VideoInfo& info = c->videos[5000 + v];
    info.author_id = 700 + v % 9;
    info.music_id = 800 + v % 13;
    info.tag = model::ValueId("tag" + std::to_string(v % kTags));
    info.video_type = model::ValueId("NORMAL");
    info.upload_type = model::ValueId("ShortImport");
    info.upload_day = 19000;
    info.duration_ms = 8000 + 1000 * (v % 7);
  }
  for (int u = 0; u < kUsers; ++u) {
    model::UserInfo& info = c->users[1000 + u];
    // Position 0: "active_degree", the first of SmallConfig's profile_fields.
    info.profile[0] = model::ValueId(u % 2 ? "full_active" : "high_active");
  }
  return c;
}

// `n` impressions from time `start_ms`, one per second; videos in [first_video, first_video +
// videos).
std::vector<Impression> MakeStream(int n, uint64_t seed, int64_t start_ms, int first_video = 0,
                                   int videos = kVideos) {
  std::vector<Impression> out;
  uint64_t s = seed;
  for (int i = 0; i < n; ++i) {
    Impression imp;
    const int u = static_cast<int>(SplitMix(&s) % kUsers);
    const int v = first_video + static_cast<int>(SplitMix(&s) % videos);
    imp.user_id = 1000 + u;
    imp.video_id = 5000 + v;
    imp.time_ms = start_ms + 1000 * i;
    imp.day = static_cast<int32_t>(imp.time_ms / 86400000);
    imp.hour = static_cast<uint8_t>(imp.time_ms / 3600000 % 24);
    imp.weekday = static_cast<uint8_t>(imp.day % 7);
    imp.tab = 1 + (i % 3 == 0);
    const bool likes_tag = v % kTags == u % kTags;
    const bool click = SplitMix(&s) % 10 < (likes_tag ? 9u : 1u);
    const bool long_view = click && SplitMix(&s) % 3 != 0;
    imp.labels[kClick] = click;
    imp.labels[kLongView] = long_view;
    imp.labels[kLike] = long_view && SplitMix(&s) % 4 == 0;
    imp.labels[kWatchRatio] = long_view ? 0.9f : click ? 0.3f : 0.05f;
    out.push_back(imp);
  }
  return out;
}

constexpr int64_t kStartMs = 1650812741436;  // 2022-04-25

model::ModelConfig DefaultConfig() {
  absl::StatusOr<model::ModelConfig> c = model::ParseModelConfig(model::DefaultModelConfigJson());
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

// A small model for the learning test: a handful of features, narrow layers.
model::ModelConfig SmallConfig() {
  absl::StatusOr<model::ModelConfig> c = model::ParseModelConfig(R"({
    "dim": 8, "hidden": [32, 16], "profile_fields": ["active_degree"],
    "features": ["video_id", "author_id", "tag", "user_id", "user.active_degree", "user_x_tag",
                 "seq.long_view.video", "seq.skip.video", "dense.video_rates", "dense.user_tag"]
  })");
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

std::unique_ptr<model::RankingModel> NewModel(const model::ModelConfig& config,
                                              bool serving = false) {
  absl::StatusOr<std::unique_ptr<model::RankingModel>> m =
      model::RankingModel::Create(config, serving);
  EXPECT_TRUE(m.ok()) << m.status();
  return *std::move(m);
}

std::vector<model::Labels> LabelsOf(absl::Span<const Impression> batch) {
  std::vector<model::Labels> y;
  for (const Impression& imp : batch) y.push_back(imp.labels);
  return y;
}

std::vector<float> PredictAll(model::RankingModel* m, const FeatureBatch& fb) {
  std::vector<float> p(static_cast<size_t>(fb.size) * kNumTasks);
  const absl::Status s = m->Predict(fb, p.data());
  EXPECT_TRUE(s.ok()) << s;
  return p;
}

float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

// `want` may come from Predict, which computes the columns a batch shares once: its sums round
// differently from training's forward pass, by ~1e-9 in the loss.
void ExpectSameMetrics(const ProgressiveMetrics& got, const ProgressiveMetrics& want) {
  ASSERT_EQ(got.examples(), want.examples());
  for (int t = 0; t < kNumTasks; ++t) {
    SCOPED_TRACE(model::kTaskNames[t]);
    EXPECT_NEAR(got.LogLoss(t), want.LogLoss(t), 1e-7);
    EXPECT_NEAR(got.Rmse(t), want.Rmse(t), 1e-7);
    const double a = got.Auc(t), b = want.Auc(t);
    if (std::isnan(b)) {
      EXPECT_TRUE(std::isnan(a));
    } else {
      EXPECT_NEAR(a, b, 1e-3);
    }
  }
}

// ---- The progressive protocol ----

// A reference model and extractor, driven by hand with the documented order (extract, predict,
// train, observe), must see exactly the scores the trainer records; and those are not the
// scores after training on the batch.
TEST(OnlineTrainerTest, MetricsRecordTheScoresFromBeforeTrainingOnTheBatch) {
  const model::ModelConfig config = DefaultConfig();
  const auto catalog = MakeCatalog();
  auto trained = NewModel(config);
  model::FeatureExtractor fx(config, catalog);
  OnlineTrainer trainer(trained.get(), &fx, {});

  auto reference = NewModel(config);
  model::FeatureExtractor ref_fx(config, catalog);
  ProgressiveMetrics expected, after_training;

  const std::vector<Impression> stream = MakeStream(4 * 64, 7, kStartMs);
  FeatureBatch fb;
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    const auto batch = absl::MakeConstSpan(stream).subspan(i * 64, 64);
    ref_fx.Extract(batch, &fb);  // same behaviour state as the trainer's extractor now
    const std::vector<float> before = PredictAll(reference.get(), fb);
    expected.Record(batch, before.data());

    ASSERT_TRUE(trainer.ProcessBatch(batch, /*evaluate=*/true).ok());
    ExpectSameMetrics(trainer.metrics(), expected);

    // The trainer's model has learned from the batch: its scores for it now differ. (Not
    // necessarily for the better: one Adagrad step moves every fresh row by about the learning
    // rate, and the shared FM term can overshoot.)
    const std::vector<float> after = PredictAll(trained.get(), fb);
    after_training.Record(batch, after.data());
    EXPECT_GT(MaxAbsDiff(before, after), 1e-4f);

    ASSERT_TRUE(reference->Train(fb, LabelsOf(batch), nullptr).ok());
    ref_fx.Observe(batch);
  }
  EXPECT_EQ(trainer.examples_trained(), 4u * 64);
  EXPECT_GT(std::abs(trainer.metrics().LogLoss(kClick) - after_training.LogLoss(kClick)), 1e-4);
}

TEST(OnlineTrainerTest, FirstBatchIsScoredByTheUntrainedModel) {
  const model::ModelConfig config = DefaultConfig();
  const auto catalog = MakeCatalog();
  auto m = NewModel(config);
  model::FeatureExtractor fx(config, catalog);
  const std::vector<Impression> batch = MakeStream(128, 3, kStartMs);
  FeatureBatch fb;
  fx.Extract(batch, &fb);
  const std::vector<float> untrained = PredictAll(m.get(), fb);
  ProgressiveMetrics expected;
  expected.Record(batch, untrained.data());

  OnlineTrainer trainer(m.get(), &fx, {});
  ASSERT_TRUE(trainer.ProcessBatch(batch, true).ok());
  ExpectSameMetrics(trainer.metrics(), expected);
  EXPECT_GT(trainer.last_loss(), 0.0);
}

TEST(OnlineTrainerTest, UnevaluatedBatchesTrainButAreNotRecorded) {
  const model::ModelConfig config = SmallConfig();
  const auto catalog = MakeCatalog();
  auto m = NewModel(config);
  model::FeatureExtractor fx(config, catalog);
  OnlineTrainer trainer(m.get(), &fx, {});
  const std::vector<Impression> stream = MakeStream(200, 5, kStartMs);
  FeatureBatch fb;
  fx.Extract(absl::MakeConstSpan(stream).subspan(0, 100), &fb);
  const std::vector<float> before = PredictAll(m.get(), fb);
  ASSERT_TRUE(trainer.ProcessBatch(absl::MakeConstSpan(stream).subspan(0, 100), false).ok());
  EXPECT_EQ(trainer.metrics().examples(), 0u);
  EXPECT_EQ(trainer.examples_trained(), 100u);
  EXPECT_GT(MaxAbsDiff(before, PredictAll(m.get(), fb)), 1e-4f);  // it did learn
  EXPECT_GT(fx.users_tracked(), 0u);                              // and observed
  ASSERT_TRUE(trainer.ProcessBatch(absl::MakeConstSpan(stream).subspan(100), true).ok());
  EXPECT_EQ(trainer.metrics().examples(), 100u);
  EXPECT_EQ(trainer.examples_trained(), 200u);
  ASSERT_TRUE(trainer.ProcessBatch({}, true).ok());  // empty: nothing happens
  EXPECT_EQ(trainer.examples_trained(), 200u);
}

TEST(OnlineTrainerTest, FailedBatchIsNotObserved) {
  // The extractor produces the small config's shape; the model expects the default one's.
  const auto catalog = MakeCatalog();
  auto m = NewModel(DefaultConfig());
  model::FeatureExtractor fx(SmallConfig(), catalog);
  OnlineTrainer trainer(m.get(), &fx, {});
  const std::vector<Impression> batch = MakeStream(32, 9, kStartMs);
  const absl::Status s = trainer.ProcessBatch(batch, true);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(fx.users_tracked(), 0u);
  EXPECT_EQ(trainer.examples_trained(), 0u);
  EXPECT_EQ(trainer.metrics().examples(), 0u);
}

// ---- Sync to the serving replica ----

struct SyncFixture {
  model::ModelConfig config = DefaultConfig();
  std::shared_ptr<model::Catalog> catalog = MakeCatalog();
  std::unique_ptr<model::RankingModel> trained = NewModel(config);
  std::unique_ptr<model::RankingModel> serving = NewModel(config, /*serving=*/true);
  model::FeatureExtractor fx{config, catalog};
  std::vector<Impression> stream = MakeStream(6 * 64, 11, kStartMs);

  void Train(OnlineTrainer& trainer, int first, int batches) {
    for (int i = first; i < first + batches; ++i) {
      const absl::Status s = trainer.ProcessBatch(absl::MakeConstSpan(stream).subspan(i * 64, 64), true);
      ASSERT_TRUE(s.ok()) << s;
    }
  }
  // A batch after the stream, including videos never trained on (rows absent on both sides).
  FeatureBatch Probe() {
    const std::vector<Impression> probe =
        MakeStream(64, 99, kStartMs + 86400000, /*first_video=*/40, /*videos=*/40);
    FeatureBatch fb;
    fx.Extract(probe, &fb);
    return fb;
  }
};

TEST(OnlineTrainerSyncTest, SyncEveryBatchKeepsServingEqualToTrainer) {
  SyncFixture f;
  OnlineTrainer trainer(f.trained.get(), &f.fx,
                        TrainerOptions{.sync_interval_ms = 0, .dense_sync_interval_ms = 0});
  trainer.SetServing(f.serving.get());
  f.Train(trainer, 0, 3);
  EXPECT_EQ(trainer.syncs(), 3u);
  const FeatureBatch probe = f.Probe();
  const std::vector<float> want = PredictAll(f.trained.get(), probe);
  EXPECT_EQ(PredictAll(f.serving.get(), probe), want);  // bit for bit
  // Later deltas build on the earlier ones.
  f.Train(trainer, 3, 3);
  EXPECT_EQ(trainer.syncs(), 6u);
  const FeatureBatch probe2 = f.Probe();
  EXPECT_EQ(PredictAll(f.serving.get(), probe2), PredictAll(f.trained.get(), probe2));
}

TEST(OnlineTrainerSyncTest, WithoutADueSyncServingStaysUntrainedUntilSync) {
  SyncFixture f;
  auto untrained = NewModel(f.config, /*serving=*/true);
  const int64_t kHour = 3600 * 1000;
  OnlineTrainer trainer(f.trained.get(), &f.fx,
                        TrainerOptions{.sync_interval_ms = kHour, .dense_sync_interval_ms = kHour});
  trainer.SetServing(f.serving.get());
  f.Train(trainer, 0, 3);
  EXPECT_EQ(trainer.syncs(), 0u);
  const FeatureBatch probe = f.Probe();
  const std::vector<float> trained = PredictAll(f.trained.get(), probe);
  const std::vector<float> served = PredictAll(f.serving.get(), probe);
  EXPECT_GT(MaxAbsDiff(served, trained), 1e-4f);
  EXPECT_EQ(served, PredictAll(untrained.get(), probe));

  ASSERT_TRUE(trainer.Sync().ok());
  EXPECT_EQ(trainer.syncs(), 1u);
  EXPECT_EQ(PredictAll(f.serving.get(), probe), trained);

  // More training, still no due sync: serving keeps the synced state; a second Sync catches up.
  f.Train(trainer, 3, 3);
  EXPECT_EQ(trainer.syncs(), 1u);
  const FeatureBatch probe2 = f.Probe();
  EXPECT_GT(MaxAbsDiff(PredictAll(f.serving.get(), probe2), PredictAll(f.trained.get(), probe2)), 1e-5f);
  ASSERT_TRUE(trainer.Sync().ok());
  EXPECT_EQ(PredictAll(f.serving.get(), probe2), PredictAll(f.trained.get(), probe2));
}

TEST(OnlineTrainerSyncTest, SparseOnlySyncLeavesDenseWeightsBehind) {
  SyncFixture f;
  const int64_t kHour = 3600 * 1000;
  OnlineTrainer trainer(f.trained.get(), &f.fx,
                        TrainerOptions{.sync_interval_ms = 0, .dense_sync_interval_ms = kHour});
  trainer.SetServing(f.serving.get());
  f.Train(trainer, 0, 3);
  EXPECT_EQ(trainer.syncs(), 3u);  // rows every batch
  const FeatureBatch probe = f.Probe();
  // Rows are in, the dense weights are still the initial ones.
  EXPECT_GT(MaxAbsDiff(PredictAll(f.serving.get(), probe), PredictAll(f.trained.get(), probe)),
            1e-5f);
  ASSERT_TRUE(f.serving->LoadDense(f.trained->SaveDense()).ok());
  EXPECT_EQ(PredictAll(f.serving.get(), probe), PredictAll(f.trained.get(), probe));
}

TEST(OnlineTrainerSyncTest, SyncWithoutServingIsFailedPrecondition) {
  SyncFixture f;
  OnlineTrainer trainer(f.trained.get(), &f.fx, {});
  EXPECT_EQ(trainer.Sync().code(), absl::StatusCode::kFailedPrecondition);
  trainer.SetServing(f.serving.get());
  EXPECT_TRUE(trainer.Sync().ok());
  trainer.SetServing(nullptr);
  EXPECT_EQ(trainer.Sync().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(trainer.syncs(), 1u);
  // Detached: batches train without syncing.
  TrainerOptions every{.sync_interval_ms = 0, .dense_sync_interval_ms = 0};
  OnlineTrainer detached(f.trained.get(), &f.fx, every);
  f.Train(detached, 0, 2);
  EXPECT_EQ(detached.syncs(), 0u);
}

// ---- Learning ----

TEST(OnlineTrainerTest, LearnsASyntheticTagPreference) {
  const model::ModelConfig config = SmallConfig();
  const auto catalog = MakeCatalog();
  auto m = NewModel(config);
  model::FeatureExtractor fx(config, catalog);
  OnlineTrainer trainer(m.get(), &fx, {});
  constexpr int kBatch = 128, kWarm = 40, kEval = 40;
  const std::vector<Impression> stream = MakeStream((kWarm + kEval) * kBatch, 2024, kStartMs);
  for (int i = 0; i < kWarm + kEval; ++i) {
    ASSERT_TRUE(trainer.ProcessBatch(absl::MakeConstSpan(stream).subspan(i * kBatch, kBatch),
                                     /*evaluate=*/i >= kWarm)
                    .ok());
  }
  EXPECT_EQ(trainer.metrics().examples(), static_cast<uint64_t>(kEval) * kBatch);
  // The Bayes-optimal click AUC here is about 0.83: a tag match (1 in 5 impressions) clicks 90%
  // of the time, anything else 10%; a model that learned nothing scores 0.5.
  EXPECT_GT(trainer.metrics().Auc(kClick), 0.75);
  EXPECT_GT(trainer.metrics().GroupAuc(kClick), 0.7);
  EXPECT_GT(trainer.metrics().Auc(kLongView), 0.7);
  // The base rate's log loss is about 0.57 (click rate 0.26), the Bayes-optimal one 0.33.
  EXPECT_LT(trainer.metrics().LogLoss(kClick), 0.45);
}

}  // namespace
}  // namespace foryou::trainer
