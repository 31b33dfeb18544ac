// The durable, append-only event log of the real-time loop: the EventLog interface (Kafka
// semantics: offsets, consumer positions, retention) and FileEventLog, its embedded
// implementation as segment files in one directory (LevelDB-style records with checksums).
// Byte layout: docs/formats/log.md. Design, threading and failure modes: docs/design/stream.md.
//
// Example:
//   LogOptions options;
//   options.dir = "/var/lib/foryou/events";
//   FORYOU_ASSIGN_OR_RETURN(auto log, FileEventLog::Open(options));
//   std::vector<std::string_view> batch = {"event-1", "event-2"};
//   FORYOU_ASSIGN_OR_RETURN(uint64_t first, log->Append(batch));  // durable: acknowledge now
//   std::vector<LogRecord> records;
//   FORYOU_RETURN_IF_ERROR(log->Read(first, 100, &records));       // records[0].offset == first
//   FORYOU_RETURN_IF_ERROR(log->CommitOffset("trainer", records.back().offset + 1));
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/mutex.h"
#include "common/rw_mutex.h"

namespace foryou::stream {

namespace log_internal {
struct ScanResult;
}

// One record as read back from a log.
struct LogRecord {
  uint64_t offset = 0;         // position in the log; consecutive, starting at 0
  std::string payload;         // the bytes given to Append, unchanged
  int64_t append_time_ms = 0;  // wall-clock time (ms since the Unix epoch) of the Append call
};

// An ordered, durable sequence of opaque records addressed by offset, plus durable consumer
// positions. The small interface the rest of the loop depends on, so a Kafka-backed log (or an
// in-memory fake) can replace the embedded one. Implementations are thread-safe.
class EventLog {
 public:
  virtual ~EventLog() = default;

  // Appends `records` as one group. On success they have consecutive offsets starting at the
  // returned one and are durable per the log's fsync policy when this returns, so the caller
  // may acknowledge them. Errors: InvalidArgument (nothing appended) for an empty group, an empty
  // record or one over the size limit (the message names the record's index); other codes for
  // I/O failures (FileEventLog cuts its files back so nothing of the group stays; a crash before
  // that cut may leave whole records of it: at-least-once).
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Append(
      absl::Span<const std::string_view> records) = 0;

  // Replaces `*out` with up to `max_records` records with offsets `offset`, `offset + 1`, ... in
  // order: fewer at the end of the log, none when `offset == EndOffset()`.
  // Offsets lost to damage that the log's recovery found (FileEventLog: RecoveryInfo's
  // lost_records) are skipped: the records returned carry their own offsets, which then jump.
  // Errors: OutOfRange if `offset < StartOffset()` (the message says which offset is oldest) or
  // `offset > EndOffset()`. DataLoss if the record at `offset` is unreadable (corrupt on disk
  // since open; the message names the file and byte position); a read that starts before such
  // a record returns the good records before it, and the next Read reports the loss.
  [[nodiscard]] virtual absl::Status Read(uint64_t offset, size_t max_records,
                                          std::vector<LogRecord>* out) = 0;

  // One past the last readable record: the offset the next record will get once every Append in
  // flight has returned. Only records whose Append may already have returned are readable.
  virtual uint64_t EndOffset() const = 0;

  // Oldest retained offset (== EndOffset() when nothing is retained).
  virtual uint64_t StartOffset() const = 0;

  // Durably records `next_offset` as the next offset `consumer` will read. Consumer names are
  // 1..64 characters of [A-Za-z0-9_.-]. Errors: InvalidArgument for a bad name or
  // `next_offset > EndOffset()`.
  [[nodiscard]] virtual absl::Status CommitOffset(std::string_view consumer,
                                                  uint64_t next_offset) = 0;

