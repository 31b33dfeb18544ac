#include "model/ranking_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/binary_io.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "model/fm.h"
#include "xxhash.h"

namespace foryou::model {
namespace {

using embedding::FeatureId;

constexpr char kDenseMagic[8] = {'F', 'Y', 'D', 'E', 'N', 'S', '1', '\n'};

inline float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Calls fn(example, cell, occurrence, scale) for every key occurrence of every field of the
// batch, where cell = example * fields + field and scale = 1 / (keys in that field): the mean
// pooling of sequence fields (a sparse field has one key, scale 1).
template <typename Fn>
void ForEachPooledKey(const FeatureBatch& batch, int fields, Fn&& fn) {
  for (int b = 0; b < batch.size; ++b) {
    for (int f = 0; f < fields; ++f) {
      const size_t cell = static_cast<size_t>(b) * fields + f;
      const uint32_t begin = batch.field_begin[cell], end = batch.field_begin[cell + 1];
      if (begin == end) continue;
      const float scale = 1.0f / static_cast<float>(end - begin);
      for (uint32_t k = begin; k < end; ++k) fn(b, cell, k, scale);
    }
  }
}

// Dense shape of a config: (fields, dense width).
std::pair<int, int> Shape(const ModelConfig& config) {
  int fields = 0, dense = 0;
  for (const FeatureConfig& f : config.features) {
    const FeatureSpec* spec = config.Find(f.name);
    if (spec == nullptr) continue;
    if (spec->kind == FeatureKind::kDense) {
      dense += static_cast<int>(spec->dense_width);
    } else {
      ++fields;
    }
  }
  return {fields, dense};
}

absl::Status NoDense(absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, ": a buffer view has no dense weights of its own"));
}

