// The per-slot, per-shard machinery of the embedding table.
//
// HOW IT WORKS
// Index: a power-of-two array of 8-byte entries `fingerprint << 32 | row`, linear probing, at
// most 7/8 full. The fingerprint is the low 32 bits of the key's mixed hash, so an entry's home
// position is `fingerprint & mask`: resizing and deletion (backward shift, no tombstones) never
// read a row. A probe compares fingerprints and confirms the key in the row, which the caller
// reads anyway.
// Arena: rows of fixed size (16-byte RowHeader + embedding + optimizer state) packed densely in
// 2 MiB chunks on huge pages; the last chunk grows by doubling, so small slots stay small and a
// shard wastes at most half a chunk. A row number maps to its chunk by a multiply-shift division. Removal moves the
// last row into the hole, so the arena has no holes and snapshots/scans are sequential.
// Batches run through a three-stage software pipeline driven by EmbeddingTable: prefetch the
// index line (stage 1), find the candidate row by fingerprint and prefetch its lines (stage 2,
// D keys later), then verify the key and do the work (stage 3, 2D keys later). Stage 3 re-probes
// whenever the candidate is stale (a row moved or was inserted by an earlier key of the same
// batch), so the pipeline is an optimisation only.
#include "embedding/slot_table.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include <sys/mman.h>

#include "embedding/optimizer.h"

namespace foryou::embedding::internal {
namespace {

constexpr int kEvictionSamples = 8;
constexpr uint32_t kInitialIndexCapacity = 16;
constexpr uint32_t kInitialChunk0Rows = 16;
// Full chunks and large indexes are 2 MiB-aligned and advised as huge pages: random access over
// gigabytes of rows then misses the TLB far less often.
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kChunkBytes = kHugePage;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Blocks of 2 MiB and more are fresh anonymous mappings, 2 MiB-aligned and advised as huge
// pages. (Not malloc: after big frees glibc serves them from recycled heap memory already
// faulted in 4 KiB pages, which MADV_HUGEPAGE does not convert; measured: a dim-32 table built
// after a dim-16 one ran 30% slower.) Smaller blocks come from malloc.
void* AllocBlock(size_t bytes) {
  if (bytes < kHugePage) {
    void* p = std::aligned_alloc(64, RoundUp(bytes, 64));
    if (p == nullptr) std::abort();
    return p;
  }
  const size_t size = RoundUp(bytes, kHugePage);
  void* raw = ::mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) std::abort();
  const uintptr_t base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = RoundUp(base, kHugePage);
  if (aligned > base) ::munmap(raw, aligned - base);
  const uintptr_t end = base + size + kHugePage;
  if (end > aligned + size) ::munmap(reinterpret_cast<void*>(aligned + size), end - aligned - size);
  ::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

void FreeBlock(void* p, size_t bytes) {
  if (p == nullptr) return;
  if (bytes < kHugePage) {
    std::free(p);
  } else {
    ::munmap(p, RoundUp(bytes, kHugePage));
  }
}

uint64_t* AllocIndex(uint64_t capacity) {
  auto* index = static_cast<uint64_t*>(AllocBlock(capacity * sizeof(uint64_t)));
  std::fill_n(index, capacity, kEmptyEntry);
  return index;
}

inline RowHeader* Header(char* row) { return reinterpret_cast<RowHeader*>(row); }
inline float* Floats(char* row) { return reinterpret_cast<float*>(row + sizeof(RowHeader)); }

inline uint64_t Entry(uint64_t h, uint32_t row) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(h)) << 32) | row;
}

inline void PrefetchRow(const char* p, uint32_t row_bytes) {
  for (uint32_t off = 0; off < row_bytes; off += 64) __builtin_prefetch(p + off);
  __builtin_prefetch(p + row_bytes - 1);
}

}  // namespace

