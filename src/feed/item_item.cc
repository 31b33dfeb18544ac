// ItemItemModel: EASE fitted with Eigen's Cholesky factorisation (see the header).
#include "feed/item_item.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace foryou::feed {

absl::StatusOr<std::shared_ptr<const ItemItemModel>> ItemItemModel::Fit(
    const std::vector<std::vector<uint32_t>>& users, uint32_t num_items,
    const ItemItemOptions& options) {
  if (!(options.lambda > 0)) return absl::InvalidArgumentError("lambda: must be > 0");
  if (options.top_k < 1) return absl::InvalidArgumentError("top_k: must be >= 1");
  if (options.max_items < 1) return absl::InvalidArgumentError("max_items: must be >= 1");

  // Distinct videos per user, and how many users watched each video.
  std::vector<std::vector<uint32_t>> sets;
  sets.reserve(users.size());
  std::vector<uint32_t> count(num_items, 0);
  for (const auto& u : users) {
    std::vector<uint32_t> s = u;
    for (uint32_t i : s) {
      if (i >= num_items) {
        return absl::InvalidArgumentError(
            absl::StrCat("video index ", i, " out of range (", num_items, " videos)"));
      }
    }
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    for (uint32_t i : s) ++count[i];
    sets.push_back(std::move(s));
  }

  // The covered videos: the most watched, at least min_users each.
  std::vector<uint32_t> order(num_items);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return count[a] > count[b]; });
  std::vector<int32_t> col(num_items, -1);
  std::vector<uint32_t> item_of;
  for (uint32_t i : order) {
    if (item_of.size() >= options.max_items || count[i] < static_cast<uint32_t>(std::max(1, options.min_users))) break;
    col[i] = static_cast<int32_t>(item_of.size());
    item_of.push_back(i);
  }

  std::shared_ptr<ItemItemModel> model(new ItemItemModel());
  model->row_of_.assign(num_items, -1);
  model->users_ = users.size();
  const Eigen::Index m = static_cast<Eigen::Index>(item_of.size());
  if (m == 0) return std::shared_ptr<const ItemItemModel>(std::move(model));

  // The Gram matrix X'X + lambda I (symmetric; the lower triangle is what the factorisation reads).
  Eigen::MatrixXf g = Eigen::MatrixXf::Zero(m, m);
  std::vector<int32_t> cols;
  for (const auto& s : sets) {
    cols.clear();
    for (uint32_t i : s) {
      if (col[i] >= 0) cols.push_back(col[i]);
    }
    for (int32_t a : cols) {
      for (int32_t b : cols) {
        if (a >= b) g(a, b) += 1.0f;
      }
    }
  }
  g.diagonal().array() += options.lambda;
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXf>> llt(g);  // in place: g now holds the factor
  if (llt.info() != Eigen::Success) return absl::InternalError("item-item: factorisation failed");
  Eigen::MatrixXf p = Eigen::MatrixXf::Identity(m, m);
  llt.solveInPlace(p);  // P = (X'X + lambda I)^-1, symmetric
  g.resize(0, 0);

  // B[c][j] = -P[c][j] / P[j][j] (c != j); keep the top_k by magnitude per row c. P is
  // symmetric, so row c is column c (contiguous).
  const Eigen::VectorXf inv_diag = p.diagonal().cwiseInverse();
  const size_t k = std::min(static_cast<size_t>(options.top_k), static_cast<size_t>(m - 1));
  model->rows_.resize(static_cast<size_t>(m));
  std::vector<std::pair<float, uint32_t>> row;
  for (Eigen::Index c = 0; c < m; ++c) {
    row.clear();
    const float* pc = p.col(c).data();
    for (Eigen::Index j = 0; j < m; ++j) {
      if (j == c) continue;
      const float w = -pc[j] * inv_diag[j];
      if (w != 0) row.emplace_back(w, static_cast<uint32_t>(j));
    }
    auto bigger = [](const auto& a, const auto& b) { return std::abs(a.first) > std::abs(b.first); };
    if (row.size() > k) {
      std::nth_element(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(k), row.end(), bigger);
      row.resize(k);
    }
    auto& out = model->rows_[static_cast<size_t>(c)];
    out.reserve(row.size());
    for (const auto& [w, j] : row) out.emplace_back(item_of[j], w);
    std::sort(out.begin(), out.end());
    model->nonzeros_ += out.size();
    model->row_of_[item_of[static_cast<size_t>(c)]] = static_cast<int32_t>(c);
  }
  return std::shared_ptr<const ItemItemModel>(std::move(model));
}

}  // namespace foryou::feed
