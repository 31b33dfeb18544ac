// The feed rules (rules.h, docs/design/feed.md "Feed rules"): eligibility, "not interested"
// penalties, the greedy arrangement and the checker that re-verifies a served feed.
#include "feed/rules.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace foryou::feed {
namespace {

// Why a candidate may not appear, in the order Eligible() tests.
enum class Ineligible { kNone, kModeration, kSeen, kHiddenCreator, kHiddenSound, kFiltered };

const char* IneligibleName(Ineligible r) {
  switch (r) {
    case Ineligible::kNone:
      return "eligible";
    case Ineligible::kModeration:
      return "moderation";
    case Ineligible::kSeen:
      return "already seen";
    case Ineligible::kHiddenCreator:
      return "hidden creator";
    case Ineligible::kHiddenSound:
      return "hidden sound";
    case Ineligible::kFiltered:
      return "keyword or hashtag filter";
  }
  return "?";
}

inline char AsciiLower(char ch) {
  return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
}

// Case-insensitive for ASCII letters only; every other byte (UTF-8 included) must match exactly.
bool ContainsIgnoringAsciiCase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  const auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                              [](char a, char b) { return AsciiLower(a) == AsciiLower(b); });
  return it != haystack.end();
}

Ineligible Check(const Candidate& c, const UserFilters& filters,
                 const SeenSet& seen) {
  if (!ModerationAllows(c)) return Ineligible::kModeration;
  if (seen.contains(c.video_key)) return Ineligible::kSeen;
  // Key 0 is "no attribute" (original sound, missing creator): it never matches a filter.
  if (c.creator != 0 && filters.hidden_creators.contains(c.creator)) {
    return Ineligible::kHiddenCreator;
  }
  if (c.sound != 0 && filters.hidden_sounds.contains(c.sound)) return Ineligible::kHiddenSound;
  if (!filters.hashtag_filters.empty()) {
    for (uint64_t tag : c.hashtags) {
      if (tag != 0 && filters.hashtag_filters.contains(tag)) return Ineligible::kFiltered;
    }
  }
  for (const std::string& keyword : filters.keywords) {
    // An empty keyword would hide every video; it is a bad filter, not a request for that.
    if (!keyword.empty() && ContainsIgnoringAsciiCase(c.video->caption, keyword)) {
      return Ineligible::kFiltered;
    }
  }
  return Ineligible::kNone;
}

// Arrangement parameters with out-of-range values pulled into range (rules.h gives the ranges).
struct Limits {
  size_t k;  // creator at most once in any k consecutive items, k >= 2
  size_t r;  // at most r consecutive items of one non-zero category, r >= 1
};

Limits LimitsOf(const RuleOptions& options) {
  return Limits{static_cast<size_t>(std::max(options.creator_once_per, 2)),
                static_cast<size_t>(std::max(options.max_category_run, 1))};
}

// The arrangement rules' view of the items already in the feed (the previous page's tail and
// what Arrange has placed so far), kept incrementally so testing a candidate is O(1):
//   * creators of the last k-1 items, with multiplicity (the K rule; k >= 2 makes it include
//     the previous item, so it also covers "not the same creator twice in a row");
//   * the previous item's sound;
//   * the non-zero category the feed currently ends with, and how many items that run has.
class History {
 public:
  explicit History(Limits limits) : limits_(limits) {}

  void Push(const Candidate& c) {
    items_.push_back(&c);
    ++window_[c.creator];
    if (items_.size() > limits_.k - 1) {
      const uint64_t out = items_[items_.size() - limits_.k]->creator;
      if (--window_[out] == 0) window_.erase(out);
    }
    if (c.category != 0 && c.category == run_category_) {
      ++run_length_;
    } else {
      run_category_ = c.category;
      run_length_ = c.category == 0 ? 0 : 1;
    }
  }

  // Which rule `c` breaks if placed next, in the order the stats attribute deferrals.
  enum class Breaks { kNothing, kCreator, kSound, kCategory };
  Breaks Test(const Candidate& c) const {
    if (window_.contains(c.creator)) return Breaks::kCreator;
    if (c.sound != 0 && !items_.empty() && items_.back()->sound == c.sound) return Breaks::kSound;
    if (c.category != 0 && c.category == run_category_ && run_length_ >= limits_.r) {
      return Breaks::kCategory;
    }
    return Breaks::kNothing;
  }

