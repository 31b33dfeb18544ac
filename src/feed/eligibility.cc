// Eligibility: the user's filters and the eligibility pass over a request's candidates.
#include "feed/eligibility.h"

#include <utility>

#include "absl/strings/ascii.h"

namespace foryou::feed {

UserFilters FiltersOf(const catalog::User& u) {
  UserFilters f;
  for (const std::string& c : u.hidden_creators) f.hidden_creators.insert(AttributeKey(c));
  for (const std::string& s : u.hidden_sounds) f.hidden_sounds.insert(AttributeKey(s));
  for (const std::string& h : u.hashtag_filters) f.hashtag_filters.insert(AttributeKey(h));
  for (const std::string& k : u.keyword_filters) f.keywords.push_back(absl::AsciiStrToLower(k));
  return f;
}

std::vector<Candidate> KeepEligible(std::vector<Candidate> candidates, const UserFilters& filters,
                                    const SeenSet& seen, RuleStats* stats) {
  std::vector<Candidate> kept;
  kept.reserve(candidates.size());
  for (Candidate& c : candidates) {
    if (Eligible(c, filters, seen, stats)) kept.push_back(std::move(c));
  }
  return kept;
}

std::string_view IneligibleReason(const RuleStats& why) {
  if (why.moderation) return "moderation: not approved for this feed";
  if (why.seen) return "already shown to this user";
  if (why.hidden_creator) return "the user hid this creator";
  if (why.hidden_sound) return "the user hid this sound";
  return "a keyword or hashtag filter of the user";
}

}  // namespace foryou::feed