ShardData& ShardData::operator=(ShardData&& o) noexcept {
  if (this == &o) return *this;
  Release();
  index = std::exchange(o.index, nullptr);
  index_mask = std::exchange(o.index_mask, 0);
  chunks = std::move(o.chunks);
  o.chunks.clear();
  last_rows = std::exchange(o.last_rows, 0);
  last_bytes = std::exchange(o.last_bytes, 0);
  full_bytes = std::exchange(o.full_bytes, 0);
  rows = std::exchange(o.rows, 0);
  touched = std::move(o.touched);
  deleted = std::move(o.deleted);
  rng = o.rng;
  return *this;
}

void ShardData::Release() {
  for (size_t i = 0; i < chunks.size(); ++i) {
    FreeBlock(chunks[i], i + 1 == chunks.size() ? last_bytes : full_bytes);
  }
  chunks.clear();
  if (index != nullptr) FreeBlock(index, (index_mask + 1) * sizeof(uint64_t));
  index = nullptr;
}

ShardData::~ShardData() { Release(); }

SlotTable::SlotTable(const SlotConfig& config, uint32_t shard_bits, uint64_t budget_bytes,
                     uint64_t seed, std::atomic<uint64_t>* table_bytes)
    : config_(config),
      shard_bits_(shard_bits),
      row_floats_(config.dim * (1 + StateFloatsPerDim(config.optimizer))),
      row_bytes_(RowBytes(config.dim, config.optimizer)),
      chunk_rows_(std::max<uint32_t>(1, static_cast<uint32_t>(kChunkBytes / row_bytes_))),
      chunk_div_(chunk_rows_),
      budget_bytes_(budget_bytes),
      seed_(MixKey(seed ^ (uint64_t{config.slot} << 32))),
      table_bytes_(table_bytes) {
  if (config.admission.min_count > 1 || config.admission.probability < 1.0) {
    admission_ = std::make_unique<AdmissionFilter>(config.admission, seed_);
    table_bytes_->fetch_add(admission_->bytes(), std::memory_order_relaxed);
  }
  shards_.reserve(num_shards());
  for (uint32_t i = 0; i < num_shards(); ++i) {
    shards_.push_back(std::make_unique<Shard>());
    common::WriterLock l(&shards_.back()->mu);
    shards_.back()->data.rng = seed_ + i;
  }
}

SlotTable::~SlotTable() = default;

size_t SlotTable::ChunkBytes(uint32_t rows) const {
  return rows >= chunk_rows_ ? std::max<size_t>(kChunkBytes, row_bytes_) : size_t{rows} * row_bytes_;
}

uint64_t SlotTable::ShardBytes(const ShardData& d) const {
  const uint64_t arena = d.chunks.empty() ? 0 : d.full_bytes * (d.chunks.size() - 1) + d.last_bytes;
  return arena + (d.index ? (d.index_mask + 1) * sizeof(uint64_t) : 0);
}

uint32_t SlotTable::Probe(const ShardData& d, uint64_t h, FeatureId key) const {
  return ScanFingerprint(d, h, [&](uint32_t r) { return Header(RowAt(d, r))->key == key; });
}

// The arena grows at its last chunk: a new chunk starts small (16 rows for a shard's first, an
// eighth of a full chunk after) and doubles, copying its rows, until full. So a shard wastes at
// most half of its last chunk, and every full chunk is a 2 MiB huge page.

uint32_t SlotTable::NewChunkRows(const ShardData& d) const {
  const uint32_t first =
      d.chunks.empty() ? kInitialChunk0Rows : std::max(kInitialChunk0Rows, chunk_rows_ / 8);
  return std::min(first, chunk_rows_);
}

uint64_t SlotTable::GrowthBytes(const ShardData& d) const {
  uint64_t g = 0;
  if (d.rows >= Capacity(d)) {
    if (d.chunks.empty() || d.last_rows >= chunk_rows_) {
      g += ChunkBytes(NewChunkRows(d));
    } else {
      g += ChunkBytes(std::min(d.last_rows * 2, chunk_rows_)) - d.last_bytes;
    }
  }
  if (!d.index) {
    g += kInitialIndexCapacity * sizeof(uint64_t);
  } else if (IndexFull(d)) {
    g += (d.index_mask + 1) * sizeof(uint64_t);
  }
  return g;
}

