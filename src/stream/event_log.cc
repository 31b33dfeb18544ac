// FileEventLog: open, group commit and the flusher. Recovery of the segments at open:
// event_log_recover.cc; reads, consumer offsets and retention: event_log_read.cc. Bytes:
// docs/formats/log.md.
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
#include "stream/event_log_internal.h"

namespace foryou::stream {

using namespace log_internal;  // NOLINT: the log's own internals

static_assert(std::endian::native == std::endian::little,
              "the log format is little-endian; add byte swaps for big-endian hosts");

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
  {
    common::MutexLock l(&log->mu_);
    log->durable_ = {log->active_, log->active_->write_bytes, log->active_->write_count,
                     log->active_->last_index_pos, log->next_offset_};
  }
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
  absl::Status s = PwriteAll(seg->fd, {v}, 0, seg->path);
  seg->bytes = seg->write_bytes = kSegmentHeaderBytes;
  // The header itself is synced with the segment's first group; the directory entry now.
  if (s.ok() && options_.fsync != FsyncPolicy::kNever && ::fsync(dir_fd_) != 0) {
    s = ErrnoStatus("cannot sync directory", options_.dir);
  }
  if (!s.ok()) {
    ::unlink(seg->path.c_str());  // a later roll to the same offset creates it again
    return s;
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
    if (!w.status.ok()) {
      failed_appends_.fetch_add(1, std::memory_order_relaxed);
      return w.status;
    }
    appends_.fetch_add(1, std::memory_order_relaxed);
    records_.fetch_add(records.size(), std::memory_order_relaxed);
    return w.first_offset;
  }
  if (!write_error_.ok()) {
    // An earlier failure was not cut back yet: retry that before writing anything after it.
    const DurablePoint to = durable_;
    l.Unlock();
    absl::Status r = RollBack(to);  // still the leader: w is the queue's front
    l.Lock();
    if (!r.ok()) {
      writers_.pop_front();
      if (!writers_.empty()) writers_.front()->cv.Signal();
      failed_appends_.fetch_add(1, std::memory_order_relaxed);
      return write_error_;
    }
    write_error_ = absl::OkStatus();
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
  // kInterval: a failed flusher sync meanwhile failed the groups before ours, so ours fails too.
  if (s.ok() && !write_error_.ok()) s = write_error_;
  if (!s.ok()) {
    if (write_error_.ok()) write_error_ = s;
    FailUnsynced(s);
    // Cut back now (still the leader: the group is at the queue's front), so a refused group
    // leaves nothing behind even if no Append follows; otherwise the next leader retries.
    const DurablePoint to = durable_;
    l.Unlock();
    const absl::Status r = RollBack(to);
    l.Lock();
    if (r.ok()) write_error_ = absl::OkStatus();
  }
  for (size_t i = 0; i < group.size(); ++i) writers_.pop_front();
  if (!s.ok()) {
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
  if (!w.status.ok()) {
    failed_appends_.fetch_add(1, std::memory_order_relaxed);
    return w.status;
  }
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
    u->last_index_pos = active_->last_index_pos;
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
  if (!pending->updates.empty()) {
    const SegmentUpdate& u = pending->updates.back();
    durable_ = {u.segment, u.bytes, u.count, u.last_index_pos, pending->end_offset};
  }
}

void FileEventLog::FailUnsynced(const absl::Status& s) {
  ++epoch_;
  for (PendingGroup& g : unsynced_) {
    for (Writer* w : g.writers) {
      w->status = s;
      w->done = true;
      w->cv.Signal();
    }
  }
  unsynced_.clear();
}

absl::Status FileEventLog::RollBack(const DurablePoint& to) {
  // Segments rolled after `to` hold no acknowledged record: delete them, newest first, and
  // forget each only once its file is gone (a failure leaves the rest for the next try).
  std::vector<std::shared_ptr<Segment>> later;
  {
    common::ReaderLock l(&meta_mu_);
    for (auto it = segments_.upper_bound(to.segment->base); it != segments_.end(); ++it) {
      later.push_back(it->second);
    }
  }
  for (auto it = later.rbegin(); it != later.rend(); ++it) {
    if (::unlink((*it)->path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus("cannot delete", (*it)->path);
    }
    common::WriterLock l(&meta_mu_);
    segments_.erase((*it)->base);
  }
  const bool sync = options_.fsync != FsyncPolicy::kNever;
  if (!later.empty() && sync && ::fsync(dir_fd_) != 0) {
    return ErrnoStatus("cannot sync directory", options_.dir);
  }
  Segment& seg = *to.segment;
  if (::ftruncate(seg.fd, static_cast<off_t>(to.bytes)) != 0) {
    return ErrnoStatus("cannot truncate", seg.path);
  }
  if (sync && ::fdatasync(seg.fd) != 0) return ErrnoStatus("cannot sync", seg.path);
  active_ = to.segment;
  seg.write_bytes = to.bytes;
  seg.write_count = to.count;
  seg.last_index_pos = to.last_index_pos;
  next_offset_ = to.next_offset;
  rollbacks_.fetch_add(1, std::memory_order_relaxed);
  return absl::OkStatus();
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
    const uint64_t epoch = epoch_;
    l.Unlock();
    // Earlier segments of these groups were synced when they were sealed (RollSegment).
    absl::Status s;
    if (::fdatasync(seg->fd) != 0) s = ErrnoStatus("cannot sync", seg->path);
    syncs_.fetch_add(1, std::memory_order_relaxed);
    last_sync = std::chrono::steady_clock::now();
    l.Lock();
    if (epoch != epoch_) continue;  // a failure failed these groups meanwhile
    if (!s.ok()) {
      // The next leader cuts the files back to the last published group.
      if (write_error_.ok()) write_error_ = s;
      FailUnsynced(s);
      continue;
    }
    while (!unsynced_.empty() && unsynced_.front().end_offset <= target) {
      PendingGroup& g = unsynced_.front();
      Publish(&g);
      for (Writer* w : g.writers) {
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
  s.failed_appends = failed_appends_.load(std::memory_order_relaxed);
  s.rollbacks = rollbacks_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace foryou::stream
