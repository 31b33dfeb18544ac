// Google Benchmark of KafkaEventLog::Append on librdkafka's mock cluster (1 broker, 8 partitions)
// beside FileEventLog::Append with a per-batch fdatasync, same records, same run: records/s as
// items_per_second for batches of 1, 100 and 1000 event records (~40 bytes each, 1000 users).
// The file log lives in $FORYOU_BENCH_DIR (default /tmp).
//   build/release/src/kafka/kafka_event_log_benchmark
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "kafka/kafka_event_log.h"
#include "kafka/mock_cluster.h"
#include "stream/event.h"
#include "stream/event_log.h"

namespace foryou::kafka {
namespace {

std::vector<std::string> Records(size_t n) {
  std::vector<std::string> out(n);
  for (size_t i = 0; i < n; ++i) {
    stream::Event e;
    e.type = stream::EventType::kPlay;
    e.user = absl::StrCat(i % 1000);
    e.time_ms = 1700000000000 + static_cast<int64_t>(i);
    e.video = absl::StrCat(i * 7919);
    e.watch_ms = 1000 + static_cast<int64_t>(i);
    stream::EncodeEvent(e, &out[i]);
  }
  return out;
}

void BM_KafkaAppend(benchmark::State& state) {
  auto cluster = MockKafkaCluster::Start(1);
  if (!cluster.ok() || !(*cluster)->CreateTopic("events", 8).ok()) {
    state.SkipWithError("mock cluster");
    return;
  }
  KafkaLogOptions o;
  o.bootstrap = (*cluster)->bootstrap();
  o.topic = "events";
  auto log = KafkaEventLog::Open(o);
  if (!log.ok()) {
    state.SkipWithError(std::string(log.status().message()).c_str());
    return;
  }
  const std::vector<std::string> owned = Records(static_cast<size_t>(state.range(0)));
  const std::vector<std::string_view> views(owned.begin(), owned.end());
  for (auto _ : state) {
    if (!(*log)->Append(views).ok()) {
      state.SkipWithError("append");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * owned.size()));
}
BENCHMARK(BM_KafkaAppend)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_FileAppend(benchmark::State& state) {
  const char* base = std::getenv("FORYOU_BENCH_DIR");
  const std::string dir =
      absl::StrCat(base != nullptr ? base : "/tmp", "/kafka_event_log_benchmark_", ::getpid());
  std::filesystem::remove_all(dir);
  {
    stream::LogOptions o;
    o.dir = dir;
    auto log = stream::FileEventLog::Open(o);
    if (!log.ok()) {
      state.SkipWithError(std::string(log.status().message()).c_str());
      return;
    }
    const std::vector<std::string> owned = Records(static_cast<size_t>(state.range(0)));
    const std::vector<std::string_view> views(owned.begin(), owned.end());
    for (auto _ : state) {
      if (!(*log)->Append(views).ok()) {
        state.SkipWithError("append");
        break;
      }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * owned.size()));
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_FileAppend)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace foryou::kafka

BENCHMARK_MAIN();
