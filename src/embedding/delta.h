// TableDelta: the rows a table changed (and the ids it dropped) since the previous drain, ready
// to be applied to a serving replica. Produced by EmbeddingTable::DrainDelta, consumed by
// EmbeddingTable::ApplyDelta.
#pragma once

#include <cstdint>
#include <vector>

#include "embedding/feature_id.h"
#include "embedding/table_config.h"

namespace foryou::embedding {

struct SlotDelta {
  uint32_t slot = 0;
  uint32_t dim = 0;
  OptimizerKind optimizer = OptimizerKind::kNone;  // of the source table: layout of `values`
  // Upserted rows: keys[i] has last_seen_s[i], counts[i] and
  // values[i * row_floats() .. (i+1) * row_floats()) = embedding (dim floats) then optimizer
  // state (dim * StateFloatsPerDim(optimizer) floats).
  std::vector<FeatureId> keys;
  std::vector<uint32_t> last_seen_s;
  std::vector<uint32_t> counts;
  std::vector<float> values;
  // Ids whose rows were evicted (expiry or budget) and not re-created since.
  std::vector<FeatureId> deleted;

  uint32_t row_floats() const { return dim * (1 + StateFloatsPerDim(optimizer)); }
};

struct TableDelta {
  std::vector<SlotDelta> slots;

  size_t upserts() const {
    size_t n = 0;
    for (const auto& s : slots) n += s.keys.size();
    return n;
  }
  size_t deletes() const {
    size_t n = 0;
    for (const auto& s : slots) n += s.deleted.size();
    return n;
  }
  bool empty() const { return upserts() == 0 && deletes() == 0; }
};

}  // namespace foryou::embedding
