// SlotTable: the rows of one slot, split into shards. Each shard is an open-addressing index
// (linear probing, 8-byte entries) over a dense arena of fixed-size rows. Internal to
// src/embedding; EmbeddingTable groups batches by shard and calls the per-shard methods here.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/rw_mutex.h"
#include "embedding/admission_filter.h"
#include "embedding/delta.h"
#include "embedding/feature_id.h"
#include "embedding/table_config.h"

namespace foryou::embedding::internal {

// The 16 bytes in front of every row's floats.
struct RowHeader {
  FeatureId key;
  uint32_t last_seen_s;
  uint32_t count_flags;  // occurrence count (31 bits, saturating) | kTouchedBit
};
static_assert(sizeof(RowHeader) == 16);
// Bytes of one row: header, embedding, optimizer state, rounded up to 8 so every row's header is
// aligned (an odd number of floats would misalign every other row).
constexpr uint32_t RowBytes(uint32_t dim, OptimizerKind kind) {
  const uint32_t raw = static_cast<uint32_t>(sizeof(RowHeader)) + 4 * dim * (1 + StateFloatsPerDim(kind));
  return (raw + 7) & ~7u;
}
inline constexpr uint32_t kTouchedBit = 1u << 31;
inline constexpr uint32_t kCountMask = kTouchedBit - 1;
inline constexpr uint32_t kNoRow = 0xffffffffu;
inline constexpr uint64_t kEmptyEntry = ~uint64_t{0};  // a free index entry

// Exact division of a row number (< 2^31) by a fixed divisor with one multiply and shift
// (Granlund & Montgomery's round-up method: m = ceil(2^(32+l) / d), l = ceil(log2 d)).
class RowDivider {
 public:
  explicit RowDivider(uint32_t d) {
    uint32_t l = 0;
    while ((uint64_t{1} << l) < d) ++l;
    shift_ = 32 + l;
    magic_ = static_cast<uint64_t>((((unsigned __int128)1 << shift_) + d - 1) / d);
  }
  uint32_t Div(uint32_t n) const { return static_cast<uint32_t>((uint64_t{n} * magic_) >> shift_); }

 private:
  uint32_t shift_;
  uint64_t magic_;
};

// One key of a batch routed to a shard: its position in the batch and its mixed hash.
struct BatchItem {
  uint32_t pos;
  uint32_t group;  // global shard (slot index << shard bits | shard); unused by ApplyDelta
  uint64_t hash;
};

// Counters a shard keeps (read without the lock for stats: relaxed atomics).
struct ShardCounters {
  std::atomic<uint64_t> inserts{0}, admission_rejects{0}, expired{0}, budget_evictions{0},
      budget_rejects{0};
};

// The mutable state of one shard. Guarded by Shard::mu.
struct ShardData {
  uint64_t* index = nullptr;  // entries: fingerprint << 32 | row, or kEmptyEntry (owned)
  uint64_t index_mask = 0;            // capacity - 1
  std::vector<char*> chunks;  // all full (2 MiB) but the last, which grows by doubling
  uint32_t last_rows = 0;     // capacity of the last chunk in rows
  size_t last_bytes = 0;      // allocated size of the last chunk
  size_t full_bytes = 0;      // allocated size of every other chunk
  uint32_t rows = 0;
  std::vector<FeatureId> touched;  // keys whose kTouchedBit was set since the last drain
  std::vector<FeatureId> deleted;  // keys evicted since the last drain
  uint64_t rng = 0;

  ShardData() = default;
  ShardData(ShardData&& o) noexcept { *this = std::move(o); }
  ShardData& operator=(ShardData&& o) noexcept;
  ~ShardData();
  void Release();  // frees the index and chunks
};

struct Shard {
  mutable common::RwMutex mu;
  ShardData data ABSL_GUARDED_BY(mu);
  ShardCounters counters;
};

class SlotTable {
 public:
  // `table_bytes` is the table-wide byte counter the memory budget is checked against.
  SlotTable(const SlotConfig& config, uint32_t shard_bits, uint64_t budget_bytes, uint64_t seed,
            std::atomic<uint64_t>* table_bytes);
  ~SlotTable();

