// LoopScorer: the feed's Scorer over the real-time loop's serving replica: features from the live
// behaviour state, the table synced every 200 ms, dense weights every 5 s.
#pragma once

#include <cstdint>

#include "feed/scorer.h"
#include "model/model_config.h"
#include "realtime/batch_pool.h"
#include "realtime/realtime_loop.h"

namespace foryou::server {

// Thread-safe. `loop` must outlive it.
class LoopScorer : public feed::Scorer {
 public:
  LoopScorer(realtime::RealtimeLoop* loop, const model::ModelConfig& config);
  absl::Status Score(absl::Span<const model::Impression> impressions, float* probs) const override;
  int embedding_dim() const override { return dim_; }
  absl::Status VideoEmbeddings(absl::Span<const uint64_t> video_keys, float* out) const override;

 private:
  realtime::RealtimeLoop* loop_;
  int dim_;
  uint32_t video_slot_;  // the embedding slot of the "video_id" feature
  // The feature batches of Score: as many kept as predictions usually run at once (twice the
  // cores), not one per thread that ever scored.
  mutable realtime::FeatureBatchPool batches_;
};

}  // namespace foryou::server
