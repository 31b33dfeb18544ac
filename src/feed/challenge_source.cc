// The challenge source and the page's challenge share (see the header).
#include "feed/challenge_source.h"

#include <algorithm>
#include <utility>

namespace foryou::feed {

void ChallengeSource::Retrieve(const RetrievalContext& ctx, int quota,
                               std::vector<uint32_t>* out) const {
  if (ctx.challenges == nullptr || quota <= 0) return;
  // Per challenge: its entries, most engaging first.
  std::vector<std::vector<uint32_t>> lists;
  for (const catalog::Challenge& challenge : *ctx.challenges) {
    if (!challenge.ActiveAt(ctx.now_ms)) continue;
    auto it = ctx.index->by_hashtag.find(AttributeKey(challenge.name));
    if (it == ctx.index->by_hashtag.end()) continue;
    std::vector<std::pair<double, uint32_t>> scored;  // (engagement, index), newest first
    for (uint32_t i : it->second) {
      if (scored.size() >= kMaxScannedPerChallenge) break;
      const VideoEntry& e = *ctx.index->all[i];
      if (e.video.moderation != catalog::Moderation::kApproved) continue;
      if (ctx.seen.contains(e.proto.video_key)) continue;
      scored.emplace_back(ctx.stats->Score("*", e.proto.video_key, ctx.now_ms), i);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<uint32_t> list;
    list.reserve(scored.size());
    for (const auto& [score, i] : scored) list.push_back(i);
    lists.push_back(std::move(list));
  }
  absl::flat_hash_set<uint32_t> taken;
  for (size_t depth = 0; static_cast<int>(taken.size()) < quota; ++depth) {
    bool more = false;
    for (const std::vector<uint32_t>& list : lists) {
      if (depth >= list.size()) continue;
      more = true;
      if (taken.insert(list[depth]).second) {
        out->push_back(list[depth]);
        if (static_cast<int>(taken.size()) >= quota) return;
      }
    }
    if (!more) return;
  }
}

int ChallengeItemLimit(const ChallengeOptions& options, int count) {
  if (options.max_per_10 <= 0 || count <= 0) return 0;
  return (count * options.max_per_10 + 9) / 10;
}

void LimitChallengeItems(const ChallengeOptions& options, float bonus, int count,
                         std::vector<Candidate>* ranked) {
  int left = ChallengeItemLimit(options, count);
  absl::flat_hash_set<uint64_t> demoted;  // video keys
  std::erase_if(*ranked, [&](Candidate& c) {
    if (!c.from(Source::kChallenge)) return false;
    if (left > 0) {
      --left;
      return false;
    }
    c.sources &= ~SourceBit(Source::kChallenge);
    if (c.sources == 0) return true;
    c.bonus -= bonus;
    c.value -= bonus;
    c.score -= bonus;
    demoted.insert(c.video_key);
    return false;
  });
  if (demoted.empty()) return;
  // Without its bonus a demoted candidate ranks as if the challenge had never found it: behind
  // the candidates of an equal score (which the bonus had put it ahead of).
  std::stable_sort(ranked->begin(), ranked->end(), [&](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    return !demoted.contains(a.video_key) && demoted.contains(b.video_key);
  });
}

}  // namespace foryou::feed
