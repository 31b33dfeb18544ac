// Mlp with Eigen maps over std::vector storage: forward Z = X W + b, ReLU between layers;
// backward dW += X^T dZ, db += colsum(dZ), dX = dZ W^T (masked by the ReLU of X).
#include "model/mlp.h"

#include <cmath>
#include <cstring>
#include <random>

#include "Eigen/Dense"
#include "absl/strings/str_cat.h"
#include "common/binary_io.h"

namespace foryou::model {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Map = Eigen::Map<RowMatrix>;
using ConstMap = Eigen::Map<const RowMatrix>;
using VecMap = Eigen::Map<Eigen::RowVectorXf>;

}  // namespace

Mlp::Mlp(std::vector<int> sizes, NoDraw) : sizes_(std::move(sizes)) {
  for (size_t l = 0; l + 1 < sizes_.size(); ++l) {
    const size_t in = static_cast<size_t>(sizes_[l]), out = static_cast<size_t>(sizes_[l + 1]);
    weights_.emplace_back(in * out, 0.0f);
    biases_.emplace_back(out, 0.0f);
    weight_grads_.emplace_back(in * out, 0.0f);
    bias_grads_.emplace_back(out, 0.0f);
    m_w_.emplace_back(in * out, 0.0f);
    v_w_.emplace_back(in * out, 0.0f);
    m_b_.emplace_back(out, 0.0f);
    v_b_.emplace_back(out, 0.0f);
  }
  acts_.resize(sizes_.size());
}

Mlp::Mlp(std::vector<int> sizes, uint64_t seed) : Mlp(std::move(sizes), NoDraw{}) {
  std::mt19937_64 rng(seed);
  for (size_t l = 0; l + 1 < sizes_.size(); ++l) {
    std::normal_distribution<float> normal(0.0f, std::sqrt(2.0f / static_cast<float>(sizes_[l])));
    for (float& x : weights_[l]) x = normal(rng);
  }
}

Mlp Mlp::Zeros(std::vector<int> sizes) { return Mlp(std::move(sizes), NoDraw{}); }

void Mlp::Forward(const float* in, int batch, float* out) {
  batch_ = batch;
  acts_[0].assign(in, in + static_cast<size_t>(batch) * inputs());
  for (int l = 0; l < layers(); ++l) {
    const int n_in = sizes_[l], n_out = sizes_[l + 1];
    acts_[l + 1].resize(static_cast<size_t>(batch) * n_out);
    ConstMap x(acts_[l].data(), batch, n_in);
    ConstMap w(weights_[l].data(), n_in, n_out);
    Map z(acts_[l + 1].data(), batch, n_out);
    z.noalias() = x * w;
    z.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(biases_[l].data(), n_out);
    if (l + 1 < layers()) z = z.cwiseMax(0.0f);
  }
  std::memcpy(out, acts_.back().data(), sizeof(float) * static_cast<size_t>(batch) * outputs());
}

void Mlp::PredictShared(const float* shared_row, absl::Span<const int> varying,
                        const float* in_varying, int batch, float* out) {
  PredictShared(shared_row, varying, in_varying, batch, out, &scratch_);
}

void Mlp::PredictShared(const float* shared_row, absl::Span<const int> varying,
                        const float* in_varying, int batch, float* out, Scratch* s) const {
  const int n_in = sizes_[0], n_out = sizes_[1], nv = static_cast<int>(varying.size());
  // The first layer's bias plus the shared columns' product, and the varying rows of W.
  s->bias.assign(biases_[0].begin(), biases_[0].end());
  s->w.resize(static_cast<size_t>(nv) * n_out);
  size_t next = 0;
  for (int c = 0; c < n_in; ++c) {
    const float* w = weights_[0].data() + static_cast<size_t>(c) * n_out;
    if (next < varying.size() && varying[next] == c) {
      std::memcpy(s->w.data() + next * n_out, w, sizeof(float) * n_out);
      ++next;
    } else if (const float x = shared_row[c]; x != 0.0f) {
      for (int o = 0; o < n_out; ++o) s->bias[o] += x * w[o];
    }
  }
  s->a.resize(static_cast<size_t>(batch) * n_out);
  {
    Map z(s->a.data(), batch, n_out);
    if (nv > 0) {
      z.noalias() = ConstMap(in_varying, batch, nv) * ConstMap(s->w.data(), nv, n_out);
    } else {
      z.setZero();
    }
    z.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(s->bias.data(), n_out);
  }
  ForwardFrom(1, batch, s);
  std::memcpy(out, s->a.data(), sizeof(float) * static_cast<size_t>(batch) * outputs());
}

void Mlp::Infer(const float* in, int batch, float* out, Scratch* s) const {
  const int n_out = sizes_[1];
  s->a.resize(static_cast<size_t>(batch) * n_out);
  Map z(s->a.data(), batch, n_out);
  z.noalias() = ConstMap(in, batch, sizes_[0]) * ConstMap(weights_[0].data(), sizes_[0], n_out);
  z.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(biases_[0].data(), n_out);
  ForwardFrom(1, batch, s);
  std::memcpy(out, s->a.data(), sizeof(float) * static_cast<size_t>(batch) * outputs());
}

