// AudienceCounters: how much each video is being watched right now — hourly counts of its
// impressions and long views — for the audience part of the watch-next score:
//
//   w_long_views_6h x log1p(long views, last 6 h) + w_long_views_24h x log1p(long views, 24 h)
//     + w_impressions_1h x log1p(impressions, last hour)
//
// HOW IT WORKS. Each video keeps a ring of kBuckets hourly buckets (indexed by hour mod
// kBuckets), each remembering which hour it holds; an event for a newer hour takes its bucket
// over, one older than the ring keeps is dropped. A window sum counts every bucket inside the
// window whole and the oldest one by the share of it the window overlaps, so a window slides
// smoothly rather than by whole hours. The blended part of every video is cached (Blend) and
// recomputed at most once per counters_refresh_ms: one caller recomputes a stale cache while
// the others keep using the previous one, so nobody waits for the pass over every video.
//
// Not thread-safe except as WatchNext uses it: AddVideo / Count under its exclusive lock,
// WindowsOf / Blend under its shared lock (Blend's cache has its own mutex).
//
// Example:
//   AudienceCounters counters(options);
//   counters.AddVideo();                                     // video 0
//   counters.Count(0, now_ms, /*impressions=*/1, /*long_views=*/0);
//   float audience = (*counters.Blend(now_ms))[0];
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"
#include "feed/watch_next_options.h"

namespace foryou::feed {

class AudienceCounters {
 public:
  // Hourly buckets kept per video: a day and a little, for the 24 h window.
  static constexpr int kBuckets = 26;

  // The raw window sums of one video (before log1p).
  struct Windows {
    double long_views_6h = 0, long_views_24h = 0, impressions_1h = 0;
  };

  // Reads the three weights and counters_refresh_ms of `options`.
  explicit AudienceCounters(const WatchNextOptions& options);

  // Adds video size() with no counts.
  void AddVideo();
  size_t size() const { return videos_.size(); }
  // Adds counts to video `v` in the hour of time_ms (taking over the hour's bucket; nothing if
  // the hour is older than the ring keeps). With zero counts it only takes the bucket over.
  void Count(uint32_t v, int64_t time_ms, uint32_t impressions, uint32_t long_views);

  // The window sums of video `v` at now_ms.
  Windows WindowsOf(uint32_t v, int64_t now_ms) const;
  // The blended audience part of every video (by index) as of a time within
  // counters_refresh_ms of now_ms. May be shorter than size(): newer videos count 0.
  std::shared_ptr<const std::vector<float>> Blend(int64_t now_ms) const;

 private:
  struct Video {
    // By hour % kBuckets: the counts and the hour each bucket holds (INT64_MIN: none yet).
    std::vector<uint32_t> impressions, long_views;
    std::vector<int64_t> hour;
  };
  double WindowSum(const Video& v, const std::vector<uint32_t>& counts, int64_t now_ms,
                   int64_t window_ms) const;

  const float w_long_views_6h_, w_long_views_24h_, w_impressions_1h_;
  const int64_t refresh_ms_;
  std::vector<Video> videos_;

  mutable common::Mutex cache_mu_;
  mutable std::shared_ptr<const std::vector<float>> blend_ ABSL_GUARDED_BY(cache_mu_);
  mutable int64_t blend_ms_ ABSL_GUARDED_BY(cache_mu_) = -1;
  mutable bool refreshing_ ABSL_GUARDED_BY(cache_mu_) = false;
};

}  // namespace foryou::feed
