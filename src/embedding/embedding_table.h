// EmbeddingTable: the collisionless embedding table of foryou (Monolith's "cuckoo hashmap"
// parameter store, rebuilt as a sharded open-addressing index over dense row arenas).
//
// One row per distinct FeatureId, never shared. A row holds the embedding, the optimizer state
// beside it, the last-seen event time and an occurrence count. The table also owns:
//  * admission (per slot): ids get a row only once admitted (see AdmissionConfig);
//  * expiry (per slot) and a memory budget (coldest-of-sample eviction);
//  * touched-key tracking: every row changed since the last DrainDelta, never dropped;
//  * snapshots: WriteSnapshot / LoadSnapshot (docs/formats/snapshot.md).
//
// Threading: every method is thread-safe. Each slot is split into `shards_per_slot` shards
// by key hash, each with its own reader/writer lock. Lookups take shard locks shared; writers
// take them exclusively for the keys of one batch that fall in that shard (bounded work), so a
// reader never waits for more than one such critical section (or one index resize of a shard).
// Writers on different shards run in parallel: to scale training over T threads, give each
// thread the keys whose ShardOf(key) % T is its own.
//
// Example:
//   TableConfig config;
//   config.slots.push_back({.slot = 1, .name = "video_id", .dim = 16});
//   auto table = EmbeddingTable::Create(config).value();
//   std::vector<FeatureId> keys = {HashFeature(1, "video-42")};
//   std::vector<float> grads(16, 0.1f), emb(16);
//   table->ApplyGradients(keys, grads, /*event_time_ms=*/now_ms).IgnoreError();
//   table->Lookup(keys, absl::MakeSpan(emb)).IgnoreError();
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/rw_mutex.h"
#include "embedding/delta.h"
#include "embedding/feature_id.h"
#include "embedding/table_config.h"

namespace foryou::embedding {

namespace internal {
class SlotTable;
struct BatchItem;
}  // namespace internal

// Counters describing a table (or one slot of it).
struct TableStats {
  uint64_t rows = 0;
  uint64_t bytes = 0;          // rows + index + admission sketches, as allocated
  uint64_t payload_bytes = 0;  // embedding + optimizer state of the live rows
  uint64_t inserts = 0;
  uint64_t admission_rejects = 0;  // occurrences of ids not (yet) admitted
  uint64_t expired = 0;
  uint64_t budget_evictions = 0;
  uint64_t budget_rejects = 0;  // inserts refused because a shard had nothing left to evict
  uint64_t pending_touched = 0;  // rows waiting for the next DrainDelta
};

class EmbeddingTable {
 public:
  // Validates `config` and builds an empty table.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EmbeddingTable>> Create(TableConfig config);
  ~EmbeddingTable();
  EmbeddingTable(const EmbeddingTable&) = delete;
  EmbeddingTable& operator=(const EmbeddingTable&) = delete;

  const TableConfig& config() const { return config_; }

  // Floats one key of `slot` takes in Lookup output / gradient input (its dim), or 0 if the slot
  // is not configured.
  uint32_t DimOf(uint32_t slot) const;

  // Read-only batched lookup. `out` holds, in key order, dim(SlotOf(key)) floats per key
  // (so out.size() == sum of those dims). Absent ids (never admitted, expired, evicted) read as
  // zeros. Does not count occurrences or touch last-seen times.
  // Errors (nothing written): InvalidArgument for a key of an unconfigured slot or a wrong
  // `out` size.
  [[nodiscard]] absl::Status Lookup(absl::Span<const FeatureId> keys, absl::Span<float> out) const;

  // The training step for a batch: for each key (duplicates apply in order), count the
  // occurrence, insert the row if the id is (now) admitted, set last-seen to `event_time_ms`,
  // and apply the slot's optimizer with the key's gradient. `grads` has the same layout as
  // Lookup's `out`. Gradients of ids not admitted are dropped. Marks the rows touched.
  // Errors (nothing changed): as Lookup.
  [[nodiscard]] absl::Status ApplyGradients(absl::Span<const FeatureId> keys,
                                            absl::Span<const float> grads, int64_t event_time_ms);

  // Evicts rows of slots with expire_after_s > 0 whose last-seen time is older than
  // now_ms - expire_after_s. Works shard by shard in steps of at most `step_rows` rows per lock
  // hold. Returns the number of rows evicted.
  uint64_t Expire(int64_t now_ms, uint32_t step_rows = 1024);

