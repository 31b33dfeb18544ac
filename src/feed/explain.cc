// Explanations: the per-item "why" and the full explanation of one candidate (see the header).
#include "feed/explain.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "feed/eligibility.h"

namespace foryou::feed {

std::string_view TaskWords(int task) {
  switch (task) {
    case model::kClick: return "play it";
    case model::kLongView: return "watch most of it";
    case model::kLike: return "like it";
    case model::kFollow: return "follow the creator";
    case model::kComment: return "comment";
    case model::kShare: return "share it";
    case model::kHate: return "say not interested";
    case model::kWatchRatio: return "watch a large share of it";
    default: return "?";
  }
}

std::string ReasonFor(const Candidate& c, const catalog::User& user) {
  if (c.from(Source::kExplore)) return "something different from what you usually watch";
  if (c.from(Source::kFollowing)) return absl::StrCat("from @", c.video->creator, ", whom you follow");
  if (c.from(Source::kSimilar)) return "similar to videos you enjoyed";
  if (c.from(Source::kSameSound)) return "uses a sound from a video you liked";
  if (c.from(Source::kSameHashtag)) {
    const std::string tag = c.video->hashtags.empty() ? std::string() : c.video->hashtags[0];
    for (const std::string& interest : user.interests) {
      for (const std::string& h : c.video->hashtags) {
        if (h == interest) return absl::StrCat("#", h, ", one of your interests");
      }
    }
    return absl::StrCat("#", tag, ", like videos you liked");
  }
  if (c.from(Source::kFresh)) return "a new upload being shown to a first audience";
  if (c.from(Source::kWatchNext)) return "people who watched what you watched are watching it";
  if (c.from(Source::kTrending)) {
    return absl::StrCat("trending", user.country.empty() ? "" : " in ", user.country);
  }
  return "recommended";
}

Explanation DescribeCandidate(const catalog::User& user, std::string_view video,
                              const Candidate& ranked, bool eligible, const RuleStats& why,
                              const std::array<float, model::kNumTasks>& weights) {
  Explanation x;
  x.user = user.id;
  x.video = std::string(video);
  for (int s = 0; s < static_cast<int>(Source::kNumSources); ++s) {
    if (!ranked.from(static_cast<Source>(s))) continue;
    x.sources.emplace_back(SourceName(static_cast<Source>(s)));
    Candidate one = ranked;
    one.sources = SourceBit(static_cast<Source>(s));
    x.source_reasons.push_back(ReasonFor(one, user));
  }
  x.eligible = eligible;
  if (!eligible) x.ineligible_reason = std::string(IneligibleReason(why));
  x.candidate = ranked;
  for (int t = 0; t < model::kNumTasks; ++t) {
    x.contributions.emplace_back(model::kTaskNames[t], weights[t] * x.candidate.probs[t]);
  }
  std::sort(x.contributions.begin(), x.contributions.end(), [](const auto& a, const auto& b) {
    return std::fabs(a.second) > std::fabs(b.second);
  });
  if (x.sources.empty()) {
    x.sentences.push_back("No candidate source proposes this video for you right now.");
  } else {
    x.sentences.push_back(
        absl::StrCat("Found because: ", absl::StrJoin(x.source_reasons, "; "), "."));
  }
  for (size_t i = 0; i < x.contributions.size() && i < 3; ++i) {
    int task = 0;
    while (task < model::kNumTasks && x.contributions[i].first != model::kTaskNames[task]) ++task;
    x.sentences.push_back(absl::StrFormat(
        "The model gives %.0f%% that you %s (weight %+.1f): %+.3f to the score.",
        100.0 * x.candidate.probs[task], TaskWords(task), weights[task],
        x.contributions[i].second));
  }
  if (x.candidate.penalty > 0) {
    x.sentences.push_back(absl::StrFormat(
        "Lowered by %.2f because you said not interested to its creator, sound or hashtags.",
        x.candidate.penalty));
  }
  if (!x.eligible) {
    x.sentences.push_back(absl::StrCat("It will not be shown: ", x.ineligible_reason, "."));
  }
  return x;
}

}  // namespace foryou::feed