void SlotTable::GrowForInsert(ShardData& d) const {
  if (d.rows >= Capacity(d)) {
    d.full_bytes = ChunkBytes(chunk_rows_);
    if (d.chunks.empty() || d.last_rows >= chunk_rows_) {
      d.last_rows = NewChunkRows(d);
      d.last_bytes = ChunkBytes(d.last_rows);
      d.chunks.push_back(static_cast<char*>(AllocBlock(d.last_bytes)));
    } else {
      const uint32_t grown = std::min(d.last_rows * 2, chunk_rows_);
      const size_t bytes = ChunkBytes(grown);
      char* c = static_cast<char*>(AllocBlock(bytes));
      const size_t in_last = d.rows - size_t{chunk_rows_} * (d.chunks.size() - 1);
      std::memcpy(c, d.chunks.back(), in_last * row_bytes_);
      FreeBlock(d.chunks.back(), d.last_bytes);
      d.chunks.back() = c;
      d.last_rows = grown;
      d.last_bytes = bytes;
    }
  }
  if (!d.index) {
    d.index = AllocIndex(kInitialIndexCapacity);
    d.index_mask = kInitialIndexCapacity - 1;
  } else if (IndexFull(d)) {
    const uint64_t cap = (d.index_mask + 1) * 2;
    uint64_t* grown = AllocIndex(cap);
    const uint64_t mask = cap - 1;
    for (uint64_t i = 0; i <= d.index_mask; ++i) {
      const uint64_t e = d.index[i];
      if (e == kEmptyEntry) continue;
      uint64_t pos = (e >> 32) & mask;
      while (grown[pos] != kEmptyEntry) pos = (pos + 1) & mask;
      grown[pos] = e;
    }
    FreeBlock(d.index, (d.index_mask + 1) * sizeof(uint64_t));
    d.index = grown;
    d.index_mask = mask;
  }
}

uint32_t SlotTable::AppendRow(ShardData& d, uint64_t h, FeatureId key, uint32_t now_s) const {
  const uint32_t r = d.rows++;
  InitRow(RowAt(d, r), key, now_s);
  uint64_t pos = static_cast<uint32_t>(h) & d.index_mask;
  while (d.index[pos] != kEmptyEntry) pos = (pos + 1) & d.index_mask;
  d.index[pos] = Entry(h, r);
  return r;
}

void SlotTable::InitRow(char* row, FeatureId key, uint32_t now_s) const {
  RowHeader* h = Header(row);
  h->key = key;
  h->last_seen_s = now_s;
  h->count_flags = 0;
  float* w = Floats(row);
  uint64_t rng = key ^ seed_;
  const float scale = config_.init_scale;
  for (uint32_t i = 0; i < config_.dim; ++i) {
    // 24 random bits -> uniform in [-scale, scale).
    const float u = static_cast<float>(SplitMix64(&rng) >> 40) * (1.0f / 16777216.0f);
    w[i] = (2.0f * u - 1.0f) * scale;
  }
  float* state = w + config_.dim;
  const uint32_t state_floats = row_floats_ - config_.dim;
  const float init = config_.optimizer == OptimizerKind::kAdagrad ? config_.adagrad.initial_accumulator : 0.0f;
  std::fill_n(state, state_floats, init);
}

uint32_t SlotTable::InsertRow(Shard& s, ShardData& d, uint64_t h, FeatureId key, uint32_t now_s) {
  if (d.rows >= (1u << 31) - 1) {  // RowDivider's range
    s.counters.budget_rejects.fetch_add(1, std::memory_order_relaxed);
    return kNoRow;
  }
  uint64_t growth = GrowthBytes(d);
  if (budget_bytes_ == 0) {
    table_bytes_->fetch_add(growth, std::memory_order_relaxed);
  } else {
    // Reserve the growth against the budget; evict the coldest sampled rows until it fits.
    while (growth > 0) {
      uint64_t cur = table_bytes_->load(std::memory_order_relaxed);
      if (cur + growth <= budget_bytes_) {
        if (table_bytes_->compare_exchange_weak(cur, cur + growth, std::memory_order_relaxed)) break;
        continue;
      }
      if (d.rows == 0) {
        s.counters.budget_rejects.fetch_add(1, std::memory_order_relaxed);
        return kNoRow;
      }
      EvictColdestSample(s, d);
      growth = GrowthBytes(d);
    }
  }
  GrowForInsert(d);
  const uint32_t r = AppendRow(d, h, key, now_s);
  s.counters.inserts.fetch_add(1, std::memory_order_relaxed);
  return r;
}

