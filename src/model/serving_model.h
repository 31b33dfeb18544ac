// ServingModel: thread-safe predictions over a serving replica that keeps changing. The table is
// shared (its lookups are thread-safe and never wait for more than one shard's write); the dense
// weights are published by the trainer as blobs, each loaded once into an immutable model that
// every prediction reads (RankingModel::PredictWith); a prediction borrows its buffers (a buffer
// view) from a pool for its duration. So a feed request never waits for a sync, a sync never
// waits for a feed request, the weights are in memory once per published version still in use,
// and there are as many buffer sets as predictions ever ran at once, not one per thread. (With
// a weights copy and buffers per thread, `serve`'s 128 handler threads held ~230 MB of weights
// with their Adam state, reloaded by each thread after every sync, and ~130 MB of buffers.)
//
// Example:
//   ServingModel serving(config, replica->shared_table());
//   serving.PublishDense(trainer_model->SaveDense());   // trainer thread, at dense syncs
//   serving.Predict(features, probs.data());            // any thread
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/mutex.h"
#include "embedding/embedding_table.h"
#include "model/ranking_model.h"

namespace foryou::model {

// The probability a model trained with plain negatives kept at `rate` should report: its odds are
// inflated by 1/rate, so p' = p / (p + (1 - p) / rate). rate >= 1 returns p.
float CorrectSampledProbability(float p, double rate);

class ServingModel {
 public:
  ServingModel(ModelConfig config, std::shared_ptr<embedding::EmbeddingTable> table);

  // Makes `dense_blob` (RankingModel::SaveDense of the same config) the weights of every later
  // Predict. Errors: InvalidArgument / DataLoss if it does not load (nothing changes).
  [[nodiscard]] absl::Status PublishDense(std::string dense_blob);

  // Scores are corrected for negatives kept at this rate in training (1 = none). Set before
  // serving starts.
  void set_negative_sample_rate(double rate) { negative_sample_rate_ = rate; }

  // Thread-safe. probs: batch.size x kNumTasks, corrected for negative sampling. Errors: as
  // RankingModel::Predict.
  [[nodiscard]] absl::Status Predict(const FeatureBatch& batch, float* probs) const;

  uint64_t dense_version() const;  // 0 until the first PublishDense

 private:
  struct Dense {
    uint64_t version;
    std::shared_ptr<const RankingModel> weights;  // loaded from the blob; only read
  };
  // The config's initial weights: what Predict uses before the first PublishDense.
  absl::StatusOr<const RankingModel*> InitialWeights() const;

  const ModelConfig config_;
  std::shared_ptr<embedding::EmbeddingTable> table_;
  std::shared_ptr<const Dense> dense_;  // accessed with std::atomic_load / atomic_store
  double negative_sample_rate_ = 1.0;
  mutable common::Mutex mu_;
  // Buffer views not in use; a Predict takes one (or makes one) and puts it back.
  mutable std::vector<std::unique_ptr<RankingModel>> idle_ ABSL_GUARDED_BY(mu_);
  mutable std::unique_ptr<const RankingModel> initial_ ABSL_GUARDED_BY(mu_);
};

}  // namespace foryou::model
