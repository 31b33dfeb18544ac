// Explanations: why a video is in a user's feed, in words a viewer understands. ReasonFor gives
// the short "why" shown under each served item, true of the user who sees it (ReasonContext says
// what the user has watched, liked and picked). Describe turns one item — as it was served
// (ServedItem, kept in the session), or as it would be scored now — into an Explanation for
// `GET /v1/feed/explain`: its sources, every part of its score (adding up to the score), and
// separately whether it could be served again.
//
// Example:
//   const ReasonContext viewer = ReasonContextOf(user, positives, likes, index);
//   item.reason = ReasonFor(candidate, viewer);       // "from @c5, whom you follow"
//   Explanation x = Describe(user, "v42", served, true, can_serve, why, options.weights);
//   for (const std::string& s : x.sentences) std::cout << s << "\n";
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "catalog/types.h"
#include "feed/candidate.h"
#include "feed/rules.h"
#include "feed/user_session.h"
#include "feed/video_index.h"
#include "model/model_config.h"

namespace foryou::feed {

// One part of a score: a stable name ("is_like", "source_bonus", "popularity", "watch_next",
// "not_interested", "fresh_slot", "interests_first"), its words, and what it adds.
struct ScorePart {
  std::string name;
  std::string label;
  float value = 0;
};

struct Explanation {
  std::string user, video;
  bool served = false;     // described as served (else: as it would be scored now)
  std::string request_id;  // when served: the page and the place it had on it
  int position = -1;
  int64_t served_ms = 0;
  std::vector<std::string> sources;         // SourceName of each source that found it
  std::vector<std::string> source_reasons;  // one sentence per source
  std::string reason;                       // the short "why" (shown with the item when served)
  std::array<float, model::kNumTasks> probs{};
  float value = 0, penalty = 0, score = 0;
  std::vector<ScorePart> parts;     // every part, adding up to score; largest magnitude first
  bool can_serve = true;            // could the feed serve it to the user now
  std::string cannot_serve_reason;  // when not: which rule keeps it out, in the user's words
  std::vector<std::string> sentences;
};

// What is true of the viewer, for the reasons: their sign-up interests, whether their session
// has any positive (long view, completion, like, share), the hashtags and sounds of their likes.
struct ReasonContext {
  const catalog::User* user = nullptr;
  bool watched = false;
  absl::flat_hash_set<uint64_t> interests, liked_hashtags, liked_sounds;
  // AttributeKey of the name of each challenge active when the item was chosen.
  absl::flat_hash_set<uint64_t> challenges;
};
ReasonContext ReasonContextOf(const catalog::User& user, absl::Span<const uint64_t> positives,
                              absl::Span<const uint64_t> likes, const VideoIndex::Snapshot& index);

// "long_view" -> "the chance you watch most of it", etc.: a task in a viewer's words.
std::string_view TaskWords(int task);

// The short "why" of a candidate for the viewer, from the first of its sources (in the order
// challenge (a page carries few: it names what placed the item), explore, following, similar,
// same_sound, same_hashtag, fresh, watch_next, trending) whose reason is true of them.
std::string ReasonFor(const Candidate& c, const ReasonContext& viewer);
// One reason per source of `c`, in Source order.
std::vector<std::string> SourceReasons(const Candidate& c, const ReasonContext& viewer);

// The record of `c` (ranked, penalised, placed) as served in `request_id` at `position`.
ServedItem ServedItemOf(const Candidate& c, std::string request_id, int position, int64_t served_ms,
                        const ReasonContext& viewer);

// In the user's words, the eligibility rule counted in `why` ("already shown to you").
std::string_view CannotServeReason(const RuleStats& why);

// The explanation of `item` for `user`: as served when `served`, else as scored now.
// `can_serve` / `why`: the eligibility verdict now. `weights`: FeedOptions::weights.
Explanation Describe(const catalog::User& user, std::string_view video, const ServedItem& item,
                     bool served, bool can_serve, const RuleStats& why,
                     const std::array<float, model::kNumTasks>& weights);

}  // namespace foryou::feed