void SlotTable::RemoveRow(ShardData& d, uint32_t r) {
  const uint64_t mask = d.index_mask;
  // Find and delete r's index entry, shifting later entries of the cluster back.
  const uint64_t h = MixKey(Header(RowAt(d, r))->key);
  const uint64_t target = Entry(h, r);
  uint64_t i = static_cast<uint32_t>(h) & mask;
  while (d.index[i] != target) i = (i + 1) & mask;
  for (uint64_t j = (i + 1) & mask;; j = (j + 1) & mask) {
    const uint64_t e = d.index[j];
    if (e == kEmptyEntry) break;
    const uint64_t home = (e >> 32) & mask;
    // The entry at j may fill the hole at i if its home is not in (i, j] (cyclically).
    if (((j - home) & mask) >= ((j - i) & mask)) {
      d.index[i] = e;
      i = j;
    }
  }
  d.index[i] = kEmptyEntry;
  // Move the last row into the hole and repoint its entry.
  const uint32_t last = d.rows - 1;
  if (r != last) {
    std::memcpy(RowAt(d, r), RowAt(d, last), row_bytes_);
    const uint64_t mh = MixKey(Header(RowAt(d, r))->key);
    const uint64_t old_entry = Entry(mh, last);
    uint64_t p = static_cast<uint32_t>(mh) & mask;
    while (d.index[p] != old_entry) p = (p + 1) & mask;
    d.index[p] = Entry(mh, r);
  }
  --d.rows;
  // Give back the last chunk once it and the one before are empty (that one stays as a spare).
  if (d.chunks.size() >= 2 && uint64_t{d.rows} <= uint64_t{chunk_rows_} * (d.chunks.size() - 2)) {
    FreeBlock(d.chunks.back(), d.last_bytes);
    d.chunks.pop_back();
    table_bytes_->fetch_sub(d.last_bytes, std::memory_order_relaxed);
    d.last_rows = chunk_rows_;
    d.last_bytes = d.full_bytes;
  }
}

void SlotTable::EvictColdestSample(Shard& s, ShardData& d) {
  uint32_t best = kNoRow;
  uint64_t best_rank = ~uint64_t{0};
  for (int k = 0; k < kEvictionSamples; ++k) {
    const uint32_t r = static_cast<uint32_t>(SplitMix64(&d.rng) % d.rows);
    const RowHeader* h = Header(RowAt(d, r));
    // Oldest last-seen first; among equals, the fewest occurrences.
    const uint64_t rank = (uint64_t{h->last_seen_s} << 31) | (h->count_flags & kCountMask);
    if (rank < best_rank) {
      best_rank = rank;
      best = r;
    }
  }
  d.deleted.push_back(Header(RowAt(d, best))->key);
  RemoveRow(d, best);
  s.counters.budget_evictions.fetch_add(1, std::memory_order_relaxed);
}

void SlotTable::Touch(ShardData& d, RowHeader* hdr) const {
  if ((hdr->count_flags & kTouchedBit) == 0) {
    hdr->count_flags |= kTouchedBit;
    d.touched.push_back(hdr->key);
  }
}

uint32_t SlotTable::Candidate(const ShardData& d, uint64_t h, uint32_t prefetch_bytes) const {
  // The first fingerprint match, unverified: reading the row here would stall the pipeline.
  const uint32_t c = ScanFingerprint(d, h, [](uint32_t) { return true; });
  if (c != kNoRow) PrefetchRow(RowAt(d, c), prefetch_bytes);
  return c;
}

