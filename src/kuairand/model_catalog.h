// KuaiRand-Pure tables as the model sees them: the video / user tables as a model::Catalog, the
// user_sequences file as warm-start histories of a FeatureExtractor, and one log row as a
// model::Impression with every label. Shared by the direct replay (replay.cc) and the replay
// through the real-time path (kuairand/log_replay.cc), so both read the data identically.
//
// Example:
//   uint64_t bad = 0;
//   auto catalog = LoadKuaiRandCatalog(videos_csv, users_csv, &bad).value();
//   model::FeatureExtractor fx(config, catalog);
//   FORYOU_RETURN_IF_ERROR(LoadKuaiRandHistory(sequences_csv, &fx, &bad));
//   model::Impression imp = KuaiRandToImpression(row);
#pragma once

#include <functional>
#include <vector>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kuairand/readers.h"
#include "model/features.h"

namespace foryou::kuairand {

// Days since 1970-01-01 of a yyyymmdd date; -1 for 0 (unknown).
int32_t KuaiRandDay(uint32_t yyyymmdd);

// The impression of one log row: ids, time, the log's own date / hour / tab / duration, and
// the labels (click, long_view, like, follow, comment, forward -> share, hate; the watch ratio
// is min(play_time / duration, 1), 0 when the duration is unknown).
model::Impression KuaiRandToImpression(const kuairand::KuaiRandImpression& row);

// The video table (video_features_basic) and the user table (user_features) as a catalog.
// Bad rows of either table are added to *bad_rows. Errors: unreadable files, files of another
// format.
[[nodiscard]] absl::StatusOr<std::shared_ptr<model::Catalog>> LoadKuaiRandCatalog(
    const std::string& videos, const std::string& users, uint64_t* bad_rows);

// The user_sequences file (user_id, last_time_ms, watch_seq, like_seq, long_watch_seq: ids
// separated by spaces, oldest first) into `features` as warm-start histories. Rows with a bad
// number are added to *bad_rows. Errors: unreadable file, NotFound for a missing column.
[[nodiscard]] absl::Status LoadKuaiRandHistory(const std::string& path,
                                               model::FeatureExtractor* features,
                                               uint64_t* bad_rows);

// The same file, row by row: fn(user, last_time_ms, watch_seq, like_seq, long_watch_seq).
using KuaiRandHistoryRow = std::function<void(uint64_t, int64_t, const std::vector<uint64_t>&,
                                              const std::vector<uint64_t>&,
                                              const std::vector<uint64_t>&)>;
[[nodiscard]] absl::Status ReadKuaiRandHistory(const std::string& path,
                                               const KuaiRandHistoryRow& fn, uint64_t* bad_rows);

}  // namespace foryou::kuairand
