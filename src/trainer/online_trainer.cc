#include "trainer/online_trainer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/status_macros.h"
#include "trainer/metrics.h"

namespace foryou::trainer {

using model::kNumTasks;

void ProgressiveMetrics::Record(absl::Span<const model::Impression> batch, const float* probs) {
  for (size_t b = 0; b < batch.size(); ++b) {
    users_.push_back(batch[b].user_id);
    for (int t = 0; t < kNumTasks; ++t) {
      const float p = probs[b * kNumTasks + t], y = batch[b].labels[t];
      scores_[t].push_back(p);
      labels_[t].push_back(y);
      const double pc = std::clamp<double>(p, 1e-7, 1 - 1e-7);
      logloss_sum_[t] -= y * std::log(pc) + (1 - y) * std::log(1 - pc);
      sq_err_sum_[t] += (p - y) * (p - y);
    }
  }
}

namespace {
std::vector<uint8_t> Binary(const std::vector<float>& labels) {
  std::vector<uint8_t> out(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) out[i] = labels[i] >= 0.5f;
  return out;
}
}  // namespace

double ProgressiveMetrics::Auc(int task) const {
  return trainer::Auc(scores_[task], Binary(labels_[task]));
}

double ProgressiveMetrics::GroupAuc(int task) const {
  return trainer::GroupAuc(scores_[task], Binary(labels_[task]), users_);
}

double ProgressiveMetrics::LogLoss(int task) const {
  if (users_.empty()) return std::numeric_limits<double>::quiet_NaN();
  return logloss_sum_[task] / static_cast<double>(users_.size());
}

double ProgressiveMetrics::Rmse(int task) const {
  if (users_.empty()) return std::numeric_limits<double>::quiet_NaN();
  return std::sqrt(sq_err_sum_[task] / static_cast<double>(users_.size()));
}

OnlineTrainer::OnlineTrainer(model::RankingModel* model, model::FeatureExtractor* features,
                             TrainerOptions options)
    : model_(model),
      features_(features),
      options_(options),
      last_sync_(std::chrono::steady_clock::now()),
      last_dense_sync_(last_sync_) {}

absl::Status OnlineTrainer::ProcessBatch(absl::Span<const model::Impression> batch,
                                         bool evaluate) {
  if (batch.empty()) return absl::OkStatus();
  features_->Extract(batch, &batch_features_);
  FORYOU_RETURN_IF_ERROR(TrainAndSync(batch, batch_features_, evaluate));
  ObserveLocked(batch);
  return absl::OkStatus();
}

absl::Status OnlineTrainer::ProcessExtracted(absl::Span<const model::Impression> impressions,
                                             const model::FeatureBatch& features, bool evaluate,
                                             const std::vector<bool>& observe) {
  if (impressions.empty()) return absl::OkStatus();
  if (features.size != static_cast<int>(impressions.size())) {
    return absl::InvalidArgumentError("features: one row per impression required");
  }
  if (!observe.empty() && observe.size() != impressions.size()) {
    return absl::InvalidArgumentError("observe: one flag per impression required");
  }
  FORYOU_RETURN_IF_ERROR(TrainAndSync(impressions, features, evaluate));
  if (observe.empty()) {
    ObserveLocked(impressions);
  } else {
    observed_.clear();
    for (size_t i = 0; i < impressions.size(); ++i) {
      if (observe[i]) observed_.push_back(impressions[i]);
    }
    ObserveLocked(observed_);
  }
  return absl::OkStatus();
}

void OnlineTrainer::ObserveLocked(absl::Span<const model::Impression> batch) {
  if (features_mu_ == nullptr) {
    features_->Observe(batch);
    return;
  }
  common::WriterLock lock(features_mu_);
  features_->Observe(batch);
}

absl::Status OnlineTrainer::TrainAndSync(absl::Span<const model::Impression> batch,
                                         const model::FeatureBatch& features, bool evaluate) {
  labels_.resize(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) labels_[i] = batch[i].labels;
  probs_.resize(batch.size() * kNumTasks);
  FORYOU_ASSIGN_OR_RETURN(last_loss_, model_->Train(features, labels_, probs_.data()));
  if (evaluate) metrics_.Record(batch, probs_.data());
  examples_trained_ += batch.size();

  if (serving_ != nullptr) {
    const auto now = std::chrono::steady_clock::now();
    const bool dense = now - last_dense_sync_ >= std::chrono::milliseconds(options_.dense_sync_interval_ms);
    if (dense || now - last_sync_ >= std::chrono::milliseconds(options_.sync_interval_ms)) {
      FORYOU_RETURN_IF_ERROR(model_->SyncTo(serving_, dense));
      last_sync_ = now;
      if (dense) last_dense_sync_ = now;
      ++syncs_;
      examples_at_last_sync_ = examples_trained_;
    }
  }
  return absl::OkStatus();
}

absl::Status OnlineTrainer::Sync() {
  if (serving_ == nullptr) return absl::FailedPreconditionError("no serving replica attached");
  FORYOU_RETURN_IF_ERROR(model_->SyncTo(serving_, /*dense=*/true));
  last_sync_ = last_dense_sync_ = std::chrono::steady_clock::now();
  ++syncs_;
  examples_at_last_sync_ = examples_trained_;
  return absl::OkStatus();
}

}  // namespace foryou::trainer
