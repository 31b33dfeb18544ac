// LoopScorer: predictions and embeddings from the real-time loop's serving replica.
#include "server/loop_scorer.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "embedding/feature_id.h"
#include "model/features.h"

namespace foryou::server {

LoopScorer::LoopScorer(realtime::RealtimeLoop* loop, const model::ModelConfig& config)
    : loop_(loop),
      dim_(static_cast<int>(config.dim)),
      video_slot_(model::FindFeature("video_id")->slot),
      batches_(2 * std::max(1u, std::thread::hardware_concurrency())) {}

absl::Status LoopScorer::Score(absl::Span<const model::Impression> impressions,
                               float* probs) const {
  std::unique_ptr<model::FeatureBatch> batch = batches_.Take();
  loop_->ExtractForServing(impressions, batch.get());
  absl::Status s = loop_->serving_model().Predict(*batch, probs);
  batches_.Give(std::move(batch));
  return s;
}

absl::Status LoopScorer::VideoEmbeddings(absl::Span<const uint64_t> video_keys, float* out) const {
  const embedding::EmbeddingTable& table = *loop_->serving().shared_table();
  const uint32_t row = table.DimOf(video_slot_);
  if (row < static_cast<uint32_t>(dim_)) {
    return absl::FailedPreconditionError("the model has no video_id embedding slot");
  }
  std::vector<embedding::FeatureId> keys;
  keys.reserve(video_keys.size());
  for (uint64_t v : video_keys) keys.push_back(embedding::HashFeature(video_slot_, v));
  std::vector<float> rows(keys.size() * row);
  if (absl::Status s = table.Lookup(keys, absl::MakeSpan(rows)); !s.ok()) return s;
  for (size_t i = 0; i < keys.size(); ++i) {
    std::copy_n(rows.data() + i * row, dim_, out + i * dim_);
  }
  return absl::OkStatus();
}

}  // namespace foryou::server
