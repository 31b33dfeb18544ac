// RankingModel's math: the forward pass is the documented DeepFM, its gradients match finite
// differences (sparse rows, dense weights, FM weights), training learns and is deterministic, and
// batches of the wrong shape are refused without side effects.
#include "model/ranking_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "embedding/delta.h"
#include "embedding/feature_id.h"
#include "gtest/gtest.h"
#include "model/fm.h"
#include "model/ranking_model_test_util.h"

namespace foryou::model {
namespace {

using embedding::FeatureId;
using embedding::HashFeature;

// Upserts rows for `keys` (row_floats each, embedding first) into the model's table.
void SetRows(RankingModel& model, const std::vector<FeatureId>& keys,
             const std::vector<float>& values, embedding::OptimizerKind optimizer) {
  std::map<uint32_t, embedding::SlotDelta> by_slot;
  const uint32_t floats = kRow * (1 + embedding::StateFloatsPerDim(optimizer));
  for (size_t i = 0; i < keys.size(); ++i) {
    embedding::SlotDelta& sd = by_slot[embedding::SlotOf(keys[i])];
    sd.slot = embedding::SlotOf(keys[i]);
    sd.dim = kRow;
    sd.optimizer = optimizer;
    sd.keys.push_back(keys[i]);
    sd.last_seen_s.push_back(static_cast<uint32_t>(kT0 / 1000));
    sd.counts.push_back(1);
    sd.values.insert(sd.values.end(), values.begin() + i * floats,
                     values.begin() + (i + 1) * floats);
  }
  embedding::TableDelta delta;
  for (auto& [slot, sd] : by_slot) delta.slots.push_back(std::move(sd));
  ASSERT_TRUE(model.table().ApplyDelta(delta).ok());
}

// Random rows (and zero optimizer state) for every key of `fb`.
std::vector<float> RandomizeRows(RankingModel& model, const FeatureBatch& fb, uint64_t seed,
                                 embedding::OptimizerKind optimizer) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  const std::vector<FeatureId> keys = Distinct(fb.keys);
  const uint32_t state = kRow * embedding::StateFloatsPerDim(optimizer);
  std::vector<float> values;
  for (size_t i = 0; i < keys.size(); ++i) {
    for (int c = 0; c < kRow; ++c) values.push_back(u(rng));
    values.insert(values.end(), state, 0.0f);
  }
  SetRows(model, keys, values, optimizer);
  return values;
}

double Loss(RankingModel& model, const Example& ex) {
  std::vector<FeatureId> keys;
  std::vector<float> grads;
  absl::StatusOr<double> loss = model.Gradients(ex.features, ex.labels, &keys, &grads);
  EXPECT_TRUE(loss.ok()) << loss.status();
  return loss.value_or(0);
}

// Central difference of the loss in one float the caller can set.
template <typename Set>
double Numeric(RankingModel& model, const Example& ex, float base, float eps, Set set) {
  set(base + eps);
  const double up = Loss(model, ex);
  set(base - eps);
  const double down = Loss(model, ex);
  set(base);
  return (up - down) / (2.0 * eps);
}

constexpr float kEps = 1e-2f;
double Tolerance(double numeric) { return 1e-4 + 2e-2 * std::fabs(numeric); }

// Compares an analytic derivative with central differences. The loss is only piecewise smooth
// (ReLU): when a hidden unit's kink lies within eps of the point, the difference at kEps is off,
// so a mismatch is retried once at kEps / 10 (float noise there is ~1e-5) and counted in
// *kinks; the caller bounds how many there may be. A wrong gradient is wrong at both.
template <typename Set>
void ExpectGradient(RankingModel& model, const Example& ex, float saved, double analytic,
                    const std::string& what, int* kinks, Set set) {
  const double numeric = Numeric(model, ex, saved, kEps, set);
  if (std::fabs(analytic - numeric) <= Tolerance(numeric)) return;
  const double fine = Numeric(model, ex, saved, kEps / 10, set);
  EXPECT_NEAR(analytic, fine, 2e-4 + 2e-2 * std::fabs(fine))
      << what << " (at eps " << kEps << ": " << numeric << ")";
  ++*kinks;
}

TEST(RankingModelTest, PredictIsTheDocumentedDeepFm) {
  const ModelConfig config = Config();
  auto model = Model(config, /*serving=*/true);
  Example ex = MakeBatch(1, 6);
  RandomizeRows(*model, ex.features, 2, embedding::OptimizerKind::kNone);
  for (uint32_t slot : kSlots) ASSERT_EQ(model->table().DimOf(slot), static_cast<uint32_t>(kRow));
  Mlp& mlp = model->mlp();
  ASSERT_EQ(mlp.layers(), 2);
  ASSERT_EQ(mlp.inputs(), kFields * kDim + kDense);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  for (int l = 0; l < 2; ++l) {
    for (float& b : mlp.biases(l)) b = normal(rng);
  }
  for (int t = 0; t < kNumTasks; ++t) model->fm_weights()[t] = 0.5f + 0.1f * t;
  const std::vector<float> probs = Predict(*model, ex.features);

  const FeatureBatch& fb = ex.features;
  const int in = kFields * kDim + kDense, hidden = 8;
  for (int b = 0; b < fb.size; ++b) {
    std::vector<float> x(in, 0.0f), emb(kFields * kDim, 0.0f);
    std::vector<double> lin(kNumTasks, 0.0);  // per task: mean over the field's keys, summed
    for (int f = 0; f < kFields; ++f) {
      const auto keys = fb.Field(b, f);
      for (FeatureId k : keys) {
        std::vector<float> row(kRow);
        ASSERT_TRUE(model->table().Lookup({k}, absl::MakeSpan(row)).ok());
        for (int d = 0; d < kDim; ++d) emb[f * kDim + d] += row[d] / keys.size();
        for (int t = 0; t < kNumTasks; ++t) lin[t] += row[kDim + t] / keys.size();
      }
    }
    std::copy(emb.begin(), emb.end(), x.begin());
    for (int d = 0; d < kDense; ++d) x[kFields * kDim + d] = fb.dense[b * kDense + d];
    float fm = 0;
    FmForward(emb.data(), 1, kFields, kDim, &fm);
    double pairs = 0;  // FM by its definition: sum over field pairs of dot products
    for (int f = 0; f < kFields; ++f) {
      for (int g = f + 1; g < kFields; ++g) {
        for (int d = 0; d < kDim; ++d) pairs += emb[f * kDim + d] * emb[g * kDim + d];
      }
    }
    ASSERT_NEAR(fm, pairs, 1e-5);
    std::vector<double> h(hidden);
    for (int j = 0; j < hidden; ++j) {
      double z = mlp.biases(0)[j];
      for (int i = 0; i < in; ++i) z += x[i] * mlp.weights(0)[i * hidden + j];
      h[j] = std::max(z, 0.0);
    }
    for (int t = 0; t < kNumTasks; ++t) {
      double z = mlp.biases(1)[t];
      for (int j = 0; j < hidden; ++j) z += h[j] * mlp.weights(1)[j * kNumTasks + t];
      z += model->fm_weights()[t] * pairs + lin[t];
      EXPECT_NEAR(probs[b * kNumTasks + t], 1.0 / (1.0 + std::exp(-z)), 1e-5)
          << "example " << b << " task " << t;
    }
  }
}

// A batch like a feed request's: some fields and dense columns are the same in every row (the
// user, the context), computed once by Predict. Each row must score as it does alone.
TEST(RankingModelTest, PredictOfRowsSharingFieldsEqualsEachRowAlone) {
  const ModelConfig config = Config();
  auto model = Model(config, /*serving=*/true);
  const Example ex = MakeBatch(11, 9);
  RandomizeRows(*model, ex.features, 4, embedding::OptimizerKind::kNone);
  std::mt19937 rng(6);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  for (int l = 0; l < model->mlp().layers(); ++l) {
    for (float& b : model->mlp().biases(l)) b = normal(rng);
  }
  for (int t = 0; t < kNumTasks; ++t) model->fm_weights()[t] = 0.3f + 0.1f * t;
  const FeatureBatch& src = ex.features;
  // shared_fields: which fields every row takes from row 0; the first shared_dense dense floats too.
  auto share = [&](std::vector<int> shared_fields, int shared_dense) {
    FeatureBatch fb;
    fb.size = src.size;
    fb.fields = src.fields;
    fb.dense_width = src.dense_width;
    fb.max_time_ms = src.max_time_ms;
    for (int b = 0; b < src.size; ++b) {
      for (int f = 0; f < src.fields; ++f) {
        const bool shared = std::find(shared_fields.begin(), shared_fields.end(), f) !=
                            shared_fields.end();
        const auto keys = src.Field(shared ? 0 : b, f);
        fb.field_begin.push_back(static_cast<uint32_t>(fb.keys.size()));
        fb.keys.insert(fb.keys.end(), keys.begin(), keys.end());
      }
      for (int c = 0; c < src.dense_width; ++c) {
        fb.dense.push_back(src.dense[(c < shared_dense ? 0 : b) * src.dense_width + c]);
      }
    }
    fb.field_begin.push_back(static_cast<uint32_t>(fb.keys.size()));
    return fb;
  };
  for (const auto& [fields, dense] : std::vector<std::pair<std::vector<int>, int>>{
           {{}, 0}, {{2, 3, 4}, 5}, {{0, 2, 4}, kDense}, {{0, 1, 2, 3, 4}, kDense}}) {
    const FeatureBatch fb = share(fields, dense);
    const std::vector<float> together = Predict(*model, fb);
    for (int b = 0; b < fb.size; ++b) {
      FeatureBatch one;
      one.fields = fb.fields;
      one.dense_width = fb.dense_width;
      one.max_time_ms = fb.max_time_ms;
      one.size = 1;
      for (int f = 0; f < fb.fields; ++f) {
        const auto keys = fb.Field(b, f);
        one.field_begin.push_back(static_cast<uint32_t>(one.keys.size()));
        one.keys.insert(one.keys.end(), keys.begin(), keys.end());
      }
      one.field_begin.push_back(static_cast<uint32_t>(one.keys.size()));
      one.dense.assign(fb.dense.begin() + b * fb.dense_width,
                       fb.dense.begin() + (b + 1) * fb.dense_width);
      const std::vector<float> alone = Predict(*model, one);
      for (int t = 0; t < kNumTasks; ++t) {
        EXPECT_NEAR(together[b * kNumTasks + t], alone[t], 1e-5)
            << "shared fields " << fields.size() << ", row " << b << ", task " << t;
      }
    }
  }
}

TEST(RankingModelTest, GradientsMatchFiniteDifferences) {
  const ModelConfig config = Config();
  // A serving model has no optimizer state: rows are exactly the
  // embedding and the per-task weights (kRow floats), easy to set.
  auto model = Model(config, /*serving=*/true);
  const Example ex = MakeBatch(7, 8);
  RandomizeRows(*model, ex.features, 11, embedding::OptimizerKind::kNone);
  Mlp& mlp = model->mlp();
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 0.1f);
  for (float& b : mlp.biases(0)) b = normal(rng);  // keep hidden units away from the kink

