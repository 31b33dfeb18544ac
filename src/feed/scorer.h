// Scorer: the serving model as the feed sees it — predictions for serving-time impressions and
// the model's video embeddings (for the similar-videos source). The server implements it over the
// real-time loop's serving replica (server/loop_scorer.h); tests use a fake.
//
// Example:
//   std::vector<model::Impression> imps = {model::MakeImpression("u1", "v42", now_ms, "foryou", 0)};
//   std::vector<float> probs(imps.size() * model::kNumTasks);
//   FORYOU_RETURN_IF_ERROR(scorer.Score(imps, probs.data()));
//   float p_like = probs[model::kLike];
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "model/features.h"

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

}  // namespace foryou::feed
