// The fresh-upload slot: the test pool's controlled first exposure (docs/design/feed.md, "Test
// pool"). After ranking, a video still in its test gets a place on the page at a random
// position, so a new upload is seen without waiting for the model to learn it; its impressions
// then decide whether it graduates (FreshStateOf in sources.h). At most one per page.
//
// Example:
//   std::mt19937_64 rng(seed);
//   PlaceFreshUpload(options.fresh, engagement, 10, now_ms, rng, &ranked);
//   std::vector<Candidate> page = Arrange(std::move(ranked), 10, options.rules, tail, rng, &stats);
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "feed/candidate.h"
#include "feed/engagement.h"
#include "feed/sources.h"

namespace foryou::feed {

// Among the candidates of `ranked` (highest score first) found by the fresh source, still
// testing and without a "not interested" penalty (ApplyNotInterested runs first), picks the least exposed (ties at random) and lifts its score just above the item at a
// random position among the first `count` (the lift is kept in fresh_lift), then re-sorts. Does
// nothing when options.slots_per_page is 0 or no candidate is testing. Draws from `rng`.
void PlaceFreshUpload(const FreshPoolOptions& options, const EngagementStats& engagement,
                      int count, int64_t now_ms, std::mt19937_64& rng,
                      std::vector<Candidate>* ranked);

}  // namespace foryou::feed
