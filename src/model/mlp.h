// Mlp: the dense part of the ranking model: a stack of fully connected layers (ReLU between
// them, linear output) over a mini-batch, with backpropagation and Adam. Matrix products use
// Eigen (Debian's libeigen3-dev): a well-kept, header-only GEMM that vectorises for the build
// machine, single-threaded and deterministic (see mlp_benchmark.cc for its speed here).
//
// Example:
//   Mlp mlp({560, 256, 128, 3}, /*seed=*/1);
//   mlp.Forward(inputs, batch, logits);     // inputs: batch x 560, logits: batch x 3
//   mlp.Backward(dlogits, dinputs);         // accumulates parameter gradients
//   mlp.AdamStep({.learning_rate = 1e-3f}); // applies them and clears them
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "Eigen/Core"
#include "absl/types/span.h"

namespace foryou::model {

struct AdamParams {
  float learning_rate = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
};

// Not thread-safe, but for the const methods: one trainer thread owns it, and any number of
// serving threads may predict with a published copy through Infer / PredictShared(..., scratch),
// each with its own Scratch.
class Mlp {
 public:
  // Every buffer Eigen reads is aligned to Eigen's packet size, so its kernels take the same code
  // path (and summation order) in every run: bit-identical results whatever the heap layout.
  using Floats = std::vector<float, Eigen::aligned_allocator<float>>;
  // A predicting thread's buffers for the const paths.
  struct Scratch {
    Floats a, b;                  // one layer's input and output
    Floats w, bias;               // PredictShared's varying rows of W and shared first-layer sum
  };

  // sizes = {inputs, hidden..., outputs}, each >= 1, at least two entries. Weights are He-normal
  // (deterministic in `seed`), biases zero.
  Mlp(std::vector<int> sizes, uint64_t seed);
  // The same shapes with every parameter zero, without the draw: for a copy whose parameters
  // are loaded next (a draw of He-normal weights costs more than the load).
  static Mlp Zeros(std::vector<int> sizes);

  int inputs() const { return sizes_.front(); }
  int outputs() const { return sizes_.back(); }
  int layers() const { return static_cast<int>(sizes_.size()) - 1; }

  // in: batch x inputs() floats, row-major; out: batch x outputs(). Keeps the activations for
  // Backward.
  void Forward(const float* in, int batch, float* out);

  // The same outputs as Forward for a batch whose rows share every input column but `varying`
  // (sorted, distinct): `shared_row` is one full row (inputs() floats) carrying the shared
  // values, `in_varying` is batch x varying.size() floats, row-major. The shared columns'
  // part of the first layer is computed once instead of per row (a feed request's user and
  // context features are the same for all its candidates). Keeps nothing for Backward.
  void PredictShared(const float* shared_row, absl::Span<const int> varying,
                     const float* in_varying, int batch, float* out);
  // The same, reading only the weights (thread-safe on a shared Mlp, one Scratch per thread).
  void PredictShared(const float* shared_row, absl::Span<const int> varying,
                     const float* in_varying, int batch, float* out, Scratch* scratch) const;
  // Forward's outputs, reading only the weights and keeping nothing for Backward.
  void Infer(const float* in, int batch, float* out, Scratch* scratch) const;

  // Frees the parameters, gradients and Adam state, keeping only the sizes: for a model that
  // only ever predicts with another Mlp's weights. Nothing but sizes may be asked of it then.
  void Release();

  // grad_out: batch x outputs() (d loss / d out) for the batch of the last Forward. Adds the
  // parameter gradients to the accumulators and, if grad_in is not null, writes
  // d loss / d in (batch x inputs()).
  void Backward(const float* grad_out, float* grad_in);

  // One Adam step with the accumulated gradients, then clears them.
  void AdamStep(const AdamParams& p);

  // Parameters and accumulated gradients of layer l (weights are inputs x outputs, row-major).
  absl::Span<float> weights(int l) { return absl::MakeSpan(weights_[l]); }
  absl::Span<float> biases(int l) { return absl::MakeSpan(biases_[l]); }
  absl::Span<const float> weight_grads(int l) const { return weight_grads_[l]; }
  absl::Span<const float> bias_grads(int l) const { return bias_grads_[l]; }

  // Serializes sizes, parameters and Adam state (little-endian floats); Load refuses a blob of
  // other sizes, leaving this Mlp unchanged.
  std::string Save() const;
  [[nodiscard]] absl::Status Load(std::string_view blob);

 private:
  struct NoDraw {};
  Mlp(std::vector<int> sizes, NoDraw);
  // Layers first.. on scratch->a (the layer below's pre-ReLU output, batch rows), leaving the
  // last layer's output in scratch->a.
  void ForwardFrom(int first, int batch, Scratch* scratch) const;

  std::vector<int> sizes_;
  std::vector<Floats> weights_, biases_;
  std::vector<Floats> weight_grads_, bias_grads_;
  std::vector<Floats> m_w_, v_w_, m_b_, v_b_;  // Adam moments
  uint64_t adam_steps_ = 0;
  // Forward caches: acts_[0] = input, acts_[l] = output of layer l-1 after ReLU (pre-ReLU for the
  // last layer).
  std::vector<Floats> acts_;
  Scratch scratch_;  // the non-const PredictShared's buffers
  int batch_ = 0;
};

}  // namespace foryou::model
