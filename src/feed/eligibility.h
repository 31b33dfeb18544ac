// Eligibility: which candidates may be shown to a user at all, before ranking. A candidate is
// kept if moderation allows it, the user has not seen it, and none of the user's filters (hidden
// creators and sounds, hashtag and keyword filters) matches it; the rules themselves are
// Eligible() in rules.h. "Not interested" never excludes: it lowers the score after ranking
// (ApplyNotInterested).
//
// Example:
//   const UserFilters filters = FiltersOf(user);
//   RuleStats stats;
//   std::vector<Candidate> eligible = KeepEligible(std::move(candidates), filters, seen, &stats);
//   if (!Eligible(c, filters, seen, &why)) std::cout << IneligibleReason(why);
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "catalog/types.h"
#include "feed/seen_set.h"
#include "feed/candidate.h"
#include "feed/rules.h"

namespace foryou::feed {

// The user's hidden creators / sounds and hashtag filters as attribute keys, keyword filters
// lower-cased.
UserFilters FiltersOf(const catalog::User& user);

// The eligible candidates of `candidates`, in their order. Counts each excluded one under the
// first rule it fails in *stats (may be null).
std::vector<Candidate> KeepEligible(std::vector<Candidate> candidates, const UserFilters& filters,
                                    const SeenSet& seen, RuleStats* stats);

// In words, the rule counted in `why` (the RuleStats of one failed Eligible call).
std::string_view IneligibleReason(const RuleStats& why);

}  // namespace foryou::feed
