#include "model/serving_model.h"

#include <utility>

#include "common/status_macros.h"

namespace foryou::model {

float CorrectSampledProbability(float p, double rate) {
  if (rate >= 1.0) return p;
  return static_cast<float>(p / (p + (1.0 - p) / rate));
}

ServingModel::ServingModel(ModelConfig config, std::shared_ptr<embedding::EmbeddingTable> table)
    : config_(std::move(config)), table_(std::move(table)) {}

absl::Status ServingModel::PublishDense(std::string dense_blob) {
  // Loaded once here, for every reader.
  FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<RankingModel> weights,
                          RankingModel::CreateLoadedView(config_, table_, dense_blob));
  auto current = std::atomic_load(&dense_);
  auto next = std::make_shared<const Dense>(
      Dense{(current ? current->version : 0) + 1, std::shared_ptr<const RankingModel>(std::move(weights))});
  std::atomic_store(&dense_, std::shared_ptr<const Dense>(std::move(next)));
  return absl::OkStatus();
}

uint64_t ServingModel::dense_version() const {
  auto d = std::atomic_load(&dense_);
  return d ? d->version : 0;
}

absl::StatusOr<const RankingModel*> ServingModel::InitialWeights() const {
  common::MutexLock lock(&mu_);
  if (initial_ == nullptr) {
    FORYOU_ASSIGN_OR_RETURN(initial_, RankingModel::CreateView(config_, table_));
  }
  return initial_.get();
}

absl::Status ServingModel::Predict(const FeatureBatch& batch, float* probs) const {
  // Held for this call only, so no old weights outlive the predictions that use them.
  std::shared_ptr<const Dense> dense = std::atomic_load(&dense_);
  const RankingModel* weights = dense != nullptr ? dense->weights.get() : nullptr;
  if (weights == nullptr) {
    FORYOU_ASSIGN_OR_RETURN(weights, InitialWeights());
  }
  std::unique_ptr<RankingModel> view;
  {
    common::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      view = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (view == nullptr) {
    FORYOU_ASSIGN_OR_RETURN(view, RankingModel::CreateBufferView(config_, table_));
  }
  const absl::Status predicted = view->PredictWith(*weights, batch, probs);
  {
    common::MutexLock lock(&mu_);
    idle_.push_back(std::move(view));
  }
  FORYOU_RETURN_IF_ERROR(predicted);
  if (negative_sample_rate_ < 1.0) {
    const size_t n = static_cast<size_t>(batch.size) * kNumTasks;
    for (size_t i = 0; i < n; ++i) probs[i] = CorrectSampledProbability(probs[i], negative_sample_rate_);
  }
  return absl::OkStatus();
}

}  // namespace foryou::model
