// Imports the KuaiRand-Pure feature tables (video_features_basic_pure.csv,
// user_features_pure.csv; plain or .zst) into a catalog::CatalogStore, so the feed can serve the data
// set's videos to its users. The mapping of every column: docs/design/kuairand.md, "Catalog import".
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto store, catalog::CatalogStore::Open("/data/catalog"));
//   FORYOU_ASSIGN_OR_RETURN(kuairand::ImportStats stats,
//       kuairand::ImportKuaiRand("video_features_basic_pure.csv", "user_features_pure.csv",
//                               now_ms, store.get()));
//   // stats.videos == 7583, stats.users == 27285 for KuaiRand-Pure
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "catalog/catalog_store.h"
#include "catalog/types.h"
#include "kuairand/readers.h"

namespace foryou::kuairand {

struct ImportStats {
  uint64_t videos = 0;    // video rows imported
  uint64_t users = 0;     // user rows imported
  uint64_t creators = 0;  // distinct creators in the video file
  uint64_t sounds = 0;    // distinct non-empty sounds in the video file
  uint64_t hashtags = 0;  // distinct hashtags in the video file
  uint64_t bad_rows = 0;  // rows of either file skipped (wrong width, no numeric id, bad tag)
};

// Imports both files ("" skips one). Every row becomes a Put: importing the same files twice
// leaves the store exactly as after the first time (hashtags are not counted twice). On a
// re-import an existing video keeps its moderation and its media_url (unless empty), an existing
// user everything but its profile, an existing creator or sound everything: the platform's own
// decisions survive. Writes go in atomic batches of ~1000 records; all of them are durable when
// this returns OK. An error (unreadable file, missing column, store error) stops the import: the
// batches already written stay (a re-run completes them). `store` is not owned.
[[nodiscard]] absl::StatusOr<ImportStats> ImportKuaiRand(const std::string& videos_csv,
                                                         const std::string& users_csv,
                                                         int64_t now_ms, catalog::CatalogStore* store);

// The mapping, exposed for tests and for whoever joins KuaiRand logs with the catalog.
// KuaiRand's tag column ("39,68": the category first) -> {"topic39", "topic68"}; false if a tag
// is not a valid hashtag. The data set names no category, so the hashtag says only which one it
// is; its readable form is KuaiRandTopicName (kuairand/display_text.h).
bool KuaiRandHashtags(std::string_view tag_field, std::vector<std::string>* out);
// The demo clips come in lengths of kClipStepSeconds steps up to kClipCapSeconds (the disk cap).
inline constexpr uint32_t kClipStepSeconds = 5, kClipCapSeconds = 15;
// The clip length of a video: its duration rounded to the nearest step, at least one step, at
// most the cap; one step when the duration is unknown (0). scripts/make_clips.sh --kuairand
// applies the same rule.
uint32_t KuaiRandClipSeconds(uint32_t duration_ms);
// The demo clip of a video: "/media/<first hashtag>_<KuaiRandClipSeconds>s.webm"
// ("/media/untagged_<N>s.webm" without a hashtag), its cover beside it as ".jpg", served from
// `foryou serve --media-dir` (clips made by scripts/make_clips.sh --kuairand).
std::string KuaiRandMediaUrl(const std::vector<std::string>& hashtags, uint32_t duration_ms);
// One row of the video table as a catalog video (moderation approved, media_url the demo clip,
// a generated caption: kuairand/display_text.h); false on a bad tag.
bool KuaiRandVideoRecord(uint64_t video_id, const kuairand::KuaiRandVideo& row, catalog::Video* out);
// The sound id of a music_id: its decimal string, "" for 0 (no music).
std::string KuaiRandSoundId(uint64_t music_id);

}  // namespace foryou::kuairand