 private:
  Limits limits_;
  std::vector<const Candidate*> items_;
  absl::flat_hash_map<uint64_t, int> window_;
  uint64_t run_category_ = 0;
  size_t run_length_ = 0;
};

// A pool of candidate indices in rank order. `head` skips the used prefix so repeated scans do
// not re-walk it.
struct Pool {
  std::vector<uint32_t> order;
  size_t head = 0;
};

// Returns the best unused candidate of `pool` that `history` allows, or -1; counts every unused
// candidate it had to skip in *stats.
int64_t TakeBest(const std::vector<Candidate>& cands, const History& history,
                 const std::vector<bool>& used, Pool* pool, RuleStats* stats) {
  while (pool->head < pool->order.size() && used[pool->order[pool->head]]) ++pool->head;
  for (size_t i = pool->head; i < pool->order.size(); ++i) {
    const uint32_t idx = pool->order[i];
    if (used[idx]) continue;
    switch (history.Test(cands[idx])) {
      case History::Breaks::kNothing:
        return idx;
      case History::Breaks::kCreator:
        ++stats->creator_spacing;
        break;
      case History::Breaks::kSound:
        ++stats->sound_spacing;
        break;
      case History::Breaks::kCategory:
        ++stats->category_run;
        break;
    }
  }
  return -1;
}

std::string VideoName(const Candidate& c) {
  return c.video != nullptr ? absl::StrCat("video ", c.video->id)
                            : absl::StrCat("video key ", c.video_key);
}

// Sort key for scores: NaN sorts last instead of breaking the comparator's strict weak order.
inline float SortableScore(float s) {
  return std::isnan(s) ? -std::numeric_limits<float>::infinity() : s;
}

}  // namespace

void RuleStats::Add(const RuleStats& o) {
  moderation += o.moderation;
  seen += o.seen;
  hidden_creator += o.hidden_creator;
  hidden_sound += o.hidden_sound;
  keyword += o.keyword;
  not_interested += o.not_interested;
  creator_spacing += o.creator_spacing;
  sound_spacing += o.sound_spacing;
  category_run += o.category_run;
  explore_inserted += o.explore_inserted;
}

bool ModerationAllows(const Candidate& c) {
  if (c.video == nullptr) return false;
  switch (c.video->moderation) {
    case catalog::Moderation::kApproved:
      return true;
    case catalog::Moderation::kLimited:
      return c.from(Source::kFresh);
    case catalog::Moderation::kPending:
    case catalog::Moderation::kRemoved:
      return false;
  }
  return false;  // an out-of-range value read from somewhere: not approved
}

bool Eligible(const Candidate& c, const UserFilters& filters,
              const SeenSet& seen, RuleStats* stats) {
  const Ineligible why = Check(c, filters, seen);
  if (stats != nullptr) {
    switch (why) {
      case Ineligible::kNone:
        break;
      case Ineligible::kModeration:
        ++stats->moderation;
        break;
      case Ineligible::kSeen:
        ++stats->seen;
        break;
      case Ineligible::kHiddenCreator:
        ++stats->hidden_creator;
        break;
      case Ineligible::kHiddenSound:
        ++stats->hidden_sound;
        break;
      case Ineligible::kFiltered:
        ++stats->keyword;
        break;
    }
  }
  return why == Ineligible::kNone;
}

