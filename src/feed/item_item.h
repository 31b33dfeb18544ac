// ItemItemModel: a linear item-to-item model fitted in closed form (EASE: Steck, "Embarrassingly
// Shallow Autoencoders for Sparse Data", WWW 2019) — the batch half of the watch-next prior
// (docs/design/feed.md, "Item-item model").
//
// Given each user's set of watched videos (a binary users x videos matrix X), it finds the
// videos x videos weights B with a zero diagonal that best rebuild X from itself:
//   minimise |X - X B|^2 + lambda |B|^2  subject to diag(B) = 0,
// whose solution is B = I - P diagMat(1 / diag(P)) with P = (X'X + lambda I)^-1. A user's score
// for video j is then the sum over the videos c they watched of B[c][j]. Unlike co-visitation
// counts, the weights explain away what other watched videos already predict (a popular video
// that co-occurs with everything gets little weight from each), which is what ranks the next
// view better on the KuaiRand log (figures in the design page).
//
// The fit is O(M^3) in the number of videos M it covers, so M is capped (`max_items`, the most
// watched); the dense weights are cut to the `top_k` largest per row, so scoring is a sparse
// sum. An immutable model: fit a new one and swap the pointer.
//
// Example:
//   auto model = ItemItemModel::Fit({{0, 1}, {0, 1, 2}, {2, 3}}, 4, {});
//   for (auto [j, w] : (*model)->Row(0)) score[j] += w;  // score[1] > 0: watched with 0
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace foryou::feed {

struct ItemItemOptions {
  float lambda = 800.0f;   // L2 weight: larger trusts co-occurrence less (more popularity-like)
  size_t max_items = 8000;  // videos covered: the most watched (the fit is cubic in this)
  int top_k = 256;          // weights kept per video (largest magnitude)
  int min_users = 2;        // a video needs this many users to be covered
};

class ItemItemModel {
 public:
  // `users`: per user, the indices (< num_items) of the videos they watched; repeats are
  // ignored. InvalidArgument on an index out of range or bad options; Internal if the
  // factorisation fails (it cannot for lambda > 0, but the check is cheap).
  static absl::StatusOr<std::shared_ptr<const ItemItemModel>> Fit(
      const std::vector<std::vector<uint32_t>>& users, uint32_t num_items,
      const ItemItemOptions& options);

  // The kept weights B[c][j] of watched video c as (j, weight), by j; empty for a video the fit
  // did not cover (too few users, or newer than the fit). A user's score for j is the sum of
  // B[c][j] over the videos c they watched.
  absl::Span<const std::pair<uint32_t, float>> Row(uint32_t c) const {
    if (c >= row_of_.size() || row_of_[c] < 0) return {};
    return rows_[static_cast<size_t>(row_of_[c])];
  }

  uint32_t num_items() const { return static_cast<uint32_t>(row_of_.size()); }
  size_t covered() const { return rows_.size(); }  // videos with a row
  size_t nonzeros() const { return nonzeros_; }
  size_t users() const { return users_; }

 private:
  ItemItemModel() = default;
  std::vector<int32_t> row_of_;  // item index -> row in rows_, -1 if not covered
  std::vector<std::vector<std::pair<uint32_t, float>>> rows_;  // (target item, weight)
  size_t nonzeros_ = 0, users_ = 0;
};

}  // namespace foryou::feed