  const SlotConfig& config() const { return config_; }
  uint32_t dim() const { return config_.dim; }
  uint32_t row_floats() const { return row_floats_; }
  uint32_t row_bytes() const { return row_bytes_; }
  uint32_t num_shards() const { return 1u << shard_bits_; }
  uint32_t ShardOfHash(uint64_t h) const {
    return shard_bits_ == 0 ? 0 : static_cast<uint32_t>(h >> (64 - shard_bits_));
  }
  Shard& shard(uint32_t i) const { return *shards_[i]; }

  // Per-key primitives of the batch pipeline (EmbeddingTable::RunPipeline). The caller holds
  // the shard's lock: shared for the const ones, exclusive for ApplyOne.
  // Stage 1: prefetch the index line of hash `h`.
  void PrefetchIndex(const ShardData& d, uint64_t h) const {
    if (d.index) __builtin_prefetch(&d.index[static_cast<uint32_t>(h) & d.index_mask]);
  }
  // Stage 2: the first row whose fingerprint matches `h` (kNoRow if none), with its lines
  // prefetched. Not verified: stage 3 checks the key.
  // `prefetch_bytes`: how much of the row stage 3 will touch (lookups need only the header and
  // embedding, updates the whole row).
  uint32_t Candidate(const ShardData& d, uint64_t h, uint32_t prefetch_bytes) const;
  uint32_t lookup_bytes() const { return static_cast<uint32_t>(sizeof(RowHeader)) + config_.dim * 4; }
  // Stage 3 (read): copies the key's embedding to `dst`, zeros if absent.
  void LookupOne(const ShardData& d, uint32_t cand, FeatureId key, uint64_t h, float* dst) const;
  // Stage 3 (write): count, admit/insert, touch and optimize one key with gradient `g`.
  void ApplyOne(Shard& s, ShardData& d, uint32_t cand, FeatureId key, uint64_t h, const float* g,
                uint32_t now_s);

  // Evicts expired rows of one shard, at most `step_rows` scanned per lock hold.
  uint64_t ExpireShard(uint32_t shard, uint32_t now_s, uint32_t step_rows);

  // Evicts the least recently updated rows of one shard (oldest last-seen first, then fewest
  // occurrences) down to `keep` rows if it holds more than `limit`, listing them as deleted for
  // the next drain. One lock hold. Returns the number of rows evicted.
  uint64_t TrimShard(uint32_t shard, uint32_t limit, uint32_t keep);

  // Removes the row of `key` (hash `h`) if present, listing the id as deleted for the next
  // drain. Takes the shard lock exclusively. True if a row was removed.
  bool RemoveKey(uint64_t h, FeatureId key);

  // Moves the shard's touched rows and deleted ids into `out`.
  void DrainShard(uint32_t shard, SlotDelta* out);

  // Applies upserts rows [begin, end) of `delta` whose shard is `shard` (given as items whose
  // pos index into delta.keys), and the deletes listed in `deletes`.
  void ApplyDeltaShard(uint32_t shard, const SlotDelta& delta, const BatchItem* upserts,
                       size_t n_upserts, const BatchItem* deletes, size_t n_deletes);

  // Appends a copy of every row of `shard` (row_bytes() each, touched bit cleared) to `out`.
  // Caller holds whatever excludes writers; takes the shard lock shared.
  void CopyRows(uint32_t shard, std::vector<char>* out) const;

  // Builds shard data from raw rows (`n` rows laid out with `src_row_floats` floats after the
  // header, from a table with optimizer `src_opt`) into `fresh` (num_shards() entries), as
  // LoadSnapshot's staging step. Fails (returns false) on a duplicate key or a key of another
  // slot.
  bool StageRows(const char* rows, size_t n, uint32_t src_row_floats, OptimizerKind src_opt,
                 std::vector<ShardData>* fresh, uint64_t* staged_bytes) const;
  // Swaps staged shard data in (caller holds the table gate exclusively). Returns the bytes
  // released minus the bytes added, as a signed delta for the table counter.
  int64_t SwapIn(std::vector<ShardData>* fresh);