  std::vector<FeatureId> keys;
  std::vector<float> grads;
  absl::StatusOr<double> loss = model->Gradients(ex.features, ex.labels, &keys, &grads);
  ASSERT_TRUE(loss.ok()) << loss.status();
  EXPECT_GT(*loss, 0.0);
  EXPECT_EQ(keys, Distinct(ex.features.keys));
  ASSERT_EQ(grads.size(), keys.size() * kRow);
  // The analytic dense gradients of this single call (the accumulators are fresh).
  std::vector<std::vector<float>> w_grads, b_grads;
  for (int l = 0; l < mlp.layers(); ++l) {
    w_grads.emplace_back(mlp.weight_grads(l).begin(), mlp.weight_grads(l).end());
    b_grads.emplace_back(mlp.bias_grads(l).begin(), mlp.bias_grads(l).end());
  }
  // Gradients changes no parameter: the loss is reproducible.
  EXPECT_EQ(Loss(*model, ex), *loss);

  // Every component of every row.
  int nonzero = 0, checked = 0, kinks = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    std::vector<float> row(kRow);
    ASSERT_TRUE(model->table().Lookup({keys[i]}, absl::MakeSpan(row)).ok());
    for (int c = 0; c < kRow; ++c) {
      const float analytic = grads[i * kRow + c];
      ExpectGradient(
          *model, ex, row[c], analytic,
          absl::StrCat("key ", i, " (slot ", embedding::SlotOf(keys[i]), ") component ", c), &kinks,
          [&](float v) {
            std::vector<float> changed = row;
            changed[c] = v;
            SetRows(*model, {keys[i]}, changed, embedding::OptimizerKind::kNone);
          });
      nonzero += std::fabs(analytic) > 1e-3f;
      ++checked;
    }
  }
  EXPECT_GT(nonzero, checked / 2);     // the check is not vacuous
  EXPECT_EQ(Loss(*model, ex), *loss);  // rows restored exactly

  // Dense weights and biases.
  for (int l = 0; l < mlp.layers(); ++l) {
    for (size_t i = 0; i < mlp.weights(l).size(); ++i) {
      float* p = &mlp.weights(l)[i];
      ExpectGradient(*model, ex, *p, w_grads[l][i], absl::StrCat("w", l, "[", i, "]"), &kinks,
                     [&](float v) { *p = v; });
      ++checked;
    }
    for (size_t i = 0; i < mlp.biases(l).size(); ++i) {
      float* p = &mlp.biases(l)[i];
      ExpectGradient(*model, ex, *p, b_grads[l][i], absl::StrCat("b", l, "[", i, "]"), &kinks,
                     [&](float v) { *p = v; });
      ++checked;
    }
  }
  EXPECT_LE(kinks, checked / 20) << "of " << checked;
  EXPECT_EQ(Loss(*model, ex), *loss);
}

