// AUC by sorting scores and summing positive ranks (Mann-Whitney U), with tied scores given their
// average rank; GAUC by sorting (group, index) and applying the same per group.
#include "trainer/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace foryou::trainer {
namespace {

// AUC over the examples order[0..n) (indexes into scores/labels).
double AucOf(absl::Span<const float> scores, absl::Span<const uint8_t> labels,
             std::vector<uint32_t>& order) {
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return scores[a] < scores[b]; });
  double pos_rank_sum = 0;
  uint64_t pos = 0;
  const size_t n = order.size();
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) {
      if (labels[order[k]]) {
        pos_rank_sum += avg_rank;
        ++pos;
      }
    }
    i = j + 1;
  }
  const uint64_t neg = n - pos;
  if (pos == 0 || neg == 0) return std::numeric_limits<double>::quiet_NaN();
  const double p = static_cast<double>(pos);
  return (pos_rank_sum - p * (p + 1) / 2.0) / (p * static_cast<double>(neg));
}

}  // namespace

double Auc(absl::Span<const float> scores, absl::Span<const uint8_t> labels) {
  std::vector<uint32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0u);
  return AucOf(scores, labels, order);
}

double GroupAuc(absl::Span<const float> scores, absl::Span<const uint8_t> labels,
                absl::Span<const uint64_t> groups) {
  std::vector<uint32_t> by_group(scores.size());
  std::iota(by_group.begin(), by_group.end(), 0u);
  std::stable_sort(by_group.begin(), by_group.end(),
                   [&](uint32_t a, uint32_t b) { return groups[a] < groups[b]; });
  double weighted = 0, weight = 0;
  std::vector<uint32_t> members;
  for (size_t i = 0; i < by_group.size();) {
    size_t j = i;
    while (j < by_group.size() && groups[by_group[j]] == groups[by_group[i]]) ++j;
    members.assign(by_group.begin() + i, by_group.begin() + j);
    const double auc = AucOf(scores, labels, members);
    if (!std::isnan(auc)) {
      weighted += auc * static_cast<double>(j - i);
      weight += static_cast<double>(j - i);
    }
    i = j;
  }
  return weight == 0 ? std::numeric_limits<double>::quiet_NaN() : weighted / weight;
}

}  // namespace foryou::trainer
