// OnlineTrainer: learns from a time-ordered stream of impressions in mini-batches, Monolith style.
// For each batch: extract features (as of before the batch), score with the current model,
// record the scores (progressive validation: every example is predicted before it is learned
// from), train, then let the batch's outcomes into the behaviour state. At a configured interval
// it syncs the trained rows (a table delta) and, less often, the dense weights to a serving
// replica.
//
// Example:
//   OnlineTrainer trainer(model.get(), &features, {});
//   trainer.SetServing(serving.get());
//   for (auto& batch : stream) trainer.ProcessBatch(batch, /*evaluate=*/true).IgnoreError();
//   double auc = trainer.metrics().Auc(model::kClick);
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "common/rw_mutex.h"
#include "absl/types/span.h"
#include "model/features.h"
#include "model/ranking_model.h"

namespace foryou::trainer {

// Progressive-validation metrics over every recorded (pre-training) prediction.
class ProgressiveMetrics {
 public:
  // probs: labels.size() x kNumTasks.
  void Record(absl::Span<const model::Impression> batch, const float* probs);

  uint64_t examples() const { return users_.size(); }
  // AUC of task t (labels >= 0.5 positive); NaN without both classes.
  double Auc(int task) const;
  // Mean binary cross-entropy of task t (soft labels for the watch ratio).
  double LogLoss(int task) const;
  // Per-user AUC averaged with example weights (GAUC).
  double GroupAuc(int task) const;
  // Root mean squared error of the prediction of task t against its label (for the watch ratio).
  double Rmse(int task) const;

 private:
  std::array<std::vector<float>, model::kNumTasks> scores_;
  std::array<std::vector<float>, model::kNumTasks> labels_;
  std::array<double, model::kNumTasks> logloss_sum_{}, sq_err_sum_{};
  std::vector<uint64_t> users_;
};

struct TrainerOptions {
  // Sparse rows reach the serving replica at least this often (wall clock; 0 = every batch).
  int64_t sync_interval_ms = 1000;
  // Dense weights reach it at least this often.
  int64_t dense_sync_interval_ms = 10000;
};

class OnlineTrainer {
 public:
  // Other threads read the feature extractor's state under `mu` (shared); the trainer takes it
  // exclusively around each Observe. Set before training starts; null = no other readers.
  void set_features_mutex(common::RwMutex* mu) { features_mu_ = mu; }
  // The predictions the last batch was trained on (made before its update): batch x kNumTasks.
  const std::vector<float>& last_probs() const { return probs_; }
  OnlineTrainer(model::RankingModel* model, model::FeatureExtractor* features,
                TrainerOptions options);

  // Attaches the serving replica that SyncTo feeds (nullptr detaches). Syncs happen inside
  // ProcessBatch when their interval has passed, and in Sync.
  void SetServing(model::RankingModel* serving) { serving_ = serving; }

  // One mini-batch of the stream, in time order. `evaluate`: record the scores in metrics().
  // Errors leave the behaviour state unchanged (the batch is not observed).
  [[nodiscard]] absl::Status ProcessBatch(absl::Span<const model::Impression> batch, bool evaluate);

  // The same for examples whose features were extracted earlier (the real-time loop extracts
  // them at impression time): `features` holds one row per impression, in order. Only the
  // impressions with observe[i] true enter the behaviour state afterwards (a correction of an
  // example trained before must not count the impression twice); empty = all.
  [[nodiscard]] absl::Status ProcessExtracted(absl::Span<const model::Impression> impressions,
                                              const model::FeatureBatch& features, bool evaluate,
                                              const std::vector<bool>& observe = {});

  // Pushes everything trained so far (rows and dense weights) to the serving replica now.
  [[nodiscard]] absl::Status Sync();

  const ProgressiveMetrics& metrics() const { return metrics_; }
  uint64_t examples_trained() const { return examples_trained_; }
  double last_loss() const { return last_loss_; }
  uint64_t syncs() const { return syncs_; }
  // Examples trained when the serving replica last received the sparse rows.
  uint64_t examples_at_last_sync() const { return examples_at_last_sync_; }

 private:
  model::RankingModel* model_;
  void ObserveLocked(absl::Span<const model::Impression> batch);
  common::RwMutex* features_mu_ = nullptr;  // taken as writer around Observe, if set
  // Not ABSL_PT_GUARDED_BY(*features_mu_): the lock is optional, and this thread, the only
  // writer, reads the extractor without it.
  model::FeatureExtractor* features_;
  model::RankingModel* serving_ = nullptr;
  TrainerOptions options_;
  ProgressiveMetrics metrics_;
  model::FeatureBatch batch_features_;
  std::vector<model::Labels> labels_;
  std::vector<float> probs_;
  absl::Status TrainAndSync(absl::Span<const model::Impression> batch,
                            const model::FeatureBatch& features, bool evaluate);
  uint64_t examples_trained_ = 0, syncs_ = 0, examples_at_last_sync_ = 0;
  std::vector<model::Impression> observed_;
  double last_loss_ = 0;
  std::chrono::steady_clock::time_point last_sync_, last_dense_sync_;
};

}  // namespace foryou::trainer
