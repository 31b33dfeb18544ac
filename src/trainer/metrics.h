// Ranking metrics of the online trainer's progressive validation: AUC (exact, ties counted as
// half) and group (per-user) AUC.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace foryou::trainer {

// Area under the ROC curve of `scores` against binary `labels` (0 or 1), same length: the
// probability that a random positive scores above a random negative, ties counting 1/2.
// O(n log n). Returns NaN when there are no positives or no negatives.
double Auc(absl::Span<const float> scores, absl::Span<const uint8_t> labels);

// Group AUC: the AUC of each group (e.g. user) that has both classes, averaged with weights equal
// to the group's number of examples (the usual GAUC of recommender papers). `groups` has one id
// per example. NaN if no group has both classes.
double GroupAuc(absl::Span<const float> scores, absl::Span<const uint8_t> labels,
                absl::Span<const uint64_t> groups);

}  // namespace foryou::trainer
