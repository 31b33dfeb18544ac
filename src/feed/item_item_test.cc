// ItemItemModel: the closed-form EASE conditions, explaining away popular videos, coverage and
// top-k, repeats, bad input.
#include "feed/item_item.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <map>
#include <random>
#include <vector>

namespace foryou::feed {
namespace {

// The dense weights (0 where a row did not keep one).
Eigen::MatrixXd Dense(const ItemItemModel& m) {
  Eigen::MatrixXd b = Eigen::MatrixXd::Zero(m.num_items(), m.num_items());
  for (uint32_t c = 0; c < m.num_items(); ++c) {
    for (const auto& [j, w] : m.Row(c)) b(c, j) = w;
  }
  return b;
}

TEST(ItemItemTest, SatisfiesTheClosedFormConditions) {
  // Random users over 12 videos. EASE's solution has a zero diagonal and, off the diagonal,
  // (X'X + lambda I) B = X'X: check both against the Gram matrix built here.
  std::mt19937 rng(3);
  const uint32_t n = 12;
  std::vector<std::vector<uint32_t>> users(60);
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(n, n);
  for (auto& u : users) {
    std::vector<bool> has(n, false);
    for (int k = 0; k < 4; ++k) has[rng() % n] = true;
    for (uint32_t i = 0; i < n; ++i) {
      if (has[i]) u.push_back(i);
    }
    for (uint32_t a : u) {
      for (uint32_t b : u) gram(a, b) += 1;
    }
  }
  ItemItemOptions o;
  o.lambda = 5;
  o.top_k = 100;  // keep everything
  o.min_users = 1;
  auto model = ItemItemModel::Fit(users, n, o);
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_EQ((*model)->covered(), n);
  const Eigen::MatrixXd b = Dense(**model);
  const Eigen::MatrixXd lhs = (gram + o.lambda * Eigen::MatrixXd::Identity(n, n)) * b;
  for (uint32_t i = 0; i < n; ++i) {
    EXPECT_EQ(b(i, i), 0.0);
    for (uint32_t j = 0; j < n; ++j) {
      if (i != j) {
        EXPECT_NEAR(lhs(i, j), gram(i, j), 1e-3 * (1 + gram(i, j))) << i << "," << j;
      }
    }
  }
}

TEST(ItemItemTest, ExplainsAwayAVideoEveryoneWatches) {
  // Video 9 is in every set. 0 and 1 go together, 2 and 3, 4 and 5. Co-visitation counts 0 with
  // 1 and with 9 equally (5 users each); the item-item weights favour the specific partner.
  std::vector<std::vector<uint32_t>> users;
  for (int k = 0; k < 5; ++k) {
    users.push_back({0, 1, 9});
    users.push_back({2, 3, 9});
    users.push_back({4, 5, 9});
  }
  auto model = ItemItemModel::Fit(users, 10, ItemItemOptions{.lambda = 1, .top_k = 50});
  ASSERT_TRUE(model.ok()) << model.status();
  std::map<uint32_t, float> row;
  for (const auto& [j, w] : (*model)->Row(0)) row[j] = w;
  ASSERT_TRUE(row.count(1));
  EXPECT_GT(row[1], row.count(9) ? row[9] : 0.0f);
  EXPECT_GT(row[1], 0.3f);
  // Unrelated videos get no positive weight from 0.
  for (uint32_t j : {2u, 3u, 4u, 5u}) EXPECT_LE(row.count(j) ? row[j] : 0.0f, 1e-6f) << j;
}

TEST(ItemItemTest, CoversOnlyTheMostWatchedAndKeepsTopK) {
  // Watch counts: video 0 by 6 users, 1 by 5, 2 by 4, 3 by 3, 4 by 1.
  std::vector<std::vector<uint32_t>> users = {{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3},
                                              {0, 1, 2, 4}, {0, 1},       {0}};
  ItemItemOptions o;
  o.lambda = 1;
  o.max_items = 3;
  o.min_users = 2;
  o.top_k = 1;
  auto model = ItemItemModel::Fit(users, 5, o);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->covered(), 3u);
  EXPECT_TRUE((*model)->Row(3).empty());  // 4th most watched: beyond max_items
  EXPECT_TRUE((*model)->Row(4).empty());  // one user: below min_users
  EXPECT_TRUE((*model)->Row(99).empty()); // newer than the fit
  for (uint32_t c = 0; c < 3; ++c) EXPECT_EQ((*model)->Row(c).size(), 1u);
  EXPECT_EQ((*model)->nonzeros(), 3u);

  // top_k keeps the largest magnitude of the full row.
  o.top_k = 100;
  auto full = ItemItemModel::Fit(users, 5, o);
  ASSERT_TRUE(full.ok());
  for (uint32_t c = 0; c < 3; ++c) {
    float best = 0;
    for (const auto& [j, w] : (*full)->Row(c)) best = std::max(best, std::abs(w));
    EXPECT_FLOAT_EQ(std::abs((*model)->Row(c)[0].second), best);
  }
}

TEST(ItemItemTest, RepeatsInASetCountOnce) {
  auto once = ItemItemModel::Fit({{0, 1}, {0, 1}, {1, 2}}, 3, ItemItemOptions{.lambda = 2, .min_users = 1});
  auto twice = ItemItemModel::Fit({{0, 1, 0, 1}, {0, 0, 1}, {1, 2, 2}}, 3, ItemItemOptions{.lambda = 2, .min_users = 1});
  ASSERT_TRUE(once.ok() && twice.ok());
  EXPECT_EQ(Dense(**once), Dense(**twice));
}

TEST(ItemItemTest, BadInputIsRefused) {
  EXPECT_TRUE(absl::IsInvalidArgument(ItemItemModel::Fit({{0, 5}}, 3, {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ItemItemModel::Fit({{0, 1}}, 3, ItemItemOptions{.lambda = 0}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ItemItemModel::Fit({{0, 1}}, 3, ItemItemOptions{.top_k = 0}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ItemItemModel::Fit({{0, 1}}, 3, ItemItemOptions{.max_items = 0}).status()));
}

TEST(ItemItemTest, NothingToFitIsAnEmptyModel) {
  auto model = ItemItemModel::Fit({}, 4, {});
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->covered(), 0u);
  EXPECT_TRUE((*model)->Row(0).empty());
}

}  // namespace
}  // namespace foryou::feed
