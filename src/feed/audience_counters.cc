// AudienceCounters: hourly impression and long-view counts per video (see the header).
#include "feed/audience_counters.h"
#include "common/clock.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace foryou::feed {

namespace {

constexpr int64_t kHourMs = 3'600'000;

}  // namespace

AudienceCounters::AudienceCounters(const WatchNextOptions& options)
    : w_long_views_6h_(options.w_long_views_6h),
      w_long_views_24h_(options.w_long_views_24h),
      w_impressions_1h_(options.w_impressions_1h),
      refresh_ms_(options.counters_refresh_ms) {}

void AudienceCounters::AddVideo() {
  Video v;
  v.impressions.assign(kBuckets, 0);
  v.long_views.assign(kBuckets, 0);
  v.hour.assign(kBuckets, INT64_MIN);
  videos_.push_back(std::move(v));
}

void AudienceCounters::Count(uint32_t index, int64_t time_ms, uint32_t impressions,
                             uint32_t long_views) {
  Video& v = videos_[index];
  const int64_t hour = common::PeriodOf(time_ms, kHourMs);
  const size_t b = static_cast<size_t>(((hour % kBuckets) + kBuckets) % kBuckets);
  if (v.hour[b] != hour) {
    if (v.hour[b] > hour) return;  // older than the ring keeps
    v.hour[b] = hour;
    v.impressions[b] = 0;
    v.long_views[b] = 0;
  }
  v.impressions[b] += impressions;
  v.long_views[b] += long_views;
}

double AudienceCounters::WindowSum(const Video& v, const std::vector<uint32_t>& counts,
                                   int64_t now_ms, int64_t window_ms) const {
  double sum = 0;
  const int64_t from = now_ms - window_ms;
  for (int b = 0; b < kBuckets; ++b) {
    if (v.hour[b] == INT64_MIN || counts[b] == 0) continue;
    const int64_t start = v.hour[b] * kHourMs;
    const int64_t end = std::min(start + kHourMs, now_ms);  // counted so far over [start, end)
    if (end <= start) continue;                             // a bucket from the future
    const int64_t overlap = end - std::max(start, from);
    if (overlap <= 0) continue;
    sum += counts[b] * std::min(1.0, static_cast<double>(overlap) / static_cast<double>(end - start));
  }
  return sum;
}

AudienceCounters::Windows AudienceCounters::WindowsOf(uint32_t index, int64_t now_ms) const {
  const Video& v = videos_[index];
  Windows w;
  w.long_views_6h = WindowSum(v, v.long_views, now_ms, 6 * kHourMs);
  w.long_views_24h = WindowSum(v, v.long_views, now_ms, 24 * kHourMs);
  w.impressions_1h = WindowSum(v, v.impressions, now_ms, kHourMs);
  return w;
}

std::shared_ptr<const std::vector<float>> AudienceCounters::Blend(int64_t now_ms) const {
  {
    common::MutexLock lock(&cache_mu_);
    // Fresh enough: within refresh_ms either way (concurrent requests' clocks differ by a
    // little; a replay or test may also step back in time).
    const bool fresh = blend_ != nullptr && std::abs(now_ms - blend_ms_) < refresh_ms_;
    if (fresh || (refreshing_ && blend_ != nullptr)) return blend_;
    refreshing_ = true;
  }
  auto fresh = std::make_shared<std::vector<float>>(videos_.size());
  for (size_t i = 0; i < videos_.size(); ++i) {
    const Video& v = videos_[i];
    (*fresh)[i] =
        w_long_views_6h_ * std::log1p(WindowSum(v, v.long_views, now_ms, 6 * kHourMs)) +
        w_long_views_24h_ * std::log1p(WindowSum(v, v.long_views, now_ms, 24 * kHourMs)) +
        w_impressions_1h_ * std::log1p(WindowSum(v, v.impressions, now_ms, kHourMs));
  }
  common::MutexLock lock(&cache_mu_);
  blend_ = fresh;
  blend_ms_ = now_ms;
  refreshing_ = false;
  return blend_;
}

}  // namespace foryou::feed