  // Enforces the slots' row budgets (SlotConfig::max_rows): every shard over its share loses
  // its least recently updated rows down to 15/16 of the share. The evicted ids go into the
  // next DrainDelta as deleted, so replicas fed by deltas drop them too (a replica needs no
  // budget of its own). Called in the background by the owner (the real-time loop, before each
  // sync). Returns the number of rows evicted.
  uint64_t TrimToRowBudget();

  // Removes the rows of `keys` (absent ones are skipped): an account deleted, its id's rows
  // with it. The ids go into the next DrainDelta as deleted, so replicas drop them too.
  // Returns the number of rows removed. Errors (nothing removed): InvalidArgument for a key of
  // an unconfigured slot.
  [[nodiscard]] absl::StatusOr<uint64_t> Remove(absl::Span<const FeatureId> keys);

  // Moves out every row touched since the previous drain (and the ids evicted since), clearing
  // the touched set. Nothing touched is ever left out, however many rows that is.
  TableDelta DrainDelta();

  // Applies a delta drained from a table with the same slots and dims. Upserts copy the
  // embedding, and the optimizer state when this table's slot uses the same optimizer (a
  // serving replica configured with OptimizerKind::kNone keeps embeddings only). Applied rows are
  // not marked touched here. Errors (nothing changed): InvalidArgument if a slot is unknown or
  // its dim differs, or the delta's arrays disagree in size.
  [[nodiscard]] absl::Status ApplyDelta(const TableDelta& delta);

  // Writes a snapshot file to `path` (docs/formats/snapshot.md) atomically: `path + ".tmp"`
  // then fsync + rename, so a crash leaves the previous file intact. Consistent: the snapshot
  // holds the table as it was between two ApplyGradients/ApplyDelta/Expire calls (writers wait
  // until the last block is written, one shard's rows in memory at a time; readers never wait;
  // the fsync runs after the writers resume). `user_version` is stored verbatim
  // (callers record e.g. a log offset there).
  [[nodiscard]] absl::Status WriteSnapshot(const std::string& path, uint64_t user_version = 0);

  // Replaces this table's contents with the snapshot at `path`. The file is fully verified
  // (checksums, sizes, slots and dims against this table's config) before anything changes: on
  // any error the table is untouched. Loaded rows are not marked touched. On success returns
  // the snapshot's user_version.
  [[nodiscard]] absl::StatusOr<uint64_t> LoadSnapshot(const std::string& path);

  // Global shard index of `key` (0..num_shards()), for partitioning work between writer threads.
  // Returns num_shards() for a key of an unconfigured slot.
  uint32_t ShardOf(FeatureId key) const;
  uint32_t num_shards() const;

  TableStats Stats() const;
  TableStats SlotStats(uint32_t slot) const;

  // Test/diagnostic hooks: the row's occurrence count and last-seen seconds, or false if absent.
  bool GetRowMeta(FeatureId key, uint32_t* count, uint32_t* last_seen_s) const;

 private:
  explicit EmbeddingTable(TableConfig config);

  // Returns the SlotTable for `slot`, or nullptr.
  internal::SlotTable* FindSlot(uint32_t slot) const;
  // Checks that every key's slot is configured, computes each key's float offset, and sorts the
  // batch by global shard into the calling thread's batch plan.
  absl::Status PlanBatch(absl::Span<const FeatureId> keys, size_t floats) const;
  // Runs `stage3(SlotTable&, Shard&, const BatchItem&, candidate_row)` over sorted items with
  // prefetching and shard locking (shared, or exclusive if kWrite).
  template <bool kWrite, typename Stage3>
  void RunPipeline(const internal::BatchItem* items, size_t n, Stage3&& stage3) const;

  TableConfig config_;
  std::vector<std::unique_ptr<internal::SlotTable>> slots_;
  std::vector<int16_t> slot_index_;  // slot -> index in slots_, or -1
  uint32_t shard_bits_ = 0;
  std::atomic<uint64_t> bytes_{0};  // shared by all shards for the memory budget
  // Writers (ApplyGradients, ApplyDelta, Expire, TrimToRowBudget, LoadSnapshot) hold this shared; WriteSnapshot
  // holds it exclusively while it writes the rows, so a snapshot never sees half a batch.
  mutable common::RwMutex gate_;
};

}  // namespace foryou::embedding
