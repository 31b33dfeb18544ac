// Snapshot write and load for EmbeddingTable. The byte layout is docs/formats/snapshot.md.
//
// Write: with the table gate held exclusively (writers paused, readers not), each shard in turn
// is copied to a buffer and becomes one zstd block streamed to `path.tmp` with a running XXH3
// checksum (one shard's rows in memory at a time, not the table's); then, with the gate
// released, the file is committed by fsync + rename.
// Load: the whole file is read and verified (footer, file checksum, every block's checksum and
// sizes, slots and dims against this table's config, no duplicate keys) while rows are staged
// into fresh shard structures; only when all of it passed are the shards swapped in.
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "embedding/embedding_table.h"
#include "embedding/slot_table.h"
#include "xxhash.h"
#include "zstd.h"

namespace foryou::embedding {
namespace {

constexpr char kMagic[8] = {'F', 'Y', 'E', 'M', 'B', 'S', 'N', 'P'};
constexpr char kFooterMagic[8] = {'F', 'Y', 'S', 'N', 'P', 'E', 'N', 'D'};
constexpr char kBlockMagic[4] = {'F', 'Y', 'B', 'K'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderBytes = 32;
constexpr size_t kSlotDescBytes = 24;
constexpr size_t kBlockHeaderBytes = 40;
constexpr size_t kFooterBytes = 32;
constexpr int kZstdLevel = 1;

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
T Get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

absl::Status Corrupt(const std::string& path, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("snapshot ", path, " refused: ", why));
}

// Appends to the file and to the running checksum.
class ChecksummedWriter {
 public:
  ChecksummedWriter() : state_(XXH3_createState()) { XXH3_64bits_reset(state_); }
  ~ChecksummedWriter() { XXH3_freeState(state_); }
  absl::Status Open(const std::string& path) { return file_.Open(path); }
  absl::Status Append(std::string_view data) {
    XXH3_64bits_update(state_, data.data(), data.size());
    return file_.Append(data);
  }
  uint64_t digest() const { return XXH3_64bits_digest(state_); }
  absl::Status Commit() { return file_.Commit(); }

 private:
  common::AtomicFileWriter file_;
  XXH3_state_t* state_;
};

}  // namespace

absl::Status EmbeddingTable::WriteSnapshot(const std::string& path, uint64_t user_version) {
  ChecksummedWriter w;
  if (absl::Status s = w.Open(path); !s.ok()) return s;
  {
    // Writers wait from the row counts to the last block (readers do not), so the file is the
    // table between two writer calls while only one shard's rows are in memory at a time.
    common::WriterLock gate(&gate_);
    std::string buf;
    buf.append(kMagic, 8);
    Put<uint32_t>(&buf, kFormatVersion);
    Put<uint32_t>(&buf, static_cast<uint32_t>(slots_.size()));
    Put<uint64_t>(&buf, user_version);
    Put<uint64_t>(&buf, static_cast<uint64_t>(
                            std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count()));
    for (const auto& st : slots_) {
      Put<uint32_t>(&buf, st->config().slot);
      Put<uint32_t>(&buf, st->dim());
      Put<uint32_t>(&buf, static_cast<uint32_t>(st->config().optimizer));
      Put<uint32_t>(&buf, st->row_bytes());
      Put<uint64_t>(&buf, st->rows());
    }
    if (absl::Status s = w.Append(buf); !s.ok()) return s;
    uint64_t blocks = 0, total_rows = 0;
    std::vector<char> raw;
    std::string compressed;
    for (const auto& st : slots_) {
      for (uint32_t sh = 0; sh < st->num_shards(); ++sh) {
        raw.clear();
        st->CopyRows(sh, &raw);
        if (raw.empty()) continue;
        compressed.resize(ZSTD_compressBound(raw.size()));
        const size_t clen =
            ZSTD_compress(compressed.data(), compressed.size(), raw.data(), raw.size(), kZstdLevel);
        if (ZSTD_isError(clen)) {
          return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(clen)));
        }
        compressed.resize(clen);
        const uint32_t rows = static_cast<uint32_t>(raw.size() / st->row_bytes());
        buf.clear();
        buf.append(kBlockMagic, 4);
        Put<uint32_t>(&buf, st->config().slot);
        Put<uint32_t>(&buf, rows);
        Put<uint32_t>(&buf, st->row_bytes());
        Put<uint64_t>(&buf, raw.size());
        Put<uint64_t>(&buf, clen);
        Put<uint64_t>(&buf, XXH3_64bits(compressed.data(), clen));
        if (absl::Status s = w.Append(buf); !s.ok()) return s;
        if (absl::Status s = w.Append(compressed); !s.ok()) return s;
        ++blocks;
        total_rows += rows;
      }
    }
    buf.clear();
    buf.append(kFooterMagic, 8);
    Put<uint64_t>(&buf, blocks);
    Put<uint64_t>(&buf, total_rows);
    if (absl::Status s = w.Append(buf); !s.ok()) return s;
    buf.clear();
    Put<uint64_t>(&buf, w.digest());
    if (absl::Status s = w.Append(buf); !s.ok()) return s;
  }
  return w.Commit();  // fsync and rename with writers running again
}

