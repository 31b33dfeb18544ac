// RankingModel: foryou's multi-task ranker, DeepFM-class with a shared bottom.
//
//   fields  : F embedding fields (sparse features, mean-pooled sequences), dim D each, read from
//             the collisionless EmbeddingTable; each row also holds one first-order weight per
//             task (row = D + kNumTasks floats), so an id can be, say, often shared but rarely
//             finished without the two tasks fighting over one bias.
//   logit_t = mlp_t([e_1..e_F, dense]) + a_t * FM(e_1..e_F) + sum_f w_{f,t} + (bias in mlp_t)
//   mlp     : shared hidden layers (ReLU), one linear head per task (click, long_view, like,
//             follow, comment, share, not_interested, watch ratio).
//   loss    : sum_t task_weight_t * mean binary cross-entropy (the watch ratio as a soft label).
// Dense weights (mlp, a_t) train with Adam; sparse rows with their slot's optimizer inside the
// table (Adagrad / FTRL), one ApplyGradients per batch with duplicate keys summed.
//
// Not thread-safe: one thread trains (or serves) an instance. A serving copy is a separate
// instance created with serving = true (no optimizer state) and fed by SyncTo.
//
// Example:
//   auto model = RankingModel::Create(config).value();
//   model->Train(features, labels, probs.data()).value();  // scores first, then learns
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "embedding/embedding_table.h"
#include "model/features.h"
#include "model/mlp.h"
#include "model/model_config.h"

namespace foryou::model {

using Labels = std::array<float, kNumTasks>;

class RankingModel {
 public:
  // serving = true: every slot without optimizer state (a replica that only receives deltas).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RankingModel>> Create(
      const ModelConfig& config, bool serving = false);

  int fields() const { return fields_; }
  int dense_width() const { return dense_width_; }
  const ModelConfig& config() const { return config_; }

  // probs: batch.size x kNumTasks probabilities (row-major). Errors: InvalidArgument if the
  // batch's shape is not this model's.
  [[nodiscard]] absl::Status Predict(const FeatureBatch& batch, float* probs);

  // Scores the batch (into probs if not null: the predictions before learning from it), then
  // one training step. Returns the batch's loss. Sparse rows are stamped with the batch's
  // max_time_ms (the table's expiry clock).
  [[nodiscard]] absl::StatusOr<double> Train(const FeatureBatch& batch,
                                             absl::Span<const Labels> labels, float* probs);

  // The loss and its gradient with respect to each distinct key's row (dim + kNumTasks floats,
  // in `keys` order) and to the dense weights (left in mlp()'s accumulators), changing nothing
  // else. For gradient checks.
  [[nodiscard]] absl::StatusOr<double> Gradients(const FeatureBatch& batch,
                                                 absl::Span<const Labels> labels,
                                                 std::vector<embedding::FeatureId>* keys,
                                                 std::vector<float>* key_grads);

  // Copies to a serving replica the sparse rows changed since the last sync (a table delta) and,
  // if `dense`, the dense weights. The replica's readers never see half a row.
  [[nodiscard]] absl::Status SyncTo(RankingModel* serving, bool dense);

  // Dense weights as a blob / back (same config required; LoadDense changes nothing on error).
  // A buffer view's blob has no MLP weights and loads nowhere.
  std::string SaveDense() const;
  [[nodiscard]] absl::Status LoadDense(std::string_view blob);

  // Writes `dir`/{model.dense, table.snap, MANIFEST} (docs/formats/model.md), each atomically,
  // MANIFEST last, all three stamped with `version`.
  [[nodiscard]] absl::Status Save(const std::string& dir, uint64_t version);
  // Loads a model written by Save with the same config. Everything is verified (checksums,
  // shapes, equal versions) before anything changes; returns the version.
  [[nodiscard]] absl::StatusOr<uint64_t> Load(const std::string& dir);

  embedding::EmbeddingTable& table() { return *table_; }
  std::shared_ptr<embedding::EmbeddingTable> shared_table() { return table_; }

