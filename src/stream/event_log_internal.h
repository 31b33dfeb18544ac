// The event log's internals, shared by event_log.cc (open, recovery, appends) and
// event_log_read.cc (reads, consumer offsets, retention): the bytes of segment and consumer files
// (docs/formats/log.md), positioned I/O, the scan of one segment at open, and FileEventLog's
// private structs. Not part of the module's interface.
#pragma once

#include <fcntl.h>
#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "stream/event_log.h"

namespace foryou::stream::log_internal {

inline constexpr char kSegmentMagic[8] = {'F', 'Y', 'E', 'V', 'T', 'L', 'O', 'G'};
inline constexpr char kConsumerMagic[4] = {'F', 'Y', 'C', 'O'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint64_t kSegmentHeaderBytes = 24;
inline constexpr uint64_t kRecordHeaderBytes = 16;
inline constexpr size_t kConsumerFileBytes = 20;
inline constexpr uint32_t kMaxRecordBytesLimit = 1u << 30;
inline constexpr uint64_t kIndexIntervalBytes = 32 << 10;
// A leader stops adding queued Appends to its group past this many bytes (it always takes the
// first), which bounds the latency one group adds to the callers behind it.
inline constexpr size_t kMaxGroupBytes = 4 << 20;
inline constexpr size_t kScanChunkBytes = 1 << 20;
inline constexpr size_t kReadChunkBytes = 64 << 10;
inline constexpr std::string_view kSegmentSuffix = ".log";
inline constexpr std::string_view kConsumerSuffix = ".offset";
// Copies of segment files that recovery rewrote around damaged records.
inline constexpr std::string_view kDamagedDir = "damaged";

inline absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

template <typename T>
inline void Store(char* p, T v) {
  std::memcpy(p, &v, sizeof(v));
}
template <typename T>
inline T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline uint32_t Checksum(const char* p, size_t n) { return static_cast<uint32_t>(XXH3_64bits(p, n)); }

inline absl::Status ErrnoStatus(std::string_view what, const std::string& path) {
  const int err = errno;
  return absl::Status(absl::ErrnoToStatusCode(err),
                      absl::StrCat(AV(what), " ", path, ": ", std::strerror(err)));
}

inline std::string SegmentFileName(uint64_t base) {
  return absl::StrFormat("%020d%s", base, AV(kSegmentSuffix));
}

inline bool ParseSegmentFileName(const std::string& name, uint64_t* base) {
  if (name.size() != 20 + kSegmentSuffix.size() || !name.ends_with(kSegmentSuffix)) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    const uint64_t d = static_cast<uint64_t>(name[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *base = v;
  return true;
}

inline absl::Status ValidateConsumerName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("consumer name must be 1..64 characters, got ", name.size()));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat("consumer name \"", absl::CHexEscape(AV(name)),
                                                     "\" has a character outside [A-Za-z0-9_.-]"));
    }
  }
  if (name == "." || name == "..") {
    return absl::InvalidArgumentError("consumer name must not be \".\" or \"..\"");
  }
  return absl::OkStatus();
}

inline absl::Status ValidateOptions(const LogOptions& o) {
  if (o.dir.empty()) return absl::InvalidArgumentError("LogOptions.dir is empty");
  if (o.segment_bytes < 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("LogOptions.segment_bytes must be >= 4096, got ", o.segment_bytes));
  }
  if (o.max_record_bytes == 0 || o.max_record_bytes > kMaxRecordBytesLimit) {
    return absl::InvalidArgumentError(absl::StrCat("LogOptions.max_record_bytes must be in 1..",
                                                   kMaxRecordBytesLimit, ", got ",
                                                   o.max_record_bytes));
  }
  if (o.fsync != FsyncPolicy::kEveryBatch && o.fsync != FsyncPolicy::kInterval &&
      o.fsync != FsyncPolicy::kNever) {
    return absl::InvalidArgumentError("LogOptions.fsync is not a FsyncPolicy value");
  }
  if (o.fsync == FsyncPolicy::kInterval && o.fsync_interval_ms <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LogOptions.fsync_interval_ms must be > 0 with kInterval, got ", o.fsync_interval_ms));
  }
  if (o.retention_age_s < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("LogOptions.retention_age_s must be >= 0, got ", o.retention_age_s));
  }
  return absl::OkStatus();
}