std::vector<int> MlpSizes(const ModelConfig& config) {
  auto [fields, dense] = Shape(config);
  std::vector<int> sizes = {fields * static_cast<int>(config.dim) + dense};
  sizes.insert(sizes.end(), config.hidden.begin(), config.hidden.end());
  sizes.push_back(kNumTasks);
  return sizes;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RankingModel>> RankingModel::Create(const ModelConfig& config,
                                                                   bool serving) {
  FORYOU_ASSIGN_OR_RETURN(embedding::TableConfig table_config, config.ToTableConfig());
  if (serving) {
    for (auto& s : table_config.slots) s.optimizer = embedding::OptimizerKind::kNone;
  }
  FORYOU_ASSIGN_OR_RETURN(auto table, embedding::EmbeddingTable::Create(std::move(table_config)));
  return std::unique_ptr<RankingModel>(new RankingModel(config, std::move(table)));
}

absl::Status RankingModel::CheckViewTable(const ModelConfig& config,
                                          const embedding::EmbeddingTable* table) {
  FORYOU_ASSIGN_OR_RETURN(embedding::TableConfig table_config, config.ToTableConfig());
  if (table == nullptr || table->config().slots.size() != table_config.slots.size()) {
    return absl::InvalidArgumentError("view: the table's slots differ from the config's");
  }
  for (size_t i = 0; i < table_config.slots.size(); ++i) {
    if (table->DimOf(table_config.slots[i].slot) != table_config.slots[i].dim) {
      return absl::InvalidArgumentError(absl::StrCat("view: slot ", table_config.slots[i].name,
                                                     " has another dim in the table"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RankingModel>> RankingModel::CreateView(
    const ModelConfig& config, std::shared_ptr<embedding::EmbeddingTable> table) {
  FORYOU_RETURN_IF_ERROR(CheckViewTable(config, table.get()));
  return std::unique_ptr<RankingModel>(new RankingModel(config, std::move(table)));
}

absl::StatusOr<std::unique_ptr<RankingModel>> RankingModel::CreateLoadedView(
    const ModelConfig& config, std::shared_ptr<embedding::EmbeddingTable> table,
    std::string_view dense_blob) {
  FORYOU_RETURN_IF_ERROR(CheckViewTable(config, table.get()));
  std::unique_ptr<RankingModel> view(new RankingModel(config, std::move(table), false));
  FORYOU_RETURN_IF_ERROR(view->LoadDense(dense_blob));
  return view;
}

absl::StatusOr<std::unique_ptr<RankingModel>> RankingModel::CreateBufferView(
    const ModelConfig& config, std::shared_ptr<embedding::EmbeddingTable> table) {
  FORYOU_RETURN_IF_ERROR(CheckViewTable(config, table.get()));
  std::unique_ptr<RankingModel> view(new RankingModel(config, std::move(table), false));
  view->mlp_.Release();
  view->has_dense_ = false;
  return view;
}

RankingModel::RankingModel(const ModelConfig& config,
                           std::shared_ptr<embedding::EmbeddingTable> table, bool draw_weights)
    : config_(config),
      dim_(static_cast<int>(config.dim)),
      row_(static_cast<int>(config.dim) + kNumTasks),
      fields_(Shape(config).first),
      dense_width_(Shape(config).second),
      table_(std::move(table)),
      mlp_(draw_weights ? Mlp(MlpSizes(config), config.seed) : Mlp::Zeros(MlpSizes(config))) {
  fm_w_.fill(1.0f);
}

absl::Status RankingModel::CheckShape(const FeatureBatch& batch) const {
  if (batch.fields != fields_ || batch.dense_width != dense_width_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "feature batch has ", batch.fields, " fields and ", batch.dense_width,
        " dense floats; the model expects ", fields_, " and ", dense_width_));
  }
  if (batch.size <= 0 || batch.field_begin.size() != static_cast<size_t>(batch.size) * fields_ + 1 ||
      batch.field_begin.back() != batch.keys.size() ||
      batch.dense.size() != static_cast<size_t>(batch.size) * dense_width_) {
    return absl::InvalidArgumentError("feature batch: inconsistent sizes");
  }
  return absl::OkStatus();
}

void RankingModel::Intern(const FeatureBatch& batch, size_t i) {
  auto [it, inserted] = index_.try_emplace(batch.keys[i], static_cast<uint32_t>(unique_.size()));
  if (inserted) unique_.push_back(batch.keys[i]);
  occurrence_[i] = it->second;
}

void RankingModel::PoolCell(const FeatureBatch& batch, size_t cell, float* e, float* lin) const {
  const uint32_t begin = batch.field_begin[cell], end = batch.field_begin[cell + 1];
  if (begin == end) return;
  const float scale = 1.0f / static_cast<float>(end - begin);
  for (uint32_t k = begin; k < end; ++k) {
    const float* r = &rows_[static_cast<size_t>(occurrence_[k]) * row_];
    for (int d = 0; d < dim_; ++d) e[d] += r[d] * scale;
    for (int t = 0; t < kNumTasks; ++t) lin[t] += r[dim_ + t] * scale;
  }
}

absl::Status RankingModel::Forward(const FeatureBatch& batch) {
  FORYOU_RETURN_IF_ERROR(CheckShape(batch));
  const int B = batch.size, F = fields_, D = dim_, W = row_;
  // Distinct keys of the batch: one lookup (and later one gradient) per row.
  index_.clear();
  unique_.clear();
  occurrence_.resize(batch.keys.size());
  for (size_t i = 0; i < batch.keys.size(); ++i) Intern(batch, i);
  rows_.resize(unique_.size() * W);
  FORYOU_RETURN_IF_ERROR(table_->Lookup(unique_, absl::MakeSpan(rows_)));

  // Pool fields into emb_ (B x F x D) and first-order weights into lin_.
  emb_.assign(static_cast<size_t>(B) * F * D, 0.0f);
  lin_.assign(static_cast<size_t>(B) * kNumTasks, 0.0f);
  for (int b = 0; b < B; ++b) {
    for (int f = 0; f < F; ++f) {
      const size_t cell = static_cast<size_t>(b) * F + f;
      PoolCell(batch, cell, &emb_[cell * D], &lin_[static_cast<size_t>(b) * kNumTasks]);
    }
  }
  // MLP input: [emb, dense].
  const int in = F * D + dense_width_;
  x_.resize(static_cast<size_t>(B) * in);
  for (int b = 0; b < B; ++b) {
    std::memcpy(&x_[static_cast<size_t>(b) * in], &emb_[static_cast<size_t>(b) * F * D],
                sizeof(float) * F * D);
    if (dense_width_ > 0) {
      std::memcpy(x_.data() + static_cast<size_t>(b) * in + F * D,
                  batch.dense.data() + static_cast<size_t>(b) * dense_width_,
                  sizeof(float) * dense_width_);
    }
  }
  logits_.resize(static_cast<size_t>(B) * kNumTasks);
  if (weights_ == this) {
    mlp_.Forward(x_.data(), B, logits_.data());
  } else {
    weights_->mlp_.Infer(x_.data(), B, logits_.data(), &scratch_);
  }
  fm_.resize(B);
  FmForward(emb_.data(), B, F, D, fm_.data());
  const auto& fm_w = weights_->fm_w_;
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t < kNumTasks; ++t) logits_[b * kNumTasks + t] += fm_w[t] * fm_[b] + lin_[b * kNumTasks + t];
  }
  return absl::OkStatus();
}

absl::Status RankingModel::ForwardShared(const FeatureBatch& batch) {
  FORYOU_RETURN_IF_ERROR(CheckShape(batch));
  const int B = batch.size, F = fields_, D = dim_, W = row_, DW = dense_width_;
  const int in = F * D + DW;
  field_varies_.assign(F, 0);
  for (int f = 0; f < F; ++f) {
    const auto first = batch.Field(0, f);
    for (int b = 1; b < B && !field_varies_[f]; ++b) {
      const auto other = batch.Field(b, f);
      field_varies_[f] = !std::equal(first.begin(), first.end(), other.begin(), other.end());
    }
  }
  dense_varies_.assign(DW, 0);
  for (int c = 0; c < DW; ++c) {
    const float first = batch.dense[c];
    for (int b = 1; b < B && !dense_varies_[c]; ++b) {
      dense_varies_[c] = batch.dense[static_cast<size_t>(b) * DW + c] != first;
    }
  }
  varying_.clear();
  for (int f = 0; f < F; ++f) {
    for (int d = 0; d < D && field_varies_[f]; ++d) varying_.push_back(f * D + d);
  }
  for (int c = 0; c < DW; ++c) {
    if (dense_varies_[c]) varying_.push_back(F * D + c);
  }
  // Distinct keys: every field of row 0, the varying fields of the others.
  index_.clear();
  unique_.clear();
  occurrence_.resize(batch.keys.size());
  for (int b = 0; b < B; ++b) {
    for (int f = 0; f < F; ++f) {
      if (b > 0 && !field_varies_[f]) continue;
      const size_t cell = static_cast<size_t>(b) * F + f;
      for (uint32_t k = batch.field_begin[cell]; k < batch.field_begin[cell + 1]; ++k) {
        Intern(batch, k);
      }
    }
  }
  rows_.resize(unique_.size() * W);
  FORYOU_RETURN_IF_ERROR(table_->Lookup(unique_, absl::MakeSpan(rows_)));
  // Row 0 in full; the shared fields' first-order terms and FM sums.
  shared_row_.assign(in, 0.0f);
  std::array<float, kNumTasks> shared_lin{}, unused{};
  std::vector<float> shared_sum(D, 0.0f);
  float shared_squares = 0;
  for (int f = 0; f < F; ++f) {
    float* e = &shared_row_[static_cast<size_t>(f) * D];
    PoolCell(batch, f, e, field_varies_[f] ? unused.data() : shared_lin.data());
    if (field_varies_[f]) continue;
    for (int d = 0; d < D; ++d) {
      shared_sum[d] += e[d];
      shared_squares += e[d] * e[d];
    }
  }
  if (DW > 0) std::memcpy(&shared_row_[static_cast<size_t>(F) * D], batch.dense.data(), sizeof(float) * DW);

  // Every row's varying columns, first-order terms and FM term.
  const size_t nv = varying_.size();
  x_varying_.assign(static_cast<size_t>(B) * nv, 0.0f);
  lin_.assign(static_cast<size_t>(B) * kNumTasks, 0.0f);
  fm_.resize(B);
  std::vector<float> sum(D);
  for (int b = 0; b < B; ++b) {
    float* x = &x_varying_[static_cast<size_t>(b) * nv];
    float* lin = &lin_[static_cast<size_t>(b) * kNumTasks];
    for (int t = 0; t < kNumTasks; ++t) lin[t] = shared_lin[t];
    sum = shared_sum;
    float squares = shared_squares;
    for (int f = 0; f < F; ++f) {
      if (!field_varies_[f]) continue;
      PoolCell(batch, static_cast<size_t>(b) * F + f, x, lin);
      for (int d = 0; d < D; ++d) {
        sum[d] += x[d];
        squares += x[d] * x[d];
      }
      x += D;
    }
    for (int c = 0; c < DW; ++c) {
      if (dense_varies_[c]) *x++ = batch.dense[static_cast<size_t>(b) * DW + c];
    }
    float total = 0;
    for (int d = 0; d < D; ++d) total += sum[d] * sum[d];
    fm_[b] = 0.5f * (total - squares);
  }
  logits_.resize(static_cast<size_t>(B) * kNumTasks);
  if (weights_ == this) {
    mlp_.PredictShared(shared_row_.data(), varying_, x_varying_.data(), B, logits_.data());
  } else {
    weights_->mlp_.PredictShared(shared_row_.data(), varying_, x_varying_.data(), B,
                                 logits_.data(), &scratch_);
  }
  const auto& fm_w = weights_->fm_w_;
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t < kNumTasks; ++t) {
      logits_[b * kNumTasks + t] += fm_w[t] * fm_[b] + lin_[b * kNumTasks + t];
    }
  }
  return absl::OkStatus();
}