  // Diagnostics.
  bool GetRowMeta(uint64_t h, FeatureId key, uint32_t* count, uint32_t* last_seen_s) const;
  uint64_t rows() const;
  uint64_t bytes() const;  // arenas + indexes + sketch
  uint64_t pending_touched() const;
  const ShardCounters& counters(uint32_t shard) const { return shards_[shard]->counters; }

 private:
  char* RowAt(const ShardData& d, uint32_t r) const {
    const uint32_t c = chunk_div_.Div(r);
    return d.chunks[c] + static_cast<size_t>(r - c * chunk_rows_) * row_bytes_;
  }
  uint64_t Capacity(const ShardData& d) const {
    return d.chunks.empty() ? 0 : uint64_t{chunk_rows_} * (d.chunks.size() - 1) + d.last_rows;
  }
  // Bytes allocated for a chunk of `rows` rows: a full chunk takes 2 MiB (or one row if larger).
  size_t ChunkBytes(uint32_t rows) const;
  // Rows of a chunk added when the last one is full: 16 for a shard's first, 1/8 full after.
  uint32_t NewChunkRows(const ShardData& d) const;
  // True if one more row would pass the index's 7/8 load limit.
  static bool IndexFull(const ShardData& d) {
    return (uint64_t{d.rows} + 1) * 8 > (d.index_mask + 1) * 7;
  }
  // Takes the next arena row for `key`, initialises it and indexes it (room must exist).
  uint32_t AppendRow(ShardData& d, uint64_t h, FeatureId key, uint32_t now_s) const;
  uint32_t Probe(const ShardData& d, uint64_t h, FeatureId key) const;
  // Walks h's probe sequence and returns the first row whose entry has h's fingerprint and that
  // `accept(row)` approves; kNoRow at the first empty entry.
  template <typename Accept>
  uint32_t ScanFingerprint(const ShardData& d, uint64_t h, Accept&& accept) const {
    if (d.index == nullptr) return kNoRow;
    const uint32_t fp = static_cast<uint32_t>(h);
    for (uint64_t pos = fp & d.index_mask;; pos = (pos + 1) & d.index_mask) {
      const uint64_t e = d.index[pos];
      if (e == kEmptyEntry) return kNoRow;
      if (static_cast<uint32_t>(e >> 32) == fp && accept(static_cast<uint32_t>(e))) {
        return static_cast<uint32_t>(e);
      }
    }
  }
  // Inserts a fresh row for an absent key, enforcing the budget; kNoRow if refused.
  uint32_t InsertRow(Shard& s, ShardData& d, uint64_t h, FeatureId key, uint32_t now_s);
  // Reserves room for one more row (arena + index), growing as needed; updates byte counter.
  void GrowForInsert(ShardData& d) const;
  // The extra bytes GrowForInsert would allocate now.
  uint64_t GrowthBytes(const ShardData& d) const;
  // Removes row r (swap-remove from the arena, backward-shift delete from the index).
  void RemoveRow(ShardData& d, uint32_t r);
  void EvictColdestSample(Shard& s, ShardData& d);
  void InitRow(char* row, FeatureId key, uint32_t now_s) const;
  void Touch(ShardData& d, RowHeader* hdr) const;
  uint64_t ShardBytes(const ShardData& d) const;


  const SlotConfig config_;
  const uint32_t shard_bits_;
  const uint32_t row_floats_;
  const uint32_t row_bytes_;
  const uint32_t chunk_rows_;  // rows in a full chunk (kChunkBytes / row_bytes_)
  const RowDivider chunk_div_;
  const uint64_t budget_bytes_;
  const uint64_t seed_;
  std::atomic<uint64_t>* const table_bytes_;
  std::unique_ptr<AdmissionFilter> admission_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace foryou::embedding::internal