inline std::string EncodeSegmentHeader(uint64_t base) {
  std::string h(kSegmentHeaderBytes, '\0');
  std::memcpy(h.data(), kSegmentMagic, 8);
  Store<uint32_t>(h.data() + 8, kFormatVersion);
  Store<uint32_t>(h.data() + 12, 0);
  Store<uint64_t>(h.data() + 16, base);
  return h;
}

inline std::string EncodeConsumerFile(uint64_t next_offset) {
  std::string f(kConsumerFileBytes, '\0');
  std::memcpy(f.data(), kConsumerMagic, 4);
  Store<uint32_t>(f.data() + 4, kFormatVersion);
  Store<uint64_t>(f.data() + 8, next_offset);
  Store<uint32_t>(f.data() + 16, Checksum(f.data(), 16));
  return f;
}

inline absl::StatusOr<uint64_t> DecodeConsumerFile(const std::string& f, const std::string& path) {
  auto corrupt = [&](std::string_view why) {
    return absl::DataLossError(
        absl::StrCat("consumer offset file ", path, " is corrupt: ", AV(why)));
  };
  if (f.size() != kConsumerFileBytes) return corrupt(absl::StrCat("size ", f.size()));
  if (std::memcmp(f.data(), kConsumerMagic, 4) != 0) return corrupt("bad magic");
  if (Load<uint32_t>(f.data() + 4) != kFormatVersion) return corrupt("unknown format version");
  if (Load<uint32_t>(f.data() + 16) != Checksum(f.data(), 16)) return corrupt("checksum mismatch");
  return Load<uint64_t>(f.data() + 8);
}

// pwritev of all of `iov` at `pos`, resuming after short writes and EINTR.
inline absl::Status PwriteAll(int fd, std::vector<iovec> iov, uint64_t pos, const std::string& path) {
  size_t i = 0;
  while (i < iov.size()) {
    const int n = static_cast<int>(std::min<size_t>(iov.size() - i, IOV_MAX));
    const ssize_t w = ::pwritev(fd, iov.data() + i, n, static_cast<off_t>(pos));
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path);
    }
    pos += static_cast<uint64_t>(w);
    size_t left = static_cast<size_t>(w);
    while (i < iov.size() && left >= iov[i].iov_len) left -= iov[i++].iov_len;
    if (left > 0) {
      iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + left;
      iov[i].iov_len -= left;
    }
  }
  return absl::OkStatus();
}

// Sequential reads of one file through a buffer: Get(pos, n) returns the n bytes at pos, or
// nullptr if they extend past `end`.
class BufferedFile {
 public:
  BufferedFile(int fd, const std::string& path, uint64_t end, size_t chunk)
      : fd_(fd), path_(path), end_(end), chunk_(chunk) {}

