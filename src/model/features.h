// Features of the ranking model: the feature catalog (every feature foryou knows, by name), the
// catalog data they read (videos, users), the impression they describe, and FeatureExtractor,
// which turns impressions into a FeatureBatch using only what was known before them.
//
// No future leakage, by construction: Extract is const and never reads Impression::labels; the
// behaviour state (recent long-viewed / liked / skipped items, running engagement counters)
// changes only in Observe, which the trainer calls after a batch has been scored and trained on.
//
// Example:
//   FeatureExtractor fx(config, catalog);
//   fx.Extract(batch, &features);   // what the ranker sees
//   ... score, train ...
//   fx.Observe(batch);              // the batch's labels become history
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "common/id_key.h"
#include "common/rw_mutex.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "embedding/feature_id.h"
#include "model/model_config.h"

namespace foryou::model {

// ---- Catalog data the features read ----

// A user's profile as the features read it: positions 0..kProfileValues-1 hold the catalog's
// free-form profile values in order (what each one means is the model config's
// "profile_fields", which names the "user.<name>" features), then language, country, device.
// Each value is any 64-bit id of the string (0 = unknown).
inline constexpr int kProfileValues = 25;
enum ProfileField : int {
  kLanguage = kProfileValues,
  kCountry,
  kDevice,
  kNumProfileFields
};

struct VideoInfo {
  uint64_t author_id = 0;
  uint64_t music_id = 0;   // the sound
  uint64_t tag = 0;        // category / main hashtag id (0 = none)
  uint64_t video_type = 0;
  uint64_t upload_type = 0;
  int32_t upload_day = -1;  // days since 1970-01-01, -1 if unknown
  uint32_t duration_ms = 0;
};

struct UserInfo {
  std::array<uint64_t, kNumProfileFields> profile{};
};

// What the features know about videos and users. `videos` / `users` are filled before the
// catalog is shared (an import) and are read without locks; entries added later (new uploads,
// sign-ups, through AddVideo / AddUser) go to an overlay behind a reader/writer lock, so a
// catalog held as shared_ptr<const Catalog> by the trainer and the feed can still grow.
struct Catalog {
  Catalog() = default;
  Catalog(const Catalog& other);  // copies the base maps and the overlay
  Catalog& operator=(const Catalog&) = delete;

  absl::flat_hash_map<uint64_t, VideoInfo> videos;
  absl::flat_hash_map<uint64_t, UserInfo> users;

  // Thread-safe lookups: the base maps first, then the overlay. Return false if unknown.
  bool FindVideo(uint64_t id, VideoInfo* out) const;
  bool FindUser(uint64_t id, UserInfo* out) const;
  // Thread-safe additions (replace an overlay entry with the same id; a base entry wins).
  void AddVideo(uint64_t id, const VideoInfo& info) const;
  void AddUser(uint64_t id, const UserInfo& info) const;
  size_t added() const;  // overlay entries

 private:
  mutable common::RwMutex mu_;
  mutable absl::flat_hash_map<uint64_t, VideoInfo> added_videos_ ABSL_GUARDED_BY(mu_);
  mutable absl::flat_hash_map<uint64_t, UserInfo> added_users_ ABSL_GUARDED_BY(mu_);
};

// Stable 64-bit id of a categorical string value ("" -> 0).
inline uint64_t ValueId(std::string_view value) { return common::HashId(value); }

// ---- Impressions ----

// One video shown to one user, and (once known) what the user did.
struct Impression {
  uint64_t user_id = 0;
  uint64_t video_id = 0;
  int64_t time_ms = 0;
  int32_t day = 0;       // days since 1970-01-01, in the user's time zone
  uint8_t hour = 0;      // 0..23, local
  uint8_t weekday = 0;   // 0..6
  uint32_t tab = 0;      // surface the video was shown on
  uint32_t duration_ms = 0;  // the video's duration as served (0 = use the catalog's)
  std::array<float, kNumTasks> labels{};  // 0/1, watch ratio in [0, 1]; never read by Extract
};

// ---- The feature catalog ----

enum class FeatureKind { kSparse, kSequence, kDense };

struct FeatureSpec {
  std::string_view name;
  FeatureKind kind;
  uint32_t slot;         // embedding-table slot (sparse, sequence); an id >= 100 (dense)
  uint32_t dense_width;  // floats (dense features)
  std::string_view what;  // one line for docs and --help
};

// The built-in features. A config's "user.<name>" profile features resolve to "user.profile<i>"
// through its profile_fields (ModelConfig::Find).
std::span<const FeatureSpec> FeatureCatalog();
const FeatureSpec* FindFeature(std::string_view name);  // nullptr if unknown

// ---- Extracted features ----

// The model input of a mini-batch. Each example has `fields` embedding fields, in config order
// (a sparse feature is one key, a sequence feature 0..sequence_length keys to mean-pool), and
// `dense_width` floats.
struct FeatureBatch {
  int size = 0;
  int fields = 0;
  int dense_width = 0;
  std::vector<embedding::FeatureId> keys;
  std::vector<uint32_t> field_begin;  // size * fields + 1 offsets into keys
  std::vector<float> dense;           // size x dense_width
  int64_t max_time_ms = 0;

