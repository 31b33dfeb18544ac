// What the RankingModel's tests share (ranking_model_test.cc, ranking_model_persistence_test.cc):
// a small model config, and random batches whose keys repeat across examples.
//
// Example:
//   auto model = Model(Config());
//   const Example ex = MakeBatch(/*seed=*/1, /*size=*/8);
//   ASSERT_TRUE(model->Train(ex.features, ex.labels, nullptr).ok());
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string_view>
#include <vector>

#include "embedding/feature_id.h"
#include "gtest/gtest.h"
#include "model/ranking_model.h"

namespace foryou::model {

inline constexpr int64_t kT0 = int64_t{1'700'000'000} * 1000;

// 5 fields (4 sparse + 1 sequence), dim 4, 9 dense floats.
inline constexpr char kConfig[] = R"json({
  "seed": 3,
  "dim": 4,
  "hidden": [8],
  "dense_learning_rate": 0.01,
  "task_weights": {"is_click": 1.5, "is_hate": 0.5},
  "sparse_defaults": {"learning_rate": 0.1, "init_scale": 0.05},
  "features": ["video_id", "author_id", "user_id", "hour", "seq.like.video",
               "dense.video_rates"]
})json";
// A table row: the embedding, then one first-order weight per task.
inline constexpr int kFields = 5, kDim = 4, kRow = kDim + kNumTasks, kDense = 1 + kNumTasks;
inline constexpr uint32_t kSlots[kFields] = {1, 2, 10, 11, 74};

inline ModelConfig Config(std::string_view json = kConfig) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(json);
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

inline std::unique_ptr<RankingModel> Model(const ModelConfig& config, bool serving = false) {
  absl::StatusOr<std::unique_ptr<RankingModel>> m = RankingModel::Create(config, serving);
  EXPECT_TRUE(m.ok()) << m.status();
  return std::move(*m);
}

// A batch over small pools of values, so keys repeat across examples; the sequence field has
// 0..3 keys, possibly repeated within one example.
struct Example {
  FeatureBatch features;
  std::vector<Labels> labels;
};

inline Example MakeBatch(uint64_t seed, int size, int64_t time_ms = kT0) {
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return rng() % n; };
  std::normal_distribution<float> normal(0.0f, 0.5f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  Example ex;
  FeatureBatch& fb = ex.features;
  fb.size = size;
  fb.fields = kFields;
  fb.dense_width = kDense;
  fb.max_time_ms = time_ms;
  for (int b = 0; b < size; ++b) {
    const uint64_t values[4] = {100 + pick(6), 200 + pick(3), 300 + pick(4), pick(3)};
    for (int f = 0; f < 4; ++f) {
      fb.field_begin.push_back(static_cast<uint32_t>(fb.keys.size()));
      fb.keys.push_back(embedding::HashFeature(kSlots[f], values[f]));
    }
    fb.field_begin.push_back(static_cast<uint32_t>(fb.keys.size()));
    const int n = static_cast<int>(pick(4));
    for (int i = 0; i < n; ++i) fb.keys.push_back(embedding::HashFeature(kSlots[4], 100 + pick(6)));
    for (int d = 0; d < kDense; ++d) fb.dense.push_back(normal(rng));
    Labels y{};
    for (int t = 0; t < kNumTasks; ++t) y[t] = pick(2) == 1 ? 1.0f : 0.0f;
    y[kWatchRatio] = unit(rng);
    ex.labels.push_back(y);
  }
  fb.field_begin.push_back(static_cast<uint32_t>(fb.keys.size()));
  return ex;
}

// The keys of `keys` in order of first appearance, each once.
inline std::vector<embedding::FeatureId> Distinct(const std::vector<embedding::FeatureId>& keys) {
  std::vector<embedding::FeatureId> out;
  for (embedding::FeatureId k : keys) {
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  return out;
}

// The model's probabilities for `fb`, kNumTasks per example.
inline std::vector<float> Predict(RankingModel& model, const FeatureBatch& fb) {
  std::vector<float> probs(static_cast<size_t>(fb.size) * kNumTasks, -1.0f);
  EXPECT_TRUE(model.Predict(fb, probs.data()).ok());
  return probs;
}

}  // namespace foryou::model
