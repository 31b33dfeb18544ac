// The dense part's cost per mini-batch at the peer's shape (35 fields x 16 dims -> 256 -> 128 ->
// 3 tasks, batch 256), and a naive triple-loop forward as the baseline in the same process.
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "model/mlp.h"

namespace foryou::model {
namespace {

constexpr int kBatch = 256, kIn = 560;

void BM_MlpForwardBackwardAdam(benchmark::State& state) {
  Mlp mlp({kIn, 256, 128, 3}, 1);
  std::vector<float> x(kBatch * kIn, 0.1f), out(kBatch * 3), g(kBatch * 3, 0.01f), gin(kBatch * kIn);
  for (auto _ : state) {
    mlp.Forward(x.data(), kBatch, out.data());
    mlp.Backward(g.data(), gin.data());
    mlp.AdamStep({});
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_MlpForwardBackwardAdam);

void BM_NaiveForward(benchmark::State& state) {
  std::vector<float> w1(kIn * 256, 0.01f), w2(256 * 128, 0.01f), x(kBatch * kIn, 0.1f),
      h1(kBatch * 256), h2(kBatch * 128);
  for (auto _ : state) {
    for (int b = 0; b < kBatch; ++b) {
      for (int o = 0; o < 256; ++o) {
        float s = 0;
        for (int i = 0; i < kIn; ++i) s += x[b * kIn + i] * w1[i * 256 + o];
        h1[b * 256 + o] = s > 0 ? s : 0;
      }
      for (int o = 0; o < 128; ++o) {
        float s = 0;
        for (int i = 0; i < 256; ++i) s += h1[b * 256 + i] * w2[i * 128 + o];
        h2[b * 128 + o] = s > 0 ? s : 0;
      }
    }
    benchmark::DoNotOptimize(h2.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_NaiveForward);

void BM_MlpForward(benchmark::State& state) {
  Mlp mlp({kIn, 256, 128, 3}, 1);
  std::vector<float> x(kBatch * kIn, 0.1f), out(kBatch * 3);
  for (auto _ : state) mlp.Forward(x.data(), kBatch, out.data());
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_MlpForward);

}  // namespace
}  // namespace foryou::model

BENCHMARK_MAIN();