void Mlp::ForwardFrom(int first, int batch, Scratch* s) const {
  for (int l = first; l < layers(); ++l) {
    const int li = sizes_[l], lo = sizes_[l + 1];
    Map x(s->a.data(), batch, li);
    x = x.cwiseMax(0.0f);  // ReLU of the layer below
    s->b.resize(static_cast<size_t>(batch) * lo);
    Map y(s->b.data(), batch, lo);
    y.noalias() = x * ConstMap(weights_[l].data(), li, lo);
    y.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(biases_[l].data(), lo);
    std::swap(s->a, s->b);
  }
}

void Mlp::Release() {
  for (auto* list : {&weights_, &biases_, &weight_grads_, &bias_grads_, &m_w_, &v_w_, &m_b_,
                     &v_b_, &acts_}) {
    std::vector<Floats>().swap(*list);
  }
  scratch_ = Scratch();
}

void Mlp::Backward(const float* grad_out, float* grad_in) {
  const int batch = batch_;
  RowMatrix dz = ConstMap(grad_out, batch, outputs());
  for (int l = layers() - 1; l >= 0; --l) {
    const int n_in = sizes_[l], n_out = sizes_[l + 1];
    ConstMap x(acts_[l].data(), batch, n_in);
    Map(weight_grads_[l].data(), n_in, n_out).noalias() += x.transpose() * dz;
    VecMap(bias_grads_[l].data(), n_out) += dz.colwise().sum();
    if (l == 0 && grad_in == nullptr) break;
    RowMatrix dx = dz * ConstMap(weights_[l].data(), n_in, n_out).transpose();
    if (l > 0) dx = (x.array() > 0.0f).select(dx, 0.0f);  // ReLU of the layer below
    if (l == 0) {
      std::memcpy(grad_in, dx.data(), sizeof(float) * static_cast<size_t>(batch) * n_in);
    } else {
      dz = std::move(dx);
    }
  }
}

void Mlp::AdamStep(const AdamParams& p) {
  ++adam_steps_;
  const float c1 = 1.0f - std::pow(p.beta1, static_cast<float>(adam_steps_));
  const float c2 = 1.0f - std::pow(p.beta2, static_cast<float>(adam_steps_));
  const float step = p.learning_rate * std::sqrt(c2) / c1;
  auto update = [&](Floats& w, Floats& g, Floats& m, Floats& v) {
    for (size_t i = 0; i < w.size(); ++i) {
      m[i] = p.beta1 * m[i] + (1.0f - p.beta1) * g[i];
      v[i] = p.beta2 * v[i] + (1.0f - p.beta2) * g[i] * g[i];
      w[i] -= step * m[i] / (std::sqrt(v[i]) + p.epsilon);
      g[i] = 0.0f;
    }
  };
  for (int l = 0; l < layers(); ++l) {
    update(weights_[l], weight_grads_[l], m_w_[l], v_w_[l]);
    update(biases_[l], bias_grads_[l], m_b_[l], v_b_[l]);
  }
}

std::string Mlp::Save() const {
  std::string out;
  common::BinaryWriter w(&out);
  w.Put<uint32_t>(static_cast<uint32_t>(sizes_.size()));
  for (int s : sizes_) w.Put<int32_t>(s);
  w.Put<uint64_t>(adam_steps_);
  for (int l = 0; l < static_cast<int>(weights_.size()); ++l) {  // none after Release
    for (const auto* v : {&weights_[l], &biases_[l], &m_w_[l], &v_w_[l], &m_b_[l], &v_b_[l]}) {
      out.append(reinterpret_cast<const char*>(v->data()), v->size() * sizeof(float));
    }
  }
  return out;
}

absl::Status Mlp::Load(std::string_view blob) {
  if (static_cast<int>(weights_.size()) != layers()) {
    return absl::FailedPreconditionError("mlp: released, it has no weights to load into");
  }
  size_t off = 0;
  auto take = [&](void* dst, size_t n) {
    if (off + n > blob.size()) return false;
    std::memcpy(dst, blob.data() + off, n);
    off += n;
    return true;
  };
  uint32_t n_sizes = 0;
  if (!take(&n_sizes, 4) || n_sizes != sizes_.size()) {
    return absl::InvalidArgumentError("mlp blob: layer count differs from this model");
  }
  for (int s : sizes_) {
    int32_t got = 0;
    if (!take(&got, 4) || got != s) return absl::InvalidArgumentError("mlp blob: layer sizes differ");
  }
  // Stage into copies so a short blob changes nothing.
  Mlp staged = *this;
  if (!take(&staged.adam_steps_, 8)) return absl::InvalidArgumentError("mlp blob: truncated");
  for (int l = 0; l < layers(); ++l) {
    for (auto* v : {&staged.weights_[l], &staged.biases_[l], &staged.m_w_[l], &staged.v_w_[l],
                    &staged.m_b_[l], &staged.v_b_[l]}) {
      if (!take(v->data(), v->size() * sizeof(float))) {
        return absl::InvalidArgumentError("mlp blob: truncated");
      }
    }
  }
  if (off != blob.size()) return absl::InvalidArgumentError("mlp blob: trailing bytes");
  *this = std::move(staged);
  return absl::OkStatus();
}

}  // namespace foryou::model
