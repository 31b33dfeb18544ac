// Source names and attribute keys for feed candidates (candidate.h).
#include "feed/candidate.h"

#include "xxhash.h"

namespace foryou::feed {

std::string_view SourceName(Source s) {
  switch (s) {
    case Source::kTrending:
      return "trending";
    case Source::kFresh:
      return "fresh";
    case Source::kFollowing:
      return "following";
    case Source::kSimilar:
      return "similar";
    case Source::kSameSound:
      return "same_sound";
    case Source::kSameHashtag:
      return "same_hashtag";
    case Source::kExplore:
      return "explore";
    case Source::kWatchNext:
      return "watch_next";
    case Source::kChallenge:
      return "challenge";
    case Source::kNumSources:
      break;
  }
  return "unknown";
}

uint64_t AttributeKey(std::string_view s) {
  if (s.empty()) return 0;
  // 0 means "no attribute" (original sound, no category), so a real string never maps to it.
  const uint64_t h = XXH3_64bits(s.data(), s.size());
  return h == 0 ? 1 : h;
}

}  // namespace foryou::feed
