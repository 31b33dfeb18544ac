// The model's side of one feed request at the default config (config/model.json): the features
// of 500 candidates for one user (FeatureExtractor::Extract) and their prediction
// (RankingModel::Predict), over a catalog of 7,500 videos and a behaviour state whose sequences
// are full. Run: build/release/src/model/features_benchmark.
#include <memory>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "model/features.h"
#include "model/model_config.h"
#include "model/ranking_model.h"

namespace foryou::model {
namespace {

constexpr int kVideos = 7500, kUsers = 1000, kCandidates = 500;
constexpr int64_t kT0 = int64_t{1'700'000'000} * 1000;

struct World {
  ModelConfig config;
  std::shared_ptr<Catalog> catalog = std::make_shared<Catalog>();
  std::unique_ptr<FeatureExtractor> fx;
  std::vector<Impression> request;  // one user's candidates at one time
};

Impression At(uint64_t user, uint64_t video, int64_t time_ms) {
  Impression imp;
  imp.user_id = user;
  imp.video_id = video;
  imp.time_ms = time_ms;
  imp.day = static_cast<int32_t>(time_ms / 86'400'000);
  imp.hour = static_cast<uint8_t>((time_ms / 3'600'000) % 24);
  imp.weekday = 3;
  imp.tab = 1;
  return imp;
}

const World& TheWorld() {
  static const World* world = [] {
    auto* w = new World;
    w->config = ParseModelConfig(DefaultModelConfigJson()).value();
    std::mt19937_64 rng(7);
    for (uint64_t v = 1; v <= kVideos; ++v) {
      VideoInfo& info = w->catalog->videos[v];
      info.author_id = 100'000 + rng() % 1500;
      info.music_id = 200'000 + rng() % 3000;
      info.tag = 300'000 + rng() % 40;
      info.video_type = 1;
      info.upload_type = 1 + rng() % 4;
      info.upload_day = 19'600 - static_cast<int32_t>(rng() % 30);
      info.duration_ms = static_cast<uint32_t>(5000 + rng() % 55'000);
    }
    for (uint64_t u = 1; u <= kUsers; ++u) {
      UserInfo& info = w->catalog->users[u];
      for (int f = 0; f < kNumProfileFields; ++f) info.profile[f] = 1 + rng() % 5;
    }
    w->fx = std::make_unique<FeatureExtractor>(w->config, w->catalog);
    // 60 impressions per user: long views, likes and skips enough to fill every sequence.
    std::vector<Impression> history;
    for (uint64_t u = 1; u <= kUsers; ++u) {
      for (int i = 0; i < 60; ++i) {
        Impression imp = At(u, 1 + rng() % kVideos, kT0 + i * 1000);
        imp.labels[kClick] = 1;
        imp.labels[kLongView] = i % 2 == 0 ? 1.0f : 0.0f;
        imp.labels[kLike] = i % 3 == 0 ? 1.0f : 0.0f;
        imp.labels[kWatchRatio] = i % 2 == 0 ? 0.9f : 0.1f;
        history.push_back(imp);
      }
    }
    w->fx->Observe(history);
    for (int i = 0; i < kCandidates; ++i) {
      w->request.push_back(At(42, 1 + rng() % kVideos, kT0 + 3'600'000));
    }
    return w;
  }();
  return *world;
}

void BM_ExtractFeedRequest(benchmark::State& state) {
  const World& w = TheWorld();
  FeatureBatch batch;
  for (auto _ : state) {
    w.fx->Extract(w.request, &batch);
    benchmark::DoNotOptimize(batch.keys.data());
  }
  state.counters["keys_per_row"] = static_cast<double>(batch.keys.size()) / batch.size;
  state.SetItemsProcessed(state.iterations() * kCandidates);
}
BENCHMARK(BM_ExtractFeedRequest);

void BM_ExtractAndPredictFeedRequest(benchmark::State& state) {
  const World& w = TheWorld();
  auto model = RankingModel::Create(w.config).value();
  FeatureBatch batch;
  w.fx->Extract(w.request, &batch);
  std::vector<Labels> labels(batch.size);
  std::vector<float> probs(static_cast<size_t>(batch.size) * kNumTasks);
  // One training step admits every key of the request, so lookups find rows as in serving.
  if (!model->Train(batch, labels, nullptr).ok()) state.SkipWithError("train failed");
  for (auto _ : state) {
    w.fx->Extract(w.request, &batch);
    if (!model->Predict(batch, probs.data()).ok()) state.SkipWithError("predict failed");
    benchmark::DoNotOptimize(probs.data());
  }
  state.SetItemsProcessed(state.iterations() * kCandidates);
}
BENCHMARK(BM_ExtractAndPredictFeedRequest);

}  // namespace
}  // namespace foryou::model

BENCHMARK_MAIN();
