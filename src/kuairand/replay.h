// The KuaiRand replay: foryou's online trainer run over a real short-video log with the
// progressive-validation protocol of ../shared/data/README.md (train through the warm-up files,
// then score-then-train through the eval file; metrics over the eval file only). Used by
// `foryou replay` and bench/replay_vs_peer.sh.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/model_config.h"

namespace foryou::trainer {
class ProgressiveMetrics;
}  // namespace foryou::trainer

namespace foryou::kuairand {

struct ReplayOptions {
  std::vector<std::string> warmup;  // KuaiRand log files (plain or .zst), time-ordered
  std::string eval;
  std::string videos, users;        // video_features_basic / user_features tables
  std::string history;              // optional user_sequences file
  model::ModelConfig config;
  uint64_t hash_buckets = 0;        // > 0: hashed rows per slot instead of collisionless
  int batch = 256;
  int threads = 1;                  // >= 2: parsing runs on its own thread
  bool progress = true;             // progress lines on the progress stream
};

struct ReplayResult {
  uint64_t examples = 0;       // warm-up + eval rows trained on
  uint64_t eval_examples = 0;  // rows scored before training (the metrics' rows)
  uint64_t bad_rows = 0;       // skipped rows of the log and catalog files
  double secs = 0;             // wall time of the stream (tables loaded before)
  std::array<double, model::kNumTasks> auc{}, logloss{};
  double gauc_long_view = 0;
  double watch_ratio_rmse = 0;
  double peak_rss_mb = 0;
  std::string Line() const;    // the `replay examples=...` line
};

// Fills the result's metrics (AUC, log-loss, GAUC, RMSE) from `m`, and the peak RSS.
void FillReplayMetrics(const trainer::ProgressiveMetrics& m, ReplayResult* result);

// Errors: unreadable files, a file that is not of the KuaiRand format, a bad config.
[[nodiscard]] absl::StatusOr<ReplayResult> RunReplay(const ReplayOptions& options,
                                                     std::ostream& progress);


}  // namespace foryou::kuairand
