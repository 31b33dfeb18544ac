// Where ads may go in a viewer's For You feed (docs/design/ads.md, "Slots"): the first no earlier
// than `first_position`, at least `min_organic_between` organic items between two ads, at most
// one ad in any `max_one_in` consecutive items, and about one in `ad_every` items. Which ad
// takes an open slot, and the rules about neighbours (never the same ad, creator or sound twice
// in a row; frequency caps; hidden advertisers) are the auction's (auction.h).
//
// Stateless and thread-safe: the caller counts what the viewer has been shown so far.
//
// Example:
//   if (SlotOpen(options, {.items = 12, .organic_since_ad = 8})) { auction for position 13 }
#pragma once

#include <cstdint>

#include "absl/status/status.h"

namespace foryou::ads {

struct SlotOptions {
  int32_t first_position = 4;       // 1-based: the first three items are always organic
  int32_t min_organic_between = 5;  // organic items between two ads, at least
  int32_t max_one_in = 5;           // at most one ad in any this many consecutive items
  int32_t ad_every = 10;            // the ad load: a slot opens once per this many items
};

// InvalidArgument (naming the knob) unless first_position >= 4, min_organic_between >= 5,
// max_one_in >= 5 and ad_every >= both min_organic_between + 1 and max_one_in: a configuration
// may lower the ad load, never raise it past the rules.
[[nodiscard]] absl::Status Validate(const SlotOptions& o);

// What the viewer's feed holds so far this session.
struct FeedSoFar {
  int64_t items = 0;              // items shown, ads included
  int64_t organic_since_ad = -1;  // organic items after the last ad; -1 when no ad yet
};

// True when the next item (position items + 1) may be an ad. If the auction leaves an open
// slot to an organic item, the slot stays open for the next position.
bool SlotOpen(const SlotOptions& o, const FeedSoFar& feed);

}  // namespace foryou::ads
