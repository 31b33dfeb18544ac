// The lookalike computation's ranking (ads::Lookalike) over N users of dimension D with 1,000
// seeds: what a lookalike audience's create or refresh costs beyond reading the rows
// (docs/design/ads.md, "Lookalike audiences").
//
//   build/release/src/ads/lookalike_benchmark
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ads/targeting.h"
#include "benchmark/benchmark.h"

namespace foryou::ads {
namespace {

void BM_Lookalike(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const size_t dim = static_cast<size_t>(state.range(1));
  std::vector<std::string> users(n);
  for (size_t i = 0; i < n; ++i) users[i] = absl::StrCat("user", i);
  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal;
  std::vector<float> rows(n * dim);
  for (float& x : rows) x = normal(rng);
  std::vector<std::string> seeds(users.begin(), users.begin() + 1000);
  for (auto _ : state) {
    auto got = Lookalike(users, rows, dim, seeds, 10'000);
    benchmark::DoNotOptimize(got);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_Lookalike)->Args({100'000, 32})->Args({1'000'000, 32})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace foryou::ads

BENCHMARK_MAIN();