absl::Status RankingModel::Predict(const FeatureBatch& batch, float* probs) {
  if (!has_dense_) return NoDense("Predict");
  FORYOU_RETURN_IF_ERROR(batch.size > 1 ? ForwardShared(batch) : Forward(batch));
  for (size_t i = 0; i < logits_.size(); ++i) probs[i] = Sigmoid(logits_[i]);
  return absl::OkStatus();
}

absl::Status RankingModel::PredictWith(const RankingModel& weights, const FeatureBatch& batch,
                                       float* probs) {
  if (!weights.has_dense_) return NoDense("PredictWith's weights");
  if (weights.fields_ != fields_ || weights.dense_width_ != dense_width_ || weights.dim_ != dim_ ||
      weights.mlp_.inputs() != mlp_.inputs() || weights.config_.hidden != config_.hidden) {
    return absl::InvalidArgumentError("PredictWith: the weights' model has another shape");
  }
  weights_ = &weights;
  const absl::Status s = batch.size > 1 ? ForwardShared(batch) : Forward(batch);
  weights_ = this;
  FORYOU_RETURN_IF_ERROR(s);
  for (size_t i = 0; i < logits_.size(); ++i) probs[i] = Sigmoid(logits_[i]);
  return absl::OkStatus();
}

double RankingModel::LossAndDlogits(int B, absl::Span<const Labels> labels) {
  dlogits_.resize(static_cast<size_t>(B) * kNumTasks);
  double loss = 0;
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t < kNumTasks; ++t) {
      const float z = logits_[b * kNumTasks + t], y = labels[b][t], w = config_.task_weights[t];
      // Stable BCE with logits: max(z, 0) - z y + log(1 + e^-|z|).
      loss += w * (std::max(z, 0.0f) - z * y + std::log1p(std::exp(-std::abs(z))));
      dlogits_[b * kNumTasks + t] = w * (Sigmoid(z) - y) / static_cast<float>(B);
    }
  }
  return loss / B;
}

