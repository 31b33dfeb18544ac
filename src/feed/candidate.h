// A video on its way into a feed: where retrieval found it, what the model predicts for it, and
// the attributes the feed rules look at. Attribute keys are stable 64-bit hashes of the catalog's
// strings (AttributeKey), so the rules compare integers.
//
// Example:
//   Candidate c = entry.proto;                    // keys set by the video index
//   c.sources |= SourceBit(Source::kSimilar);     // found by the similar source
//   if (c.from(Source::kFresh)) ...
//   std::string_view name = SourceName(Source::kSameHashtag);  // "same_hashtag"
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "catalog/types.h"
#include "model/model_config.h"

namespace foryou::feed {

// The candidate sources (docs/design/feed.md). A candidate found by several keeps every bit.
enum class Source : uint8_t {
  kTrending = 0,    // time-decayed engagement in the user's country / language
  kFresh = 1,       // the fresh-upload test pool
  kFollowing = 2,   // creators the user follows
  kSimilar = 3,     // nearest neighbours of the user's recent positive videos (model embeddings)
  kSameSound = 4,   // same sound as a recent like
  kSameHashtag = 5, // same hashtag as a recent like, or a sign-up interest
  kExplore = 6,     // random, outside the user's known interests
  kWatchNext = 7,   // what the user is likely to watch next (WatchNext: audience, co-visitation,
                    // sequence model)
  kChallenge = 8,   // entries of the hashtag challenges active now (challenge_source.h)
  kNumSources = 9
};
std::string_view SourceName(Source s);  // "trending", "fresh", ...
inline uint32_t SourceBit(Source s) { return 1u << static_cast<uint32_t>(s); }

// Stable key of a catalog string (creator id, sound id, hashtag); "" -> 0.
uint64_t AttributeKey(std::string_view s);

struct Candidate {
  const catalog::Video* video = nullptr;  // owned by the feed's catalog index; outlives the request
  uint64_t video_key = 0;                 // common::VideoKey(video->id)
  uint64_t creator = 0;                   // AttributeKey(video->creator)
  uint64_t sound = 0;                     // AttributeKey(video->sound); 0 = original sound
  uint64_t category = 0;                  // AttributeKey(first hashtag); 0 = none
  // AttributeKey of every hashtag. Inline up to four (nearly every video): a request copies
  // hundreds of candidates, and a heap block each was most of its allocations.
  absl::InlinedVector<uint64_t, 4> hashtags;
  uint32_t sources = 0;                   // SourceBit()s
  // Ranking: predicted probabilities (sampling-corrected), the weighted value, and the penalty
  // the user's "not interested" signals took off it (already subtracted from score).
  std::array<float, model::kNumTasks> probs{};
  float bonus = 0;    // the sources' prior (FeedOptions::source_bonus), part of value
  // The audience prior (FeedOptions::popularity_weight) plus the watch-next prior, part of value.
  float popularity = 0;
  float next_prior = 0;  // the watch-next prior (FeedOptions::watch_next_*weight), in popularity
  float value = 0;    // sum of weights x predictions, plus bonus and popularity
  float penalty = 0;  // >= 0
  // Lifts given after ranking to place the candidate (already added to score): the fresh-upload
  // slot (fresh_slot.h) and a new user's interest slots (interest_slots.h).
  float fresh_lift = 0, interest_lift = 0;
  float score = 0;    // value - penalty + the lifts; the order the rules start from
  bool from(Source s) const { return (sources & SourceBit(s)) != 0; }
};

}  // namespace foryou::feed