TEST(RankingModelTest, FmWeightGradientsAndStep) {
  const ModelConfig config = Config();
  auto serving = Model(config, /*serving=*/true);
  const Example ex = MakeBatch(21, 8);
  const std::vector<float> rows =
      RandomizeRows(*serving, ex.features, 22, embedding::OptimizerKind::kNone);
  const FeatureBatch& fb = ex.features;

  // d loss / d a_t = sum_b w_t (p_bt - y_bt) / B * fm_b, with fm_b from the pooled rows.
  const std::vector<float> probs = Predict(*serving, fb);
  std::vector<double> fm(fb.size);
  for (int b = 0; b < fb.size; ++b) {
    std::vector<float> emb(kFields * kDim, 0.0f);
    for (int f = 0; f < kFields; ++f) {
      const auto keys = fb.Field(b, f);
      for (FeatureId k : keys) {
        std::vector<float> row(kRow);
        ASSERT_TRUE(serving->table().Lookup({k}, absl::MakeSpan(row)).ok());
        for (int d = 0; d < kDim; ++d) emb[f * kDim + d] += row[d] / keys.size();
      }
    }
    float v = 0;
    FmForward(emb.data(), 1, kFields, kDim, &v);
    fm[b] = v;
  }
  std::vector<double> analytic(kNumTasks, 0.0);
  for (int t = 0; t < kNumTasks; ++t) {
    for (int b = 0; b < fb.size; ++b) {
      analytic[t] +=
          config.task_weights[t] * (probs[b * kNumTasks + t] - ex.labels[b][t]) / fb.size * fm[b];
    }
    float* a = &serving->fm_weights()[t];
    const double numeric = Numeric(*serving, ex, *a, kEps, [&](float v) { *a = v; });
    EXPECT_NEAR(analytic[t], numeric, Tolerance(numeric)) << kTaskNames[t];  // smooth in a_t
    EXPECT_GT(std::fabs(numeric), 1e-4) << kTaskNames[t];                    // not vacuous
  }

  // A trainer with the same rows and weights: its first Adam step moves each a_t against the
  // sign of its gradient, by about the learning rate.
  auto trainer = Model(config);
  std::vector<float> with_state;
  for (size_t i = 0; i < rows.size() / kRow; ++i) {
    with_state.insert(with_state.end(), rows.begin() + i * kRow, rows.begin() + (i + 1) * kRow);
    with_state.insert(with_state.end(), kRow, 0.0f);  // Adagrad accumulators
  }
  SetRows(*trainer, Distinct(fb.keys), with_state, embedding::OptimizerKind::kAdagrad);
  std::vector<float> before(trainer->fm_weights().begin(), trainer->fm_weights().end());
  std::vector<float> train_probs(fb.size * kNumTasks);
  ASSERT_TRUE(trainer->Train(fb, ex.labels, train_probs.data()).ok());
  EXPECT_EQ(train_probs, probs);  // same rows and weights: same scores before learning
  for (int t = 0; t < kNumTasks; ++t) {
    const double step = trainer->fm_weights()[t] - before[t];
    EXPECT_NEAR(step, analytic[t] > 0 ? -config.dense_learning_rate : config.dense_learning_rate,
                1e-3 * config.dense_learning_rate + 1e-6)
        << kTaskNames[t];
  }
}