void ApplyNotInterested(const NotInterested& signals, const RuleOptions& options,
                        std::vector<Candidate>* candidates, RuleStats* stats) {
  auto count = [](const absl::flat_hash_map<uint64_t, int>& m, uint64_t key) -> float {
    if (key == 0 || m.empty()) return 0;  // "no sound" / "no creator" is not an attribute
    const auto it = m.find(key);
    return it == m.end() ? 0.0f : static_cast<float>(std::max(it->second, 0));
  };
  for (Candidate& c : *candidates) {
    float penalty = options.not_interested_creator * count(signals.creators, c.creator) +
                    options.not_interested_sound * count(signals.sounds, c.sound);
    for (size_t i = 0; i < c.hashtags.size(); ++i) {
      const uint64_t tag = c.hashtags[i];
      // A hashtag listed twice on one video is still one hashtag.
      if (std::find(c.hashtags.begin(), c.hashtags.begin() + i, tag) != c.hashtags.begin() + i) {
        continue;
      }
      penalty += options.not_interested_hashtag * count(signals.hashtags, tag);
    }
    c.penalty = penalty > 0 ? penalty : 0.0f;  // a negative weight never boosts
    c.score = c.value - c.penalty;
    if (c.penalty > 0 && stats != nullptr) ++stats->not_interested;
  }
  const auto higher = [](const Candidate& a, const Candidate& b) {
    return SortableScore(a.score) > SortableScore(b.score);
  };
  // Without a penalty the ranked order usually holds already; a stable sort would keep it.
  if (std::is_sorted(candidates->begin(), candidates->end(), higher)) return;
  std::stable_sort(candidates->begin(), candidates->end(), higher);
}

// HOW IT WORKS
// Greedy, one position at a time. Before the first position, the explore slots are fixed:
// n = round(count * explore_share) distinct positions by a partial Fisher-Yates shuffle of
// 0..count-1 driven by rng() directly (not std::uniform_int_distribution, whose output differs
// between standard libraries), so a seeded rng gives the same feed everywhere.
//
// Two pools index `ranked` in rank order: explore = candidates from Source::kExplore without a
// not-interested penalty; main = candidates with any other source (or none), and penalised
// explore candidates. A candidate in both can fill either kind of slot;
// one `used` flag per candidate keeps it to one placement. For each position, the slot's pool is
// scanned from its best unused candidate for the first one the history allows (History::Test);
// if there is none, the other pool is scanned. If neither has one, nothing can ever fit later
// either (the history only changes by placing an item), so the feed ends there, short.
//
// Cost: each position scans each pool at most once, so O(count * |ranked|) tests of O(1) each,
// plus one O(|ranked|) pass to drop duplicates and videos of the previous page.
std::vector<Candidate> Arrange(std::vector<Candidate> ranked, int count, const RuleOptions& options,
                               const std::vector<Candidate>& previous, std::mt19937_64& rng,
                               RuleStats* stats) {
  std::vector<Candidate> feed;
  if (count <= 0) return feed;
  RuleStats local;
  if (stats == nullptr) stats = &local;
  const Limits limits = LimitsOf(options);

  // Explore slots.
  double share = options.explore_share;
  if (!(share > 0)) share = 0;  // also NaN
  if (share > 1) share = 1;
  const size_t n = static_cast<size_t>(count);
  const size_t n_explore = std::min(n, static_cast<size_t>(std::llround(n * share)));
  std::vector<bool> explore_slot(n, false);
  if (n_explore > 0) {
    std::vector<uint32_t> positions(n);
    for (size_t i = 0; i < n; ++i) positions[i] = static_cast<uint32_t>(i);
    for (size_t i = 0; i < n_explore; ++i) {
      const size_t j = i + static_cast<size_t>(rng() % (n - i));
      std::swap(positions[i], positions[j]);
      explore_slot[positions[i]] = true;
    }
  }

  // Usable candidates: first occurrence of each video, none from the previous page.
  std::vector<bool> used(ranked.size(), false);
  Pool explore, main;
  {
    absl::flat_hash_set<uint64_t> keys;  // video keys of previous and of candidates kept
    keys.reserve(previous.size() + ranked.size());
    for (const Candidate& p : previous) keys.insert(p.video_key);
    for (size_t i = 0; i < ranked.size(); ++i) {
      if (!keys.insert(ranked[i].video_key).second) continue;
      const Candidate& c = ranked[i];
      const uint32_t idx = static_cast<uint32_t>(i);
      // Exploration never brings back what the user said "not interested" to: a penalised
      // candidate competes only in the main pool, at its penalised rank.
      const bool explore_ok = c.from(Source::kExplore) && !(c.penalty > 0);
      if (explore_ok) explore.order.push_back(idx);
      if ((c.sources & ~SourceBit(Source::kExplore)) != 0 || c.sources == 0 || !explore_ok) {
        main.order.push_back(idx);
      }
    }
  }

  // The rules hold across the page boundary: only the last max(k-1, r) previous items matter.
  History history(limits);
  const size_t tail = std::min(previous.size(), std::max(limits.k - 1, limits.r));
  for (size_t i = previous.size() - tail; i < previous.size(); ++i) history.Push(previous[i]);

  std::vector<uint32_t> chosen;
  chosen.reserve(n);
  for (size_t pos = 0; pos < n; ++pos) {
    Pool* first = explore_slot[pos] ? &explore : &main;
    Pool* second = explore_slot[pos] ? &main : &explore;
    Pool* from = first;
    int64_t idx = TakeBest(ranked, history, used, first, stats);
    if (idx < 0) {
      from = second;
      idx = TakeBest(ranked, history, used, second, stats);
    }
    if (idx < 0) break;  // nothing fits, now or at any later position
    used[idx] = true;
    if (from == &explore) ++stats->explore_inserted;
    history.Push(ranked[idx]);
    chosen.push_back(static_cast<uint32_t>(idx));
  }

  feed.reserve(chosen.size());
  for (uint32_t idx : chosen) feed.push_back(std::move(ranked[idx]));
  return feed;
}

