// The automatic rules a new video passes before exposure, each a small function with its own
// reason code, and Evaluate, which runs them all (docs/design/moderation.md, "Rules").
//
// Example:
//   const Rules rules(RulesConfig{.banned_terms = {"banned"}});
//   Decision d = rules.Evaluate(video, media, dup_matches);
//   // d.state == State::kLimited (all passed) or kPendingReview with d.reasons
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "catalog/types.h"
#include "common/text_fold.h"
#include "moderation/duplicate_index.h"
#include "moderation/state.h"
#include "nlohmann/json_fwd.hpp"

namespace foryou::moderation {

// Why a video is where it is: a reason code ("banned_term", "media_policy", "duplicate",
// "reports", "appeal", "no_media", or a moderator's own) and a text for people.
struct Reason {
  std::string code;
  std::string text;
  friend bool operator==(const Reason&, const Reason&) = default;
};

// The media worker's RESULT.json fields the rules read (the worker protocol, docs/design/
// moderation.md).
struct MediaResult {
  int64_t duration_ms = 0;
  int32_t width = 0, height = 0;
  bool has_audio = false;
  double mean_luma = 0;                                             // 0..255
  double audio_peak_dbfs = -std::numeric_limits<double>::infinity();  // -inf..0
};

// Reads the fields above from a RESULT.json object; InvalidArgument naming a missing or
// mistyped field. "audio_peak_dbfs" may be absent or null when has_audio is false (-inf).
[[nodiscard]] absl::StatusOr<MediaResult> MediaResultFromJson(const nlohmann::json& j);

// A match of the duplicate index (duplicate_index.h): a stored video, and the share of this
// video's frames that match it (0..1) in matched_share.

struct RulesConfig {
  // banned_term: caption and hashtags, folded (common/text_fold.h).
  std::vector<std::string> banned_terms;
  bool leet = true;
  // media_policy.
  int64_t min_duration_ms = 1000, max_duration_ms = 600'000;
  int32_t min_short_side = 240, max_width = 4096, max_height = 4096;
  double min_mean_luma = 8;          // below: a black video
  double min_audio_peak_dbfs = -60;  // below, or no audio: silent
  bool silent_allowed = false;
  // duplicate: a match at this share or more trips the rule.
  double duplicate_share = 0.8;
};

// The outcome of Evaluate: kLimited (the fresh-upload pool) or kPendingReview with reasons.
struct Decision {
  State state = State::kLimited;
  std::vector<Reason> reasons;
};

// Immutable after construction; thread-safe.
class Rules {
 public:
  explicit Rules(RulesConfig config);

  // Each rule: nullopt when it passes, else its reason.
  std::optional<Reason> BannedTerm(const catalog::Video& video) const;
  std::optional<Reason> MediaPolicy(const MediaResult& media) const;
  std::optional<Reason> Duplicate(const std::vector<DuplicateMatch>& matches) const;

  // Every rule; a video without a media result (an import) trips "no_media": a person reviews
  // what no worker has looked at.
  Decision Evaluate(const catalog::Video& video, const std::optional<MediaResult>& media,
                    const std::vector<DuplicateMatch>& duplicates) const;

  const RulesConfig& config() const { return config_; }

 private:
  RulesConfig config_;
  common::TermMatcher terms_;
};

}  // namespace foryou::moderation