TEST(RankingModelTest, TrainingReducesTheLoss) {
  auto model = Model(Config());
  const Example ex = MakeBatch(3, 16);
  std::vector<float> probs(16 * kNumTasks);
  absl::StatusOr<double> first = model->Train(ex.features, ex.labels, probs.data());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_GT(*first, 0.0);
  // The scores returned are the predictions before learning: Predict of an untrained model
  // with the same seed.
  auto fresh = Model(Config());
  EXPECT_EQ(probs, Predict(*fresh, ex.features));
  double last = *first;
  for (int i = 0; i < 300; ++i) {
    absl::StatusOr<double> loss = model->Train(ex.features, ex.labels, nullptr);
    ASSERT_TRUE(loss.ok()) << loss.status();
    last = *loss;
  }
  EXPECT_LT(last, 0.5 * *first) << "first " << *first << " last " << last;
  // The table learned rows for every key of the batch.
  EXPECT_EQ(model->table().Stats().rows, Distinct(ex.features.keys).size());
}

TEST(RankingModelTest, TrainingIsDeterministic) {
  auto a = Model(Config()), b = Model(Config());
  for (int step = 0; step < 20; ++step) {
    const Example ex = MakeBatch(100 + step, 12, kT0 + step * 1000);
    std::vector<float> pa(12 * kNumTasks), pb(12 * kNumTasks);
    absl::StatusOr<double> la = a->Train(ex.features, ex.labels, pa.data());
    absl::StatusOr<double> lb = b->Train(ex.features, ex.labels, pb.data());
    ASSERT_TRUE(la.ok() && lb.ok());
    EXPECT_EQ(*la, *lb) << step;
    ASSERT_EQ(0, std::memcmp(pa.data(), pb.data(), pa.size() * sizeof(float))) << step;
  }
  const Example test = MakeBatch(999, 10);
  const std::vector<float> pa = Predict(*a, test.features), pb = Predict(*b, test.features);
  EXPECT_EQ(0, std::memcmp(pa.data(), pb.data(), pa.size() * sizeof(float)));
  // And the training did something: an untrained model scores differently.
  auto fresh = Model(Config());
  EXPECT_NE(Predict(*fresh, test.features), pa);
}