  // The last committed position of `consumer`. Errors: NotFound if it never committed,
  // InvalidArgument for a bad name, DataLoss if its offset file is corrupt.
  [[nodiscard]] virtual absl::StatusOr<uint64_t> CommittedOffset(
      std::string_view consumer) const = 0;
};

// When an Append's records reach the disk before Append returns.
enum class FsyncPolicy {
  kEveryBatch,  // each group commit ends with one fdatasync (default)
  kInterval,    // a background flusher fdatasyncs every fsync_interval_ms; Append waits for it
  kNever,       // never fsync: only for tests and benchmarks (a crash may lose anything)
};

struct LogOptions {
  std::string dir;                       // created if missing; one FileEventLog at a time
  uint64_t segment_bytes = 64ull << 20;  // a segment is sealed once it reaches this size
  FsyncPolicy fsync = FsyncPolicy::kEveryBatch;
  int64_t fsync_interval_ms = 10;       // kInterval: longest wait for the covering fsync
  uint64_t retention_bytes = 0;         // 0 = unlimited (see EnforceRetention)
  int64_t retention_age_s = 0;          // 0 = unlimited (see EnforceRetention)
  uint32_t max_record_bytes = 1 << 20;  // payload limit per record (at most 1 GiB)
  // Wall clock for append times, ms since the Unix epoch; null = the system clock. Tests inject
  // a fake one.
  std::function<int64_t()> clock;
};

// What Open had to repair.
struct RecoveryInfo {
  uint64_t truncated_bytes = 0;  // bytes of a torn tail cut from the end of the last segment
  // Damage in the middle of the last segment (records after it were intact): the byte ranges
  // skipped, their bytes, the offset the first record after the damage got (the records behind
  // it moved down by the records lost; UINT64_MAX when none), and the copy of the file as it
  // was before the rewrite.
  uint64_t damaged_ranges = 0;
  uint64_t dropped_bytes = 0;
  uint64_t first_damaged_offset = UINT64_MAX;
  std::string damaged_copy;
  // Damage in sealed segments (found again at every open; the files are never modified): the
  // damaged ranges and bytes are counted above too, and the copy is the newest one made. Their
  // offsets are fixed by the next segment's base, so no record moves: the offsets between the
  // last good record before the damage and the first good one after it are lost, and Read
  // skips them.
  uint64_t lost_records = 0;
  std::string detail;  // human-readable; empty when nothing was wrong
};

// Counters of a FileEventLog since Open (for metrics and benchmarks).
struct LogStats {
  uint64_t appends = 0;  // successful Append calls
  uint64_t records = 0;  // records they appended
  uint64_t groups = 0;   // group commits (leader writes)
  uint64_t syncs = 0;    // fdatasync calls on segments (group, flusher and roll syncs)
  uint64_t failed_appends = 0;  // Append calls refused by a write or sync error
  uint64_t rollbacks = 0;       // times the files were cut back to the last acknowledged record
};

// EventLog over segment files in `options.dir` (docs/formats/log.md).
//
// Threading: every method is thread-safe. Concurrent Appends are group-committed: the first
// queued caller becomes the leader, writes every queued group with one writev per segment
// touched and one fdatasync, then wakes the others. Reads run concurrently with appends and see
// only records whose Append may have returned (fully written and synced per the policy).
// After an I/O error on the write path (full disk, EIO) the failed group's callers get the error
// and the files are cut back to the last acknowledged record; the next Append retries (so the
// log recovers by itself once space returns).
//
// A process-wide advisory lock (`dir/LOCK`) refuses a second open of the same directory.
class FileEventLog : public EventLog {
 public:
  // Validates `options` (InvalidArgument naming the field), locks and recovers the directory:
  // a torn tail of the last segment is truncated at the last good record, damage in its middle
  // cut out, damage in an older segment set aside (its lost offsets skipped by Read), each with
  // a copy of the file in damaged/ and reported in recovery() and one warning line on stderr.
  // Reads every retained byte once (O(log size)).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FileEventLog>> Open(LogOptions options);
  ~FileEventLog() override;
  FileEventLog(const FileEventLog&) = delete;
  FileEventLog& operator=(const FileEventLog&) = delete;

  absl::StatusOr<uint64_t> Append(absl::Span<const std::string_view> records) override;
  absl::Status Read(uint64_t offset, size_t max_records, std::vector<LogRecord>* out) override;
  uint64_t EndOffset() const override;
  uint64_t StartOffset() const override;
  absl::Status CommitOffset(std::string_view consumer, uint64_t next_offset) override;
  absl::StatusOr<uint64_t> CommittedOffset(std::string_view consumer) const override;

  const RecoveryInfo& recovery() const { return recovery_; }
  const LogOptions& options() const { return options_; }

