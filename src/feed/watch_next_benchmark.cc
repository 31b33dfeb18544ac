// WatchNext scoring cost, with and without the item-item model, on a KuaiRand-sized synthetic
// catalog (7,500 videos, 20,000 users with 50 watched videos each, Zipf popularity): one
// request scores 500 candidates, as the feed does. Run both in one process and compare:
//   build/release/src/feed/watch_next_benchmark
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "embedding/zipf.h"
#include "feed/watch_next.h"

namespace foryou::feed {
namespace {

constexpr int kVideos = 7500, kUsers = 20000, kPerUser = 50, kCandidates = 500;

WatchNext* Build(bool item_item) {
  WatchNextOptions o;
  o.learn_from_impressions = true;
  o.pretrain_epochs = 1;
  o.w_item_item = item_item ? 30.0f : 0.0f;
  o.item_item_background = false;
  auto* wn = new WatchNext(o);
  embedding::ZipfSampler zipf(kVideos, 0.9, 1);
  for (int u = 0; u < kUsers; ++u) {
    std::vector<uint64_t> seq;
    for (int k = 0; k < kPerUser; ++k) seq.push_back(zipf.Next());
    wn->AddHistory(absl::StrCat(u), seq);
  }
  wn->Pretrain();  // fits the item-item model when it is on
  return wn;
}

void BM_Scores(benchmark::State& state) {
  static WatchNext* with = Build(true);
  static WatchNext* without = Build(false);
  WatchNext* wn = state.range(0) ? with : without;
  std::mt19937_64 rng(2);
  std::vector<uint64_t> keys(kCandidates);
  std::vector<float> out(kCandidates);
  int u = 0;
  for (auto _ : state) {
    for (auto& k : keys) k = rng() % kVideos;
    wn->Scores(absl::StrCat(u++ % kUsers), keys, 1'000'000, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(state.range(0) ? "item-item on" : "item-item off");
}
BENCHMARK(BM_Scores)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_FitItemItem(benchmark::State& state) {
  static WatchNext* with = Build(true);
  for (auto _ : state) benchmark::DoNotOptimize(with->FitItemItem());
  state.SetLabel(absl::StrCat(with->stats().item_item_videos, " videos, ",
                              with->stats().item_item_weights, " weights"));
}
BENCHMARK(BM_FitItemItem)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace foryou::feed

BENCHMARK_MAIN();