TEST(RankingModelTest, ModelWithoutDenseFeatures) {
  const ModelConfig config = Config(R"json({"dim": 4, "hidden": [8], "dense_learning_rate": 0.01,
      "features": ["video_id", "user_id"]})json");
  auto model = Model(config);
  ASSERT_EQ(model->fields(), 2);
  ASSERT_EQ(model->dense_width(), 0);
  FeatureBatch fb;
  fb.size = 4;
  fb.fields = 2;
  fb.dense_width = 0;  // fb.dense stays empty
  std::vector<Labels> labels(4);
  for (int b = 0; b < 4; ++b) {
    fb.field_begin.push_back(static_cast<uint32_t>(fb.keys.size()));
    fb.keys.push_back(HashFeature(1, uint64_t{100} + b));
    fb.field_begin.push_back(static_cast<uint32_t>(fb.keys.size()));
    fb.keys.push_back(HashFeature(10, uint64_t{7}));
    labels[b][kClick] = b % 2;
  }
  fb.field_begin.push_back(static_cast<uint32_t>(fb.keys.size()));
  absl::StatusOr<double> first = model->Train(fb, labels, nullptr);
  ASSERT_TRUE(first.ok()) << first.status();
  double last = *first;
  for (int i = 0; i < 100; ++i) last = model->Train(fb, labels, nullptr).value_or(1e9);
  EXPECT_LT(last, *first);
  const std::vector<float> probs = Predict(*model, fb);
  EXPECT_GT(probs[1 * kNumTasks + kClick], probs[0 * kNumTasks + kClick]);  // learned the ids
}

