// Token buckets refilled lazily on access (no timer thread), and the two-step eviction.
#include "server/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/clock.h"

namespace foryou::server {

RateLimiter::RateLimiter(RateLimiterOptions options, Clock clock)
    : options_(options),
      clock_(clock ? std::move(clock) : Clock(common::SteadyMs)),
      full_after_ms_(static_cast<int64_t>(
          std::ceil(options.burst * 1000.0 / (options.rate_per_s > 0 ? options.rate_per_s : 1)))) {
  if (!(options.rate_per_s > 0) || !std::isfinite(options.rate_per_s) || !(options.burst >= 1) ||
      !std::isfinite(options.burst) || options.max_keys < 1) {
    std::fprintf(stderr, "RateLimiter: need rate_per_s > 0, burst >= 1, max_keys >= 1 "
                 "(rate_per_s=%g burst=%g max_keys=%zu)\n",
                 options.rate_per_s, options.burst, options.max_keys);
    std::abort();
  }
}

void RateLimiter::Refill(Bucket& b, int64_t now_ms) const {
  // A clock that steps back (never the steady clock, maybe a fake) adds nothing.
  if (now_ms > b.last_ms) {
    b.tokens = std::min(options_.burst, b.tokens + (now_ms - b.last_ms) * options_.rate_per_s / 1000);
    b.last_ms = now_ms;
  }
}

bool RateLimiter::Allow(std::string_view key, int64_t* retry_after_ms) {
  const int64_t now = clock_();
  common::MutexLock lock(&mu_);
  const absl::string_view k(key.data(), key.size());
  auto it = buckets_.find(k);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_keys) EvictLocked(now);
    it = buckets_.emplace(std::string(key), Bucket{options_.burst, now}).first;
  } else {
    Refill(it->second, now);
  }
  Bucket& b = it->second;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  if (retry_after_ms != nullptr) {
    *retry_after_ms = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil((1 - b.tokens) * 1000 / options_.rate_per_s)));
  }
  return false;
}

void RateLimiter::EvictLocked(int64_t now_ms) {
  // Step 1: full buckets carry no information.
  absl::erase_if(buckets_, [&](const auto& kv) { return now_ms - kv.second.last_ms >= full_after_ms_; });
  const size_t target = options_.max_keys - std::max<size_t>(1, options_.max_keys / 8);
  if (buckets_.size() <= target) return;
  // Step 2: least recently used first, down to 7/8 of the bound (so the next sweep is at least
  // max_keys/8 insertions away).
  std::vector<int64_t> times;
  times.reserve(buckets_.size());
  for (const auto& kv : buckets_) times.push_back(kv.second.last_ms);
  const size_t drop = buckets_.size() - target;
  std::nth_element(times.begin(), times.begin() + (drop - 1), times.end());
  const int64_t cutoff = times[drop - 1];  // drop everything at or before this time
  size_t dropped = 0;
  absl::erase_if(buckets_, [&](const auto& kv) {
    if (dropped < drop && kv.second.last_ms <= cutoff) {
      ++dropped;
      return true;
    }
    return false;
  });
}

size_t RateLimiter::TrackedKeys() const {
  common::MutexLock lock(&mu_);
  return buckets_.size();
}

}  // namespace foryou::server