  absl::StatusOr<const char*> Get(uint64_t pos, uint64_t n) {
    if (pos > end_ || n > end_ - pos) return nullptr;
    if (pos >= buf_pos_ && pos + n <= buf_pos_ + buf_.size()) return buf_.data() + (pos - buf_pos_);
    const uint64_t len = std::min<uint64_t>(std::max<uint64_t>(n, chunk_), end_ - pos);
    buf_.resize(len);
    buf_pos_ = pos;
    uint64_t done = 0;
    while (done < len) {
      const ssize_t r =
          ::pread(fd_, buf_.data() + done, len - done, static_cast<off_t>(pos + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        buf_.clear();
        return ErrnoStatus("cannot read", path_);
      }
      if (r == 0) {
        buf_.clear();
        return absl::DataLossError(
            absl::StrCat("segment ", path_, " is shorter than expected (", pos + done, " bytes)"));
      }
      done += static_cast<uint64_t>(r);
    }
    return buf_.data();
  }

 private:
  int fd_;
  const std::string& path_;
  uint64_t end_;
  size_t chunk_;
  std::string buf_;
  uint64_t buf_pos_ = 0;
};

struct IndexEntry {
  uint64_t rel;  // record index within the segment
  uint64_t pos;  // byte position of that record
};

// Result of scanning one segment file at open.
struct ScanResult {
  bool header_ok = false;
  uint64_t count = 0;                  // good records
  uint64_t end = kSegmentHeaderBytes;  // byte after the last good record
  uint64_t last_index_pos = 0;
  int64_t max_time_ms = INT64_MIN;
  std::vector<IndexEntry> index;
  std::string problem;  // why the scan stopped before the end of the file; empty if it did not
  // With resync: damaged byte ranges [begin, end) followed by a valid record, which the scan
  // skipped, and the byte ranges of the good records, in order. Empty damaged = no skip.
  struct Range {
    uint64_t begin = 0, end = 0;
    std::string why;
  };
  std::vector<Range> damaged;
  std::vector<Range> good;
  uint64_t count_before_damage = 0;  // good records before damaged[0]
  uint64_t count_at_last_damage = 0;  // good records before damaged.back()
};

// The byte position of the first valid record (a length that fits and a matching checksum) in
// [from, file_size), or file_size if there is none: where a reader resynchronises after damage.
// A false match needs a 32-bit checksum collision at a position whose length field also fits.
inline absl::StatusOr<uint64_t> FindNextRecord(BufferedFile& f, uint64_t from, uint64_t file_size) {
  for (uint64_t q = from; q + kRecordHeaderBytes <= file_size; ++q) {
    FORYOU_ASSIGN_OR_RETURN(const char* rh, f.Get(q, kRecordHeaderBytes));
    const uint32_t length = Load<uint32_t>(rh + 4);
    if (length == 0 || length > kMaxRecordBytesLimit ||
        length > file_size - q - kRecordHeaderBytes) {
      continue;
    }
    FORYOU_ASSIGN_OR_RETURN(const char* rec, f.Get(q, kRecordHeaderBytes + length));
    if (Load<uint32_t>(rec) == Checksum(rec + 4, kRecordHeaderBytes - 4 + length)) return q;
  }
  return file_size;
}

// Scans a segment file. Without `resync` the scan stops at the first bad record (`problem`).
// With `resync` a bad record followed later by a valid one is damage in the
// middle: the bytes up to that record are skipped (`damaged`) and the scan goes on; only a bad
// record with no valid record after it (a torn tail) stops the scan.
inline absl::StatusOr<ScanResult> ScanSegment(int fd, const std::string& path, uint64_t file_size,
                                              uint64_t base, bool resync = false) {
  ScanResult r;
  BufferedFile f(fd, path, file_size, kScanChunkBytes);
  FORYOU_ASSIGN_OR_RETURN(const char* h, f.Get(0, kSegmentHeaderBytes));
  if (h == nullptr) {
    r.problem = absl::StrCat("incomplete segment header (", file_size, " bytes)");
    return r;
  }
  if (std::memcmp(h, kSegmentMagic, 8) != 0) {
    r.problem = "bad segment magic";
    return r;
  }
  if (Load<uint32_t>(h + 8) != kFormatVersion) {
    r.problem = absl::StrCat("unknown segment format version ", Load<uint32_t>(h + 8));
    return r;
  }
  if (Load<uint64_t>(h + 16) != base) {
    r.problem = absl::StrCat("header base offset ", Load<uint64_t>(h + 16),
                             " does not match the file name");
    return r;
  }
  r.header_ok = true;
  uint64_t pos = kSegmentHeaderBytes;
  while (pos < file_size) {
    std::string problem;
    uint32_t length = 0;
    const char* rec = nullptr;
    FORYOU_ASSIGN_OR_RETURN(const char* rh, f.Get(pos, kRecordHeaderBytes));
    if (rh == nullptr) {
      problem = absl::StrCat("partial record header (", file_size - pos, " bytes)");
    } else if (length = Load<uint32_t>(rh + 4); length == 0 || length > kMaxRecordBytesLimit) {
      problem = absl::StrCat("invalid record length ", length);
    } else if (length > file_size - pos - kRecordHeaderBytes) {
      problem = absl::StrCat("record length ", length, " runs past the end of the file");
    } else {
      FORYOU_ASSIGN_OR_RETURN(rec, f.Get(pos, kRecordHeaderBytes + length));
      if (Load<uint32_t>(rec) != Checksum(rec + 4, kRecordHeaderBytes - 4 + length)) {
        problem = "checksum mismatch";
      }
    }
    if (!problem.empty()) {
      uint64_t next = file_size;
      if (resync) {
        FORYOU_ASSIGN_OR_RETURN(next, FindNextRecord(f, pos + 1, file_size));
      }
      if (next == file_size) {
        r.problem = std::move(problem);
        break;
      }
      if (r.damaged.empty()) r.count_before_damage = r.count;
      r.count_at_last_damage = r.count;
      r.damaged.push_back({pos, next, std::move(problem)});
      pos = next;
      continue;
    }
    if (r.good.empty() || r.good.back().end != pos) r.good.push_back({pos, pos, ""});
    if (r.count == 0 || pos >= r.last_index_pos + kIndexIntervalBytes) {
      r.index.push_back({r.count, pos});
      r.last_index_pos = pos;
    }
    r.max_time_ms = std::max(r.max_time_ms, Load<int64_t>(rec + 8));
    ++r.count;
    pos += kRecordHeaderBytes + length;
    r.good.back().end = pos;
  }
  r.end = pos;
  return r;
}

}  // namespace foryou::stream::log_internal