void RankingModel::Backward(const FeatureBatch& batch) {
  const int B = batch.size, F = fields_, D = dim_, W = row_;
  const int in = F * D + dense_width_;
  dx_.resize(static_cast<size_t>(B) * in);
  mlp_.Backward(dlogits_.data(), dx_.data());
  demb_.resize(static_cast<size_t>(B) * F * D);
  std::vector<float> dfm(B, 0.0f);
  for (int b = 0; b < B; ++b) {
    std::memcpy(&demb_[static_cast<size_t>(b) * F * D], &dx_[static_cast<size_t>(b) * in],
                sizeof(float) * F * D);
    for (int t = 0; t < kNumTasks; ++t) {
      const float g = dlogits_[b * kNumTasks + t];
      dfm[b] += g * fm_w_[t];
      fm_grad_[t] += g * fm_[b];
    }
  }
  FmBackward(emb_.data(), dfm.data(), B, F, D, demb_.data());
  grads_.assign(unique_.size() * W, 0.0f);
  ForEachPooledKey(batch, F, [&](int b, size_t cell, uint32_t k, float scale) {
    const float* de = &demb_[cell * D];
    const float* dl = &dlogits_[static_cast<size_t>(b) * kNumTasks];
    float* g = &grads_[static_cast<size_t>(occurrence_[k]) * W];
    for (int d = 0; d < D; ++d) g[d] += de[d] * scale;
    for (int t = 0; t < kNumTasks; ++t) g[D + t] += dl[t] * scale;
  });
}

