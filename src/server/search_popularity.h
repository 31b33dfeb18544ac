// EngagementPopularity: search::Popularity over the feed's engagement counters, so search ranks
// by what the audience did with each video (read by the index's periodic refresh, never per
// request).
#pragma once

#include <string>

#include "absl/types/span.h"
#include "common/id_key.h"
#include "feed/engagement.h"
#include "search/search_index.h"

namespace foryou::server {

// A video's raw (undecayed) counts since it was posted, weighted as the trending score weighs
// the actions: a play counts 1, a completion 1, a like or a comment 2, a share or a follow 3.
class EngagementPopularity : public search::Popularity {
 public:
  // `stats` must outlive this object.
  explicit EngagementPopularity(const feed::EngagementStats* stats) : stats_(stats) {}
  void VideoEngagement(absl::Span<const std::string> ids, double* out) const override {
    for (size_t i = 0; i < ids.size(); ++i) {
      const feed::VideoCounts c = stats_->Counts(common::VideoKey(ids[i]));
      out[i] = static_cast<double>(c.plays + c.completions + 2 * (c.likes + c.comments) +
                                   3 * (c.shares + c.follows));
    }
  }

 private:
  const feed::EngagementStats* const stats_;
};

}  // namespace foryou::server