absl::StatusOr<uint64_t> EmbeddingTable::LoadSnapshot(const std::string& path) {
  absl::StatusOr<std::string> file = common::ReadFile(path);
  if (!file.ok()) return file.status();
  const std::string& f = *file;
  const char* p = f.data();
  const size_t size = f.size();
  if (size < kHeaderBytes + kFooterBytes) return Corrupt(path, "shorter than header + footer");
  if (std::memcmp(p, kMagic, 8) != 0) return Corrupt(path, "not a foryou embedding snapshot (bad magic)");
  const size_t footer = size - kFooterBytes;
  if (std::memcmp(p + footer, kFooterMagic, 8) != 0) return Corrupt(path, "truncated (no footer)");
  if (XXH3_64bits(p, size - 8) != Get<uint64_t>(p + size - 8)) {
    return Corrupt(path, "file checksum mismatch");
  }
  const uint32_t version = Get<uint32_t>(p + 8);
  if (version != kFormatVersion) {
    return Corrupt(path, absl::StrCat("format version ", version, " is not supported (want ",
                                      kFormatVersion, ")"));
  }
  const uint32_t slot_count = Get<uint32_t>(p + 12);
  const uint64_t user_version = Get<uint64_t>(p + 16);
  if (slot_count > 4096 || kHeaderBytes + uint64_t{slot_count} * kSlotDescBytes > footer) {
    return Corrupt(path, "slot count out of range");
  }
  struct SlotDesc {
    const internal::SlotTable* table;
    uint32_t dim;
    OptimizerKind optimizer;
    uint32_t row_bytes;
    uint64_t rows;
    uint64_t seen_rows = 0;
    std::vector<internal::ShardData> fresh;
  };
  std::vector<SlotDesc> descs;
  std::vector<int32_t> desc_of(kMaxSlot + 1, -1);
  size_t off = kHeaderBytes;
  for (uint32_t i = 0; i < slot_count; ++i, off += kSlotDescBytes) {
    const uint32_t slot = Get<uint32_t>(p + off);
    const uint32_t dim = Get<uint32_t>(p + off + 4);
    const uint32_t opt = Get<uint32_t>(p + off + 8);
    const uint32_t row_bytes = Get<uint32_t>(p + off + 12);
    const uint64_t rows = Get<uint64_t>(p + off + 16);
    if (slot > kMaxSlot || desc_of[slot] >= 0) return Corrupt(path, "bad or repeated slot id");
    const internal::SlotTable* st = FindSlot(slot);
    if (st == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("snapshot ", path, " refused: it has slot ", slot,
                       " which this table's config does not have"));
    }
    if (dim != st->dim()) {
      return absl::InvalidArgumentError(absl::StrCat("snapshot ", path, " refused: slot ", slot,
                                                     " has dim ", dim, ", config says ", st->dim()));
    }
    if (opt > static_cast<uint32_t>(OptimizerKind::kFtrl)) return Corrupt(path, "unknown optimizer");
    const OptimizerKind kind = static_cast<OptimizerKind>(opt);
    if (row_bytes != internal::RowBytes(dim, kind)) {
      return Corrupt(path, absl::StrCat("slot ", slot, ": row size disagrees with dim/optimizer"));
    }
    desc_of[slot] = static_cast<int32_t>(descs.size());
    SlotDesc d{st, dim, kind, row_bytes, rows};
    d.fresh.resize(st->num_shards());
    descs.push_back(std::move(d));
  }
  uint64_t blocks = 0, total_rows = 0;
  std::string raw;
  while (off < footer) {
    if (off + kBlockHeaderBytes > footer) return Corrupt(path, "truncated block header");
    if (std::memcmp(p + off, kBlockMagic, 4) != 0) return Corrupt(path, "bad block magic");
    const uint32_t slot = Get<uint32_t>(p + off + 4);
    const uint32_t rows = Get<uint32_t>(p + off + 8);
    const uint32_t row_bytes = Get<uint32_t>(p + off + 12);
    const uint64_t raw_bytes = Get<uint64_t>(p + off + 16);
    const uint64_t clen = Get<uint64_t>(p + off + 24);
    const uint64_t checksum = Get<uint64_t>(p + off + 32);
    off += kBlockHeaderBytes;
    if (slot > kMaxSlot || desc_of[slot] < 0) return Corrupt(path, "block of an undeclared slot");
    SlotDesc& d = descs[desc_of[slot]];
    if (row_bytes != d.row_bytes || raw_bytes != uint64_t{rows} * row_bytes) {
      return Corrupt(path, "block sizes disagree");
    }
    if (clen > footer - off) return Corrupt(path, "block runs past the footer");
    if (XXH3_64bits(p + off, clen) != checksum) return Corrupt(path, "block checksum mismatch");
    raw.resize(raw_bytes);
    const size_t got = ZSTD_decompress(raw.data(), raw.size(), p + off, clen);
    if (ZSTD_isError(got) || got != raw_bytes) return Corrupt(path, "block does not decompress");
    off += clen;
    uint64_t staged = 0;
    const uint32_t src_floats = d.dim * (1 + StateFloatsPerDim(d.optimizer));
    if (!d.table->StageRows(raw.data(), rows, src_floats, d.optimizer, &d.fresh, &staged)) {
      return Corrupt(path, absl::StrCat("slot ", slot, ": duplicate key or key of another slot"));
    }
    d.seen_rows += rows;
    ++blocks;
    total_rows += rows;
  }
  if (off != footer) return Corrupt(path, "blocks do not end at the footer");
  if (Get<uint64_t>(p + footer + 8) != blocks || Get<uint64_t>(p + footer + 16) != total_rows) {
    return Corrupt(path, "footer counts disagree with the blocks");
  }
  for (const SlotDesc& d : descs) {
    if (d.seen_rows != d.rows) return Corrupt(path, "slot row count disagrees with its blocks");
  }
  // Everything verified: swap in. Slots absent from the snapshot become empty.
  common::WriterLock gate(&gate_);
  for (auto& st : slots_) {
    const int32_t di = desc_of[st->config().slot];
    std::vector<internal::ShardData> fresh;
    if (di >= 0) {
      fresh = std::move(descs[di].fresh);
    } else {
      fresh.resize(st->num_shards());
    }
    const int64_t delta = st->SwapIn(&fresh);
    if (delta >= 0) {
      bytes_.fetch_add(static_cast<uint64_t>(delta), std::memory_order_relaxed);
    } else {
      bytes_.fetch_sub(static_cast<uint64_t>(-delta), std::memory_order_relaxed);
    }
  }
  return user_version;
}

}  // namespace foryou::embedding
