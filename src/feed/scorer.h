// Scorer: the serving model as the feed sees it — predictions for serving-time impressions and
// the model's video embeddings (for the similar-videos source). LoopScorer reads the real-time
// loop's serving replica: features from the live behaviour state, the table synced every
// 200 ms, dense weights every 5 s.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "model/features.h"
#include "stream/realtime_loop.h"

namespace foryou::feed {

class Scorer {
 public:
  virtual ~Scorer() = default;
  // Thread-safe. probs: impressions.size() x model::kNumTasks, sampling-corrected.
  [[nodiscard]] virtual absl::Status Score(absl::Span<const model::Impression> impressions,
                                           float* probs) const = 0;
  // Floats per video embedding.
  virtual int embedding_dim() const = 0;
  // Thread-safe. out: video_keys.size() x embedding_dim(); zeros for a video the model has no
  // row for.
  [[nodiscard]] virtual absl::Status VideoEmbeddings(absl::Span<const uint64_t> video_keys,
                                                     float* out) const = 0;
};

class LoopScorer : public Scorer {
 public:
  LoopScorer(stream::RealtimeLoop* loop, const model::ModelConfig& config);
  absl::Status Score(absl::Span<const model::Impression> impressions, float* probs) const override;
  int embedding_dim() const override { return dim_; }
  absl::Status VideoEmbeddings(absl::Span<const uint64_t> video_keys, float* out) const override;

 private:
  stream::RealtimeLoop* loop_;
  int dim_;
};

}  // namespace foryou::feed
