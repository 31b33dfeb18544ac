// EmbeddingTable: routes batches to slot shards, and the table-wide operations (expiry, deltas,
// stats). Snapshot I/O lives in snapshot.cc.
#include "embedding/embedding_table.h"

#include <algorithm>
#include <bit>

#include "absl/strings/str_cat.h"
#include "embedding/optimizer.h"
#include "embedding/slot_table.h"


namespace foryou::embedding {
namespace {

using internal::BatchItem;
using internal::MixKey;

// Per-thread plan for routing a batch: items grouped by global shard.
struct BatchPlan {
  std::vector<BatchItem> items;      // grouped by global shard
  std::vector<uint32_t> shard_of;    // per key: global shard
  std::vector<uint32_t> begin;       // per global shard: first item (size shards + 1)
  std::vector<uint64_t> offsets;     // per key: float offset (only when dims differ)
  std::vector<uint64_t> hashes;      // per key: mixed hash
  std::vector<uint32_t> cursor;      // scatter positions
  bool uniform_dim = true;
};

BatchPlan& ThreadPlan() {
  thread_local BatchPlan plan;
  return plan;
}

uint32_t ToSeconds(int64_t ms) {
  if (ms <= 0) return 0;
  const int64_t s = ms / 1000;
  return s > 0xffffffffLL ? 0xffffffffu : static_cast<uint32_t>(s);
}

}  // namespace

using internal::SlotTable;

EmbeddingTable::EmbeddingTable(TableConfig config) : config_(std::move(config)) {}
EmbeddingTable::~EmbeddingTable() = default;

absl::StatusOr<std::unique_ptr<EmbeddingTable>> EmbeddingTable::Create(TableConfig config) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  std::unique_ptr<EmbeddingTable> t(new EmbeddingTable(std::move(config)));
  t->shard_bits_ = static_cast<uint32_t>(std::countr_zero(t->config_.shards_per_slot));
  t->slot_index_.assign(kMaxSlot + 1, -1);
  for (const SlotConfig& sc : t->config_.slots) {
    t->slot_index_[sc.slot] = static_cast<int16_t>(t->slots_.size());
    t->slots_.push_back(std::make_unique<SlotTable>(sc, t->shard_bits_, t->config_.memory_budget_bytes,
                                                    t->config_.seed, &t->bytes_));
  }
  return t;
}

SlotTable* EmbeddingTable::FindSlot(uint32_t slot) const {
  if (slot > kMaxSlot) return nullptr;
  const int16_t i = slot_index_[slot];
  return i < 0 ? nullptr : slots_[i].get();
}

uint32_t EmbeddingTable::DimOf(uint32_t slot) const {
  const SlotTable* s = FindSlot(slot);
  return s ? s->dim() : 0;
}

uint32_t EmbeddingTable::num_shards() const {
  return static_cast<uint32_t>(slots_.size()) << shard_bits_;
}

uint32_t EmbeddingTable::ShardOf(FeatureId key) const {
  const uint32_t slot = SlotOf(key);
  const int16_t i = slot_index_[slot];
  if (i < 0) return num_shards();
  return (static_cast<uint32_t>(i) << shard_bits_) | slots_[i]->ShardOfHash(MixKey(key));
}

