// A small Prometheus metrics registry: counters, gauges (set or computed at render time) and
// histograms, unlabelled or in labelled families, rendered in the text exposition format 0.0.4
// for GET /metrics. Histograms also estimate quantiles for the dashboard (p50 / p99).
//
// Example:
//   Registry registry;
//   auto& requests = registry.AddHistogramFamily("foryou_http_request_seconds",
//                                                "HTTP request latency.", {"route"});
//   Histogram& feed = requests.WithLabels({"/v1/feed"});   // once, at start-up; keep the reference
//   Counter& likes = registry.AddCounterFamily("foryou_events_total", "Events ingested.", {"type"})
//                        .WithLabels({"like"});
//   registry.AddGaugeFunction("foryou_tracked_keys", "Rate-limited keys.",
//                             [&] { return double(limiter.TrackedKeys()); });
//   feed.Observe(0.0042);   // hot path: lock-free
//   likes.Inc();
//   std::string text = registry.Render();
//   double p99 = feed.Quantile(0.99);
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"

namespace foryou::server {

// Default histogram bounds, seconds: 0.5 ms .. 2.5 s.
std::vector<double> LatencyBuckets();

// A monotonically increasing count. Lock-free.
class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down. Lock-free.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts of observations in fixed buckets (upper bounds, ascending, finite; +Inf is implicit)
// plus their sum. Observe is lock-free (two relaxed atomic adds). A concurrent reader may see an
// observation in the bucket counts before it shows in the sum; the count it reports is always
// the total of the bucket counts, so `_count` equals the `+Inf` bucket.
class Histogram {
 public:
  // Aborts with a message unless `bounds` is non-empty, finite and strictly ascending.
  explicit Histogram(std::vector<double> bounds = LatencyBuckets());

  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> counts;  // per bucket, not cumulative; bounds().size() + 1 (last: +Inf)
    uint64_t count = 0;            // sum of counts
    double sum = 0;
  };
  Snapshot Read() const;

  // The q-quantile (0 <= q <= 1) estimated as Prometheus' histogram_quantile does: find the
  // bucket holding rank q * count and interpolate linearly inside it (the first bucket starts at
  // 0). A rank in the +Inf bucket returns the largest finite bound. 0 if nothing was observed.
  double Quantile(double q) const;

  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// A metric family: one name, HELP text and type, label names, and one child T per distinct
// tuple of label values, created on first use and never destroyed (references stay valid for
// the registry's life). WithLabels takes a mutex: call it once per label set and keep the
// reference on hot paths. Label values must come from a small fixed set (routes, event types),
// never from raw client input: past `kMaxChildren` children every new tuple shares one child
// whose label values are all "__overflow__".
template <typename T>
class Family {
 public:
  static constexpr size_t kMaxChildren = 10'000;

  // Aborts with a message if values.size() differs from the number of label names.
  T& WithLabels(const std::vector<std::string>& values);

  const std::string& name() const { return name_; }

 private:
  friend class Registry;
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<T>()> make);
  void Render(std::string* out) const;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<T>()> make_;
  mutable common::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_ ABSL_GUARDED_BY(mu_);
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

// Owns every metric; Render() writes them all, in registration order (children sorted by label
// values). Registration is for start-up: a name that is invalid or already registered, or an
// invalid label name ("le" is reserved), aborts with a message. Thread-safe: registration,
// Render and updates may run concurrently.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& AddCounter(const std::string& name, const std::string& help);
  Family<Counter>& AddCounterFamily(const std::string& name, const std::string& help,
                                    std::vector<std::string> label_names);
  Gauge& AddGauge(const std::string& name, const std::string& help);
  Family<Gauge>& AddGaugeFamily(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names);
  // A gauge whose value is `fn()`, evaluated at each Render. `fn` runs under the registry's
  // mutex, so it must be quick and must not call back into this registry.
  void AddGaugeFunction(const std::string& name, const std::string& help,
                        std::function<double()> fn);
  Histogram& AddHistogram(const std::string& name, const std::string& help,
                          std::vector<double> bounds = LatencyBuckets());
  Family<Histogram>& AddHistogramFamily(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> bounds = LatencyBuckets());

  // The text exposition format 0.0.4 (Content-Type: text/plain; version=0.0.4).
  std::string Render() const;

 private:
  struct Entry;
  static std::unique_ptr<Entry> NewEntry(const std::string& name, const std::string& help);
  void AddEntry(std::unique_ptr<Entry> entry, const char* type,
                const std::vector<std::string>& label_names);

  mutable common::Mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);  // append-only
};

}  // namespace foryou::server
