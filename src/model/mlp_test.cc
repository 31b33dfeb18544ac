#include "model/mlp.h"

#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace foryou::model {
namespace {

// Loss = sum(out * r): d loss / d out = r, so Backward(r) must match finite differences.
double Loss(Mlp& mlp, const std::vector<float>& x, int batch, const std::vector<float>& r) {
  std::vector<float> out(static_cast<size_t>(batch) * mlp.outputs());
  mlp.Forward(x.data(), batch, out.data());
  double loss = 0;
  for (size_t i = 0; i < out.size(); ++i) loss += static_cast<double>(out[i]) * r[i];
  return loss;
}

TEST(MlpTest, GradientsMatchFiniteDifferences) {
  Mlp mlp({5, 7, 4, 3}, 42);
  const int batch = 4;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<float> x(batch * 5), r(batch * 3), grad_in(batch * 5);
  for (float& v : x) v = normal(rng);
  for (float& v : r) v = normal(rng);
  for (int l = 0; l < mlp.layers(); ++l) {
    for (float& b : mlp.biases(l)) b = 0.1f * normal(rng);  // keep ReLUs away from 0
  }
  Loss(mlp, x, batch, r);
  mlp.Backward(r.data(), grad_in.data());
  const float eps = 1e-2f;
  auto check = [&](float* param, float analytic, const std::string& what) {
    const float saved = *param;
    *param = saved + eps;
    const double up = Loss(mlp, x, batch, r);
    *param = saved - eps;
    const double down = Loss(mlp, x, batch, r);
    *param = saved;
    const double numeric = (up - down) / (2 * eps);
    EXPECT_NEAR(analytic, numeric, 2e-3 + 2e-2 * std::fabs(numeric)) << what;
  };
  for (int l = 0; l < mlp.layers(); ++l) {
    for (size_t i = 0; i < mlp.weights(l).size(); ++i) {
      check(&mlp.weights(l)[i], mlp.weight_grads(l)[i], absl::StrCat("w", l, "[", i, "]"));
    }
    for (size_t i = 0; i < mlp.biases(l).size(); ++i) {
      check(&mlp.biases(l)[i], mlp.bias_grads(l)[i], absl::StrCat("b", l, "[", i, "]"));
    }
  }
  for (size_t i = 0; i < x.size(); ++i) check(&x[i], grad_in[i], absl::StrCat("x[", i, "]"));
}

TEST(MlpTest, AdamFitsASmoothFunction) {
  Mlp mlp({3, 16, 1}, 7);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  const int batch = 64;
  std::vector<float> x(batch * 3), out(batch), grad(batch);
  auto step = [&](bool train) {
    double loss = 0;
    for (float& v : x) v = u(rng);
    mlp.Forward(x.data(), batch, out.data());
    for (int i = 0; i < batch; ++i) {
      const float y = x[i * 3] - 2 * x[i * 3 + 1] + x[i * 3 + 2] * x[i * 3 + 2];
      grad[i] = 2 * (out[i] - y) / batch;
      loss += (out[i] - y) * (out[i] - y) / batch;
    }
    if (train) {
      mlp.Backward(grad.data(), nullptr);
      mlp.AdamStep({.learning_rate = 1e-2f});
    }
    return loss;
  };
  const double before = step(false);
  for (int i = 0; i < 2000; ++i) step(true);
  double after = 0;
  for (int i = 0; i < 10; ++i) after += step(false) / 10;
  EXPECT_LT(after, before / 20) << before << " -> " << after;
}

TEST(MlpTest, DeterministicAndSaveLoadRoundTrips) {
  Mlp a({4, 8, 2}, 5), b({4, 8, 2}, 5);
  std::vector<float> x = {1, 2, 3, 4, -1, 0, 1, 2}, ya(4), yb(4), g = {1, -1, 0.5, 2};
  a.Forward(x.data(), 2, ya.data());
  b.Forward(x.data(), 2, yb.data());
  EXPECT_EQ(ya, yb);
  a.Backward(g.data(), nullptr);
  a.AdamStep({});
  const std::string blob = a.Save();
  Mlp c({4, 8, 2}, 99);
  ASSERT_TRUE(c.Load(blob).ok());
  std::vector<float> yc(4);
  a.Forward(x.data(), 2, ya.data());
  c.Forward(x.data(), 2, yc.data());
  EXPECT_EQ(ya, yc);
  // Adam state came along: one more identical step keeps them equal.
  a.Backward(g.data(), nullptr);
  c.Backward(g.data(), nullptr);
  a.AdamStep({});
  c.AdamStep({});
  a.Forward(x.data(), 2, ya.data());
  c.Forward(x.data(), 2, yc.data());
  EXPECT_EQ(ya, yc);
  // Wrong shapes or truncation are refused and change nothing.
  Mlp d({4, 9, 2}, 1);
  EXPECT_FALSE(d.Load(blob).ok());
  std::vector<float> yd(4), yd2(4);
  c.Forward(x.data(), 2, yd.data());
  EXPECT_FALSE(c.Load(blob.substr(0, blob.size() - 3)).ok());
  c.Forward(x.data(), 2, yd2.data());
  EXPECT_EQ(yd, yd2);
}

TEST(MlpTest, ConstPathsMatchForwardAndPredictShared) {
  Mlp mlp({6, 5, 4, 3}, 7);
  const int batch = 3;
  std::mt19937 rng(2);
  std::normal_distribution<float> normal;
  for (int l = 0; l < mlp.layers(); ++l) {
    for (float& b : mlp.biases(l)) b = 0.1f * normal(rng);
  }
  std::vector<float> x(batch * 6);
  for (float& v : x) v = normal(rng);
  std::vector<float> forward(batch * 3), infer(batch * 3);
  mlp.Forward(x.data(), batch, forward.data());
  const Mlp& shared = mlp;
  Mlp::Scratch scratch;
  shared.Infer(x.data(), batch, infer.data(), &scratch);
  for (size_t i = 0; i < forward.size(); ++i) EXPECT_FLOAT_EQ(infer[i], forward[i]) << i;

  // Columns 0, 2 and 3 shared by every row; 1, 4 and 5 vary.
  const std::vector<int> varying = {1, 4, 5};
  for (int b = 1; b < batch; ++b) {
    for (int c : {0, 2, 3}) x[b * 6 + c] = x[c];
  }
  std::vector<float> in_varying;
  for (int b = 0; b < batch; ++b) {
    for (int c : varying) in_varying.push_back(x[b * 6 + c]);
  }
  std::vector<float> full(batch * 3), own(batch * 3), with_scratch(batch * 3);
  mlp.Forward(x.data(), batch, full.data());
  mlp.PredictShared(x.data(), varying, in_varying.data(), batch, own.data());
  shared.PredictShared(x.data(), varying, in_varying.data(), batch, with_scratch.data(), &scratch);
  for (size_t i = 0; i < full.size(); ++i) {
    EXPECT_NEAR(own[i], full[i], 1e-5) << i;
    EXPECT_EQ(with_scratch[i], own[i]) << i;
  }
}

TEST(MlpTest, ReleaseFreesTheWeightsAndRefusesALoad) {
  Mlp mlp({4, 3, 2}, 1);
  const std::string blob = mlp.Save();
  mlp.Release();
  EXPECT_EQ(mlp.layers(), 2);
  EXPECT_EQ(mlp.inputs(), 4);
  EXPECT_EQ(mlp.Load(blob).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace foryou::model
