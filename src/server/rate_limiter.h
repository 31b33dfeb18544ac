// Per-key token-bucket rate limiting for the HTTP API (one bucket per API key, user or client
// address), with an injected millisecond clock and a bound on the number of tracked keys.
//
// Example:
//   RateLimiter limiter({.rate_per_s = 50, .burst = 100});
//   int64_t retry_after_ms = 0;
//   if (!limiter.Allow(api_key, &retry_after_ms)) return 429 with Retry-After;
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"

namespace foryou::server {

struct RateLimiterOptions {
  double rate_per_s = 50;      // tokens added per second, > 0
  double burst = 100;          // bucket capacity (and the start value of a new key), >= 1
  size_t max_keys = 100'000;   // tracked keys at most, >= 1 (about 100 bytes each)
};

// A token bucket per key: a request costs one token; a key holds at most `burst` tokens and
// gains `rate_per_s` per second. A key not seen before starts full.
//
// Memory: when a new key arrives and `max_keys` are tracked, keys whose bucket has refilled
// completely are dropped (forgetting them changes nothing: they would restart full). If that
// frees less than 1/8 of `max_keys`, the least recently used keys are dropped down to 7/8 of it;
// such a key restarts with a full bucket, the price of bounded memory under a flood of keys.
// Both sweeps are O(max_keys) and happen at most once per max_keys/8 new keys.
//
// Thread-safe: one mutex around the map (a request holds it for a hash lookup).
class RateLimiter {
 public:
  // Milliseconds from a monotonic clock. Tests inject a fake.
  using Clock = std::function<int64_t()>;

  // Aborts with a message if the options are out of range (a programmer error).
  explicit RateLimiter(RateLimiterOptions options, Clock clock = nullptr);

  // Takes a token from `key`'s bucket: true if there was one. When false and `retry_after_ms`
  // is not null, it receives the wait until the next token (>= 1).
  bool Allow(std::string_view key, int64_t* retry_after_ms = nullptr);

  // Keys currently tracked (for tests and a gauge).
  size_t TrackedKeys() const;

  const RateLimiterOptions& options() const { return options_; }

 private:
  struct Bucket {
    double tokens = 0;
    int64_t last_ms = 0;  // when `tokens` was last brought up to date
  };

  void Refill(Bucket& b, int64_t now_ms) const;
  void EvictLocked(int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RateLimiterOptions options_;
  const Clock clock_;
  const int64_t full_after_ms_;  // an untouched bucket is full again after this long

  mutable common::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace foryou::server