absl::StatusOr<double> RankingModel::Train(const FeatureBatch& batch,
                                           absl::Span<const Labels> labels, float* probs) {
  if (!has_dense_) return NoDense("Train");
  if (labels.size() != static_cast<size_t>(batch.size)) {
    return absl::InvalidArgumentError("labels: one per example required");
  }
  FORYOU_RETURN_IF_ERROR(Forward(batch));
  if (probs != nullptr) {
    for (size_t i = 0; i < logits_.size(); ++i) probs[i] = Sigmoid(logits_[i]);
  }
  const double loss = LossAndDlogits(batch.size, labels);
  Backward(batch);
  FORYOU_RETURN_IF_ERROR(table_->ApplyGradients(unique_, grads_, batch.max_time_ms));
  AdamParams adam{.learning_rate = config_.dense_learning_rate};
  mlp_.AdamStep(adam);
  // Adam for the FM weights, same hyper-parameters.
  ++fm_steps_;
  const float c1 = 1.0f - std::pow(adam.beta1, static_cast<float>(fm_steps_));
  const float c2 = 1.0f - std::pow(adam.beta2, static_cast<float>(fm_steps_));
  const float step = adam.learning_rate * std::sqrt(c2) / c1;
  for (int t = 0; t < kNumTasks; ++t) {
    fm_m_[t] = adam.beta1 * fm_m_[t] + (1 - adam.beta1) * fm_grad_[t];
    fm_v_[t] = adam.beta2 * fm_v_[t] + (1 - adam.beta2) * fm_grad_[t] * fm_grad_[t];
    fm_w_[t] -= step * fm_m_[t] / (std::sqrt(fm_v_[t]) + adam.epsilon);
    fm_grad_[t] = 0.0f;
  }
  return loss;
}

absl::StatusOr<double> RankingModel::Gradients(const FeatureBatch& batch,
                                               absl::Span<const Labels> labels,
                                               std::vector<FeatureId>* keys,
                                               std::vector<float>* key_grads) {
  if (!has_dense_) return NoDense("Gradients");
  if (labels.size() != static_cast<size_t>(batch.size)) {
    return absl::InvalidArgumentError("labels: one per example required");
  }
  FORYOU_RETURN_IF_ERROR(Forward(batch));
  const double loss = LossAndDlogits(batch.size, labels);
  Backward(batch);
  fm_grad_.fill(0.0f);
  *keys = unique_;
  *key_grads = grads_;
  return loss;
}

absl::Status RankingModel::SyncTo(RankingModel* serving, bool dense) {
  if (!has_dense_ || (dense && !serving->has_dense_)) return NoDense("SyncTo");
  embedding::TableDelta delta = table_->DrainDelta();
  FORYOU_RETURN_IF_ERROR(serving->table_->ApplyDelta(delta));
  if (dense) FORYOU_RETURN_IF_ERROR(serving->LoadDense(SaveDense()));
  return absl::OkStatus();
}

std::string RankingModel::SaveDense() const {
  std::string out(kDenseMagic, sizeof(kDenseMagic));
  common::BinaryWriter w(&out);
  w.Put<uint32_t>(static_cast<uint32_t>(fields_));
  w.Put<uint32_t>(static_cast<uint32_t>(dense_width_));
  w.Put<uint32_t>(static_cast<uint32_t>(dim_));
  w.Put<uint32_t>(kNumTasks);
  w.Put<uint64_t>(fm_steps_);
  for (const auto* v : {&fm_w_, &fm_m_, &fm_v_}) {
    out.append(reinterpret_cast<const char*>(v->data()), sizeof(float) * kNumTasks);
  }
  const std::string mlp = mlp_.Save();
  w.Put<uint64_t>(mlp.size());
  out += mlp;
  w.Put<uint64_t>(XXH3_64bits(out.data(), out.size()));
  return out;
}

