// Cold start's interest slots (see the header).
#include "feed/interest_slots.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace foryou::feed {

void PlaceInterests(absl::Span<const std::string> interests, int count, const RuleOptions& rules,
                    std::vector<Candidate>* ranked) {
  if (interests.empty() || ranked->empty() || count <= 0) return;
  absl::flat_hash_set<uint64_t> picked;
  for (const std::string& interest : interests) picked.insert(AttributeKey(interest));
  const size_t want = static_cast<size_t>(std::ceil(count * kInterestShare));
  // A creator beyond what the spacing rule lets on one page would hold a lifted place the page
  // cannot use.
  const int per_creator =
      (count + std::max(1, rules.creator_once_per) - 1) / std::max(1, rules.creator_once_per);
  absl::flat_hash_map<uint64_t, int> of_creator;
  std::vector<Candidate*> lifted;
  for (Candidate& c : *ranked) {
    if (lifted.size() >= want) break;
    if (!c.from(Source::kSameHashtag) || c.penalty > 0) continue;
    if (std::none_of(c.hashtags.begin(), c.hashtags.end(),
                     [&](uint64_t h) { return picked.contains(h); })) {
      continue;
    }
    if (int& n = of_creator[c.creator]; n < per_creator) {
      ++n;
      lifted.push_back(&c);
    }
  }
  if (lifted.empty()) return;
  // Just above the best candidate that is not lifted, in steps of 1e-3 so the lifted keep their
  // order among themselves.
  float top = -INFINITY;
  for (const Candidate& c : *ranked) {
    if (std::find(lifted.begin(), lifted.end(), &c) == lifted.end()) top = std::max(top, c.score);
  }
  for (size_t i = 0; i < lifted.size(); ++i) {
    Candidate& c = *lifted[i];
    const float target =
        std::isfinite(top) ? top + 1e-3f * static_cast<float>(lifted.size() - i) : c.score;
    if (c.score < target) {
      c.interest_lift += target - c.score;
      c.score = target;
    }
  }
  std::stable_sort(ranked->begin(), ranked->end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
}

}  // namespace foryou::feed
