// StatsSampler: the time series behind the admin dashboard (`GET /v1/admin/stats`, docs/api.md).
// Every interval it reads the server's cumulative totals (events by type, rule counters) and
// gauges (online AUC, freshness, table size, RSS), turns counters into per-second rates over the
// interval, adds the exact p50 / p99 of the feed requests answered in that interval, and keeps
// the last `keep` samples in a ring buffer.
//
// Thread-safety: every method may be called from any thread. RecordFeedLatency takes a short
// mutex (a push_back); the sampler swaps the vector out under it and sorts outside it.
//
// Example:
//   StatsSampler sampler({.interval_ms = 2000, .keep = 300}, [&] { return ReadTotals(); });
//   sampler.Start();                       // baseline now, a sample every 2 s
//   sampler.RecordFeedLatency(3.2);        // from the feed handler, in ms
//   nlohmann::json samples = sampler.Samples(/*since_ms=*/0);   // oldest first
//   sampler.Stop();
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"
#include "nlohmann/json.hpp"

namespace foryou::server {

// What the sampler reads at each tick. Counters are cumulative since the process started.
struct StatsTotals {
  std::vector<std::pair<std::string, uint64_t>> events;  // accepted events by type
  std::vector<std::pair<std::string, double>> auc;       // per task; NaN = not defined yet
  double freshness_ms = 0;                               // event ack -> serving model
  uint64_t table_rows = 0, table_bytes = 0;
  std::vector<std::pair<std::string, uint64_t>> rules;  // feed rule counters
};

struct StatsSamplerOptions {
  int64_t interval_ms = 2000;
  size_t keep = 300;
};

class StatsSampler {
 public:
  // `totals` is called from the sampler thread (or SampleNow's caller) holding only the sampling
  // lock: it must not call SampleNow or Start. `clock_ms` gives the samples' t_ms (wall clock by
  // default).
  StatsSampler(StatsSamplerOptions options, std::function<StatsTotals()> totals,
               std::function<int64_t()> clock_ms = {});
  ~StatsSampler();  // stops
  StatsSampler(const StatsSampler&) = delete;
  StatsSampler& operator=(const StatsSampler&) = delete;

  // Takes the baseline and starts the thread (a sample every interval_ms). Idempotent.
  void Start();
  void Stop();  // joins the thread; samples stay readable

  // One answered feed request and its latency in milliseconds.
  void RecordFeedLatency(double ms);

  // Takes one sample now (the first call without a baseline only takes the baseline and
  // returns false). Rates are over the time since the previous sample.
  bool SampleNow();

  // The samples with t_ms > since_ms, oldest first, as JSON objects (docs/api.md).
  nlohmann::json Samples(int64_t since_ms) const;
  int64_t interval_ms() const { return options_.interval_ms; }

  // The q-quantile of `sorted` (ascending, non-empty) by nearest rank: the smallest value with
  // at least q * n values <= it.
  static double ExactQuantile(const std::vector<double>& sorted, double q);

 private:
  void Run();

  const StatsSamplerOptions options_;
  const std::function<StatsTotals()> totals_;
  const std::function<int64_t()> clock_ms_;

  common::Mutex latency_mu_;
  std::vector<double> latencies_ ABSL_GUARDED_BY(latency_mu_);

  // Sampling state: only the sampling caller touches it (SampleNow serializes on sample_mu_).
  common::Mutex sample_mu_;
  std::optional<StatsTotals> prev_ ABSL_GUARDED_BY(sample_mu_);
  int64_t prev_ms_ ABSL_GUARDED_BY(sample_mu_) = 0;

  mutable common::Mutex ring_mu_;
  std::deque<nlohmann::json> ring_ ABSL_GUARDED_BY(ring_mu_);

  common::Mutex stop_mu_;
  common::CondVar stop_cv_;
  bool stop_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread thread_;
};

// Resident set size of this process from /proc/self/statm (0 if unreadable).
uint64_t ResidentBytes();

}  // namespace foryou::server
