// FileEventLog: segment files with checksummed records, group commit, open-time recovery, the
// in-memory sparse index, consumer offset files and retention. Bytes: docs/formats/log.md.
#include "stream/event_log.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status_macros.h"

namespace foryou::stream {

static_assert(std::endian::native == std::endian::little,
              "the log format is little-endian; add byte swaps for big-endian hosts");

namespace {

constexpr char kSegmentMagic[8] = {'F', 'Y', 'E', 'V', 'T', 'L', 'O', 'G'};
constexpr char kConsumerMagic[4] = {'F', 'Y', 'C', 'O'};
constexpr uint32_t kFormatVersion = 1;
constexpr uint64_t kSegmentHeaderBytes = 24;
constexpr uint64_t kRecordHeaderBytes = 16;
constexpr size_t kConsumerFileBytes = 20;
constexpr uint32_t kMaxRecordBytesLimit = 1u << 30;
constexpr uint64_t kIndexIntervalBytes = 32 << 10;
// A leader stops adding queued Appends to its group past this many bytes (it always takes the
// first), which bounds the latency one group adds to the callers behind it.
constexpr size_t kMaxGroupBytes = 4 << 20;
constexpr size_t kScanChunkBytes = 1 << 20;
constexpr size_t kReadChunkBytes = 64 << 10;
constexpr std::string_view kSegmentSuffix = ".log";
constexpr std::string_view kConsumerSuffix = ".offset";

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

template <typename T>
void Store(char* p, T v) {
  std::memcpy(p, &v, sizeof(v));
}
template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

uint32_t Checksum(const char* p, size_t n) { return static_cast<uint32_t>(XXH3_64bits(p, n)); }

absl::Status ErrnoStatus(std::string_view what, const std::string& path) {
  const int err = errno;
  return absl::Status(absl::ErrnoToStatusCode(err),
                      absl::StrCat(AV(what), " ", path, ": ", std::strerror(err)));
}

std::string SegmentFileName(uint64_t base) {
  return absl::StrFormat("%020d%s", base, AV(kSegmentSuffix));
}

bool ParseSegmentFileName(const std::string& name, uint64_t* base) {
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

absl::Status ValidateConsumerName(std::string_view name) {
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

absl::Status ValidateOptions(const LogOptions& o) {
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

std::string EncodeSegmentHeader(uint64_t base) {
  std::string h(kSegmentHeaderBytes, '\0');
  std::memcpy(h.data(), kSegmentMagic, 8);
  Store<uint32_t>(h.data() + 8, kFormatVersion);
  Store<uint32_t>(h.data() + 12, 0);
  Store<uint64_t>(h.data() + 16, base);
  return h;
}

std::string EncodeConsumerFile(uint64_t next_offset) {
  std::string f(kConsumerFileBytes, '\0');
  std::memcpy(f.data(), kConsumerMagic, 4);
  Store<uint32_t>(f.data() + 4, kFormatVersion);
  Store<uint64_t>(f.data() + 8, next_offset);
  Store<uint32_t>(f.data() + 16, Checksum(f.data(), 16));
  return f;
}

absl::StatusOr<uint64_t> DecodeConsumerFile(const std::string& f, const std::string& path) {
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
absl::Status PwriteAll(int fd, std::vector<iovec> iov, uint64_t pos, const std::string& path) {
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
};

absl::StatusOr<ScanResult> ScanSegment(int fd, const std::string& path, uint64_t file_size,
                                       uint64_t base) {
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
    FORYOU_ASSIGN_OR_RETURN(const char* rh, f.Get(pos, kRecordHeaderBytes));
    if (rh == nullptr) {
      r.problem = absl::StrCat("partial record header (", file_size - pos, " bytes)");
      break;
    }
    const uint32_t length = Load<uint32_t>(rh + 4);
    if (length == 0 || length > kMaxRecordBytesLimit) {
      r.problem = absl::StrCat("invalid record length ", length);
      break;
    }
    if (length > file_size - pos - kRecordHeaderBytes) {
      r.problem = absl::StrCat("record length ", length, " runs past the end of the file");
      break;
    }
    FORYOU_ASSIGN_OR_RETURN(const char* rec, f.Get(pos, kRecordHeaderBytes + length));
    if (Load<uint32_t>(rec) != Checksum(rec + 4, kRecordHeaderBytes - 4 + length)) {
      r.problem = "checksum mismatch";
      break;
    }
    if (r.count == 0 || pos >= r.last_index_pos + kIndexIntervalBytes) {
      r.index.push_back({r.count, pos});
      r.last_index_pos = pos;
    }
    r.max_time_ms = std::max(r.max_time_ms, Load<int64_t>(rec + 8));
    ++r.count;
    pos += kRecordHeaderBytes + length;
  }
  r.end = pos;
  return r;
}

}  // namespace

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
  uint64_t good_count = UINT64_MAX;  // records [good_count, count) are unreadable
  std::string loss;                  // why, naming the file and byte position
  int64_t max_time_ms = INT64_MIN;
  std::vector<IndexEntry> index;

  // Write position (leader only).
  uint64_t write_count = 0;
  uint64_t write_bytes = kSegmentHeaderBytes;
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
  int64_t max_time_ms = INT64_MIN;
  std::vector<IndexEntry> index;  // entries to add
};

// A group written (and, unless kInterval, synced) but not yet readable.
struct FileEventLog::PendingGroup {
  uint64_t end_offset = 0;
  std::vector<SegmentUpdate> updates;
  std::vector<Writer*> writers;  // kInterval: to wake once synced
};

FileEventLog::FileEventLog(LogOptions options) : options_(std::move(options)) {}

FileEventLog::~FileEventLog() {
  if (flusher_.joinable()) {
    {
      common::MutexLock l(&mu_);
      stop_flusher_ = true;
    }
    flusher_cv_.SignalAll();
    flusher_.join();
  }
  if (dir_fd_ >= 0) ::close(dir_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

int64_t FileEventLog::NowMs() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<std::unique_ptr<FileEventLog>> FileEventLog::Open(LogOptions options) {
  FORYOU_RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<FileEventLog> log(new FileEventLog(std::move(options)));
  const std::string& dir = log->options_.dir;
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(dir + "/consumers"));

  const std::string lock_path = dir + "/LOCK";
  log->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (log->lock_fd_ < 0) return ErrnoStatus("cannot open", lock_path);
  if (::flock(log->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("event log ", dir, " is already open (", lock_path, " is locked)"));
    }
    return ErrnoStatus("cannot lock", lock_path);
  }
  log->dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (log->dir_fd_ < 0) return ErrnoStatus("cannot open directory", dir);

  FORYOU_RETURN_IF_ERROR(log->Recover());
  FORYOU_RETURN_IF_ERROR(log->LoadConsumers());
  if (!log->recovery_.detail.empty()) {
    std::fprintf(stderr, "foryou: warning: event log %s: %s\n", dir.c_str(),
                 log->recovery_.detail.c_str());
  }
  if (log->options_.fsync == FsyncPolicy::kInterval) {
    log->flusher_ = std::thread([l = log.get()] { l->FlusherLoop(); });
  }
  return log;
}

// HOW RECOVERY WORKS
// Segments are scanned in offset order (docs/formats/log.md, "Recovery"). A crash can only tear
// the unsynced end of the last segment: sealed segments were fdatasync'ed before their successor
// was created. So a bad record in the last segment ends it (truncate there: those bytes were
// never acknowledged), while a bad record in a sealed segment is media corruption that we must
// not hide: its range is remembered and Read reports DataLoss for it.
absl::Status FileEventLog::Recover() {
  common::WriterLock meta(&meta_mu_);  // uncontended: Open has not returned the log yet
  const std::string& dir = options_.dir;
  std::vector<uint64_t> bases;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    uint64_t base;
    if (entry.is_regular_file() && ParseSegmentFileName(entry.path().filename().string(), &base)) {
      bases.push_back(base);
    }
  }
  if (ec) return absl::InternalError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  std::sort(bases.begin(), bases.end());

  std::vector<std::string> notes;
  if (bases.empty()) {
    FORYOU_ASSIGN_OR_RETURN(active_, CreateSegment(0));
    segments_[0] = active_;
    return absl::OkStatus();
  }
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool last = i + 1 == bases.size();
    auto seg = std::make_shared<Segment>();
    seg->base = bases[i];
    seg->path = dir + "/" + SegmentFileName(bases[i]);
    seg->fd = ::open(seg->path.c_str(), (last ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (seg->fd < 0) return ErrnoStatus("cannot open", seg->path);
    struct stat st;
    if (::fstat(seg->fd, &st) != 0) return ErrnoStatus("cannot stat", seg->path);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    FORYOU_ASSIGN_OR_RETURN(ScanResult scan, ScanSegment(seg->fd, seg->path, size, seg->base));
    seg->index = std::move(scan.index);
    seg->max_time_ms = scan.max_time_ms;

    if (!last) {
      const uint64_t expected = bases[i + 1] - bases[i];
      seg->count = expected;
      seg->bytes = size;
      seg->good_count = std::min(scan.count, expected);
      if (!scan.problem.empty() && scan.count < expected) {
        seg->loss = absl::StrCat("segment ", seg->path, " is corrupt at byte ", scan.end,
                                 " (offset ", seg->base + scan.count, "): ", scan.problem);
      } else if (scan.count < expected) {
        seg->loss = absl::StrCat("segment ", seg->path, " ends at byte ", scan.end, " after ",
                                 scan.count, " records but the next segment starts at offset ",
                                 bases[i + 1], " (offsets ", seg->base + scan.count, "..",
                                 bases[i + 1] - 1, " are missing)");
      } else if (scan.count > expected || !scan.problem.empty()) {
        notes.push_back(absl::StrCat("segment ", seg->path, " holds data past offset ",
                                     bases[i + 1] - 1,
                                     " (ignored; the next segment starts there)"));
      }
      if (!seg->loss.empty())
        notes.push_back(seg->loss + "; Read of those offsets returns DataLoss");
    } else {
      uint64_t keep = scan.end;
      if (!scan.header_ok) {
        keep = 0;
        notes.push_back(absl::StrCat("rewrote the header of the last segment ", seg->path, " (",
                                     scan.problem, "); dropped ", size, " bytes"));
      } else if (!scan.problem.empty()) {
        notes.push_back(absl::StrCat("truncated the last segment ", seg->path, " at byte ",
                                     scan.end, " after offset ",
                                     static_cast<int64_t>(seg->base + scan.count) - 1, " (",
                                     scan.problem, "); dropped ", size - scan.end, " bytes"));
      }
      if (!scan.header_ok || keep < size) {
        if (::ftruncate(seg->fd, static_cast<off_t>(keep)) != 0) {
          return ErrnoStatus("cannot truncate", seg->path);
        }
        recovery_.truncated_bytes = size - keep;
        if (!scan.header_ok) {
          const std::string header = EncodeSegmentHeader(seg->base);
          iovec v{const_cast<char*>(header.data()), header.size()};
          FORYOU_RETURN_IF_ERROR(PwriteAll(seg->fd, {v}, 0, seg->path));
          scan.count = 0;
          scan.end = kSegmentHeaderBytes;
        }
        if (::fdatasync(seg->fd) != 0) return ErrnoStatus("cannot sync", seg->path);
      }
      seg->count = seg->write_count = scan.count;
      seg->bytes = seg->write_bytes = scan.end;
      seg->last_index_pos = scan.last_index_pos;
      active_ = seg;
    }
    segments_[seg->base] = std::move(seg);
  }
  recovery_.detail = absl::StrJoin(notes, "; ");
  start_offset_ = segments_.begin()->first;
  next_offset_ = active_->base + active_->count;
  end_offset_ = next_offset_;
  return absl::OkStatus();
}

absl::Status FileEventLog::LoadConsumers() {
  const std::string dir = options_.dir + "/consumers";
  std::error_code ec;
  common::MutexLock l(&consumers_mu_);
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (!entry.is_regular_file() || !file.ends_with(kConsumerSuffix)) continue;
    const std::string name = file.substr(0, file.size() - kConsumerSuffix.size());
    if (!ValidateConsumerName(name).ok()) continue;
    const std::string path = entry.path().string();
    auto contents = common::ReadFile(path);
    if (!contents.ok()) return contents.status();
    consumers_.insert_or_assign(name, DecodeConsumerFile(*contents, path));
  }
  if (ec) return absl::InternalError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<FileEventLog::Segment>> FileEventLog::CreateSegment(
    uint64_t base_offset) {
  auto seg = std::make_shared<Segment>();
  seg->base = base_offset;
  seg->path = options_.dir + "/" + SegmentFileName(base_offset);
  seg->fd = ::open(seg->path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (seg->fd < 0) return ErrnoStatus("cannot create", seg->path);
  const std::string header = EncodeSegmentHeader(base_offset);
  iovec v{const_cast<char*>(header.data()), header.size()};
  FORYOU_RETURN_IF_ERROR(PwriteAll(seg->fd, {v}, 0, seg->path));
  seg->bytes = seg->write_bytes = kSegmentHeaderBytes;
  // The header itself is synced with the segment's first group; the directory entry now.
  if (options_.fsync != FsyncPolicy::kNever && ::fsync(dir_fd_) != 0) {
    return ErrnoStatus("cannot sync directory", options_.dir);
  }
  return seg;
}

absl::Status FileEventLog::RollSegment(uint64_t base_offset) {
  if (options_.fsync != FsyncPolicy::kNever) {
    if (::fdatasync(active_->fd) != 0) return ErrnoStatus("cannot sync", active_->path);
    syncs_.fetch_add(1, std::memory_order_relaxed);
  }
  FORYOU_ASSIGN_OR_RETURN(auto seg, CreateSegment(base_offset));
  {
    common::WriterLock l(&meta_mu_);
    segments_[base_offset] = seg;  // empty to readers until a group publishes records in it
  }
  active_ = std::move(seg);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FileEventLog::Append(absl::Span<const std::string_view> records) {
  if (records.empty()) return absl::InvalidArgumentError("Append: no records");
  size_t total = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("Append: record ", i, " is empty"));
    }
    if (records[i].size() > options_.max_record_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("Append: record ", i, " has ", records[i].size(),
                       " bytes, over max_record_bytes ", options_.max_record_bytes));
    }
    total += kRecordHeaderBytes + records[i].size();
  }

