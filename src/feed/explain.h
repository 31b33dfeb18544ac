// Explanations: why a video is (or is not) in a user's feed, in words. ReasonFor gives the short
// "why" shown under each served item; DescribeCandidate turns one candidate's trip through the
// pipeline (the sources that found it, the eligibility verdict, the model's predictions, the
// not-interested penalty) into an Explanation for `GET /v1/explain`.
//
// Example:
//   item.reason = ReasonFor(candidate, user);  // "from @c5, whom you follow"
//   Explanation x = DescribeCandidate(user, "v42", ranked, eligible, why, options.weights);
//   for (const std::string& s : x.sentences) std::cout << s << "\n";
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/types.h"
#include "feed/candidate.h"
#include "feed/rules.h"
#include "model/model_config.h"

namespace foryou::feed {

struct Explanation {
  std::string user, video;
  std::vector<std::string> sources;       // SourceName of each source that proposes it now
  std::vector<std::string> source_reasons;  // one sentence per source
  bool eligible = true;
  std::string ineligible_reason;          // when not eligible: which rule keeps it out
  Candidate candidate;                    // scores (probs, value, penalty, score)
  // Task contributions (weight x prediction), largest magnitude first, and in words.
  std::vector<std::pair<std::string, float>> contributions;
  std::vector<std::string> sentences;
};

// "long_view" -> "watch most of it", etc.: the words for a task in explanations.
std::string_view TaskWords(int task);

// The short "why" of a candidate for `user`, from the first of its sources in the order
// explore, following, similar, same_sound, same_hashtag, fresh, watch_next, trending.
std::string ReasonFor(const Candidate& c, const catalog::User& user);

// The explanation of `ranked` (the candidate after ranking and the not-interested penalty; its
// source bits say which sources found it) for `user`. `why` counts the eligibility rule that
// failed when `eligible` is false. `weights`: FeedOptions::weights.
Explanation DescribeCandidate(const catalog::User& user, std::string_view video,
                              const Candidate& ranked, bool eligible, const RuleStats& why,
                              const std::array<float, model::kNumTasks>& weights);

}  // namespace foryou::feed
