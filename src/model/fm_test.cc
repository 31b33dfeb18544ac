#include "model/fm.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace foryou::model {
namespace {

// Definition: sum over field pairs f < g of <e_f, e_g>.
TEST(FmTest, ForwardEqualsThePairwiseSum) {
  const int batch = 3, fields = 5, dim = 4;
  std::mt19937 rng(2);
  std::normal_distribution<float> n;
  std::vector<float> e(batch * fields * dim), out(batch);
  for (float& v : e) v = n(rng);
  FmForward(e.data(), batch, fields, dim, out.data());
  for (int b = 0; b < batch; ++b) {
    double pairs = 0;
    for (int f = 0; f < fields; ++f) {
      for (int g = f + 1; g < fields; ++g) {
        for (int d = 0; d < dim; ++d) {
          pairs += e[(b * fields + f) * dim + d] * e[(b * fields + g) * dim + d];
        }
      }
    }
    EXPECT_NEAR(out[b], pairs, 1e-4);
  }
}

TEST(FmTest, GradientMatchesFiniteDifferences) {
  const int batch = 2, fields = 4, dim = 3;
  std::mt19937 rng(5);
  std::normal_distribution<float> n;
  std::vector<float> e(batch * fields * dim), out(batch), grad(e.size(), 0.0f);
  std::vector<float> w = {0.7f, -1.3f};  // loss = sum_b w_b * fm_b
  for (float& v : e) v = n(rng);
  FmBackward(e.data(), w.data(), batch, fields, dim, grad.data());
  auto loss = [&] {
    FmForward(e.data(), batch, fields, dim, out.data());
    return w[0] * out[0] + w[1] * out[1];
  };
  for (size_t i = 0; i < e.size(); ++i) {
    const float saved = e[i], eps = 1e-2f;
    e[i] = saved + eps;
    const double up = loss();
    e[i] = saved - eps;
    const double down = loss();
    e[i] = saved;
    EXPECT_NEAR(grad[i], (up - down) / (2 * eps), 1e-3) << i;
  }
}

}  // namespace
}  // namespace foryou::model