absl::Status RankingModel::LoadDense(std::string_view blob) {
  if (!has_dense_) return NoDense("LoadDense");
  auto bad = [](std::string_view why) {
    return absl::DataLossError(absl::StrCat("dense model: ", absl::string_view(why.data(), why.size())));
  };
  const size_t header = sizeof(kDenseMagic) + 4 * 4 + 8 + 3 * sizeof(float) * kNumTasks + 8;
  if (blob.size() < header + 8) return bad("truncated");
  uint64_t sum = 0;
  std::memcpy(&sum, blob.data() + blob.size() - 8, 8);
  if (sum != XXH3_64bits(blob.data(), blob.size() - 8)) return bad("checksum mismatch");
  if (std::memcmp(blob.data(), kDenseMagic, sizeof(kDenseMagic)) != 0) return bad("not a foryou dense model");
  size_t off = sizeof(kDenseMagic);
  auto take = [&](void* dst, size_t n) {
    std::memcpy(dst, blob.data() + off, n);
    off += n;
  };
  uint32_t shape[4];
  take(shape, sizeof(shape));
  if (shape[0] != static_cast<uint32_t>(fields_) || shape[1] != static_cast<uint32_t>(dense_width_) ||
      shape[2] != static_cast<uint32_t>(dim_) || shape[3] != kNumTasks) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dense model: shape (fields ", shape[0], ", dense ", shape[1], ", dim ", shape[2],
        ") differs from this config's (", fields_, ", ", dense_width_, ", ", dim_, ")"));
  }
  uint64_t steps = 0, mlp_size = 0;
  std::array<float, kNumTasks> w, m, v;
  take(&steps, 8);
  take(w.data(), sizeof(w));
  take(m.data(), sizeof(m));
  take(v.data(), sizeof(v));
  take(&mlp_size, 8);
  if (mlp_size != blob.size() - 8 - off) return bad("mlp size mismatch");
  Mlp staged = mlp_;
  FORYOU_RETURN_IF_ERROR(staged.Load(blob.substr(off, mlp_size)));
  mlp_ = std::move(staged);
  fm_steps_ = steps;
  fm_w_ = w;
  fm_m_ = m;
  fm_v_ = v;
  return absl::OkStatus();
}

absl::Status RankingModel::Save(const std::string& dir, uint64_t version) {
  if (!has_dense_) return NoDense("Save");
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(dir));
  std::string dense;
  common::BinaryWriter(&dense).Put<uint64_t>(version);
  dense += SaveDense();
  FORYOU_RETURN_IF_ERROR(common::WriteFileAtomically(dir + "/model.dense", dense));
  FORYOU_RETURN_IF_ERROR(table_->WriteSnapshot(dir + "/table.snap", version));
  return common::WriteFileAtomically(dir + "/MANIFEST", absl::StrCat("foryou-model ", version, "\n"));
}

absl::StatusOr<uint64_t> RankingModel::Load(const std::string& dir) {
  if (!has_dense_) return NoDense("Load");
  FORYOU_ASSIGN_OR_RETURN(std::string manifest, common::ReadFile(dir + "/MANIFEST"));
  absl::string_view m = manifest;
  uint64_t version = 0;
  if (!absl::ConsumePrefix(&m, "foryou-model ") || !absl::ConsumeSuffix(&m, "\n") ||
      !absl::SimpleAtoi(m, &version)) {
    return absl::DataLossError(absl::StrCat(dir, "/MANIFEST: not a foryou model manifest"));
  }
  FORYOU_ASSIGN_OR_RETURN(std::string dense, common::ReadFile(dir + "/model.dense"));
  uint64_t dense_version = 0;
  if (dense.size() < 8) return absl::DataLossError(absl::StrCat(dir, "/model.dense: truncated"));
  std::memcpy(&dense_version, dense.data(), 8);
  if (dense_version != version) {
    return absl::DataLossError(absl::StrCat(dir, "/model.dense: version ", dense_version,
                                            " but MANIFEST says ", version));
  }
  // Stage everything, then commit.
  RankingModel staged_dense(config_, nullptr);
  staged_dense.mlp_ = mlp_;
  FORYOU_RETURN_IF_ERROR(staged_dense.LoadDense(std::string_view(dense).substr(8)));
  FORYOU_ASSIGN_OR_RETURN(auto table, embedding::EmbeddingTable::Create(table_->config()));
  FORYOU_ASSIGN_OR_RETURN(uint64_t table_version, table->LoadSnapshot(dir + "/table.snap"));
  if (table_version != version) {
    return absl::DataLossError(absl::StrCat(dir, "/table.snap: version ", table_version,
                                            " but MANIFEST says ", version));
  }
  table_ = std::move(table);
  mlp_ = std::move(staged_dense.mlp_);
  fm_steps_ = staged_dense.fm_steps_;
  fm_w_ = staged_dense.fm_w_;
  fm_m_ = staged_dense.fm_m_;
  fm_v_ = staged_dense.fm_v_;
  return version;
}

}  // namespace foryou::model
