// Hashtag challenges in the feed (docs/design/challenges.md). ChallengeSource proposes the
// entries of the challenges active now (approved videos carrying the challenge's hashtag, not
// yet seen), most engaging first, round-robin over the challenges; LimitChallengeItems keeps a
// page's items from challenges within ChallengeOptions::max_per_10. Every other feed rule
// (eligibility, spacing, category runs) applies to them as to any candidate.
//
// Example:
//   ctx.challenges = feed.ActiveChallenges(now_ms);     // what the source reads
//   ... retrieval, eligibility, ranking ...
//   LimitChallengeItems(options.challenges, bonus, 10, &ranked);  // before Arrange
#pragma once

#include <vector>

#include "feed/candidate.h"
#include "feed/sources.h"

namespace foryou::feed {

class ChallengeSource : public CandidateSource {
 public:
  // Entries of one challenge looked at per request, newest first (bounds the work on a hashtag
  // with a long history; the ranking among them is by engagement).
  static constexpr size_t kMaxScannedPerChallenge = 1000;

  Source source() const override { return Source::kChallenge; }
  // Appends up to `quota` entries of ctx.challenges (those active at ctx.now_ms only): approved,
  // not in ctx.seen, by decayed engagement among everyone (ties: newer first), taking one from
  // each challenge in turn.
  void Retrieve(const RetrievalContext& ctx, int quota, std::vector<uint32_t>* out) const override;
};

// The most items of a page of `count` the challenge source may have found: ceil(count x
// max_per_10 / 10).
int ChallengeItemLimit(const ChallengeOptions& options, int count);

// Keeps the challenge source's part of `ranked` (highest score first) to the best
// ChallengeItemLimit(options, count) candidates it found. Past those, a candidate loses what the
// challenge gave it: dropped when the challenge source was its only source; otherwise its
// challenge bit and `bonus` (the challenge's source bonus, in its value and score) are taken off
// and it is re-sorted among the rest, to compete on its other sources' merits. So at most that
// many items of the page carry the challenge source.
void LimitChallengeItems(const ChallengeOptions& options, float bonus, int count,
                         std::vector<Candidate>* ranked);

}  // namespace foryou::feed