TEST(RankingModelTest, BatchesOfTheWrongShapeAreInvalidArgument) {
  auto model = Model(Config());
  const Example ex = MakeBatch(1, 4);
  std::vector<float> probs(4 * kNumTasks, -1.0f);
  ASSERT_TRUE(model->Predict(ex.features, probs.data()).ok());

  auto expect_invalid = [&](const FeatureBatch& fb, const std::string& what) {
    SCOPED_TRACE(what);
    std::vector<float> out(std::max(fb.size, 4) * kNumTasks, -1.0f);
    const absl::Status s = model->Predict(fb, out.data());
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_EQ(out, std::vector<float>(out.size(), -1.0f));  // nothing written
    std::vector<Labels> labels(std::max(fb.size, 0));
    EXPECT_EQ(model->Train(fb, labels, nullptr).status().code(),
              absl::StatusCode::kInvalidArgument);
  };
  FeatureBatch fb = ex.features;
  fb.fields = kFields + 1;
  expect_invalid(fb, "one field too many");
  fb = ex.features;
  fb.dense_width = kDense - 1;
  expect_invalid(fb, "narrower dense");
  fb = ex.features;
  fb.dense.pop_back();
  expect_invalid(fb, "dense shorter than size x width");
  fb = ex.features;
  fb.field_begin.pop_back();
  expect_invalid(fb, "field_begin short");
  fb = ex.features;
  fb.keys.push_back(fb.keys.front());
  expect_invalid(fb, "keys beyond the last field");
  fb = ex.features;
  fb.size = 0;
  expect_invalid(fb, "empty");

  // Labels must match the batch.
  std::vector<Labels> three(3);
  EXPECT_EQ(model->Train(ex.features, three, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<FeatureId> keys;
  std::vector<float> grads;
  EXPECT_EQ(model->Gradients(ex.features, three, &keys, &grads).status().code(),
            absl::StatusCode::kInvalidArgument);
  // The model is still usable and untrained by the refused calls.
  std::vector<float> again(4 * kNumTasks);
  ASSERT_TRUE(model->Predict(ex.features, again.data()).ok());
  EXPECT_EQ(again, probs);
  EXPECT_EQ(model->table().Stats().rows, 0u);
}

}  // namespace
}  // namespace foryou::model
