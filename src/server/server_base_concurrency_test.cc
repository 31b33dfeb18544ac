// Concurrent use of the metrics registry and the rate limiter (run under TSan, label
// unit_concurrency): updates on several threads while another renders or reads.
#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "server/metrics.h"
#include "server/rate_limiter.h"

namespace foryou::server {
namespace {

TEST(ServerBaseConcurrencyTest, ObserveAndIncWhileRendering) {
  Registry r;
  auto& latency = r.AddHistogramFamily("lat_seconds", "latency", {"route"});
  auto& events = r.AddCounterFamily("events_total", "events", {"type"});
  Gauge& g = r.AddGauge("g", "gauge");
  std::atomic<int> fn_calls{0};
  r.AddGaugeFunction("f", "fn", [&] { return double(++fn_calls); });
  constexpr int kPerThread = 20000;
  std::atomic<bool> done{false};
  // The writers start once the reader has rendered once, so rendering overlaps the writes even
  // on a loaded machine (a reader scheduled late used to find them finished: renders == 0).
  std::atomic<int> renders{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      while (renders.load() == 0) std::this_thread::yield();
      Histogram& h = latency.WithLabels({t == 0 ? "/a" : "/b"});
      Histogram& shared = latency.WithLabels({"/shared"});
      Counter& c = events.WithLabels({"like"});
      for (int i = 0; i < kPerThread; ++i) {
        h.Observe((i % 100) * 0.0001);
        shared.Observe(0.002);
        c.Inc();
        g.Add(1);
        if (i % 1000 == 0) events.WithLabels({"type" + std::to_string(i / 1000)}).Inc();
      }
    });
  }
  std::thread reader([&] {
    do {
      const std::string text = r.Render();
      EXPECT_NE(text.find("# TYPE lat_seconds histogram"), std::string::npos);
      (void)latency.WithLabels({"/shared"}).Quantile(0.99);
      ++renders;
    } while (!done.load());
  });
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  EXPECT_GT(renders.load(), 0);
  EXPECT_EQ(events.WithLabels({"like"}).Value(), 2u * kPerThread);
  EXPECT_EQ(latency.WithLabels({"/shared"}).Read().count, 2u * kPerThread);
  EXPECT_NEAR(latency.WithLabels({"/shared"}).Read().sum, 2 * kPerThread * 0.002, 1e-6);
  EXPECT_DOUBLE_EQ(g.Value(), 2.0 * kPerThread);
  const std::string text = r.Render();
  EXPECT_NE(text.find("lat_seconds_count{route=\"/shared\"} 40000\n"), std::string::npos);
}

TEST(ServerBaseConcurrencyTest, LimiterAdmitsExactlyTheBurstAcrossThreads) {
  std::atomic<int64_t> now{0};
  RateLimiter limiter({.rate_per_s = 1000, .burst = 500},
                      [&] { return now.load(); });
  // Eviction churn runs on a second limiter: in this one every bucket is equally old, so an
  // LRU sweep could forget "shared" and restart it full.
  RateLimiter churn({.rate_per_s = 1000, .burst = 5, .max_keys = 64}, [&] { return now.load(); });
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter.Allow("shared")) ++allowed;
        (void)churn.Allow("own-" + std::to_string(t * 1000 + i));
        (void)churn.TrackedKeys();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 500);  // the clock never moved: exactly one burst
  EXPECT_EQ(limiter.TrackedKeys(), 1u);
  EXPECT_LE(churn.TrackedKeys(), 64u);
}

}  // namespace
}  // namespace foryou::server
