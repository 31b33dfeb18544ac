// TwoTower: the watch-next sequence model and its sampled-softmax training (see the header).
#include "feed/two_tower.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

namespace foryou::feed {

namespace {
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}  // namespace

TwoTower::TwoTower(const WatchNextOptions& options)
    : dim_(options.dim),
      context_(static_cast<size_t>(options.context)),
      context_decay_(options.context_decay),
      learning_rate_(options.learning_rate),
      rng_(options.seed) {}

void TwoTower::AddVideo() {
  const size_t d = static_cast<size_t>(dim_);
  std::normal_distribution<float> init(0.0f, 0.05f);
  for (size_t k = 0; k < d; ++k) {
    in_.push_back(init(rng_));
    out_.push_back(init(rng_));
  }
  bias_.push_back(0);
  in_m_.resize(in_.size(), 0);
  in_v_.resize(in_.size(), 0);
  out_m_.resize(out_.size(), 0);
  out_v_.resize(out_.size(), 0);
  bias_m_.resize(bias_.size(), 0);
  bias_v_.resize(bias_.size(), 0);
}

uint32_t TwoTower::AddUser() {
  const size_t d = static_cast<size_t>(dim_);
  if (free_rows_.empty()) {
    free_rows_.push_back(static_cast<uint32_t>(user_.size() / d));
    user_.resize(user_.size() + d);
    user_m_.resize(user_.size());
    user_v_.resize(user_.size());
  }
  const uint32_t row = free_rows_.back();
  free_rows_.pop_back();
  std::normal_distribution<float> init(0.0f, 0.05f);
  const size_t at = static_cast<size_t>(row) * d;
  for (size_t k = 0; k < d; ++k) {
    user_[at + k] = init(rng_);
    user_m_[at + k] = user_v_[at + k] = 0;
  }
  return row;
}

void TwoTower::ForgetUsers(absl::Span<const uint32_t> rows) {
  free_rows_.insert(free_rows_.end(), rows.begin(), rows.end());
  const absl::flat_hash_set<uint32_t> gone(rows.begin(), rows.end());
  for (uint32_t& row : history_users_) {
    if (gone.contains(row)) row = kNoUser;
  }
}

void TwoTower::AddHistory(std::vector<uint32_t> tail, uint32_t user) {
  histories_.push_back(std::move(tail));
  history_users_.push_back(user);
}

std::vector<TwoTower::Example> TwoTower::TakeHistoryExamples() {
  std::vector<Example> examples;
  const size_t k = context_;
  for (size_t h = 0; h < histories_.size(); ++h) {
    const std::vector<uint32_t>& s = histories_[h];
    for (size_t j = 0; j < s.size(); ++j) {
      Example e;
      e.user = history_users_[h];
      e.context.assign(s.begin() + static_cast<std::ptrdiff_t>(j > k ? j - k : 0),
                       s.begin() + static_cast<std::ptrdiff_t>(j));
      e.target = s[j];
      examples.push_back(std::move(e));
    }
  }
  histories_.clear();
  histories_.shrink_to_fit();
  history_users_.clear();
  return examples;
}

void TwoTower::Query(absl::Span<const uint32_t> context, uint32_t user, float* q) const {
  const int d = dim_;
  std::fill(q, q + d, 0.0f);
  if (!context.empty()) {
    // Weighted mean, newest (last) weighing most when context_decay < 1.
    float w = 1, total = 0;
    for (size_t j = context.size(); j-- > 0; w *= context_decay_) {
      const float* row = &in_[static_cast<size_t>(context[j]) * d];
      for (int k = 0; k < d; ++k) q[k] += w * row[k];
      total += w;
    }
    const float inv = 1.0f / total;
    for (int k = 0; k < d; ++k) q[k] *= inv;
  }
  if (user != kNoUser) {
    const float* row = &user_[static_cast<size_t>(user) * d];
    for (int k = 0; k < d; ++k) q[k] += row[k];
  }
}

float TwoTower::Logit(uint32_t v, const float* q) const {
  const float* row = &out_[static_cast<size_t>(v) * dim_];
  float dot = bias_[v];
  for (int j = 0; j < dim_; ++j) dot += row[j] * q[j];
  return dot;
}

void TwoTower::AddLogits(const float* q, float weight, size_t n, float* out) const {
  if (n == 0) return;
  const int d = dim_;
  Eigen::Map<const RowMatrix> o(out_.data(), static_cast<Eigen::Index>(n), d);
  Eigen::Map<const Eigen::VectorXf> qv(q, d);
  Eigen::Map<const Eigen::VectorXf> b(bias_.data(), static_cast<Eigen::Index>(n));
  Eigen::Map<Eigen::VectorXf> s(out, static_cast<Eigen::Index>(n));
  s.noalias() += weight * (o * qv + b);
}

double TwoTower::ComputeGradients(absl::Span<const Example> examples, int negatives,
                                  std::mt19937_64& rng, Gradients* grads) const {
  const Eigen::Index b = static_cast<Eigen::Index>(examples.size());
  const size_t n = videos();
  if (b == 0 || n < 2) return 0;
  auto& g_in = grads->in;
  auto& g_out = grads->out;
  auto& g_bias = grads->bias;
  auto& g_user = grads->user;
  const int d = dim_;
  // Columns: the batch's targets, then uniform negatives.
  std::vector<uint32_t> items;
  items.reserve(examples.size() + static_cast<size_t>(negatives));
  for (const Example& e : examples) items.push_back(e.target);
  std::uniform_int_distribution<uint32_t> pick(0, static_cast<uint32_t>(n - 1));
  for (int k = 0; k < negatives; ++k) items.push_back(pick(rng));
  const Eigen::Index m = static_cast<Eigen::Index>(items.size());

  RowMatrix q(b, d), o(m, d);
  for (Eigen::Index i = 0; i < b; ++i) Query(examples[i].context, examples[i].user, q.row(i).data());
  Eigen::VectorXf bias(m);
  for (Eigen::Index j = 0; j < m; ++j) {
    o.row(j) = Eigen::Map<const Eigen::RowVectorXf>(&out_[static_cast<size_t>(items[j]) * d], d);
    bias[j] = bias_[items[j]];
  }
  RowMatrix logits = q * o.transpose();
  logits.rowwise() += bias.transpose();
  double loss = 0;
  for (Eigen::Index i = 0; i < b; ++i) {
    auto row = logits.row(i);
    // A column holding this example's own target (other than its own) is not a negative.
    for (Eigen::Index j = 0; j < m; ++j) {
      if (j != i && items[j] == items[i]) row[j] = -1e30f;
    }
    const float top = row.maxCoeff();
    row = (row.array() - top).exp();
    const float z = row.sum();
    row /= z;
    loss -= std::log(std::max(row[i], 1e-30f));
    row[i] -= 1.0f;  // d loss / d logit
  }
  logits /= static_cast<float>(b);
  const RowMatrix grad_q = logits * o;               // b x d
  const RowMatrix grad_o = logits.transpose() * q;   // m x d
  const Eigen::VectorXf grad_b = logits.colwise().sum().transpose();

  // Gather per-row gradients (a row may appear several times).
  for (Eigen::Index j = 0; j < m; ++j) {
    auto& g = g_out[items[j]];
    g.resize(static_cast<size_t>(d), 0.0f);
    for (int k = 0; k < d; ++k) g[k] += grad_o(j, k);
    g_bias[items[j]] += grad_b[j];
  }
  for (Eigen::Index i = 0; i < b; ++i) {
    if (examples[i].user != kNoUser) {
      auto& g = g_user[examples[i].user];
      g.resize(static_cast<size_t>(d), 0.0f);
      for (int k = 0; k < d; ++k) g[k] += grad_q(i, k);
    }
    const auto& ctx = examples[i].context;
    if (ctx.empty()) continue;
    float total = 0, w = 1;
    for (size_t j = 0; j < ctx.size(); ++j, w *= context_decay_) total += w;
    w = 1.0f / total;
    for (size_t j = ctx.size(); j-- > 0; w *= context_decay_) {
      auto& g = g_in[ctx[j]];
      g.resize(static_cast<size_t>(d), 0.0f);
      for (int k = 0; k < d; ++k) g[k] += w * grad_q(i, k);
    }
  }
  grads->examples = static_cast<uint64_t>(b);
  return loss / static_cast<double>(b);
}

void TwoTower::Apply(const Gradients& grads) {
  const int d = dim_;
  ++adam_t_;
  constexpr float kBeta1 = 0.9f, kBeta2 = 0.999f, kEps = 1e-8f;
  const float c1 = 1.0f - std::pow(kBeta1, static_cast<float>(adam_t_));
  const float c2 = 1.0f - std::pow(kBeta2, static_cast<float>(adam_t_));
  const float lr = learning_rate_ * std::sqrt(c2) / c1;
  auto adam = [&](float* p, float* mm, float* vv, const float* g, int len) {
    for (int k = 0; k < len; ++k) {
      mm[k] = kBeta1 * mm[k] + (1 - kBeta1) * g[k];
      vv[k] = kBeta2 * vv[k] + (1 - kBeta2) * g[k] * g[k];
      p[k] -= lr * mm[k] / (std::sqrt(vv[k]) + kEps);
    }
  };
  for (const auto& [row, g] : grads.out) {
    const size_t at = static_cast<size_t>(row) * d;
    adam(&out_[at], &out_m_[at], &out_v_[at], g.data(), d);
  }
  for (const auto& [row, g] : grads.in) {
    const size_t at = static_cast<size_t>(row) * d;
    adam(&in_[at], &in_m_[at], &in_v_[at], g.data(), d);
  }
  for (const auto& [row, g] : grads.user) {
    const size_t at = static_cast<size_t>(row) * d;
    adam(&user_[at], &user_m_[at], &user_v_[at], g.data(), d);
  }
  for (const auto& [row, g] : grads.bias) adam(&bias_[row], &bias_m_[row], &bias_v_[row], &g, 1);
}

size_t TwoTower::MemoryBytes() const {
  size_t floats = 0;
  for (const std::vector<float>* v : {&in_, &out_, &bias_, &in_m_, &in_v_, &out_m_, &out_v_,
                                      &bias_m_, &bias_v_, &user_, &user_m_, &user_v_}) {
    floats += v->capacity();
  }
  size_t bytes = floats * sizeof(float) +
                 (free_rows_.capacity() + history_users_.capacity()) * sizeof(uint32_t);
  for (const auto& h : histories_) bytes += sizeof(h) + h.capacity() * sizeof(uint32_t);
  return bytes;
}

}  // namespace foryou::feed
