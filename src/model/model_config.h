// ModelConfig: everything about the ranking model that is a choice rather than code, read from one
// JSON file (config/model.json, documented in docs/design/model.md): which features are on, the
// embedding dimension, each feature's sparse optimizer / admission / expiry, the dense layers,
// the tasks' loss weights and the behaviour-state settings.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(ModelConfig config, LoadModelConfig("config/model.json"));
//   FORYOU_ASSIGN_OR_RETURN(embedding::TableConfig table, config.ToTableConfig());
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "embedding/table_config.h"

namespace foryou::model {

struct FeatureSpec;  // features.h

// The actions the model predicts, one head each. kWatchRatio is a regression of
// min(play_time / duration, 1) (logistic output, cross-entropy with a soft label).
enum Task : int {
  kClick = 0,
  kLongView,
  kLike,
  kFollow,
  kComment,
  kShare,
  kHate,
  kWatchRatio,
  kNumTasks
};
// Names as in the KuaiRand log (and the replay's output keys).
inline constexpr std::array<const char*, kNumTasks> kTaskNames = {
    "is_click", "long_view", "is_like", "is_follow", "is_comment", "is_forward", "is_hate",
    "watch_ratio"};

// One enabled feature. `name` picks it from the feature catalog (features.h); sparse and sequence
// features own one embedding-table slot each and use `sparse`; dense features ignore it.
struct FeatureConfig {
  std::string name;
  embedding::SlotConfig sparse;  // slot and dim are filled in by the catalog / ModelConfig::dim
};

struct ModelConfig {
  uint64_t seed = 1;
  // Embedding dimension of every sparse and sequence feature (the FM needs one dimension). Each
  // table row holds dim + kNumTasks floats: the embedding and the id's first-order (linear)
  // weight for each task.
  uint32_t dim = 16;
  std::vector<int> hidden = {256, 128};  // shared-bottom layers; one linear head per task on top
  float dense_learning_rate = 1e-3f;     // Adam
  std::array<float, kNumTasks> task_weights = {1, 1, 1, 1, 1, 1, 1, 1};
  uint32_t sequence_length = 20;       // recent items kept per user and behaviour list
  double counter_half_life_hours = 72;  // decay of the running engagement counters
  double rate_prior_strength = 5;       // pseudo-impressions of the global rate in smoothed rates
  // Entries each user x author / sound / tag / video behaviour counter map of FeatureExtractor
  // may hold; past it the least recently updated 1/16 go. 0 = unbounded.
  uint64_t max_pair_counters = 0;
  embedding::SlotConfig sparse_defaults;  // what a feature listed by name alone gets
  // The names of the catalog users' profile values, in order (at most kProfileValues): the
  // data set's own fields. Feature "user.<name>" reads the value at that name's position (the
  // built-in feature "user.profile<i>"). config/model.json names KuaiRand's.
  std::vector<std::string> profile_fields;
  std::vector<FeatureConfig> features;

  // The embedding-table config of the enabled sparse/sequence features (dims = dim + kNumTasks).
  [[nodiscard]] absl::StatusOr<embedding::TableConfig> ToTableConfig() const;
  bool Has(std::string_view feature) const;
  // The feature `name` means under this config: a built-in feature, or "user.<name>" of
  // profile_fields. nullptr if neither.
  const FeatureSpec* Find(std::string_view name) const;
};

// Parses and validates a config; errors are InvalidArgument naming the JSON path, e.g.
// "features[3].learning_rate: must be > 0" or "features[5].name: unknown feature 'vidoe_id'".
[[nodiscard]] absl::StatusOr<ModelConfig> ParseModelConfig(std::string_view json_text);
[[nodiscard]] absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& path);

// The default model config (config/model.json, compiled into the binary).
std::string_view DefaultModelConfigJson();

}  // namespace foryou::model