void SlotTable::LookupOne(const ShardData& d, uint32_t cand, FeatureId key, uint64_t h,
                          float* dst) const {
  uint32_t r = cand;
  if (r != kNoRow && Header(RowAt(d, r))->key != key) r = Probe(d, h, key);
  if (r == kNoRow) {
    std::fill_n(dst, config_.dim, 0.0f);
  } else {
    std::memcpy(dst, Floats(RowAt(d, r)), config_.dim * sizeof(float));
  }
}

void SlotTable::ApplyOne(Shard& s, ShardData& d, uint32_t cand, FeatureId key, uint64_t h,
                         const float* g, uint32_t now_s) {
  // The candidate may be stale: rows move when an earlier key of this batch evicted one.
  uint32_t r = cand;
  if (r == kNoRow || r >= d.rows || Header(RowAt(d, r))->key != key) r = Probe(d, h, key);
  if (r == kNoRow) {
    if (admission_ && !admission_->CountAndAdmit(h, &d.rng)) {
      s.counters.admission_rejects.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    r = InsertRow(s, d, h, key, now_s);
    if (r == kNoRow) return;
  }
  char* row = RowAt(d, r);
  RowHeader* hdr = Header(row);
  if ((hdr->count_flags & kCountMask) < kCountMask) ++hdr->count_flags;
  hdr->last_seen_s = std::max(hdr->last_seen_s, now_s);
  Touch(d, hdr);
  float* w = Floats(row);
  const uint32_t dim = config_.dim;
  switch (config_.optimizer) {
    case OptimizerKind::kAdagrad:
      AdagradUpdate(config_.adagrad, dim, g, w, w + dim);
      break;
    case OptimizerKind::kFtrl:
      FtrlUpdate(config_.ftrl, dim, g, w, w + dim, w + 2 * dim);
      break;
    case OptimizerKind::kNone:
      break;
  }
}

uint64_t SlotTable::ExpireShard(uint32_t shard, uint32_t now_s, uint32_t step_rows) {
  const int64_t ttl = config_.expire_after_s;
  if (ttl <= 0) return 0;
  Shard& s = *shards_[shard];
  uint64_t evicted = 0;
  uint32_t r = 0;
  while (true) {
    common::WriterLock lock(&s.mu);
    ShardData& d = s.data;
    for (uint32_t steps = 0; r < d.rows && steps < step_rows; ++steps) {
      const RowHeader* h = Header(RowAt(d, r));
      if (int64_t{h->last_seen_s} + ttl < int64_t{now_s}) {
        d.deleted.push_back(h->key);
        RemoveRow(d, r);  // the last row moves into r: look at r again
        ++evicted;
      } else {
        ++r;
      }
    }
    if (r >= d.rows) break;
  }
  s.counters.expired.fetch_add(evicted, std::memory_order_relaxed);
  return evicted;
}

uint64_t SlotTable::TrimShard(uint32_t shard, uint32_t limit, uint32_t keep) {
  Shard& s = *shards_[shard];
  common::WriterLock lock(&s.mu);
  ShardData& d = s.data;
  if (d.rows <= limit || keep >= d.rows) return 0;
  // Rank as EvictColdestSample does (last-seen, then occurrences), but exactly: the `evict`
  // lowest ranks go. Rows ranked below the cut all go; rows at the cut only until `evict` went.
  auto rank = [this](const ShardData& data, uint32_t r) {
    const RowHeader* h = Header(RowAt(data, r));
    return (uint64_t{h->last_seen_s} << 31) | (h->count_flags & kCountMask);
  };
  const uint32_t evict = d.rows - keep;
  std::vector<uint64_t> ranks(d.rows);
  for (uint32_t r = 0; r < d.rows; ++r) ranks[r] = rank(d, r);
  std::nth_element(ranks.begin(), ranks.begin() + (evict - 1), ranks.end());
  const uint64_t cut = ranks[evict - 1];
  uint32_t at_cut = evict - static_cast<uint32_t>(std::count_if(
                                ranks.begin(), ranks.begin() + (evict - 1),
                                [cut](uint64_t v) { return v < cut; }));
  uint32_t evicted = 0;
  for (uint32_t r = 0; r < d.rows && evicted < evict;) {
    const uint64_t v = rank(d, r);
    if (v < cut || (v == cut && at_cut > 0)) {
      if (v == cut) --at_cut;
      d.deleted.push_back(Header(RowAt(d, r))->key);
      RemoveRow(d, r);  // the last row moves into r: look at r again
      ++evicted;
    } else {
      ++r;
    }
  }
  s.counters.budget_evictions.fetch_add(evicted, std::memory_order_relaxed);
  return evicted;
}

bool SlotTable::RemoveKey(uint64_t h, FeatureId key) {
  Shard& s = *shards_[ShardOfHash(h)];
  common::WriterLock lock(&s.mu);
  ShardData& d = s.data;
  const uint32_t r = Probe(d, h, key);
  if (r == kNoRow) return false;
  d.deleted.push_back(key);
  RemoveRow(d, r);
  return true;
}

void SlotTable::DrainShard(uint32_t shard, SlotDelta* out) {
  Shard& s = *shards_[shard];
  common::WriterLock lock(&s.mu);
  ShardData& d = s.data;
  for (FeatureId key : d.touched) {
    const uint32_t r = Probe(d, MixKey(key), key);
    if (r == kNoRow) continue;  // evicted since: reported in `deleted`
    char* row = RowAt(d, r);
    RowHeader* hdr = Header(row);
    if ((hdr->count_flags & kTouchedBit) == 0) continue;  // listed twice (evicted, re-inserted)
    hdr->count_flags &= ~kTouchedBit;
    out->keys.push_back(key);
    out->last_seen_s.push_back(hdr->last_seen_s);
    out->counts.push_back(hdr->count_flags & kCountMask);
    const float* f = Floats(row);
    out->values.insert(out->values.end(), f, f + row_floats_);
  }
  for (FeatureId key : d.deleted) {
    if (Probe(d, MixKey(key), key) == kNoRow) out->deleted.push_back(key);
  }
  // Keep a modest capacity; release what a burst left behind.
  if (d.touched.capacity() > (1u << 16)) std::vector<FeatureId>().swap(d.touched);
  else d.touched.clear();
  if (d.deleted.capacity() > (1u << 16)) std::vector<FeatureId>().swap(d.deleted);
  else d.deleted.clear();
}

void SlotTable::ApplyDeltaShard(uint32_t shard, const SlotDelta& delta, const BatchItem* upserts,
                                size_t n_upserts, const BatchItem* deletes, size_t n_deletes) {
  Shard& s = *shards_[shard];
  common::WriterLock lock(&s.mu);
  ShardData& d = s.data;
  for (size_t i = 0; i < n_deletes; ++i) {
    const uint32_t r = Probe(d, deletes[i].hash, delta.deleted[deletes[i].pos]);
    if (r != kNoRow) RemoveRow(d, r);
  }
  const uint32_t src_floats = delta.row_floats();
  const bool same_state = delta.optimizer == config_.optimizer;
  for (size_t i = 0; i < n_upserts; ++i) {
    const uint32_t pos = upserts[i].pos;
    const FeatureId key = delta.keys[pos];
    uint32_t r = Probe(d, upserts[i].hash, key);
    if (r == kNoRow) r = InsertRow(s, d, upserts[i].hash, key, delta.last_seen_s[pos]);
    if (r == kNoRow) continue;
    char* row = RowAt(d, r);
    RowHeader* hdr = Header(row);
    hdr->last_seen_s = delta.last_seen_s[pos];
    hdr->count_flags = (delta.counts[pos] & kCountMask) | (hdr->count_flags & kTouchedBit);
    const float* src = delta.values.data() + size_t{pos} * src_floats;
    std::memcpy(Floats(row), src, (same_state ? row_floats_ : config_.dim) * sizeof(float));
  }
}

void SlotTable::CopyRows(uint32_t shard, std::vector<char>* out) const {
  const Shard& s = *shards_[shard];
  common::ReaderLock lock(&s.mu);
  const ShardData& d = s.data;
  const size_t start = out->size();
  out->resize(start + size_t{d.rows} * row_bytes_);
  char* dst = out->data() + start;
  for (uint32_t done = 0; done < d.rows;) {
    const uint32_t n = std::min(d.rows - done, chunk_rows_);
    std::memcpy(dst + size_t{done} * row_bytes_, RowAt(d, done), size_t{n} * row_bytes_);
    done += n;
  }
  for (uint32_t r = 0; r < d.rows; ++r) {
    Header(dst + size_t{r} * row_bytes_)->count_flags &= kCountMask;
  }
}

bool SlotTable::StageRows(const char* rows, size_t n, uint32_t src_row_floats, OptimizerKind src_opt,
                          std::vector<ShardData>* fresh, uint64_t* staged_bytes) const {
  const size_t src_row_bytes = sizeof(RowHeader) + size_t{src_row_floats} * 4;
  const bool same_state = src_opt == config_.optimizer;
  for (size_t i = 0; i < n; ++i) {
    const char* src = rows + i * src_row_bytes;
    RowHeader hdr;
    std::memcpy(&hdr, src, sizeof(hdr));
    if ((hdr.key >> 63) != 0 || SlotOf(hdr.key) != config_.slot) return false;
    const uint64_t h = MixKey(hdr.key);
    ShardData& d = (*fresh)[ShardOfHash(h)];
    if (Probe(d, h, hdr.key) != kNoRow) return false;
    GrowForInsert(d);
    char* row = RowAt(d, AppendRow(d, h, hdr.key, hdr.last_seen_s));
    Header(row)->count_flags = hdr.count_flags & kCountMask;
    std::memcpy(Floats(row), src + sizeof(RowHeader),
                size_t{same_state ? row_floats_ : config_.dim} * sizeof(float));
  }
  uint64_t total = 0;
  for (const ShardData& d : *fresh) total += ShardBytes(d);
  *staged_bytes = total;
  return true;
}

int64_t SlotTable::SwapIn(std::vector<ShardData>* fresh) {
  int64_t delta = 0;
  for (uint32_t i = 0; i < num_shards(); ++i) {
    Shard& s = *shards_[i];
    common::WriterLock lock(&s.mu);
    delta += static_cast<int64_t>(ShardBytes((*fresh)[i])) -
             static_cast<int64_t>(ShardBytes(s.data));
    (*fresh)[i].rng = s.data.rng;
    std::swap(s.data, (*fresh)[i]);
  }
  return delta;
}

bool SlotTable::GetRowMeta(uint64_t h, FeatureId key, uint32_t* count, uint32_t* last_seen_s) const {
  const Shard& s = *shards_[ShardOfHash(h)];
  common::ReaderLock lock(&s.mu);
  const uint32_t r = Probe(s.data, h, key);
  if (r == kNoRow) return false;
  const RowHeader* hdr = Header(RowAt(s.data, r));
  *count = hdr->count_flags & kCountMask;
  *last_seen_s = hdr->last_seen_s;
  return true;
}

uint64_t SlotTable::rows() const {
  uint64_t n = 0;
  for (const auto& s : shards_) {
    common::ReaderLock lock(&s->mu);
    n += s->data.rows;
  }
  return n;
}

uint64_t SlotTable::bytes() const {
  uint64_t n = admission_ ? admission_->bytes() : 0;
  for (const auto& s : shards_) {
    common::ReaderLock lock(&s->mu);
    n += ShardBytes(s->data);
  }
  return n;
}

uint64_t SlotTable::pending_touched() const {
  uint64_t n = 0;
  for (const auto& s : shards_) {
    common::ReaderLock lock(&s->mu);
    n += s->data.touched.size();
  }
  return n;
}

}  // namespace foryou::embedding::internal
