// Configuration of an EmbeddingTable: one SlotConfig per slot (dimension, optimizer, admission,
// expiry) plus table-wide settings (memory budget, shards, seed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace foryou::embedding {

// The optimizer that updates a slot's rows in place. Its state lives in the row, beside the
// embedding.
enum class OptimizerKind : uint32_t {
  kNone = 0,     // no state; rows are never trained here (a serving replica)
  kAdagrad = 1,  // state: one accumulator per dimension
  kFtrl = 2,     // FTRL-proximal; state: z and n per dimension
};

// Number of optimizer-state floats per embedding dimension.
constexpr uint32_t StateFloatsPerDim(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kNone: return 0;
    case OptimizerKind::kAdagrad: return 1;
    case OptimizerKind::kFtrl: return 2;
  }
  return 0;
}

const char* OptimizerName(OptimizerKind kind);

struct AdagradParams {
  float learning_rate = 0.05f;
  float initial_accumulator = 0.0f;
  float epsilon = 1e-6f;
};

struct FtrlParams {
  float alpha = 0.05f;
  float beta = 1.0f;
  float l1 = 0.0f;
  float l2 = 0.0f;
};

// When an id gets a row. Until then it costs no table memory and looks up as zeros.
//  * min_count > 1: admitted at its min_count-th occurrence, counted in a count-min sketch of
//    `sketch_width` 8-bit counters x 2 rows (may admit early on a sketch collision, never late).
//  * probability < 1 (and min_count <= 1): each occurrence admits with this probability, so an
//    id seen k times has been admitted with probability 1 - (1 - p)^k.
struct AdmissionConfig {
  uint32_t min_count = 1;
  double probability = 1.0;
  uint32_t sketch_width = 1u << 20;
};

struct SlotConfig {
  uint32_t slot = 0;  // < 2^15
  std::string name;   // for logs and metrics, e.g. "video_id"
  uint32_t dim = 16;  // 1..1024
  OptimizerKind optimizer = OptimizerKind::kAdagrad;
  AdagradParams adagrad;
  FtrlParams ftrl;
  AdmissionConfig admission;
  // Rows whose last event is older than this many seconds of event time are evicted by
  // EmbeddingTable::Expire. 0 = never.
  int64_t expire_after_s = 0;
  // Row budget of the slot: EmbeddingTable::TrimToRowBudget evicts the least recently updated
  // rows of every shard holding more than its share (max_rows / shards_per_slot, rounded up)
  // down to 15/16 of that share. 0 = unbounded. Inserts are never refused for it: the slot
  // passes its budget by what arrives between two trims.
  uint64_t max_rows = 0;
  // New rows start uniform in [-init_scale, init_scale], deterministic in (key, table seed).
  float init_scale = 0.01f;
};

struct TableConfig {
  std::vector<SlotConfig> slots;
  // Upper bound on table bytes (rows + index); 0 = unbounded. When an insert would pass it, the
  // coldest of a sample of rows of the same shard is evicted first.
  uint64_t memory_budget_bytes = 0;
  // Shards per slot (a power of two, 1..1024). Writers on different shards never contend.
  uint32_t shards_per_slot = 64;
  uint64_t seed = 0x5eed;

  // InvalidArgument naming the field if any setting is out of range or a slot repeats.
  [[nodiscard]] absl::Status Validate() const;
};

}  // namespace foryou::embedding
