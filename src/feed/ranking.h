// Ranker: orders a request's eligible candidates by value (docs/design/feed.md, "Ranking"):
//
//   value = sum_t weight_t x p_t                    the serving model (Scorer), 8 tasks
//         + source bonus x the session's evidence    what the session shows before a retrain
//         + popularity_weight x log(1+e)/log(1+e_max)  the audience prior (e: engagement, "*")
//         + watch_next_weight x (s - s_min)          the watch-next prior (off at weight 0)
//
// with s = engagement_weight x log(1+e) + WatchNext's score. The model's batch is split over a
// pool of scoring threads (FeedOptions::scoring_threads; the calling thread scores the first
// chunk) while no other request is scoring and workers are idle; otherwise the calling thread
// scores it all (a split costs CPU: worth it only on idle cores). Ranking sets probs, bonus, popularity, value and score (= value) of each candidate
// and sorts them, highest score first (stable: ties keep the retrieval order).
//
// Thread-safe: Rank may run on many request threads at once (the Scorer is thread-safe).
//
// Example:
//   Ranker ranker(options, &scorer, &engagement, &watch_next);
//   SessionEvidence evidence = EvidenceOf(likes, *index, user.interests);
//   FORYOU_RETURN_IF_ERROR(ranker.Rank("u1", evidence, now_ms, "", &candidates));
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/thread_pool.h"
#include "feed/candidate.h"
#include "feed/engagement.h"
#include "feed/feed_options.h"
#include "feed/scorer.h"
#include "feed/video_index.h"
#include "feed/watch_next.h"

namespace foryou::feed {

// What the session says about the user's taste before the model retrains: per hashtag and per
// sound, the share of the recent likes carrying it (a sign-up interest counts at least 0.5).
struct SessionEvidence {
  absl::flat_hash_map<uint64_t, float> hashtag_share, sound_share;
  float foreign_share = 0;  // UserSession::foreign_share: scales the foreign watch-next prior
};

// The evidence of `likes` (video keys, oldest first; unknown ones ignored) and sign-up
// `interests` (hashtags). Each like weighs `recency`^age (age 0: the newest), the weights
// normalised to sum to 1: with recency 1 every recent like counts the same; below 1 the newest
// likes lead, so a changed taste shows sooner.
SessionEvidence EvidenceOf(absl::Span<const uint64_t> likes, const VideoIndex::Snapshot& index,
                           absl::Span<const std::string> interests, float recency = 1.0f);

class Ranker {
 public:
  // `scorer` and `engagement` must outlive the ranker; `watch_next` too, or be null (no
  // watch-next prior). Reads weights, source_bonus, the prior weights, surface,
  // utc_offset_minutes and scoring_threads of `options`.
  Ranker(const FeedOptions& options, const Scorer* scorer, const EngagementStats* engagement,
         WatchNext* watch_next);
  Ranker(const Ranker&) = delete;
  Ranker& operator=(const Ranker&) = delete;

  // Scores `candidates` for the model's user `model_user` at now_ms on `surface` (empty: the
  // options' surface), adds the bonus and priors, and sorts them. Errors from the scorer are
  // returned (the candidates' scores are then unspecified).
  [[nodiscard]] absl::Status Rank(std::string_view model_user, const SessionEvidence& evidence,
                                  int64_t now_ms, std::string_view surface,
                                  std::vector<Candidate>* candidates) const;

 private:
  // probs: impressions.size() x model::kNumTasks, over the pool.
  absl::Status Predict(absl::Span<const model::Impression> impressions, float* probs) const;
  float BonusOf(const Candidate& c, const SessionEvidence& evidence) const;

  const FeedOptions options_;
  const Scorer* const scorer_;
  const EngagementStats* const engagement_;
  WatchNext* const watch_next_;
  std::unique_ptr<common::ThreadPool> pool_;  // scoring_threads - 1 workers (null: none)
  mutable std::atomic<int> busy_{0};          // chunks handed to the pool, not done yet
  mutable std::atomic<int> scoring_{0};       // requests in Predict
};

}  // namespace foryou::feed
