// Readers of the KuaiRand-Pure files (Kuaishou short-video log, CIKM 2022; see
// ../shared/data/README.md): the time-ordered impression log and the video / user feature
// tables. Any file of that format is accepted, plain or .zst; columns are found by header name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "data/csv_reader.h"

namespace foryou::kuairand {

// One row of a KuaiRand log: an impression with every label the platform recorded.
struct KuaiRandImpression {
  uint64_t user_id = 0;
  uint64_t video_id = 0;
  int64_t time_ms = 0;
  uint32_t date = 0;      // yyyymmdd
  uint32_t hourmin = 0;   // hhmm
  uint32_t tab = 0;       // surface
  uint32_t play_time_ms = 0;
  uint32_t duration_ms = 0;
  uint8_t is_click = 0, long_view = 0, is_like = 0, is_follow = 0, is_comment = 0,
          is_forward = 0, is_hate = 0, is_rand = 0;
};

// Streams impressions in file order. Rows with a missing column or a non-numeric field are
// skipped and counted (bad_rows(), with the first reason kept), never fatal.
class KuaiRandLogReader {
 public:
  // Errors: the file's, or NotFound naming a required column missing from the header.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KuaiRandLogReader>> Open(const std::string& path);

  // Fills `out` with the next good row; false at end. Errors: the stream's (corrupt zstd, I/O).
  [[nodiscard]] absl::StatusOr<bool> Next(KuaiRandImpression* out);

  uint64_t rows() const { return rows_; }          // good rows returned
  uint64_t bad_rows() const { return bad_rows_; }  // rows skipped
  const std::string& first_bad_reason() const { return first_bad_reason_; }

 private:
  KuaiRandLogReader() = default;
  std::unique_ptr<data::CsvReader> csv_;
  std::vector<int> col_;  // column index of each parsed field, in Field order
  std::vector<std::string_view> fields_;
  uint64_t rows_ = 0, bad_rows_ = 0;
  std::string first_bad_reason_;
};

// video_features_basic_pure.csv: one row per video.
struct KuaiRandVideo {
  uint64_t author_id = 0;
  uint64_t music_id = 0;   // the sound
  std::string tag;         // category; "" if missing
  std::string video_type;  // NORMAL, AD, ...
  std::string upload_type;
  uint32_t upload_date = 0;  // yyyymmdd, 0 if missing
  uint32_t duration_ms = 0;
};

// user_features_pure.csv: one row per user; categorical fields kept as their strings.
struct KuaiRandUser {
  std::string active_degree;
  std::vector<std::string> fields;  // the named categorical columns, in kUserFields order
};

inline constexpr const char* kUserFields[] = {
    "is_live_streamer",      "is_video_author",      "follow_user_num_range",
    "fans_user_num_range",   "friend_user_num_range", "register_days_range",
    "onehot_feat0",  "onehot_feat1",  "onehot_feat2",  "onehot_feat3",  "onehot_feat4",
    "onehot_feat5",  "onehot_feat6",  "onehot_feat7",  "onehot_feat8",  "onehot_feat9",
    "onehot_feat10", "onehot_feat11", "onehot_feat12", "onehot_feat13", "onehot_feat14",
    "onehot_feat15", "onehot_feat16", "onehot_feat17"};

struct TableLoad {
  uint64_t rows = 0;
  uint64_t bad_rows = 0;
};

// Loads the video table into `out` (keyed by video_id). Bad rows are counted, not fatal.
[[nodiscard]] absl::StatusOr<TableLoad> LoadKuaiRandVideos(
    const std::string& path, absl::flat_hash_map<uint64_t, KuaiRandVideo>* out);
// Loads the user table into `out` (keyed by user_id).
[[nodiscard]] absl::StatusOr<TableLoad> LoadKuaiRandUsers(
    const std::string& path, absl::flat_hash_map<uint64_t, KuaiRandUser>* out);

}  // namespace foryou::kuairand
