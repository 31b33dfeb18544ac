// An in-memory index of every video's frame hashes that finds the videos a new upload
// duplicates, by multi-index hashing (docs/design/moderation_dedup.md), and the text form of a
// video's hash list stored with the video (docs/formats/frame_hashes.md).
//
// Example:
//   DuplicateIndex index(DuplicateIndexOptions{});
//   for (const auto& [id, stored] : catalog_hashes) {
//     absl::StatusOr<std::vector<uint64_t>> hashes = ParseFrameHashes(stored);
//     if (hashes.ok()) index.Add(id, *hashes);
//   }
//   for (const DuplicateMatch& m : index.Lookup(upload_hashes)) Flag(m.video);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/rw_mutex.h"

namespace foryou::moderation {

// The decision thresholds (config/dedup.json; docs/design/moderation_dedup.md).
struct DuplicateIndexOptions {
  // Two frame hashes match when their Hamming distance is at most this (0..31), wherever the
  // two frames sit in their videos.
  int max_frame_distance = 10;
  // A looser distance (max_frame_distance..31) for frames in a run: a query frame also matches
  // when it is within this distance of the stored frame at the same time offset (stored
  // position - query position) as at least min_aligned_frames - 1 other query frames.
  int aligned_frame_distance = 16;
  // How many query frames (>= 2) must match at one consistent offset before the looser
  // distance counts. A query with fewer frames is matched at max_frame_distance only.
  int min_aligned_frames = 2;
  // A stored video is a duplicate of a query when at least this share of the query's frames
  // match one of its frames (0 < share <= 1).
  double min_matched_share = 0.5;
  // Also match each query frame mirrored left-right (DctHash ^ kDctMirrorMask).
  bool match_mirrored = true;
};

// Reads options from a JSON object {"max_frame_distance":10,"aligned_frame_distance":16,
// "min_aligned_frames":2,"min_matched_share":0.5,"match_mirrored":true} (every key optional);
// InvalidArgument names a bad or unknown key.
absl::StatusOr<DuplicateIndexOptions> ParseDuplicateIndexOptions(absl::string_view json);

struct DuplicateMatch {
  std::string video;
  double distance = 0;       // mean Hamming distance of the matched query frames' matches
  double matched_share = 0;  // share of the query's frames that matched a frame of `video`
  friend bool operator==(const DuplicateMatch&, const DuplicateMatch&) = default;
};

// Thread-safe: any number of concurrent Lookup/Contains/size calls, and Add/Remove take the
// lock exclusively (writers are preferred, so a reader waits at most one Add or Remove).
class DuplicateIndex {
 public:
  // Checks `options` (a programmer error to pass an out-of-range value: use
  // ParseDuplicateIndexOptions for options from a file).
  explicit DuplicateIndex(DuplicateIndexOptions options);
  DuplicateIndex(const DuplicateIndex&) = delete;
  DuplicateIndex& operator=(const DuplicateIndex&) = delete;

  // Indexes `hashes` (one per sampled frame) under `video`, replacing what it had. A video
  // with no hash (no frame with detail) is accepted and matches nothing. InvalidArgument for an
  // empty id or more than kMaxFrameHashes hashes, and then the index is unchanged.
  absl::Status Add(absl::string_view video, absl::Span<const uint64_t> hashes);

  // Removes `video`; false if it was not indexed.
  bool Remove(absl::string_view video);

  // The indexed videos the query duplicates (matched share >= min_matched_share), most
  // matched share first, then smallest distance, then id. Empty for an empty query.
  // `hashes` are the query's frame hashes in time order (the run rule needs the order).
  std::vector<DuplicateMatch> Lookup(absl::Span<const uint64_t> hashes) const;

  bool Contains(absl::string_view video) const;
  size_t size() const;
  const DuplicateIndexOptions& options() const { return options_; }

 private:
  // One indexed frame in one band's bucket. The full hash sits beside the video's slot so the
  // distance check needs no second memory access; `position` is the frame's place in the
  // video's time-ordered list (its first place, for a hash the video repeats).
  struct Posting {
    uint64_t hash;
    uint32_t slot;
    uint16_t position;
  };
  // A frame match found by probing, the seed of a run: query frame `frame` (mirrored or not)
  // within aligned_frame_distance of the slot's frame at `position`.
  struct Seed {
    uint32_t slot;
    uint32_t frame;
    uint16_t position;
    uint8_t distance;
    bool mirrored;
  };
  static constexpr int kBands = 4;  // 16-bit bands
  static constexpr size_t kBuckets = size_t{1} << 16;

  // Appends to `seeds` every posting found by probing around `query` (query frame `frame`)
  // that lies within aligned_frame_distance.
  void ProbeFrame(uint64_t query, uint32_t frame, bool mirrored, std::vector<Seed>* seeds) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  struct SlotMatch {
    int frames = 0;            // query frames matched
    int64_t distance_sum = 0;  // of their smallest distances
  };
  // The query frames that match the video of `seeds` (all for one slot, closest first): within
  // max_frame_distance anywhere, or within aligned_frame_distance along the best run.
  SlotMatch MatchSlot(absl::Span<const uint64_t> query, absl::Span<const Seed> seeds) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void RemoveSlot(uint32_t slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const DuplicateIndexOptions options_;
  const int probe_radius_;          // bits flipped per band when probing (pigeonhole)
  std::vector<uint16_t> probe_masks_;  // every 16-bit mask of popcount <= probe_radius_

  mutable common::RwMutex mu_;
  absl::flat_hash_map<std::string, uint32_t> slot_of_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> video_of_slot_ ABSL_GUARDED_BY(mu_);      // "" = free slot
  // Each slot's hashes in time order, repeats included (the run check reads them by position).
  std::vector<std::vector<uint64_t>> hashes_of_slot_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> free_slots_ ABSL_GUARDED_BY(mu_);
  // bands_[b][v]: the postings whose bits [16b, 16b+16) equal v.
  std::vector<std::vector<Posting>> bands_[kBands] ABSL_GUARDED_BY(mu_);
};

// At most this many hashes per video (68 minutes at one per second).
inline constexpr size_t kMaxFrameHashes = 4096;

// A video's hash list as stored with the video: "dct64:" then the hashes as 16 lowercase hex
// digits separated by ',' ("dct64:" alone for none). docs/formats/frame_hashes.md.
std::string SerializeFrameHashes(absl::Span<const uint64_t> hashes);

// Parses SerializeFrameHashes' output; InvalidArgument naming the problem (unknown prefix, a
// hash that is not 16 hex digits, more than kMaxFrameHashes).
absl::StatusOr<std::vector<uint64_t>> ParseFrameHashes(absl::string_view text);

// One hash as 16 lowercase hex digits (the worker's RESULT.json "frame_hashes" entries), and
// back (exactly 16 hex digits, either case).
std::string FormatFrameHash(uint64_t hash);
absl::StatusOr<uint64_t> ParseFrameHash(absl::string_view hex);

}  // namespace foryou::moderation
