// StatsSampler (see the header). Feed latency quantiles are exact per interval: the handler
// appends to a vector and the sampler swaps it out, so a sample's p99 is that of its own
// requests, not a bucket interpolation smeared over the server's life (docs/design/server.md).
#include "server/stats_sampler.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "common/clock.h"

namespace foryou::server {

using nlohmann::json;

uint64_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  const long page = ::sysconf(_SC_PAGESIZE);
  return resident * static_cast<uint64_t>(page > 0 ? page : 4096);
}

double StatsSampler::ExactQuantile(const std::vector<double>& sorted, double q) {
  const size_t n = sorted.size();
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  rank = std::clamp<size_t>(rank, 1, n);
  return sorted[rank - 1];
}

StatsSampler::StatsSampler(StatsSamplerOptions options, std::function<StatsTotals()> totals,
                           std::function<int64_t()> clock_ms)
    : options_(options),
      totals_(std::move(totals)),
      clock_ms_(clock_ms ? std::move(clock_ms) : std::function<int64_t()>(common::WallMs)) {}

StatsSampler::~StatsSampler() { Stop(); }

void StatsSampler::Start() {
  if (thread_.joinable()) return;
  {
    common::MutexLock lock(&stop_mu_);
    stop_ = false;
  }
  {
    common::MutexLock lock(&sample_mu_);
    if (!prev_.has_value()) {
      prev_ = totals_();
      prev_ms_ = clock_ms_();
    }
  }
  thread_ = std::thread([this] { Run(); });
}

void StatsSampler::Stop() {
  {
    common::MutexLock lock(&stop_mu_);
    stop_ = true;
  }
  stop_cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void StatsSampler::Run() {
  const auto interval = std::chrono::milliseconds(std::max<int64_t>(1, options_.interval_ms));
  common::MutexLock lock(&stop_mu_);
  while (true) {
    const auto deadline = std::chrono::steady_clock::now() + interval;
    while (!stop_) {
      if (stop_cv_.WaitUntil(&stop_mu_, deadline)) break;  // the interval is over
    }
    if (stop_) break;
    lock.Unlock();
    SampleNow();
    lock.Lock();
  }
}

void StatsSampler::RecordFeedLatency(double ms) {
  common::MutexLock lock(&latency_mu_);
  latencies_.push_back(ms);
}

bool StatsSampler::SampleNow() {
  common::MutexLock sample_lock(&sample_mu_);
  StatsTotals now = totals_();
  const int64_t t_ms = clock_ms_();
  std::vector<double> latencies;
  {
    common::MutexLock lock(&latency_mu_);
    latencies.swap(latencies_);
  }
  if (!prev_.has_value()) {
    prev_ = std::move(now);
    prev_ms_ = t_ms;
    return false;
  }
  // A clock that did not move (or moved back) must not divide by zero.
  const double dt_s = static_cast<double>(std::max<int64_t>(1, t_ms - prev_ms_)) / 1000.0;

  json events = json::object();
  double events_total = 0;
  for (const auto& [type, count] : now.events) {
    uint64_t before = 0;
    for (const auto& [t, c] : prev_->events) {
      if (t == type) before = c;
    }
    const double rate = static_cast<double>(count >= before ? count - before : 0) / dt_s;
    events[type] = rate;
    events_total += rate;
  }
  json auc = json::object();
  for (const auto& [task, a] : now.auc) auc[task] = std::isnan(a) ? json(nullptr) : json(a);
  json rules = json::object();
  for (const auto& [rule, count] : now.rules) rules[rule] = count;

  json sample = {{"t_ms", t_ms},
                 {"events_per_s", std::move(events)},
                 {"events_total_per_s", events_total},
                 {"auc", std::move(auc)},
                 {"freshness_ms", now.freshness_ms},
                 {"table_rows", now.table_rows},
                 {"table_bytes", now.table_bytes},
                 {"rss_bytes", ResidentBytes()},
                 {"feed_requests", latencies.size()},
                 {"feed_p50_ms", nullptr},
                 {"feed_p99_ms", nullptr},
                 {"rules", std::move(rules)}};
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    sample["feed_p50_ms"] = ExactQuantile(latencies, 0.50);
    sample["feed_p99_ms"] = ExactQuantile(latencies, 0.99);
  }
  prev_ = std::move(now);
  prev_ms_ = t_ms;

  common::MutexLock lock(&ring_mu_);
  ring_.push_back(std::move(sample));
  while (ring_.size() > std::max<size_t>(1, options_.keep)) ring_.pop_front();
  return true;
}

json StatsSampler::Samples(int64_t since_ms) const {
  json out = json::array();
  common::MutexLock lock(&ring_mu_);
  for (const json& s : ring_) {
    if (s["t_ms"].get<int64_t>() > since_ms) out.push_back(s);
  }
  return out;
}

}  // namespace foryou::server
