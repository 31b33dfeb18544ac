// VideoIndex: every video of the catalog in memory, as the feed's retrieval reads it: the record,
// its attribute keys (a Candidate prototype), and lists by creator, sound and hashtag.
//
// Copy-on-write: readers take an immutable Snapshot (a shared_ptr) and keep it for the whole
// request; Upsert builds the next snapshot and swaps it in. Uploads and moderation changes are
// rare next to feed requests (one copy of the index per write: ~1 ms at 10k videos), and a
// request never waits for a write. Bulk loads use Build.
//
// Example:
//   VideoIndex index;
//   index.Build(videos);                 // at start, from the catalog store
//   auto snap = index.snapshot();        // per request
//   const VideoEntry* v = snap->Find(common::VideoKey("42"));
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "catalog/types.h"
#include "common/mutex.h"
#include "feed/candidate.h"
#include "model/features.h"

namespace foryou::feed {

struct VideoEntry {
  catalog::Video video;
  Candidate proto;       // video, keys and hashtags set; sources / scores empty
  model::VideoInfo info; // what the model's features know about it
};

// The model's view of a catalog video (ids keyed as the joiner keys them).
model::VideoInfo ToVideoInfo(const catalog::Video& v);

class VideoIndex {
 public:
  struct Snapshot {
    std::vector<std::shared_ptr<const VideoEntry>> all;  // every video, any moderation state
    absl::flat_hash_map<uint64_t, uint32_t> by_key;      // video key -> index in `all`
    // Attribute key -> indexes into `all`, newest upload first.
    absl::flat_hash_map<uint64_t, std::vector<uint32_t>> by_creator, by_sound, by_hashtag;
    std::vector<uint32_t> servable;  // approved or limited, newest first

    const VideoEntry* Find(uint64_t video_key) const;
  };

  VideoIndex();
  // Replaces the whole index.
  void Build(const std::vector<catalog::Video>& videos);
  // Adds or replaces one video (its moderation state, captions, ...).
  void Upsert(const catalog::Video& video);
  std::shared_ptr<const Snapshot> snapshot() const;

 private:
  static std::shared_ptr<Snapshot> Make(std::vector<std::shared_ptr<const VideoEntry>> all);
  mutable common::Mutex mu_;  // also serialises writers
  std::shared_ptr<const Snapshot> snapshot_ ABSL_GUARDED_BY(mu_);
};

}  // namespace foryou::feed