  // Encode (and checksum) outside any lock so concurrent callers do it in parallel.
  Writer w;
  w.records = records;
  w.time_ms = NowMs();
  w.encoded.resize(total);
  char* p = w.encoded.data();
  for (std::string_view r : records) {
    Store<uint32_t>(p + 4, static_cast<uint32_t>(r.size()));
    Store<int64_t>(p + 8, w.time_ms);
    std::memcpy(p + kRecordHeaderBytes, r.data(), r.size());
    Store<uint32_t>(p, Checksum(p + 4, kRecordHeaderBytes - 4 + r.size()));
    p += kRecordHeaderBytes + r.size();
  }

  // HOW GROUP COMMIT WORKS (as LevelDB's DBImpl::Write)
  // Callers queue in writers_. The one at the front is the leader: it takes every queued
  // caller (up to kMaxGroupBytes), drops mu_, writes them all with one pwritev per segment and
  // syncs once, retakes mu_, publishes the records to readers, pops and wakes its group and
  // wakes the next front, which leads the next group (everyone who queued meanwhile).
  // kInterval: the leader does not sync; it hands the group to the flusher, which syncs at most
  // every fsync_interval_ms and then publishes and wakes the group.
  common::MutexLock l(&mu_);
  writers_.push_back(&w);
  while (!w.done && (writers_.empty() || writers_.front() != &w)) w.cv.Wait(&mu_);
  if (w.done) {
    if (!w.status.ok()) return w.status;
    appends_.fetch_add(1, std::memory_order_relaxed);
    records_.fetch_add(records.size(), std::memory_order_relaxed);
    return w.first_offset;
  }
  if (!write_error_.ok()) {
    writers_.pop_front();
    if (!writers_.empty()) writers_.front()->cv.Signal();
    return write_error_;
  }
  std::vector<Writer*> group;
  size_t group_bytes = 0;
  for (Writer* x : writers_) {
    if (!group.empty() && group_bytes + x->encoded.size() > kMaxGroupBytes) break;
    group.push_back(x);
    group_bytes += x->encoded.size();
  }
  l.Unlock();

