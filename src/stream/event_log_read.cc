// FileEventLog: reads through the sparse index, consumer offsets and retention. Bytes:
// docs/formats/log.md.
#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "stream/event_log.h"
#include "stream/event_log_internal.h"

namespace foryou::stream {

using namespace log_internal;  // NOLINT: the log's own internals

absl::Status FileEventLog::Read(uint64_t offset, size_t max_records, std::vector<LogRecord>* out) {
  out->clear();
  uint64_t end;
  {
    common::ReaderLock l(&meta_mu_);
    const uint64_t start = start_offset_.load();
    end = end_offset_.load();
    if (offset < start) {
      return absl::OutOfRangeError(
          absl::StrCat("Read: offset ", offset, " is before the oldest retained offset ", start));
    }
  }
  if (offset > end) {
    return absl::OutOfRangeError(
        absl::StrCat("Read: offset ", offset, " is past the end offset ", end));
  }
  while (out->size() < max_records && offset < end) {
    std::shared_ptr<Segment> seg;
    uint64_t count, limit, skip_to = 0, bytes;
    IndexEntry from{0, kSegmentHeaderBytes};
    {
      common::ReaderLock l(&meta_mu_);
      auto it = segments_.upper_bound(offset);
      if (it == segments_.begin()) {  // retention removed it since the check above
        return absl::OutOfRangeError(absl::StrCat("Read: offset ", offset,
                                                  " is before the oldest retained offset ",
                                                  start_offset_.load()));
      }
      seg = std::prev(it)->second;
      count = seg->count;
      bytes = seg->bytes;
      const uint64_t rel = offset - seg->base;
      limit = rel < seg->lost_begin ? seg->lost_begin : count;
      if (rel >= seg->lost_begin && rel < seg->lost_end) {
        skip_to = seg->base + seg->lost_end;
      } else {
        auto ix = std::upper_bound(seg->index.begin(), seg->index.end(), rel,
                                   [](uint64_t r, const IndexEntry& e) { return r < e.rel; });
        from = ix == seg->index.begin() ? IndexEntry{0, kSegmentHeaderBytes} : *std::prev(ix);
      }
    }
    if (skip_to != 0) {  // lost to damage found at open (RecoveryInfo::lost_records)
      offset = skip_to;
      continue;
    }
    const uint64_t rel = offset - seg->base;
    if (rel >= count) break;  // cannot happen: offset < end lies in some segment
    const uint64_t want = std::min<uint64_t>(max_records - out->size(), limit - rel);

    BufferedFile f(seg->fd, seg->path, bytes, kReadChunkBytes);
    uint64_t pos = from.pos;
    absl::Status s;
    for (uint64_t i = from.rel; i < rel + want; ++i) {
      auto corrupt = [&](std::string_view why) {
        return absl::DataLossError(absl::StrCat("Read: offset ", seg->base + i,
                                                " is lost: segment ", seg->path,
                                                " is corrupt at byte ", pos, ": ", AV(why)));
      };
      auto h = f.Get(pos, kRecordHeaderBytes);
      if (!h.ok()) {
        s = h.status();
        break;
      }
      if (*h == nullptr) {
        s = corrupt("record header past the end of the file");
        break;
      }
      const uint32_t length = Load<uint32_t>(*h + 4);
      if (length == 0 || length > kMaxRecordBytesLimit ||
          length > bytes - pos - kRecordHeaderBytes) {
        s = corrupt(absl::StrCat("invalid record length ", length));
        break;
      }
      if (i >= rel) {
        auto rec = f.Get(pos, kRecordHeaderBytes + length);
        if (!rec.ok()) {
          s = rec.status();
          break;
        }
        const char* r = *rec;
        if (Load<uint32_t>(r) != Checksum(r + 4, kRecordHeaderBytes - 4 + length)) {
          s = corrupt("checksum mismatch");
          break;
        }
        out->push_back(LogRecord{seg->base + i, std::string(r + kRecordHeaderBytes, length),
                                 Load<int64_t>(r + 8)});
      }
      pos += kRecordHeaderBytes + length;
    }
    if (!s.ok()) {
      if (out->empty()) return s;
      return absl::OkStatus();  // the good prefix; the next Read starts at the bad record
    }
    offset += want;
  }
  return absl::OkStatus();
}

absl::Status FileEventLog::CommitOffset(std::string_view consumer, uint64_t next_offset) {
  FORYOU_RETURN_IF_ERROR(ValidateConsumerName(consumer));
  common::MutexLock c(&commit_mu_);
  const uint64_t end = EndOffset();
  if (next_offset > end) {
    return absl::InvalidArgumentError(absl::StrCat("CommitOffset: offset ", next_offset,
                                                   " of consumer ", AV(consumer),
                                                   " is past the end offset ", end));
  }
  const std::string name(consumer);
  FORYOU_RETURN_IF_ERROR(common::WriteFileAtomically(
      absl::StrCat(options_.dir, "/consumers/", name, AV(kConsumerSuffix)),
      EncodeConsumerFile(next_offset)));
  common::MutexLock l(&consumers_mu_);
  consumers_.insert_or_assign(name, next_offset);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FileEventLog::CommittedOffset(std::string_view consumer) const {
  FORYOU_RETURN_IF_ERROR(ValidateConsumerName(consumer));
  common::MutexLock l(&consumers_mu_);
  auto it = consumers_.find(std::string(consumer));
  if (it == consumers_.end()) {
    return absl::NotFoundError(
        absl::StrCat("consumer ", AV(consumer), " has never committed an offset"));
  }
  return it->second;
}

absl::StatusOr<int> FileEventLog::EnforceRetention(int64_t now_ms) {
  std::vector<std::shared_ptr<Segment>> victims;
  {
    // Holding commit_mu_ keeps consumers from moving back below what we are about to delete.
    common::MutexLock c(&commit_mu_);
    bool any_consumer = false;
    uint64_t min_committed = UINT64_MAX;
    {
      common::MutexLock l(&consumers_mu_);
      for (const auto& [name, off] : consumers_) {
        any_consumer = true;
        min_committed = std::min(min_committed, off.ok() ? *off : 0);
      }
    }
    common::WriterLock l(&meta_mu_);
    uint64_t total = 0;
    for (const auto& [base, seg] : segments_) total += seg->bytes;
    const uint64_t end = end_offset_.load();
    const int64_t age_ms = options_.retention_age_s * 1000;
    while (segments_.size() > 1) {
      auto it = segments_.begin();
      const uint64_t next_base = std::next(it)->first;
      const Segment& seg = *it->second;
      // Its last group is not yet readable, or it holds the last readable record (a failed
      // write cuts the files back to it, see RollBack).
      if (next_base >= end) break;
      if (any_consumer && next_base > min_committed) break;
      const bool over_size = options_.retention_bytes > 0 && total > options_.retention_bytes;
      const bool too_old = options_.retention_age_s > 0 && seg.max_time_ms < now_ms - age_ms;
      if (!over_size && !too_old) break;
      total -= seg.bytes;
      victims.push_back(it->second);
      segments_.erase(it);
      start_offset_.store(next_base);
    }
  }
  for (const auto& seg : victims) {
    if (::unlink(seg->path.c_str()) != 0) return ErrnoStatus("cannot delete", seg->path);
  }
  if (!victims.empty() && options_.fsync != FsyncPolicy::kNever && ::fsync(dir_fd_) != 0) {
    return ErrnoStatus("cannot sync directory", options_.dir);
  }
  return static_cast<int>(victims.size());
}

}  // namespace foryou::stream
