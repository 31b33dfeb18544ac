// TwoTower: the sequence model of the watch-next score. A user is the (decay-weighted) mean of
// the input embeddings of their last `context` videos, plus a learned per-user vector with
// user_embedding; a video is its output embedding and bias; the logit of "this user watches
// that video next" is their dot product plus the bias.
//
// HOW IT WORKS (training). Sampled softmax over the batch's own targets (in-batch negatives)
// plus `negatives` uniform videos shared by the batch; a column holding another example's copy
// of an example's target is masked rather than counted as a negative. The gradients of the
// touched rows are gathered per row and applied with lazy Adam (only those rows' moments move;
// the bias correction uses the global step count). Rows are initialised N(0, 0.05) from the
// model's own generator, in the order videos and users arrive, so a run is reproducible.
//
// Not thread-safe: WatchNext calls ComputeGradients and the read-only methods under its shared
// lock, everything else under its exclusive lock.
//
// Example:
//   TwoTower tower(options);
//   tower.AddVideo(); tower.AddVideo();                     // videos 0 and 1
//   std::vector<float> q(tower.dim());
//   tower.Query({0}, TwoTower::kNoUser, q.data());           // a user who watched video 0
//   float logit = tower.Logit(1, q.data());
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "feed/watch_next_options.h"

namespace foryou::feed {

class TwoTower {
 public:
  static constexpr uint32_t kNoUser = UINT32_MAX;  // no per-user row

  // One training example: the videos before `target` (oldest first) and the user's row.
  struct Example {
    std::vector<uint32_t> context;
    uint32_t target;
    uint32_t user = kNoUser;
  };
  // A step's gradients, per touched row.
  struct Gradients {
    absl::flat_hash_map<uint32_t, std::vector<float>> in, out, user;
    absl::flat_hash_map<uint32_t, float> bias;
    uint64_t examples = 0;
  };

  // Reads dim, context, context_decay, learning_rate and seed of `options`.
  explicit TwoTower(const WatchNextOptions& options);

  int dim() const { return dim_; }
  size_t videos() const { return bias_.size(); }

  // Adds video videos(): random input and output rows, zero bias.
  void AddVideo();
  // A random per-user row: a forgotten user's row if any (the most recently freed), else a new
  // one.
  uint32_t AddUser();
  // Gives forgotten users' rows back for reuse (the last one first), and stops the pending
  // watch histories training them.
  void ForgetUsers(absl::Span<const uint32_t> rows);

  // A watch history's newest videos and its user's row, for Pretraining.
  void AddHistory(std::vector<uint32_t> tail, uint32_t user);
  // Every example of the histories added (each video with up to `context` before it); forgets
  // the histories.
  std::vector<Example> TakeHistoryExamples();

  // The user vector of `context` (oldest first) and `user` into q (dim() floats).
  void Query(absl::Span<const uint32_t> context, uint32_t user, float* q) const;
  // bias + output row . q of video v.
  float Logit(uint32_t v, const float* q) const;
  // out[v] += weight x (output row . q + bias) for every video v < n (n <= videos()).
  void AddLogits(const float* q, float weight, size_t n, float* out) const;

  // The sampled-softmax gradients of `examples` (negatives drawn from `rng`); returns the mean
  // loss. Nothing when there are fewer than two videos.
  double ComputeGradients(absl::Span<const Example> examples, int negatives, std::mt19937_64& rng,
                          Gradients* grads) const;
  // One lazy-Adam step on the rows in `grads`.
  void Apply(const Gradients& grads);

  // Heap bytes of the embeddings, their moments and the kept histories.
  size_t MemoryBytes() const;

 private:
  const int dim_;
  const size_t context_;
  const float context_decay_, learning_rate_;
  // Row-major (videos x dim): input and output embeddings, biases, and their Adam moments.
  std::vector<float> in_, out_, bias_;
  std::vector<float> in_m_, in_v_, out_m_, out_v_, bias_m_, bias_v_;
  std::vector<float> user_, user_m_, user_v_;  // users x dim (user_embedding on)
  std::vector<uint32_t> free_rows_;            // rows of forgotten users, reused
  std::vector<std::vector<uint32_t>> histories_;  // for TakeHistoryExamples
  std::vector<uint32_t> history_users_;           // their users' rows
  uint64_t adam_t_ = 0;
  std::mt19937_64 rng_;  // initialisation
};

}  // namespace foryou::feed
