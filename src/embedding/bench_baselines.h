// The tables `foryou bench embedding` measures, behind one small interface: two baselines
// (libcuckoo's concurrent cuckoo hash map, and std::unordered_map behind a std::shared_mutex)
// that hold the same rows as EmbeddingTable (embedding + Adagrad accumulator) and do the same
// batched work, so the bench can print foryou's throughput as ratios against them.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "embedding/feature_id.h"

namespace foryou::embedding {

// Adagrad as EmbeddingTable applies it, per dimension: acc += g * g;
// w -= learning_rate * g / (sqrt(acc) + epsilon). The accumulator starts at 0.
struct BenchAdagrad {
  float learning_rate = 0.05f;
  float epsilon = 1e-6f;
};

// A parameter table as the bench drives it: one dim, rows of `dim` embedding floats plus `dim`
// Adagrad accumulators, batched calls. Implementations are thread-safe: any calls may overlap.
class BenchTable {
 public:
  virtual ~BenchTable() = default;

  // Short name for reports, e.g. "libcuckoo".
  virtual const char* name() const = 0;
  virtual uint32_t dim() const = 0;

  // Gives every key not yet present a row (small deterministic initial embedding, zero
  // accumulator). Keys already present are left as they are.
  [[nodiscard]] virtual absl::Status Insert(absl::Span<const FeatureId> keys) = 0;

  // Copies the embedding of keys[i] to out[i * dim, (i + 1) * dim); absent keys read as zeros.
  // InvalidArgument (nothing written) unless out.size() == keys.size() * dim.
  [[nodiscard]] virtual absl::Status Lookup(absl::Span<const FeatureId> keys,
                                            absl::Span<float> out) const = 0;

  // For each key in order (duplicates apply twice): insert its row if absent, then take one
  // Adagrad step with grads[i * dim, (i + 1) * dim). InvalidArgument (nothing changed) unless
  // grads.size() == keys.size() * dim. `event_time_ms` is for tables that track recency.
  [[nodiscard]] virtual absl::Status ApplyGradients(absl::Span<const FeatureId> keys,
                                                    absl::Span<const float> grads,
                                                    int64_t event_time_ms) = 0;

  // Which of `parts` writer threads should own `key`, so that writers contend as little as the
  // table allows (e.g. its shard, or its hash parity).
  virtual uint32_t PartitionOf(FeatureId key, uint32_t parts) const = 0;

  virtual uint64_t rows() const = 0;
};

// The dims the baselines are built for (their rows are fixed-size arrays): 4, 8, 16, 32, 64, 128.
bool BaselineSupportsDim(uint32_t dim);

// libcuckoo::cuckoohash_map<uint64_t, Row>: fine-grained locking (the two candidate buckets'
// spinlocks per key), so concurrent readers and writers mostly proceed in parallel. Writes use
// uprase_fn with a lambda taking the Adagrad step. PartitionOf = the map's hash of the key, mod
// parts (for parts = 2: the hash parity). InvalidArgument for an unsupported dim.
[[nodiscard]] absl::StatusOr<std::unique_ptr<BenchTable>> NewCuckooBaseline(
    uint32_t dim, BenchAdagrad adagrad = {}, uint64_t seed = 0);

// std::unordered_map<uint64_t, Row> guarded by one std::shared_mutex, held once per batch:
// shared by Lookup, exclusive by Insert and ApplyGradients. InvalidArgument for an unsupported
// dim.
[[nodiscard]] absl::StatusOr<std::unique_ptr<BenchTable>> NewUnorderedMapBaseline(
    uint32_t dim, BenchAdagrad adagrad = {}, uint64_t seed = 0);

}  // namespace foryou::embedding