  // Deletes whole sealed segments, oldest first, while the log is over retention_bytes (sum of
  // segment file sizes) or the segment's newest record is older than retention_age_s at
  // `now_ms`. Never deletes the active (last) segment, nor a segment holding an offset >= the
  // smallest committed consumer offset (a consumer with a corrupt offset file counts as 0); with
  // no committed consumer only the limits apply. Returns the number of segments deleted;
  // StartOffset() moves to the first remaining segment.
  [[nodiscard]] absl::StatusOr<int> EnforceRetention(int64_t now_ms);

  // Number of segment files currently retained (for tests and metrics).
  size_t SegmentCount() const;

  LogStats stats() const;

 private:
  struct Segment;
  struct Writer;
  struct SegmentUpdate;
  struct PendingGroup;

  explicit FileEventLog(LogOptions options);
  absl::Status Recover();
  absl::Status RewriteDamagedSegment(Segment* seg, const log_internal::ScanResult& scan,
                                     std::vector<std::string>* notes);
  // A sealed segment holding fewer readable records than its `expected` offsets: the lost
  // range, the index around it, a copy in damaged/ and the report.
  absl::Status SetAsideSealedDamage(Segment* seg, const log_internal::ScanResult& scan,
                                    uint64_t expected, std::vector<std::string>* notes);
  // The copy of a damaged segment file in damaged/ (made once; later opens reuse it).
  absl::StatusOr<std::string> CopyDamagedSegment(const Segment& seg);
  absl::Status LoadConsumers();
  absl::StatusOr<std::shared_ptr<Segment>> CreateSegment(uint64_t base_offset);
  int64_t NowMs() const;

  // Leader path: writes `group` to the active segment(s), rolling as needed.
  absl::Status WriteGroup(const std::vector<Writer*>& group, PendingGroup* pending);
  absl::Status RollSegment(uint64_t base_offset);
  // The files' state after the last acknowledged (published) group.
  struct DurablePoint {
    std::shared_ptr<Segment> segment;
    uint64_t bytes = 0, count = 0, last_index_pos = 0, next_offset = 0;
  };
  // Leader only: cuts the files back to `to` after a failed write or sync (deletes segments
  // rolled since, truncates and syncs `to.segment`) and resets the write position, so a refused
  // group leaves nothing behind and the next Append writes where the acknowledged records end.
  absl::Status RollBack(const DurablePoint& to);
  // Makes the records of `pending` readable. mu_ keeps publications in offset order.
  void Publish(PendingGroup* pending) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // kInterval: fails every written-but-unsynced group with `s` (their bytes will be cut back).
  void FailUnsynced(const absl::Status& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlusherLoop();

  const LogOptions options_;
  RecoveryInfo recovery_;
  int lock_fd_ = -1;
  int dir_fd_ = -1;

  // Append queue and group commit state.
  common::Mutex mu_;
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(mu_);  // front() is the leader
  // A write or sync failed and the files are not yet cut back (the next leader retries).
  absl::Status write_error_ ABSL_GUARDED_BY(mu_);
  DurablePoint durable_ ABSL_GUARDED_BY(mu_);
  // Bumped when unsynced groups are failed: a flusher sync started before publishes nothing.
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // kInterval: groups written but not yet synced, in offset order, and what to sync next.
  std::deque<PendingGroup> unsynced_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<Segment> sync_segment_ ABSL_GUARDED_BY(mu_);
  bool stop_flusher_ ABSL_GUARDED_BY(mu_) = false;
  common::CondVar flusher_cv_;
  std::thread flusher_;

  std::atomic<uint64_t> appends_{0}, records_{0}, groups_{0}, syncs_{0}, failed_appends_{0},
      rollbacks_{0};

  // Owned by the current leader (handed over under mu_).
  std::shared_ptr<Segment> active_;
  uint64_t next_offset_ = 0;

  // Segment map by base offset: the readers' view.
  mutable common::RwMutex meta_mu_;
  std::map<uint64_t, std::shared_ptr<Segment>> segments_ ABSL_GUARDED_BY(meta_mu_);
  std::atomic<uint64_t> start_offset_{0};
  std::atomic<uint64_t> end_offset_{0};  // readable end; written under meta_mu_

  // Consumer positions: commit_mu_ serializes commits and retention decisions,
  // consumers_mu_ guards the cache.
  common::Mutex commit_mu_;
  mutable common::Mutex consumers_mu_;
  std::map<std::string, absl::StatusOr<uint64_t>> consumers_ ABSL_GUARDED_BY(consumers_mu_);
};

}  // namespace foryou::stream
