#include "trainer/metrics.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace foryou::trainer {
namespace {

// Definition: fraction of (positive, negative) pairs ordered right, ties counting 1/2.
double BruteForceAuc(const std::vector<float>& s, const std::vector<uint8_t>& y) {
  double good = 0, pairs = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    for (size_t j = 0; j < s.size(); ++j) {
      if (y[i] != 1 || y[j] != 0) continue;
      pairs += 1;
      good += s[i] > s[j] ? 1.0 : (s[i] == s[j] ? 0.5 : 0.0);
    }
  }
  return good / pairs;
}

TEST(AucTest, KnownCases) {
  EXPECT_DOUBLE_EQ(Auc(std::vector<float>{0.1f, 0.4f, 0.35f, 0.8f},
                       std::vector<uint8_t>{0, 0, 1, 1}),
                   0.75);  // the classic sklearn example
  EXPECT_DOUBLE_EQ(Auc(std::vector<float>{1, 2, 3}, std::vector<uint8_t>{0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(Auc(std::vector<float>{3, 2, 1}, std::vector<uint8_t>{0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(Auc(std::vector<float>{5, 5, 5, 5}, std::vector<uint8_t>{0, 1, 0, 1}), 0.5);
  EXPECT_TRUE(std::isnan(Auc(std::vector<float>{1, 2}, std::vector<uint8_t>{1, 1})));
}

TEST(AucTest, MatchesThePairDefinitionWithManyTies) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> s(300);
    std::vector<uint8_t> y(300);
    for (size_t i = 0; i < s.size(); ++i) {
      s[i] = static_cast<float>(rng() % 20);  // many ties
      y[i] = (rng() % 3 == 0) || (s[i] > 14 && rng() % 2);
    }
    EXPECT_NEAR(Auc(s, y), BruteForceAuc(s, y), 1e-12);
  }
}

TEST(GroupAucTest, WeightsGroupsByExamplesAndSkipsOneClassGroups) {
  // Group 1: perfect (4 examples); group 2: inverted (2 examples); group 3: positives only.
  std::vector<float> s = {0.1f, 0.2f, 0.8f, 0.9f, 0.9f, 0.1f, 0.5f};
  std::vector<uint8_t> y = {0, 0, 1, 1, 0, 1, 1};
  std::vector<uint64_t> g = {1, 1, 1, 1, 2, 2, 3};
  EXPECT_NEAR(GroupAuc(s, y, g), (1.0 * 4 + 0.0 * 2) / 6, 1e-12);
  EXPECT_TRUE(std::isnan(GroupAuc(std::vector<float>{1}, std::vector<uint8_t>{1},
                                  std::vector<uint64_t>{1})));
}

}  // namespace
}  // namespace foryou::trainer