// Validates a batch and groups it by global shard (counting sort) into the thread's plan.
absl::Status EmbeddingTable::PlanBatch(absl::Span<const FeatureId> keys, size_t floats) const {
  BatchPlan& p = ThreadPlan();
  const size_t n = keys.size();
  if (n > 0xfffffff0u) return absl::InvalidArgumentError("keys: batch too large");
  p.shard_of.resize(n);
  p.uniform_dim = true;
  uint64_t total = 0;
  uint32_t first_dim = 0;
  for (size_t i = 0; i < n; ++i) {
    if ((keys[i] >> 63) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("keys[", i, "]: bit 63 is set; not a feature id (see MakeFeatureId)"));
    }
    const uint32_t slot = SlotOf(keys[i]);
    const int16_t si = slot_index_[slot];
    if (si < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("keys[", i, "]: slot ", slot, " is not configured in this table"));
    }
    const uint32_t dim = slots_[si]->dim();
    if (i == 0) first_dim = dim;
    if (dim != first_dim) p.uniform_dim = false;
    total += dim;
  }
  if (total != floats) {
    return absl::InvalidArgumentError(absl::StrCat("values: expected ", total,
                                                   " floats (the dims of the keys' slots), got ",
                                                   floats));
  }
  if (!p.uniform_dim) {
    p.offsets.resize(n);
    uint64_t off = 0;
    for (size_t i = 0; i < n; ++i) {
      p.offsets[i] = off;
      off += slots_[slot_index_[SlotOf(keys[i])]]->dim();
    }
  }
  const uint32_t shards = num_shards();
  p.begin.assign(size_t{shards} + 1, 0);
  p.items.resize(n);
  std::vector<uint64_t>& h = p.hashes;
  h.resize(n);
  for (size_t i = 0; i < n; ++i) {
    h[i] = MixKey(keys[i]);
    const int16_t si = slot_index_[SlotOf(keys[i])];
    const uint32_t g = (static_cast<uint32_t>(si) << shard_bits_) | slots_[si]->ShardOfHash(h[i]);
    p.shard_of[i] = g;
    ++p.begin[g + 1];
  }
  for (uint32_t g = 0; g < shards; ++g) p.begin[g + 1] += p.begin[g];
  // Scatter; `cursor` reuses the counts shifted by one.
  p.cursor.assign(p.begin.begin(), p.begin.end() - 1);
  for (size_t i = 0; i < n; ++i) {
    p.items[p.cursor[p.shard_of[i]]++] = BatchItem{static_cast<uint32_t>(i), p.shard_of[i], h[i]};
  }
  return absl::OkStatus();
}

// HOW IT WORKS: the batch's items are sorted by global shard. One software pipeline runs over
// the whole batch (not per shard, where groups of ~16 keys would never fill it): stage 1 of item
// j prefetches its index line, stage 2 (item j - kIndexAhead) finds its candidate row and
// prefetches it, stage 3 (kRowAhead items later still) does the work. A shard's lock is taken when its first item enters stage 1
// and released when its last item leaves stage 3, so a thread holds at most a few shard locks,
// always acquired in ascending shard order (no deadlock with other batches), each for a bounded
// number of keys.
template <bool kWrite, typename Stage3>
void EmbeddingTable::RunPipeline(const internal::BatchItem* items, size_t n,
                                 Stage3&& stage3) const ABSL_NO_THREAD_SAFETY_ANALYSIS {
  // Stage 2 runs kIndexAhead items behind stage 1, stage 3 kRowAhead items behind stage 2:
  // enough iterations to cover a DRAM miss each.
  constexpr size_t kIndexAhead = 16;  // tuned on 10M rows: 8 was slower, 24/32 no better
  constexpr size_t kRowAhead = 8;
  constexpr size_t kRing = 64;  // > kRowAhead, power of two
  const uint32_t mask = (1u << shard_bits_) - 1;
  uint32_t cand[kRing];
  for (size_t j = 0; j < n + kIndexAhead + kRowAhead; ++j) {
    if (j < n) {
      const internal::BatchItem& it = items[j];
      const SlotTable& st = *slots_[it.group >> shard_bits_];
      internal::Shard& sh = st.shard(it.group & mask);
      if (j == 0 || items[j - 1].group != it.group) {
        if constexpr (kWrite) {
          sh.mu.Lock();
        } else {
          sh.mu.ReaderLock();
        }
      }
      st.PrefetchIndex(sh.data, it.hash);
    }
    if (j >= kIndexAhead && j - kIndexAhead < n) {
      const internal::BatchItem& it = items[j - kIndexAhead];
      const SlotTable& st = *slots_[it.group >> shard_bits_];
      cand[(j - kIndexAhead) % kRing] = st.Candidate(st.shard(it.group & mask).data, it.hash,
                                                      kWrite ? st.row_bytes() : st.lookup_bytes());
    }
    if (j >= kIndexAhead + kRowAhead) {
      const size_t k = j - kIndexAhead - kRowAhead;
      const internal::BatchItem& it = items[k];
      SlotTable& st = *slots_[it.group >> shard_bits_];
      internal::Shard& sh = st.shard(it.group & mask);
      stage3(st, sh, it, cand[k % kRing]);
      if (k + 1 == n || items[k + 1].group != it.group) {
        if constexpr (kWrite) {
          sh.mu.Unlock();
        } else {
          sh.mu.ReaderUnlock();
        }
      }
    }
  }
}

