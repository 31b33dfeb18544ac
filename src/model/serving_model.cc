#include "model/serving_model.h"

#include <unordered_map>

#include "common/status_macros.h"

namespace foryou::model {
namespace {

std::atomic<uint64_t> next_id{1};

struct View {
  std::unique_ptr<RankingModel> model;
  uint64_t version = 0;
};

// Each thread's views, by ServingModel id (ids are never reused, so a destroyed ServingModel's
// views are simply never looked up again; they are freed with the thread).
thread_local std::unordered_map<uint64_t, View> views;

}  // namespace

float CorrectSampledProbability(float p, double rate) {
  if (rate >= 1.0) return p;
  return static_cast<float>(p / (p + (1.0 - p) / rate));
}

ServingModel::ServingModel(ModelConfig config, std::shared_ptr<embedding::EmbeddingTable> table)
    : id_(next_id.fetch_add(1)), config_(std::move(config)), table_(std::move(table)) {}

absl::Status ServingModel::PublishDense(std::string dense_blob) {
  // Validate once here, so no reader ever meets a blob that does not load.
  FORYOU_ASSIGN_OR_RETURN(auto check, RankingModel::CreateView(config_, table_));
  FORYOU_RETURN_IF_ERROR(check->LoadDense(dense_blob));
  auto current = std::atomic_load(&dense_);
  auto next = std::make_shared<const Dense>(Dense{(current ? current->version : 0) + 1, std::move(dense_blob)});
  std::atomic_store(&dense_, std::shared_ptr<const Dense>(std::move(next)));
  return absl::OkStatus();
}

uint64_t ServingModel::dense_version() const {
  auto d = std::atomic_load(&dense_);
  return d ? d->version : 0;
}

absl::Status ServingModel::Predict(const FeatureBatch& batch, float* probs) const {
  View& view = views[id_];
  if (view.model == nullptr) {
    FORYOU_ASSIGN_OR_RETURN(view.model, RankingModel::CreateView(config_, table_));
  }
  std::shared_ptr<const Dense> dense = std::atomic_load(&dense_);
  if (dense != nullptr && dense->version != view.version) {
    FORYOU_RETURN_IF_ERROR(view.model->LoadDense(dense->blob));
    view.version = dense->version;
  }
  FORYOU_RETURN_IF_ERROR(view.model->Predict(batch, probs));
  if (negative_sample_rate_ < 1.0) {
    const size_t n = static_cast<size_t>(batch.size) * kNumTasks;
    for (size_t i = 0; i < n; ++i) probs[i] = CorrectSampledProbability(probs[i], negative_sample_rate_);
  }
  return absl::OkStatus();
}

}  // namespace foryou::model
