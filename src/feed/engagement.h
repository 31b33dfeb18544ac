// EngagementStats: what the audience did with each video, as time-decayed counters, for the
// trending and fresh-upload sources and the creator / sound / hashtag pages.
//
// Every accepted event updates its video's counters (impressions, plays, completions, likes,
// shares, comments, follows, not-interested) with exponential decay (half-life in options), per
// video and per audience region ("country:CN", "lang:zh", and "*" for everyone). Trending(region)
// is the top of the decayed engagement score there, recomputed at most once per
// `trending_refresh_ms` (one pass over the region's videos) and cached. Raw (undecayed) counts
// per video drive the fresh-upload test pool (docs/design/feed.md).
//
// Thread-safe: one mutex (events update a handful of counters; requests read cached lists).
//
// Example:
//   EngagementStats stats(options);
//   stats.Observe(event, common::VideoKey(event.video), {"*", "country:US", "lang:en"});
//   std::vector<uint64_t> top = stats.Trending("country:US", 200, now_ms);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "common/mutex.h"
#include "stream/event.h"

namespace foryou::feed {

struct EngagementOptions {
  int64_t half_life_ms = 6 * 3600'000;
  int64_t trending_refresh_ms = 1000;
  int trending_size = 500;  // cached per region
};

// Raw counts of one video since it was posted (never decayed).
struct VideoCounts {
  uint64_t impressions = 0, plays = 0, completions = 0, likes = 0, shares = 0, comments = 0,
           follows = 0, not_interested = 0;
  // The early-engagement rate the fresh-upload pool graduates on: (plays that completed or
  // were liked / shared) per impression, with a weak prior.
  double EngagementRate() const;
};

class EngagementStats {
 public:
  explicit EngagementStats(EngagementOptions options = {});

  // Counts event `e` on `video_key` (common::VideoKey(e.video)) for each of `regions`, at
  // e.time_ms. Events without a video (video_key 0) are ignored.
  void Observe(const stream::Event& e, uint64_t video_key, absl::Span<const std::string> regions);

  // The region's most engaging videos (decayed score at now_ms), best first, up to n.
  std::vector<uint64_t> Trending(const std::string& region, int n, int64_t now_ms);
  // The decayed engagement score of a video in a region at now_ms (0 if none).
  double Score(const std::string& region, uint64_t video_key, int64_t now_ms) const;
  // Score of each of `video_keys` under one lock (a request's candidates). out: keys.size().
  void Scores(const std::string& region, absl::Span<const uint64_t> video_keys, int64_t now_ms,
              double* out) const;
  VideoCounts Counts(uint64_t video_key) const;
  uint64_t events() const;

 private:
  struct Decayed {
    double value = 0;    // as of `time_ms`
    int64_t time_ms = 0;
  };
  struct Region {
    absl::flat_hash_map<uint64_t, Decayed> scores;
    std::vector<uint64_t> top;  // cached
    int64_t top_ms = -1;        // when `top` was computed (-1 = never)
  };
  double DecayTo(const Decayed& d, int64_t now_ms) const;

  const EngagementOptions options_;
  mutable common::Mutex mu_;
  absl::flat_hash_map<std::string, Region> regions_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, VideoCounts> counts_ ABSL_GUARDED_BY(mu_);
  uint64_t events_ ABSL_GUARDED_BY(mu_) = 0;
};

// The engagement weight of one event type in the trending score (0 = not counted).
double TrendingWeight(stream::EventType type);

}  // namespace foryou::feed
