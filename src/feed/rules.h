// TikTok's feed rules, as pure functions over candidates (docs/design/feed.md). Retrieval and
// ranking produce a scored list; these decide what may appear and in which order.
//
//   eligibility (per candidate): moderation, seen set, hidden creators / sounds, keyword and
//       hashtag filters -> Eligible()
//   penalties: "not interested" lowers the creator, sound and hashtags of that video at once
//       -> ApplyNotInterested()
//   arrangement (per feed): no two in a row from one creator or with one sound, a creator at most
//       once per K items, no run of more than R items of one category, an exploration share
//       -> Arrange()
//   CheckFeed() re-verifies a served feed against every rule (tests, `foryou simulate`).
//
// Example:
//   RuleStats stats;
//   std::erase_if(cands, [&](const Candidate& c) { return !Eligible(c, filters, seen, &stats); });
//   ApplyNotInterested(signals, options, &cands, &stats);
//   std::vector<Candidate> feed = Arrange(std::move(cands), 10, options, prev_tail, rng, &stats);
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "feed/seen_set.h"
#include "feed/candidate.h"

namespace foryou::feed {

struct RuleOptions {
  int creator_once_per = 5;      // K: a creator at most once in any K consecutive items (>= 2)
  int max_category_run = 2;      // R: at most R consecutive items of one category (>= 1)
  double explore_share = 0.1;    // epsilon: share of each feed from Source::kExplore (0..1)
  // Score taken off per matching "not interested" signal (creator, sound, each hashtag).
  float not_interested_creator = 2.0f;
  float not_interested_sound = 1.0f;
  float not_interested_hashtag = 0.5f;
};

// The user-level filters, as attribute keys (built from catalog::User).
struct UserFilters {
  absl::flat_hash_set<uint64_t> hidden_creators, hidden_sounds, hashtag_filters;
  std::vector<std::string> keywords;  // lower-case; matched case-insensitively in the caption
};

// What the user said "not interested" to, with how many times (attribute key -> count).
struct NotInterested {
  absl::flat_hash_map<uint64_t, int> creators, sounds, hashtags;
};

// How often each rule fired (exported on /metrics and the dashboard).
struct RuleStats {
  uint64_t moderation = 0;       // pending / removed, or limited outside the fresh pool
  uint64_t seen = 0;
  uint64_t hidden_creator = 0;
  uint64_t hidden_sound = 0;
  uint64_t keyword = 0;          // keyword or hashtag filter
  uint64_t not_interested = 0;   // candidates penalised
  uint64_t creator_spacing = 0;  // a candidate deferred by the K rule (or same creator in a row)
  uint64_t sound_spacing = 0;    // deferred: same sound as the previous item
  uint64_t category_run = 0;     // deferred by the R rule
  uint64_t explore_inserted = 0; // exploration items placed
  void Add(const RuleStats& o);
};

// Moderation alone: approved always; limited only when found by the fresh-upload pool.
bool ModerationAllows(const Candidate& c);

// True if `c` may appear for this user: ModerationAllows, not in `seen` (video keys), not from a
// hidden creator or with a hidden sound, no filtered hashtag, no filtered keyword in the caption.
// Counts the first failing rule in *stats (may be null).
bool Eligible(const Candidate& c, const UserFilters& filters,
              const SeenSet& seen, RuleStats* stats);

// Subtracts the not-interested penalty from each candidate's score (penalty field set), then
// re-sorts by score, highest first.
void ApplyNotInterested(const NotInterested& signals, const RuleOptions& options,
                        std::vector<Candidate>* candidates, RuleStats* stats);

// Picks up to `count` items from `ranked` (highest score first) obeying the arrangement rules,
// continuing from `previous` (the tail of the user's last feed, oldest first, so the rules hold
// across pages). round(count * explore_share) slots go to Source::kExplore candidates (the best
// of them, never one with a not-interested penalty), at positions drawn from `rng`. When no candidate fits a slot the feed is shorter
// rather than broken. Deterministic for a given rng state.
std::vector<Candidate> Arrange(std::vector<Candidate> ranked, int count,
                               const RuleOptions& options,
                               const std::vector<Candidate>& previous, std::mt19937_64& rng,
                               RuleStats* stats);

// Every arrangement rule over `previous` + `feed`, and every eligibility rule for `feed`. Returns
// one line per violation ("item 3: same creator as item 2"); empty = the feed obeys the rules.
std::vector<std::string> CheckFeed(const std::vector<Candidate>& feed,
                                   const std::vector<Candidate>& previous,
                                   const RuleOptions& options, const UserFilters& filters,
                                   const SeenSet& seen);

}  // namespace foryou::feed
