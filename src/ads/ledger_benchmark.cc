// Billed events per second through Ledger::Append (synced, and not), from 1 and 4 threads on
// one ad group's budget: the ceiling of exactly-once billing on this disk
// (docs/design/ads.md quotes it).
//
//   build/release/src/ads/ledger_benchmark
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "ads/ads_store.h"
#include "ads/ledger.h"
#include "benchmark/benchmark.h"

namespace foryou::ads {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

struct Fixture {
  std::string dir;
  std::unique_ptr<AdsStore> store;
  std::unique_ptr<Ledger> ledger;
  std::atomic<int64_t> next{0};
  explicit Fixture(bool sync) {
    dir = (std::filesystem::temp_directory_path() / absl::StrCat("foryou_ledger_bench_", getpid()))
              .string();
    std::filesystem::remove_all(dir);
    store = std::move(*AdsStore::Open(dir));
    ledger = std::make_unique<Ledger>(store.get(), sync);
    if (!ledger->Load().ok()) std::abort();
  }
  ~Fixture() {
    ledger.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

Fixture* fixture = nullptr;

void BM_Append(benchmark::State& state) {
  if (state.thread_index() == 0) fixture = new Fixture(state.range(0) != 0);
  BudgetLimits limits;
  limits.group_daily = int64_t{1} << 50;
  for (auto _ : state) {
    LedgerEntry e;
    e.event_id = absl::StrCat("i", fixture->next.fetch_add(1));
    e.user = "u1";
    e.account = "a1";
    e.campaign = "c1";
    e.ad_group = "g1";
    e.ad = "d1";
    e.time_ms = kT0;
    e.charge_micros = 10'000;
    if (!fixture->ledger->Append(e, limits).ok()) state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete fixture;
    fixture = nullptr;
  }
}
BENCHMARK(BM_Append)->ArgName("sync")->Arg(1)->Arg(0)->Threads(1)->Threads(4)->Threads(16)->UseRealTime();

}  // namespace
}  // namespace foryou::ads

BENCHMARK_MAIN();
