// Google Benchmark of FileEventLog::Append throughput (records/s as items_per_second): batches
// of 1, 64 and 1024 records of ~100 bytes, per-batch fdatasync vs no sync, 1 and 4 appending
// threads sharing one log (group commit). The log lives in $FORYOU_BENCH_DIR (default /tmp), so
// the fsync cost is that file system's.
//   build/release/src/stream/event_log_benchmark
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "stream/event_log.h"

namespace foryou::stream {
namespace {

std::unique_ptr<FileEventLog> g_log;
std::string g_dir;

void BM_Append(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  const FsyncPolicy policy = state.range(1) == 0 ? FsyncPolicy::kEveryBatch : FsyncPolicy::kNever;
  if (state.thread_index() == 0) {
    const char* base = std::getenv("FORYOU_BENCH_DIR");
    g_dir = absl::StrCat(base != nullptr ? base : "/tmp", "/event_log_benchmark_", ::getpid());
    std::filesystem::remove_all(g_dir);
    LogOptions o;
    o.dir = g_dir;
    o.fsync = policy;
    auto log = FileEventLog::Open(o);
    if (!log.ok()) {
      state.SkipWithError(std::string(log.status().message()).c_str());
      return;
    }
    g_log = std::move(*log);
  }
  // ~100-byte events, distinct per thread.
  std::vector<std::string> owned;
  for (size_t i = 0; i < batch; ++i) {
    owned.push_back(absl::StrCat("{\"user\":", 1000 + state.thread_index(), ",\"video\":", i * 7919,
                                 ",\"event\":\"long_view\",\"watch_ms\":", 1000 + i,
                                 ",\"ts\":1700000000000,\"pad\":\"xxxxxxxxxxxx\"}"));
  }
  std::vector<std::string_view> views(owned.begin(), owned.end());
  for (auto _ : state) {
    auto first = g_log->Append(views);
    if (!first.ok()) {
      state.SkipWithError(std::string(first.status().message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch * owned[0].size()));
  if (state.thread_index() == 0) {
    const LogStats stats = g_log->stats();
    state.counters["appends_per_group"] = static_cast<double>(stats.appends) /
                                          static_cast<double>(std::max<uint64_t>(1, stats.groups));
    g_log.reset();
    std::filesystem::remove_all(g_dir);
  }
}

// Args: {records per Append, 0 = kEveryBatch / 1 = kNever}.
BENCHMARK(BM_Append)
    ->ArgNames({"batch", "nosync"})
    ->ArgsProduct({{1, 64, 1024}, {0, 1}})
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime();

}  // namespace
}  // namespace foryou::stream

BENCHMARK_MAIN();
