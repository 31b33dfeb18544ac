// Ad slot positions (see ad_slots.h).
#include "ads/ad_slots.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace foryou::ads {

absl::Status Validate(const SlotOptions& o) {
  if (o.first_position < 4) {
    return absl::InvalidArgumentError("ads.slots.first_position: must be >= 4");
  }
  if (o.min_organic_between < 5) {
    return absl::InvalidArgumentError("ads.slots.min_organic_between: must be >= 5");
  }
  if (o.max_one_in < 5) return absl::InvalidArgumentError("ads.slots.max_one_in: must be >= 5");
  if (o.ad_every < std::max(o.min_organic_between + 1, o.max_one_in)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ads.slots.ad_every: must be >= ", std::max(o.min_organic_between + 1, o.max_one_in)));
  }
  return absl::OkStatus();
}

bool SlotOpen(const SlotOptions& o, const FeedSoFar& feed) {
  if (feed.items + 1 < o.first_position) return false;
  if (feed.organic_since_ad < 0) return true;
  // After an ad: the gap rule, the share rule (the window of max_one_in items ending here holds
  // no other ad) and the load (a slot every ad_every items).
  const int64_t organic = feed.organic_since_ad;
  return organic >= o.min_organic_between && organic + 1 >= o.max_one_in &&
         organic + 1 >= o.ad_every;
}

}  // namespace foryou::ads
