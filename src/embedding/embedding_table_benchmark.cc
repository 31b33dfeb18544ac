// Google Benchmark micro-benchmarks of the table's hot paths (uniform keys over a resident
// table). The same-process comparison against libcuckoo lives in `foryou bench embedding`.
#include <vector>

#include "benchmark/benchmark.h"
#include "embedding/embedding_table.h"

namespace foryou::embedding {
namespace {

std::unique_ptr<EmbeddingTable> Filled(uint64_t n, uint32_t dim) {
  TableConfig c;
  SlotConfig s;
  s.slot = 1;
  s.dim = dim;
  c.slots = {s};
  auto t = EmbeddingTable::Create(c).value();
  std::vector<FeatureId> keys;
  for (uint64_t k = 0; k < n; ++k) keys.push_back(MakeFeatureId(1, k));
  std::vector<float> g(keys.size() * dim, 0.0f);
  (void)t->ApplyGradients(keys, g, 1000);
  return t;
}

std::vector<FeatureId> RandomKeys(size_t count, uint64_t n) {
  std::vector<FeatureId> keys(count);
  uint64_t x = 7;
  for (auto& k : keys) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    k = MakeFeatureId(1, (x >> 16) % n);
  }
  return keys;
}

void BM_Lookup(benchmark::State& state) {
  const uint64_t n = state.range(0);
  auto t = Filled(n, 16);
  auto keys = RandomKeys(1024, n);
  std::vector<float> out(keys.size() * 16);
  for (auto _ : state) {
    benchmark::DoNotOptimize(t->Lookup(keys, absl::MakeSpan(out)));
  }
  state.SetItemsProcessed(state.iterations() * keys.size());
}
BENCHMARK(BM_Lookup)->Arg(100'000)->Arg(2'000'000);

void BM_ApplyAdagrad(benchmark::State& state) {
  const uint64_t n = state.range(0);
  auto t = Filled(n, 16);
  auto keys = RandomKeys(1024, n);
  std::vector<float> g(keys.size() * 16, 0.01f);
  for (auto _ : state) {
    benchmark::DoNotOptimize(t->ApplyGradients(keys, g, 2000));
  }
  state.SetItemsProcessed(state.iterations() * keys.size());
}
BENCHMARK(BM_ApplyAdagrad)->Arg(100'000)->Arg(2'000'000);

}  // namespace
}  // namespace foryou::embedding

BENCHMARK_MAIN();
