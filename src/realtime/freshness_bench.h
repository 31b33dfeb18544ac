// `foryou bench freshness`: drives a steady synthetic event load through the whole real-time path
// (validate, encode, durable log with group commit + fsync, joiner, trainer, sync to the serving
// replica) in one process, and measures the freshness of every event: the time from its
// acknowledgement (Ingest returned) to the serving model having absorbed it (a sync covering its
// offset). Also measures raw ingest throughput with per-batch fsync, in the same run.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"

namespace foryou::realtime {

struct FreshnessBenchOptions {
  std::string dir;               // work directory (a fresh subdirectory is created and removed)
  double seconds = 10;           // length of the steady-load phase
  double events_per_s = 20000;   // offered load
  uint64_t users = 100000, videos = 20000;
  int64_t sync_interval_ms = 200;
  uint64_t ingest_events = 1000000;  // events appended in the ingest-throughput phase
  int ingest_batch = 1000;
  uint64_t seed = 1;
};

// Prints progress and, last, `freshness p50_ms=.. p99_ms=.. events_per_s=.. ingest_events_per_s=..`.
[[nodiscard]] absl::Status RunFreshnessBench(const FreshnessBenchOptions& options, std::ostream& out);

}  // namespace foryou::realtime