std::vector<std::string> CheckFeed(const std::vector<Candidate>& feed,
                                   const std::vector<Candidate>& previous,
                                   const RuleOptions& options, const UserFilters& filters,
                                   const SeenSet& seen) {
  std::vector<std::string> out;
  const Limits limits = LimitsOf(options);
  // One timeline, previous page first; only violations ending at a feed item are reported.
  std::vector<const Candidate*> all;
  all.reserve(previous.size() + feed.size());
  for (const Candidate& c : previous) all.push_back(&c);
  for (const Candidate& c : feed) all.push_back(&c);
  const size_t base = previous.size();
  auto name = [&](size_t t) {
    return t >= base ? absl::StrCat("item ", t - base)
                     : absl::StrCat("previous item ", t, " of ", base);
  };

  absl::flat_hash_map<uint64_t, size_t> first_at;  // video key -> timeline index
  size_t run = 0;                                  // same-category run ending at t
  for (size_t t = 0; t < all.size(); ++t) {
    const Candidate& c = *all[t];
    const bool in_feed = t >= base;
    const auto [it, fresh] = first_at.try_emplace(c.video_key, t);
    if (c.category == 0) {
      run = 0;
    } else {
      run = (t > 0 && all[t - 1]->category == c.category) ? run + 1 : 1;
    }
    if (!in_feed) continue;
    const std::string me = name(t);
    if (!fresh) {
      out.push_back(absl::StrCat(me, ": ", VideoName(c), " already at ", name(it->second)));
    }
    const Ineligible why = Check(c, filters, seen);
    if (why != Ineligible::kNone) {
      out.push_back(absl::StrCat(me, ": not eligible (", IneligibleName(why), ")"));
    }
    if (t > 0) {
      const Candidate& prev = *all[t - 1];
      if (prev.creator == c.creator) {
        out.push_back(absl::StrCat(me, ": same creator as ", name(t - 1)));
      }
      if (c.sound != 0 && prev.sound == c.sound) {
        out.push_back(absl::StrCat(me, ": same sound as ", name(t - 1)));
      }
    }
    // K rule beyond the adjacent item (already reported above): nearest earlier occurrence.
    for (size_t d = 2; d <= limits.k - 1 && d <= t; ++d) {
      if (all[t - d]->creator == c.creator) {
        out.push_back(
            absl::StrCat(me, ": creator also at ", name(t - d), ", within ", limits.k, " items"));
        break;
      }
    }
    if (run > limits.r) {
      out.push_back(
          absl::StrCat(me, ": run of ", run, " items of one category (max ", limits.r, ")"));
    }
  }
  return out;
}

}  // namespace foryou::feed
