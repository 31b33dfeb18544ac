// Retriever: the first stage of a feed request. Asks every candidate source (sources.h) for up
// to its quota, in Source order, and merges what they find: a video found by several sources is
// one candidate carrying every source's bit. When the sources find fewer than min_candidates,
// the rest is filled from the servable catalog — deeper in the everyone-trending order first
// (still "trending"), then at random (counted as exploration, since no signal chose them) — so
// ranking always has enough to choose from.
//
// Thread-safe: Retrieve is const; everything a request reads comes in its RetrievalContext.
//
// Example:
//   Retriever retriever(options.quotas, options.min_candidates);
//   std::vector<Candidate> candidates = retriever.Retrieve(ctx);  // unranked, unfiltered
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "feed/candidate.h"
#include "feed/sources.h"

namespace foryou::feed {

class Retriever {
 public:
  using Quotas = std::array<int, static_cast<int>(Source::kNumSources)>;
  // `quotas`: the most candidates per source (Source order; <= 0 skips the source).
  Retriever(const Quotas& quotas, int min_candidates);

  // The merged candidates, in the order first found (sources in Source order, each best first),
  // then the top-up. Draws from *ctx.rng (the sources and the random top-up).
  std::vector<Candidate> Retrieve(const RetrievalContext& ctx) const;

 private:
  const Quotas quotas_;
  const size_t min_candidates_;
  const std::vector<std::unique_ptr<CandidateSource>> sources_;
};

}  // namespace foryou::feed
