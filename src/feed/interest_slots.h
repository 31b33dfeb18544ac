// Cold start: the interests a user picked at sign-up lead their first page (docs/design/feed.md,
// "Cold start"). Until the user's session holds any taste of its own (no long view, completion,
// like or share yet: a new user, or one who refreshed their feed), the best-ranked candidates the
// same-hashtag source found for a picked interest are lifted above every other candidate, so the
// arrangement rules fill most of the page with them; the rules and the exploration slots still
// apply. The lift is kept in each candidate's interest_lift, so explanations can show it.
//
// Example:
//   if (ctx.positives.empty()) PlaceInterests(user.interests, count, options.rules, &ranked);
//   PlaceFreshUpload(options.fresh, engagement, count, now_ms, rng, &ranked);
#pragma once

#include <string>
#include <vector>

#include "absl/types/span.h"
#include "feed/candidate.h"
#include "feed/rules.h"

namespace foryou::feed {

// Share of a page's count lifted; above one half so that the spacing rules, which may defer a
// lifted candidate past the end of the page, still leave at least half of it to the interests.
inline constexpr double kInterestShare = 0.7;

// Lifts up to ceil(count x kInterestShare) candidates of `ranked` (highest score first) that the
// same-hashtag source found, that carry one of `interests` (hashtags) and that have no
// not-interested penalty: best first, at most as many per creator as the creator spacing lets on
// one page (ceil(count / rules.creator_once_per)), each just above the best candidate not lifted,
// keeping their order. Then re-sorts. Does nothing without interests or matching candidates.
void PlaceInterests(absl::Span<const std::string> interests, int count, const RuleOptions& rules,
                    std::vector<Candidate>* ranked);

}  // namespace foryou::feed
