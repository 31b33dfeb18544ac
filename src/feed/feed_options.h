// FeedOptions: every knob of the feed (quotas, ranking weights and priors, rules, the fresh pool,
// the watch-next prior), and the parser of the "feed" section of the server config. The parser
// walks one table of keys (FeedOptionKeys): JSON path, the field it sets, range, default and a
// line of documentation. docs/design/feed_options.md is that table in prose; a test keeps the
// two in step.
//
// Example:
//   FeedOptions options;                        // the defaults
//   FORYOU_RETURN_IF_ERROR(ParseFeedOptions(R"({"rules": {"explore_share": 0.2},
//                                               "weights": {"is_like": 3}})", &options));
//   for (const FeedOptionKey& key : FeedOptionKeys()) std::cout << FeedOptionRow(key) << "\n";
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "feed/candidate.h"
#include "feed/engagement.h"
#include "feed/rules.h"
#include "feed/sources.h"
#include "feed/watch_next.h"
#include "model/model_config.h"

namespace foryou::feed {

struct FeedOptions {
  RuleOptions rules;
  FreshPoolOptions fresh;
  EngagementOptions engagement;
  // value = sum over tasks of weight x predicted probability (watch ratio: its prediction).
  // Order: click, long_view, like, follow, comment, share, not_interested, watch_ratio.
  std::array<float, model::kNumTasks> weights = {0.5f, 1.0f, 2.0f, 3.0f, 2.0f, 3.0f, -4.0f, 1.0f};
  // Added to the value of a candidate found by a personal source, scaled by the session's
  // evidence for it (same_hashtag: the share of recent likes carrying its hashtag, 0.5 for a
  // sign-up interest; same_sound: the share of likes with its sound; following / similar: 1),
  // summed over its sources. The session's signals count at once, before the model retrains.
  // same_hashtag / same_sound are large enough that three likes of one hashtag visibly shift
  // the next page even for videos the model knows nothing about (docs/design/feed.md).
  // challenge: a flat 0.2 for an entry of an active challenge (the page still takes at most
  // challenges.max_per_10 of them, ChallengeOptions).
  std::array<float, static_cast<int>(Source::kNumSources)> source_bonus = {0, 0, 0.15f, 0.05f,
                                                                          0.2f, 1.0f, 0, 0, 0.2f};
  // Audience prior: value += popularity_weight x log(1 + e) / log(1 + e_max), where e is the
  // video's decayed engagement among everyone ("*") and e_max the largest among the candidates.
  // The model predicts what a user does once a video is shown; this adds how likely the crowd
  // finds it worth watching now (docs/design/feed.md, "Ranking").
  //
  // The watch-next prior adds watch_next_weight x (s - s_min), s = engagement_weight x
  // log(1 + e) + WatchNext's score (audience counters, co-visitation with the user's recent
  // videos, the sequence model), s_min the smallest among the candidates; s is log-scale. Off by
  // default (weight 0): on our own traffic an audience prior feeds back into what it counts and
  // drowns the user's taste (`foryou simulate`); on a mature platform's log (KuaiRand) it is what
  // predicts the next view (config/feed_log_imitation.json; docs/design/feed.md).
  float popularity_weight = 1.0f;
  // Each recent like's weight against the next newer one in the source bonus's evidence
  // (EvidenceOf): 1 weighs the recent likes alike; at 0.5 a changed taste leads after a couple
  // of likes (docs/experiments/feed_default.md).
  float evidence_recency = 0.5f;
  float watch_next_weight = 0.0f;
  // Added to watch_next_weight times the share of the user's recent exposures that another
  // recommender chose (UserSession::foreign_share): where a platform's log brought the user,
  // imitating that platform predicts what they watch; on this feed's own traffic it would be
  // a feedback loop (docs/design/feed.md, "Whose exposures").
  float watch_next_foreign_weight = 1.0f;
  float engagement_weight = 1.0f;

  WatchNextOptions watch_next;
  ChallengeOptions challenges;
  // Per-source quotas (Source order); their sum is the most candidates one request scores.
  std::array<int, static_cast<int>(Source::kNumSources)> quotas = {150, 60, 60, 150, 60,
                                                                   120, 80, 200, 30};
  // When the sources find fewer, the rest is filled from the servable catalog (deeper in the
  // trending order, then at random) so ranking always has this many to choose from.
  int min_candidates = 500;
  int max_count = 50;             // largest page
  size_t seen_capacity = 5000;    // per user
  // Served records (explanations) kept across all users, ~400 B each; past it the records
  // served longest ago go first (UserSessions).
  size_t max_served_records = 262'144;
  // Live user sessions; past it the least recently used are parked, keeping only their seen
  // set and "not interested" counts (UserSessions).
  size_t max_sessions = 65'536;
  // Seen-set keys over all users (8 bytes each); past it the sessions used longest ago lose
  // their oldest seen keys first (UserSessions).
  size_t max_seen_keys = 8'388'608;  // 64 MB
  size_t recent_capacity = 20;    // positives / likes / skips kept per user
  int64_t embedding_refresh_ms = 2000;
  // One request's candidates are scored in this many parallel chunks (at least 128 candidates
  // each; 1 = on the request's thread only). Default: the machine's cores.
  int scoring_threads = 0;
  std::string surface = "foryou";  // the surface feed impressions are scored on
  int32_t utc_offset_minutes = 0;
  uint64_t seed = 1;
};

// Parses the "feed" section of the server config (a JSON object; every key optional) into
// *options, over the values already there. Keys and ranges: FeedOptionKeys(). InvalidArgument
// naming the key's path ("feed.watch_next.nope: unknown key", "feed.rules.explore_share: must be
// in [0, 1]") for an unknown key, a value of the wrong type or out of range, or text that is
// not a JSON object; *options is then unchanged.
[[nodiscard]] absl::Status ParseFeedOptions(const std::string& json, FeedOptions* options);

// A config value: a number (in the unit the JSON key names), true / false, or a string.
using FeedOptionValue = std::variant<double, bool, std::string>;

// One key of the "feed" section. Its type is the type of its default (get(FeedOptions{})).
struct FeedOptionKey {
  std::string path;         // below "feed.", dotted: "rules.creator_once_per", "weights.is_like"
  double min = 0, max = 0;  // numbers: the accepted range, inclusive
  std::string doc;          // what the key does, one line
  // Reads the field (numbers converted to the key's unit, e.g. hours) / writes a checked value.
  std::function<FeedOptionValue(const FeedOptions&)> get;
  std::function<void(FeedOptions&, const FeedOptionValue&)> set;
};

// Every key of the "feed" section, in the order of docs/design/feed_options.md.
const std::vector<FeedOptionKey>& FeedOptionKeys();

// The key's row in the reference table of docs/design/feed_options.md:
//   | `feed.rules.creator_once_per` | 5 | [2, 50] | K: a creator at most once in ... |
std::string FeedOptionRow(const FeedOptionKey& key);

}  // namespace foryou::feed
