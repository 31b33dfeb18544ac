// SocialStore: the creator's numbers of each video (docs/design/social.md, "Creator numbers"):
// impressions and where they came from, watch time, follows the video brought. One record of
// kVideoStats counters per video (`vs|<video>`, docs/formats/social.md), written in the catch-up
// batch of the records it counts, as the other counts are.
#include "social/social_store_internal.h"

namespace foryou::social {

int SurfaceIndex(std::string_view surface) {
  for (int i = 0; i + 1 < kNumSurfaces; ++i) {
    if (kSurfaces[i] == surface) return i;
  }
  return kNumSurfaces - 1;  // "other"
}

void SocialStore::ApplyStats(const stream::Event& e, Txn& txn) {
  using stream::EventType;
  if (e.video.empty()) return;
  const std::string key = K({"vs", e.video});
  switch (e.type) {
    case EventType::kImpression:
      txn.Add(key, 0, 1, kVideoStats);
      txn.Add(key, 3 + SurfaceIndex(e.surface), 1, kVideoStats);
      break;
    case EventType::kPlay:
    case EventType::kSkip:
      if (e.watch_ms > 0) txn.Add(key, 1, e.watch_ms, kVideoStats);
      break;
    case EventType::kFollow: {
      // A follow of the video's own creator, made from the video (not a self-follow, which the
      // follow edges ignore too).
      if (e.creator.empty() || UserOfLogged(e.user) == e.creator) break;
      if (creator_of_(e.video) != e.creator) break;
      txn.Add(key, 2, 1, kVideoStats);
      break;
    }
    default: break;
  }
}

absl::StatusOr<VideoStats> SocialStore::Stats(std::string_view video) const {
  Txn txn(db_.get());
  const std::vector<int64_t> c = txn.Ints(K({"vc", video}), kVideoCounts);
  const std::vector<int64_t> s = txn.Ints(K({"vs", video}), kVideoStats);
  FORYOU_RETURN_IF_ERROR(txn.status());
  VideoStats out;
  out.views = s[0];
  out.watch_ms = s[1];
  out.followers_gained = s[2];
  for (int i = 0; i < kNumSurfaces; ++i) out.sources[i] = s[3 + i];
  out.likes = c[0];
  out.comments = c[1];
  out.shares = c[2];
  return out;
}

}  // namespace foryou::social
