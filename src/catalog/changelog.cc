// The changelog's message layout (docs/formats/catalog_changelog.md) and ChangelogApplier.
//
// HOW A REPLICA STAYS EXACT. The position saved with each applied write holds two offsets.
// `next` (after that write's commit): a commit below it is not applied again after a restart,
// so a restart re-applies nothing, even a write that a later one has since overwritten.
// `resume` (the first record of a write still waiting for its commit, else `next`): the reader
// starts there, so the records of a write whose commit comes after the saved position are read
// again and nothing is missed. Writes from several processes may interleave in the topic; each
// origin's own writes do not (its store makes them one at a time). A store's own writes are
// not applied when they come back: it may have written the same record again since.
#include "catalog/changelog.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/absl_view.h"
#include "common/status_macros.h"

namespace foryou::catalog {
namespace {

constexpr char kPutType = 'P', kDeleteType = 'D', kCommitType = 'C';
constexpr size_t kChangelogHeader = 18;  // version, type, origin, seq

void PutBe(uint64_t v, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBe(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
  return v;
}

std::string ChangelogHeader(char type, uint64_t origin, uint64_t seq) {
  std::string out;
  out.push_back(static_cast<char>(kChangelogVersion));
  out.push_back(type);
  PutBe(origin, 8, &out);
  PutBe(seq, 8, &out);
  return out;
}

std::string CommitKey(uint64_t origin, uint64_t seq) {
  return absl::StrFormat("t/%016x/%016x", origin, seq);
}

absl::Status BadMessage(std::string_view key, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("changelog message '",
                                                 absl::CHexEscape(common::A(key)), "': ",
                                                 common::A(what)));
}

}  // namespace

std::vector<ChangelogMessage> EncodeChangelogTransaction(
    uint64_t origin, uint64_t seq, const std::vector<ChangelogRecord>& records) {
  std::vector<ChangelogMessage> out;
  out.reserve(records.size() + 1);
  for (const ChangelogRecord& r : records) {
    ChangelogMessage m;
    m.key = r.key;
    m.value = ChangelogHeader(r.deleted ? kDeleteType : kPutType, origin, seq);
    if (!r.deleted) m.value += r.value;
    out.push_back(std::move(m));
  }
  ChangelogMessage commit;
  commit.key = CommitKey(origin, seq);
  commit.value = ChangelogHeader(kCommitType, origin, seq);
  PutBe(records.size(), 4, &commit.value);
  out.push_back(std::move(commit));
  return out;
}

absl::StatusOr<DecodedChangelogMessage> DecodeChangelogMessage(std::string_view key,
                                                               std::string_view value) {
  if (value.size() < kChangelogHeader) return BadMessage(key, "shorter than its header");
  if (static_cast<uint8_t>(value[0]) != kChangelogVersion) {
    return BadMessage(key, absl::StrCat("version ", static_cast<int>(value[0])));
  }
  DecodedChangelogMessage d;
  d.origin = GetBe(value, 2, 8);
  d.seq = GetBe(value, 10, 8);
  const char type = value[1];
  if (type == kCommitType) {
    if (value.size() != kChangelogHeader + 4) return BadMessage(key, "commit of the wrong size");
    if (key != CommitKey(d.origin, d.seq)) return BadMessage(key, "commit under another key");
    d.commit = true;
    d.count = static_cast<uint32_t>(GetBe(value, kChangelogHeader, 4));
    return d;
  }
  if (type != kPutType && type != kDeleteType) return BadMessage(key, "unknown type");
  if (key.empty() || key.starts_with("t/")) return BadMessage(key, "not a record key");
  d.record.key = std::string(key);
  d.record.deleted = type == kDeleteType;
  if (d.record.deleted && value.size() != kChangelogHeader) {
    return BadMessage(key, "deletion with a value");
  }
  d.record.value = std::string(value.substr(kChangelogHeader));
  return d;
}

std::string EncodeChangelogPosition(const ChangelogPosition& p) {
  std::string out;
  out.push_back(static_cast<char>(kChangelogVersion));
  PutBe(static_cast<uint64_t>(p.resume), 8, &out);
  PutBe(static_cast<uint64_t>(p.next), 8, &out);
  return out;
}

absl::StatusOr<ChangelogPosition> DecodeChangelogPosition(std::string_view bytes) {
  if (bytes.empty()) return ChangelogPosition{};
  if (bytes.size() != 17 || static_cast<uint8_t>(bytes[0]) != kChangelogVersion) {
    return absl::DataLossError("catalog: the changelog position does not decode");
  }
  ChangelogPosition p{.resume = static_cast<int64_t>(GetBe(bytes, 1, 8)),
                      .next = static_cast<int64_t>(GetBe(bytes, 9, 8))};
  if (p.resume < 0 || p.next < p.resume) {
    return absl::DataLossError("catalog: the changelog position does not decode");
  }
  return p;
}

absl::StatusOr<std::unique_ptr<ChangelogApplier>> ChangelogApplier::Open(CatalogStore* store,
                                                                         uint64_t own_origin) {
  FORYOU_ASSIGN_OR_RETURN(std::string bytes, store->ChangelogPosition());
  FORYOU_ASSIGN_OR_RETURN(ChangelogPosition saved, DecodeChangelogPosition(bytes));
  return std::unique_ptr<ChangelogApplier>(new ChangelogApplier(store, saved, own_origin));
}

absl::Status ChangelogApplier::Add(const ChangelogMessage& m) {
  next_ = std::max(next_, m.offset + 1);
  absl::StatusOr<DecodedChangelogMessage> d = DecodeChangelogMessage(m.key, m.value);
  if (!d.ok()) {
    ++stats_.skipped;
    return absl::OkStatus();
  }
  if (!d->commit) {
    Pending& p = pending_[d->origin];
    if (p.seq != d->seq || p.records.empty()) {
      p = Pending{.seq = d->seq, .first_offset = m.offset, .records = {}};
    }
    p.records.push_back(std::move(d->record));
    return absl::OkStatus();
  }
  // A commit: its records (the ones compaction kept), or none.
  std::vector<ChangelogRecord> records;
  if (auto it = pending_.find(d->origin); it != pending_.end()) {
    if (it->second.seq == d->seq) records = std::move(it->second.records);
    if (it->second.seq <= d->seq) pending_.erase(it);
  }
  if (m.offset < saved_.next) return absl::OkStatus();  // applied before the restart
  if (own_origin_ != 0 && d->origin == own_origin_) records.clear();  // stored by its writer
  ChangelogPosition pos{.resume = m.offset + 1, .next = m.offset + 1};
  for (const auto& [origin, p] : pending_) pos.resume = std::min(pos.resume, p.first_offset);
  const std::string pos_bytes = EncodeChangelogPosition(pos);
  absl::StatusOr<uint64_t> applied = store_->ApplyChangelog(records, pos_bytes);
  if (absl::IsInvalidArgument(applied.status())) {
    ++stats_.skipped;
    applied = store_->ApplyChangelog({}, pos_bytes);
  }
  FORYOU_RETURN_IF_ERROR(applied.status());
  saved_ = pos;
  if (*applied > 0) {
    ++stats_.transactions;
    stats_.records += *applied;
  } else {
    ++stats_.unchanged;
  }
  return absl::OkStatus();
}

}  // namespace foryou::catalog
