// PageChecker: verifies, from the client's side, that the feed pages one user was served obey
// the feed rules (docs/design/feed.md, "Feed rules"), using only what a page's JSON says (video, creator,
// sound, hashtags) and what the simulator itself knows (which videos it removed or left pending,
// which creators the user hid). Independent of feed::CheckFeed on purpose: it re-derives the
// rules from the outside, across page boundaries.
//
// Not thread-safe: one checker per user, used by one thread at a time.
//
// Example:
//   PageChecker checker({.creator_once_per = 5, .max_category_run = 2});
//   RuleViolations v;
//   checker.Check(items, hidden_creators, [&](const std::string& id) { return removed(id); }, &v,
//                 &messages);
//   // v.total() == 0 for a service that keeps its rules
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace foryou::sim {

struct ServedItem {
  std::string video, creator, sound;  // sound "" = original sound
  std::string category;               // the first hashtag, "" if none
};

struct CheckerOptions {
  int creator_once_per = 5;  // K
  int max_category_run = 2;  // R
};

// Violations per rule. A page item is counted under every rule it breaks.
struct RuleViolations {
  uint64_t duplicate_in_page = 0;  // one video twice on a page
  uint64_t already_served = 0;     // a video served to this user on an earlier page
  uint64_t creator_adjacent = 0;   // same creator as the item before
  uint64_t creator_window = 0;     // creator again within K consecutive items (not adjacent)
  uint64_t sound_adjacent = 0;     // same non-empty sound as the item before
  uint64_t category_run = 0;       // a run of more than R items of one non-empty category
  uint64_t hidden_creator = 0;     // a creator the user hid before the request
  uint64_t moderation = 0;         // removed (before the request) or pending video
  uint64_t total() const;
  void Add(const RuleViolations& o);
  std::string ToString() const;  // "duplicate_in_page=0 already_served=0 ..."
};

class PageChecker {
 public:
  explicit PageChecker(CheckerOptions options) : options_(options) {}

  // Checks one page, served after every page checked before, and remembers it. `blocked`
  // returns true for a video that must not be served (removed before the request was sent, or
  // never approved). Appends one line per violation to *messages (may be null).
  void Check(const std::vector<ServedItem>& page,
             const absl::flat_hash_set<std::string>& hidden_creators,
             const std::function<bool(const std::string&)>& blocked, RuleViolations* violations,
             std::vector<std::string>* messages);

  size_t served() const { return served_.size(); }

 private:
  CheckerOptions options_;
  absl::flat_hash_set<std::string> served_;
  std::deque<ServedItem> tail_;  // the last max(K, R) items served, oldest first
};

}  // namespace foryou::sim
