// Retriever: the candidate sources with their quotas, merged and topped up (see the header).
#include "feed/retrieval.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"

namespace foryou::feed {

Retriever::Retriever(const Quotas& quotas, int min_candidates)
    : quotas_(quotas),
      min_candidates_(static_cast<size_t>(min_candidates)),
      sources_(MakeSources()) {}

std::vector<Candidate> Retriever::Retrieve(const RetrievalContext& ctx) const {
  const VideoIndex::Snapshot& index = *ctx.index;
  std::vector<Candidate> out;
  absl::flat_hash_map<uint32_t, size_t> position;  // index -> candidate
  size_t expected = 0;  // at most every quota, then topped up to min_candidates
  for (int quota : quotas_) expected += static_cast<size_t>(std::max(quota, 0));
  expected = std::max(expected, min_candidates_);
  out.reserve(expected);
  position.reserve(expected);
  std::vector<uint32_t> found;
  for (const auto& source : sources_) {
    found.clear();
    const int quota = quotas_[static_cast<int>(source->source())];
    if (quota <= 0) continue;
    source->Retrieve(ctx, quota, &found);
    for (uint32_t i : found) {
      auto [it, inserted] = position.try_emplace(i, out.size());
      if (inserted) out.push_back(index.all[i]->proto);
      out[it->second].sources |= SourceBit(source->source());
    }
  }
  const size_t want = min_candidates_;
  if (out.size() >= want) return out;
  for (uint64_t key : ctx.stats->Trending("*", static_cast<int>(want) * 2, ctx.now_ms)) {
    if (out.size() >= want) break;
    auto it = index.by_key.find(key);
    if (it == index.by_key.end()) continue;
    const VideoEntry& e = *index.all[it->second];
    if (e.video.moderation != catalog::Moderation::kApproved) continue;
    if (position.try_emplace(it->second, out.size()).second) {
      out.push_back(e.proto);
      out.back().sources = SourceBit(Source::kTrending);
    }
  }
  const std::vector<uint32_t>& pool = index.servable;
  std::mt19937_64& rng = *ctx.rng;
  for (size_t attempt = 0; out.size() < want && !pool.empty() && attempt < want * 4; ++attempt) {
    const uint32_t i = pool[rng() % pool.size()];
    if (position.try_emplace(i, out.size()).second) {
      out.push_back(index.all[i]->proto);
      out.back().sources = SourceBit(Source::kExplore);
    }
  }
  return out;
}

}  // namespace foryou::feed
