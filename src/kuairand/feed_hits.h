// `foryou replay --feed-hits N`: does the whole feed (retrieval, ranking, rules) put in front of
// a user the video they went on to long-view? The KuaiRand log streams through a RealtimeLoop and
// a FeedService built on the imported catalog; for N long-views sampled evenly from the eval
// file, just before the view's own events arrive, the user's feed of `feed_size` is built from
// the whole catalog (a dry run: nothing is remembered) and checked for the video, and so is a
// trending-only page of the same size (the popular baseline). See docs/design/kuairand.md.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(FeedHitsResult r, RunFeedHits(replay_options, 2000, 50, "/tmp", std::cerr));
//   std::cout << r.Line() << "\n";   // feed_hits samples=2000 hit_at_50=0.31 popular_hit_at_50=0.08
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "feed/feed_service.h"
#include "kuairand/replay.h"

namespace foryou::kuairand {

struct FeedHitsResult {
  uint64_t samples = 0;        // long-views checked
  uint64_t hits = 0;           // ... whose video was in the feed
  uint64_t popular_hits = 0;   // ... in the trending-only page
  uint64_t candidate_hits = 0; // ... among the retrieved candidates at all (retrieval recall)
  int feed_size = 50;
  double mean_candidates = 0;
  double secs = 0;
  std::string Line() const;  // `feed_hits samples=.. hit_at_50=.. popular_hit_at_50=.. ...`
};

// Needs options.videos / users (the catalog), options.eval, and optionally warmup / history.
// work_dir must exist; a fresh directory made under it is removed at the end. A non-empty
// parts_path gets, per sample, WatchNext's unweighted score parts for its kPartsPerSample best
// videos outside the user's seen set, plus the target (docs/formats/feed_hits_parts.md).
[[nodiscard]] absl::StatusOr<FeedHitsResult> RunFeedHits(const kuairand::ReplayOptions& options,
                                                         int samples, int feed_size,
                                                         const feed::FeedOptions& feed_options,
                                                         const std::string& work_dir,
                                                         std::ostream& progress,
                                                         const std::string& parts_path = "");
inline constexpr int kPartsPerSample = 400;

}  // namespace foryou::kuairand