  // A model over another model's table (shared, not copied): its own dense weights and buffers,
  // so each serving thread can predict while the table keeps receiving deltas.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RankingModel>> CreateView(
      const ModelConfig& config, std::shared_ptr<embedding::EmbeddingTable> table);
  // A view holding the dense weights of `dense_blob` (SaveDense's), as CreateView + LoadDense but
  // without drawing initial weights that the load overwrites at once (serving publishes one per
  // dense sync).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RankingModel>> CreateLoadedView(
      const ModelConfig& config, std::shared_ptr<embedding::EmbeddingTable> table,
      std::string_view dense_blob);
  // The same without dense weights of its own (they are freed): it only predicts, through
  // PredictWith. Every other use returns FailedPrecondition.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RankingModel>> CreateBufferView(
      const ModelConfig& config, std::shared_ptr<embedding::EmbeddingTable> table);
  // Predict with `weights`'s dense part (its MLP and FM weights, only read, so any number of
  // threads may share one model) over this model's table, in this model's buffers. `weights`
  // must have this model's config (InvalidArgument otherwise).
  [[nodiscard]] absl::Status PredictWith(const RankingModel& weights, const FeatureBatch& batch,
                                         float* probs);
  bool has_dense() const { return has_dense_; }  // false for a buffer view
  Mlp& mlp() { return mlp_; }
  absl::Span<float> fm_weights() { return absl::MakeSpan(fm_w_); }

 private:
  // draw_weights: He-normal initial MLP weights (the config's seed); false: zeros, for a model
  // whose dense weights are loaded or freed next.
  RankingModel(const ModelConfig& config, std::shared_ptr<embedding::EmbeddingTable> table,
               bool draw_weights = true);
  // CreateView's checks of `table` against `config`.
  static absl::Status CheckViewTable(const ModelConfig& config,
                                     const embedding::EmbeddingTable* table);
  absl::Status CheckShape(const FeatureBatch& batch) const;
  // Lookup + forward: fills logits_ (B x T). Keeps what Backward needs.
  absl::Status Forward(const FeatureBatch& batch);
  // Records batch.keys[i] in index_ / unique_ (once per distinct key) and occurrence_[i].
  void Intern(const FeatureBatch& batch, size_t i);
  // Adds cell `cell`'s mean embedding to e (dim_ floats) and its first-order weights to lin
  // (kNumTasks floats), from rows_ (after the lookup of the interned keys).
  void PoolCell(const FeatureBatch& batch, size_t cell, float* e, float* lin) const;
  // Predict's forward (logits_ only, nothing for Backward): fields and dense columns equal in
  // every row of the batch (a feed request's user and context) are pooled, multiplied by the
  // first layer and summed for the FM term once, not per row. Equal to Forward's logits up to
  // float rounding.
  absl::Status ForwardShared(const FeatureBatch& batch);
  // From dlogits_ (B x T): dense gradients (accumulated) and per-distinct-key grads_.
  void Backward(const FeatureBatch& batch);
  double LossAndDlogits(int batch, absl::Span<const Labels> labels);

  ModelConfig config_;
  int dim_, row_, fields_, dense_width_;
  std::shared_ptr<embedding::EmbeddingTable> table_;
  Mlp mlp_;
  std::array<float, kNumTasks> fm_w_{}, fm_grad_{}, fm_m_{}, fm_v_{};
  uint64_t fm_steps_ = 0;
  bool has_dense_ = true;  // false for a buffer view
  // Whose MLP and FM weights Forward / ForwardShared read: this, or PredictWith's model.
  const RankingModel* weights_ = this;
  Mlp::Scratch scratch_;  // their buffers when weights_ is another model

  // Per-batch buffers.
  absl::flat_hash_map<embedding::FeatureId, uint32_t> index_;
  std::vector<embedding::FeatureId> unique_;
  std::vector<uint32_t> occurrence_;  // batch.keys[i] -> index in unique_
  std::vector<float> rows_, grads_;   // unique x row_
  std::vector<float> emb_, x_, dx_, demb_, fm_, lin_ /* B x T */, logits_, dlogits_;
  // ForwardShared's: which fields / dense columns vary, the varying input columns, one full row.
  std::vector<char> field_varies_, dense_varies_;
  std::vector<int> varying_;
  std::vector<float> shared_row_, x_varying_;
};

}  // namespace foryou::model