  PendingGroup pending;
  absl::Status s = WriteGroup(group, &pending);
  if (s.ok() && options_.fsync == FsyncPolicy::kEveryBatch) {
    if (::fdatasync(active_->fd) != 0) s = ErrnoStatus("cannot sync", active_->path);
    syncs_.fetch_add(1, std::memory_order_relaxed);
  }
  groups_.fetch_add(1, std::memory_order_relaxed);

  l.Lock();
  for (size_t i = 0; i < group.size(); ++i) writers_.pop_front();
  if (!s.ok()) {
    write_error_ = s;
    for (Writer* x : group) {
      x->status = s;
      x->done = true;
    }
  } else if (options_.fsync != FsyncPolicy::kInterval) {
    Publish(&pending);
    for (Writer* x : group) x->done = true;
  } else {
    pending.writers = group;
    unsynced_.push_back(std::move(pending));
    sync_segment_ = active_;
    flusher_cv_.Signal();
  }
  for (Writer* x : group) {
    if (x != &w && x->done) x->cv.Signal();
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();
  while (!w.done) w.cv.Wait(&mu_);
  if (!w.status.ok()) return w.status;
  appends_.fetch_add(1, std::memory_order_relaxed);
  records_.fetch_add(records.size(), std::memory_order_relaxed);
  return w.first_offset;
}

absl::Status FileEventLog::WriteGroup(const std::vector<Writer*>& group, PendingGroup* pending) {
  std::vector<iovec> iov;
  uint64_t iov_pos = active_->write_bytes;  // file position of iov's first byte
  auto begin_update = [&] {
    SegmentUpdate u;
    u.segment = active_;
    return u;
  };
  auto end_update = [&](SegmentUpdate* u) {
    u->count = active_->write_count;
    u->bytes = active_->write_bytes;
    pending->updates.push_back(std::move(*u));
  };
  SegmentUpdate update = begin_update();
  uint64_t offset = next_offset_;
  for (Writer* w : group) {
    w->first_offset = offset;
    char* p = w->encoded.data();
    for (std::string_view r : w->records) {
      const uint64_t n = kRecordHeaderBytes + r.size();
      if (active_->write_count > 0 && active_->write_bytes >= options_.segment_bytes) {
        FORYOU_RETURN_IF_ERROR(PwriteAll(active_->fd, std::move(iov), iov_pos, active_->path));
        iov.clear();
        end_update(&update);
        FORYOU_RETURN_IF_ERROR(RollSegment(offset));
        update = begin_update();
        iov_pos = active_->write_bytes;
      }
      Segment& seg = *active_;
      if (seg.write_count == 0 || seg.write_bytes >= seg.last_index_pos + kIndexIntervalBytes) {
        update.index.push_back({seg.write_count, seg.write_bytes});
        seg.last_index_pos = seg.write_bytes;
      }
      if (!iov.empty() && static_cast<char*>(iov.back().iov_base) + iov.back().iov_len == p) {
        iov.back().iov_len += n;
      } else {
        iov.push_back({p, n});
      }
      update.max_time_ms = std::max(update.max_time_ms, w->time_ms);
      ++seg.write_count;
      seg.write_bytes += n;
      p += n;
      ++offset;
    }
  }
  FORYOU_RETURN_IF_ERROR(PwriteAll(active_->fd, std::move(iov), iov_pos, active_->path));
  end_update(&update);
  pending->end_offset = offset;
  next_offset_ = offset;
  return absl::OkStatus();
}

void FileEventLog::Publish(PendingGroup* pending) {
  common::WriterLock l(&meta_mu_);
  for (SegmentUpdate& u : pending->updates) {
    Segment& seg = *u.segment;
    seg.count = u.count;
    seg.bytes = u.bytes;
    seg.max_time_ms = std::max(seg.max_time_ms, u.max_time_ms);
    seg.index.insert(seg.index.end(), u.index.begin(), u.index.end());
  }
  end_offset_.store(pending->end_offset);
}

void FileEventLog::FlusherLoop() {
  const auto interval = std::chrono::milliseconds(options_.fsync_interval_ms);
  auto last_sync = std::chrono::steady_clock::now() - interval;
  common::MutexLock l(&mu_);
  while (true) {
    while (!stop_flusher_ && unsynced_.empty()) flusher_cv_.Wait(&mu_);
    if (unsynced_.empty()) break;  // stopping, nothing left to sync
    // At most one fsync per interval: groups arriving meanwhile share the next one.
    while (!stop_flusher_) {
      if (flusher_cv_.WaitUntil(&mu_, last_sync + interval)) break;  // the interval is over
    }
    std::shared_ptr<Segment> seg = sync_segment_;
    const uint64_t target = unsynced_.back().end_offset;
    l.Unlock();
    // Earlier segments of these groups were synced when they were sealed (RollSegment).
    absl::Status s;
    if (::fdatasync(seg->fd) != 0) s = ErrnoStatus("cannot sync", seg->path);
    syncs_.fetch_add(1, std::memory_order_relaxed);
    last_sync = std::chrono::steady_clock::now();
    l.Lock();
    if (!s.ok() && write_error_.ok()) write_error_ = s;
    while (!unsynced_.empty() && (!s.ok() || unsynced_.front().end_offset <= target)) {
      PendingGroup& g = unsynced_.front();
      if (s.ok()) Publish(&g);
      for (Writer* w : g.writers) {
        w->status = s;
        w->done = true;
        w->cv.Signal();
      }
      unsynced_.pop_front();
    }
  }
}

uint64_t FileEventLog::EndOffset() const { return end_offset_.load(); }

uint64_t FileEventLog::StartOffset() const { return start_offset_.load(); }

size_t FileEventLog::SegmentCount() const {
  common::ReaderLock l(&meta_mu_);
  return segments_.size();
}

LogStats FileEventLog::stats() const {
  LogStats s;
  s.appends = appends_.load(std::memory_order_relaxed);
  s.records = records_.load(std::memory_order_relaxed);
  s.groups = groups_.load(std::memory_order_relaxed);
  s.syncs = syncs_.load(std::memory_order_relaxed);
  return s;
}

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
    uint64_t count, good, bytes;
    IndexEntry from{0, kSegmentHeaderBytes};
    std::string loss;
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
      good = seg->good_count;
      bytes = seg->bytes;
      const uint64_t rel = offset - seg->base;
      if (rel >= good) {
        loss = seg->loss;
      } else {
        auto ix = std::upper_bound(seg->index.begin(), seg->index.end(), rel,
                                   [](uint64_t r, const IndexEntry& e) { return r < e.rel; });
        from = ix == seg->index.begin() ? IndexEntry{0, kSegmentHeaderBytes} : *std::prev(ix);
      }
    }
    const uint64_t rel = offset - seg->base;
    if (rel >= count) break;  // cannot happen: offset < end lies in some segment
    if (rel >= good) {
      if (!out->empty()) return absl::OkStatus();
      return absl::DataLossError(absl::StrCat("Read: offset ", offset, " is lost: ", loss));
    }
    const uint64_t want =
        std::min<uint64_t>(max_records - out->size(), std::min(count, good) - rel);

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
      if (next_base > end) break;  // its last group is not yet readable
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