absl::Status EmbeddingTable::Lookup(absl::Span<const FeatureId> keys, absl::Span<float> out) const {
  if (absl::Status s = PlanBatch(keys, out.size()); !s.ok()) return s;
  const BatchPlan& p = ThreadPlan();
  const uint64_t* offsets = p.uniform_dim ? nullptr : p.offsets.data();
  const uint32_t dim = keys.empty() ? 0 : DimOf(SlotOf(keys[0]));
  RunPipeline<false>(p.items.data(), keys.size(),
                     [&](const SlotTable& st, internal::Shard& sh, const BatchItem& it,
                         uint32_t cand) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                       float* dst = out.data() + (offsets ? offsets[it.pos] : uint64_t{it.pos} * dim);
                       st.LookupOne(sh.data, cand, keys[it.pos], it.hash, dst);
                     });
  return absl::OkStatus();
}

absl::Status EmbeddingTable::ApplyGradients(absl::Span<const FeatureId> keys,
                                            absl::Span<const float> grads, int64_t event_time_ms) {
  if (absl::Status s = PlanBatch(keys, grads.size()); !s.ok()) return s;
  const BatchPlan& p = ThreadPlan();
  const uint64_t* offsets = p.uniform_dim ? nullptr : p.offsets.data();
  const uint32_t dim = keys.empty() ? 0 : DimOf(SlotOf(keys[0]));
  const uint32_t now_s = ToSeconds(event_time_ms);
  common::ReaderLock gate(&gate_);
  RunPipeline<true>(p.items.data(), keys.size(),
                    [&](SlotTable& st, internal::Shard& sh, const BatchItem& it,
                        uint32_t cand) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                      const float* g =
                          grads.data() + (offsets ? offsets[it.pos] : uint64_t{it.pos} * dim);
                      st.ApplyOne(sh, sh.data, cand, keys[it.pos], it.hash, g, now_s);
                    });
  return absl::OkStatus();
}

uint64_t EmbeddingTable::Expire(int64_t now_ms, uint32_t step_rows) {
  const uint32_t now_s = ToSeconds(now_ms);
  uint64_t evicted = 0;
  for (auto& st : slots_) {
    for (uint32_t sh = 0; sh < st->num_shards(); ++sh) {
      common::ReaderLock gate(&gate_);
      evicted += st->ExpireShard(sh, now_s, std::max<uint32_t>(step_rows, 1));
    }
  }
  return evicted;
}

uint64_t EmbeddingTable::TrimToRowBudget() {
  uint64_t evicted = 0;
  for (auto& st : slots_) {
    const uint64_t max_rows = st->config().max_rows;
    if (max_rows == 0) continue;
    const uint64_t n = st->num_shards();
    const auto limit = static_cast<uint32_t>(std::min<uint64_t>((max_rows + n - 1) / n, uint64_t{1} << 31));
    const uint32_t keep = limit - limit / 16;
    for (uint32_t sh = 0; sh < n; ++sh) {
      common::ReaderLock gate(&gate_);
      evicted += st->TrimShard(sh, limit, keep);
    }
  }
  return evicted;
}

absl::StatusOr<uint64_t> EmbeddingTable::Remove(absl::Span<const FeatureId> keys) {
  for (FeatureId key : keys) {
    if (FindSlot(SlotOf(key)) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("key of unconfigured slot ", SlotOf(key)));
    }
  }
  common::ReaderLock gate(&gate_);
  uint64_t removed = 0;
  for (FeatureId key : keys) {
    if (FindSlot(SlotOf(key))->RemoveKey(MixKey(key), key)) ++removed;
  }
  return removed;
}

TableDelta EmbeddingTable::DrainDelta() {
  TableDelta delta;
  for (auto& st : slots_) {
    SlotDelta sd;
    sd.slot = st->config().slot;
    sd.dim = st->dim();
    sd.optimizer = st->config().optimizer;
    for (uint32_t sh = 0; sh < st->num_shards(); ++sh) st->DrainShard(sh, &sd);
    if (!sd.keys.empty() || !sd.deleted.empty()) delta.slots.push_back(std::move(sd));
  }
  return delta;
}