namespace foryou::stream {

// One segment file. base/path/fd are immutable; the readers' view is guarded by the log's
// meta_mu_; the write position belongs to the current leader. Closed when the last reference
// goes (a reader may still hold a segment that retention has unlinked).
struct FileEventLog::Segment {
  uint64_t base = 0;
  std::string path;
  int fd = -1;
  ~Segment() {
    if (fd >= 0) ::close(fd);
  }

  // Readers' view (meta_mu_).
  uint64_t count = 0;  // records; for a sealed segment next.base - base even if some are lost
  uint64_t bytes = 0;  // file bytes holding those records (sealed at open: the file size)
  // Sealed segments: records [lost_begin, lost_end) were lost to damage found at open; Read
  // skips them (the index has an entry at lost_end when records follow).
  uint64_t lost_begin = 0, lost_end = 0;
  int64_t max_time_ms = INT64_MIN;
  std::vector<log_internal::IndexEntry> index;

  // Write position (leader only).
  uint64_t write_count = 0;
  uint64_t write_bytes = log_internal::kSegmentHeaderBytes;
  uint64_t last_index_pos = 0;
};

struct FileEventLog::Writer {
  absl::Span<const std::string_view> records;
  std::string encoded;  // all records' headers and payloads, in order
  int64_t time_ms = 0;
  uint64_t first_offset = 0;
  absl::Status status;  // status and done: guarded by the log's mu_
  bool done = false;
  common::CondVar cv;
};

// The new readers' view of one segment after a group.
struct FileEventLog::SegmentUpdate {
  std::shared_ptr<Segment> segment;
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t last_index_pos = 0;
  int64_t max_time_ms = INT64_MIN;
  std::vector<log_internal::IndexEntry> index;  // entries to add
};

// A group written (and, unless kInterval, synced) but not yet readable.
struct FileEventLog::PendingGroup {
  uint64_t end_offset = 0;
  std::vector<SegmentUpdate> updates;
  std::vector<Writer*> writers;  // kInterval: to wake once synced
};

}  // namespace foryou::stream