  std::span<const embedding::FeatureId> Field(int example, int field) const {
    const size_t i = static_cast<size_t>(example) * fields + field;
    return {keys.data() + field_begin[i], keys.data() + field_begin[i + 1]};
  }
};

// Appends the examples of `rows` (same fields / dense width, or `batch` empty) to `batch`.
void AppendRows(const FeatureBatch& rows, FeatureBatch* batch);

// Decayed running counts of impressions and of each task's label: the "running engagement rate"
// features. Decay is applied lazily (on read and on add) with the configured half-life.
struct EngagementCounter {
  float impressions = 0;
  std::array<float, kNumTasks> sums{};
  int64_t time_ms = 0;
};

// What the behaviour state holds, for /metrics: entries and an estimate of their heap bytes
// (hash tables' capacity and the lists' capacity, not the allocator's overhead).
struct BehaviourMemory {
  size_t users = 0;          // users with recent lists
  size_t list_entries = 0;   // long-viewed, liked and skipped entries over every user
  size_t counters = 0;       // per-video / creator / sound / user counters
  size_t pair_counters = 0;  // user x author / sound / tag / video counters
  size_t bytes = 0;
};

class FeatureExtractor {
 public:
  // `hash_buckets` > 0 is the collision baseline of the Monolith paper: every sparse/sequence key
  // folds into that many rows per slot, and every id-keyed behaviour state (per-user lists and
  // session, per-video/creator/sound/user/pair counters) into that many entries per kind, as
  // in a system whose per-id state lives in fixed-size arrays. The config must be validated.
  FeatureExtractor(const ModelConfig& config, std::shared_ptr<const Catalog> catalog,
                   uint64_t hash_buckets = 0);

  int fields() const { return static_cast<int>(field_specs_.size()); }
  int dense_width() const { return dense_width_; }
  std::vector<std::string> field_names() const;  // the fields' names, as the config gives them

  // Fills `out` with the features of `batch` as of now. Reads the catalog and the behaviour
  // state, never the impressions' labels.
  void Extract(absl::Span<const Impression> batch, FeatureBatch* out) const;

  // Adds the batch's outcomes to the behaviour state (recent lists, counters). Each per-pair
  // counter map (user x author / sound / tag / video) that passes config.max_pair_counters
  // entries loses its least recently updated 1/16 (user x video counts carry no time: an
  // arbitrary 1/16 of them), so the state stays bounded whatever pairs the stream brings.
  void Observe(absl::Span<const Impression> batch);

  // Warm start from a history before the stream (KuaiRand's user_sequences file): the user's
  // watched, liked and long-viewed video ids, oldest first, at `time_ms`.
  void AddHistory(uint64_t user_id, absl::Span<const uint64_t> watched,
                  absl::Span<const uint64_t> liked, absl::Span<const uint64_t> long_viewed,
                  int64_t time_ms);

  uint64_t users_tracked() const { return users_.size(); }
  // Entries of the per-pair counter maps (user x author, sound, tag and video), summed.
  uint64_t pair_counters() const {
    return user_author_counts_.size() + user_sound_counts_.size() + user_tag_counts_.size() +
           user_video_counts_.size();
  }

  // Sizes and estimated bytes of the behaviour state (a pass over every user).
  BehaviourMemory Memory() const;

  // The behaviour state (recent lists, counters), for the real-time loop's snapshots. LoadState
  // replaces the state only if the whole blob parses (DataLoss otherwise, state unchanged).
  void SaveState(std::string* out) const;
  // The same bytes handed to `sink` in pieces of about 1 MB (each valid only during the call),
  // so a snapshot streams the state to its file instead of holding it whole in memory.
  void SaveState(absl::FunctionRef<void(std::string_view)> sink) const;
  [[nodiscard]] absl::Status LoadState(std::string_view blob);

 private:
  struct UserState {
    // Most recent last; at most sequence_length each.
    std::vector<uint64_t> long_viewed, liked, skipped;
    int64_t last_time_ms = 0;  // the last observed impression
    float last_click = 0, last_long_view = 0;
    EngagementCounter session;  // short half-life
  };
  using Counters = absl::flat_hash_map<uint64_t, EngagementCounter>;

  void AddRates(const Counters& counters, uint64_t key, int64_t now_ms, float* out) const;
  void Count(Counters& counters, uint64_t key, const Impression& imp);
  // Serializes the state into *out, calling flush(out) between entries (it may hand the bytes
  // on and clear *out).
  void WriteState(std::string* out, absl::FunctionRef<void(std::string*)> flush) const;
  // Applies config_.max_pair_counters to the per-pair maps (see Observe).
  void TrimPairCounters();
  embedding::FeatureId Key(uint32_t slot, uint64_t value) const;
  // The key of id-keyed behaviour state: the id itself, or its bucket with hash_buckets.
  uint64_t Fold(uint64_t id) const;

  ModelConfig config_;
  std::shared_ptr<const Catalog> catalog_;
  uint64_t hash_buckets_;
  std::vector<const FeatureSpec*> field_specs_, dense_specs_;
  // Per field: its keys depend on the user (and the behaviour state) alone, not on the video or
  // the impression's time (sequences, profile values, the user id).
  std::vector<char> user_only_field_;
  std::vector<std::string> field_names_;  // as the config names them
  int dense_width_ = 0;
  double decay_per_ms_;  // ln 2 / half-life
  bool track_repeats_;   // user x video counts (only when a feature reads them)

  absl::flat_hash_map<uint64_t, UserState> users_;
  Counters video_counts_, author_counts_, sound_counts_, user_counts_, user_author_counts_,
      user_sound_counts_, user_tag_counts_;
  // History file counts per video: watched, liked, long-viewed.
  absl::flat_hash_map<uint64_t, std::array<float, 3>> video_prior_;
  absl::flat_hash_map<uint64_t, std::array<float, 2>> user_video_counts_;  // impressions, clicks
  EngagementCounter global_;  // undecayed, for the smoothing prior
};

}  // namespace foryou::model