absl::Status EmbeddingTable::ApplyDelta(const TableDelta& delta) {
  // Validate everything first: a bad delta changes nothing.
  for (size_t i = 0; i < delta.slots.size(); ++i) {
    const SlotDelta& sd = delta.slots[i];
    const SlotTable* st = FindSlot(sd.slot);
    const std::string where = absl::StrCat("delta.slots[", i, "] (slot ", sd.slot, "): ");
    if (st == nullptr) return absl::InvalidArgumentError(absl::StrCat(where, "slot not configured"));
    if (sd.dim != st->dim()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "dim ", sd.dim, " differs from this table's ", st->dim()));
    }
    if (StateFloatsPerDim(sd.optimizer) == 0 && sd.optimizer != OptimizerKind::kNone) {
      return absl::InvalidArgumentError(absl::StrCat(where, "unknown optimizer"));
    }
    const size_t n = sd.keys.size();
    if (sd.last_seen_s.size() != n || sd.counts.size() != n ||
        sd.values.size() != n * size_t{sd.row_floats()}) {
      return absl::InvalidArgumentError(absl::StrCat(where, "array sizes disagree"));
    }
    for (FeatureId k : sd.keys) {
      if (SlotOf(k) != sd.slot || (k >> 63) != 0) return absl::InvalidArgumentError(absl::StrCat(where, "key of another slot"));
    }
    for (FeatureId k : sd.deleted) {
      if (SlotOf(k) != sd.slot || (k >> 63) != 0) return absl::InvalidArgumentError(absl::StrCat(where, "key of another slot"));
    }
  }
  common::ReaderLock gate(&gate_);
  for (const SlotDelta& sd : delta.slots) {
    SlotTable& st = *FindSlot(sd.slot);
    const uint32_t shards = st.num_shards();
    // Group upserts and deletes by shard.
    std::vector<std::vector<BatchItem>> ups(shards), dels(shards);
    for (size_t i = 0; i < sd.keys.size(); ++i) {
      const uint64_t h = MixKey(sd.keys[i]);
      ups[st.ShardOfHash(h)].push_back({static_cast<uint32_t>(i), 0, h});
    }
    for (size_t i = 0; i < sd.deleted.size(); ++i) {
      const uint64_t h = MixKey(sd.deleted[i]);
      dels[st.ShardOfHash(h)].push_back({static_cast<uint32_t>(i), 0, h});
    }
    for (uint32_t sh = 0; sh < shards; ++sh) {
      if (ups[sh].empty() && dels[sh].empty()) continue;
      st.ApplyDeltaShard(sh, sd, ups[sh].data(), ups[sh].size(), dels[sh].data(), dels[sh].size());
    }
  }
  return absl::OkStatus();
}

TableStats EmbeddingTable::SlotStats(uint32_t slot) const {
  TableStats out;
  const SlotTable* st = FindSlot(slot);
  if (st == nullptr) return out;
  out.rows = st->rows();
  out.bytes = st->bytes();
  out.payload_bytes = out.rows * st->row_floats() * sizeof(float);
  out.pending_touched = st->pending_touched();
  for (uint32_t sh = 0; sh < st->num_shards(); ++sh) {
    const internal::ShardCounters& c = st->counters(sh);
    out.inserts += c.inserts.load(std::memory_order_relaxed);
    out.admission_rejects += c.admission_rejects.load(std::memory_order_relaxed);
    out.expired += c.expired.load(std::memory_order_relaxed);
    out.budget_evictions += c.budget_evictions.load(std::memory_order_relaxed);
    out.budget_rejects += c.budget_rejects.load(std::memory_order_relaxed);
  }
  return out;
}

TableStats EmbeddingTable::Stats() const {
  TableStats out;
  for (const auto& st : slots_) {
    const TableStats s = SlotStats(st->config().slot);
    out.rows += s.rows;
    out.bytes += s.bytes;
    out.payload_bytes += s.payload_bytes;
    out.inserts += s.inserts;
    out.admission_rejects += s.admission_rejects;
    out.expired += s.expired;
    out.budget_evictions += s.budget_evictions;
    out.budget_rejects += s.budget_rejects;
    out.pending_touched += s.pending_touched;
  }
  return out;
}

bool EmbeddingTable::GetRowMeta(FeatureId key, uint32_t* count, uint32_t* last_seen_s) const {
  const SlotTable* st = FindSlot(SlotOf(key));
  return st != nullptr && st->GetRowMeta(MixKey(key), key, count, last_seen_s);
}

}  // namespace foryou::embedding
