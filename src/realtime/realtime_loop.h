// RealtimeLoop: the streaming path from a user's action to the serving model, in one process.
//
//   Ingest (any thread) --append, group commit, fsync--> durable EventLog --ack-->
//   trainer thread: read log -> decode -> Joiner (examples with impression-time features)
//                   -> OnlineTrainer (mini-batches) -> SyncTo(serving) every sync_interval_ms
//
// An event is acknowledged (Ingest returns) only once it is durable in the log. The trainer
// thread consumes the log in order; after each sync, serving_offset() says which events the
// serving model has absorbed (every example their events emitted is trained and synced).
// See docs/design/realtime.md.
//
// Example:
//   auto loop = RealtimeLoop::Open(options, model_config, catalog).value();
//   loop->Start();
//   uint64_t offset = loop->Ingest(events).value();   // durable: safe to acknowledge
//   ... loop->serving_offset() > offset: the serving model has learned from them
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/mutex.h"
#include "common/rw_mutex.h"
#include "embedding/delta.h"
#include "model/features.h"
#include "model/ranking_model.h"
#include "model/serving_model.h"
#include "stream/event.h"
#include "stream/event_log.h"
#include "stream/event_source.h"
#include "stream/user_deletion.h"
#include "realtime/joiner.h"
#include "trainer/online_trainer.h"

namespace foryou::realtime {

// Opens the parameter stream (one partition, docs/formats/params.md) at its record `first`
// (0 = its beginning): a replica's source of the trainer's syncs.
using ParamSourceOpener =
    std::function<absl::StatusOr<std::unique_ptr<stream::EventSource>>(uint64_t first)>;

// The log the loop reads from.
using stream::EventLog;
using stream::FileEventLog;
using stream::FsyncPolicy;
using stream::LogOptions;
using stream::LogRecord;

struct LoopOptions {
  LogOptions log;          // log.dir is required
  JoinerOptions joiner;
  int batch_size = 256;    // training mini-batch
  // A partial mini-batch is trained when no event arrived for this long.
  int64_t max_batch_wait_ms = 20;
  int64_t sync_interval_ms = 200;         // sparse rows to serving (<= 1 s, per the design)
  int64_t dense_sync_interval_ms = 5000;  // dense weights to serving
  size_t read_batch = 4096;               // records per log read
  // Progressive-validation metrics count the examples emitted by events at or after this offset
  // (a replay's eval file).
  uint64_t evaluate_from_offset = 0;
  // Examples kept for LiveQuality (the most recent; 0 = no live metrics).
  size_t live_window = 20'000;
  // Snapshots of model + table + behaviour and join state + log offset (docs/design/realtime.md).
  // Empty = none. Open restores the newest valid one and replays the log from its offset.
  std::string snapshot_dir;
  int64_t snapshot_interval_ms = 60'000;
  int keep_snapshots = 2;
  // The event stream instead of the file log (Kafka: docs/design/kafka.md, "The loop on
  // Kafka"): with `source` set, Ingest appends through `sink` (required then) and the trainer
  // thread reads a source opened at the restored snapshot's position, which every snapshot
  // keeps. The file log under log.dir is still opened for log()'s readers but gets no events.
  std::shared_ptr<stream::EventSink> sink;
  stream::EventSourceOpener source;
  // Roles in separate processes (docs/design/kafka.md, "Roles"; with `source` only; at most one
  // of the two):
  // * A trainer publishes every sync (touched rows, evictions, dense weights at dense syncs) to
  //   `params_sink`, a stream of one partition, and keeps the stream's next offset in each
  //   snapshot (state.bin version 3).
  // * A replica (`params_source` set) trains nothing: its serving model is the restored
  //   snapshot's (snapshot_dir is the trainer's, read only: a replica writes no snapshot) plus
  //   the parameter stream from that snapshot's offset (its beginning without a snapshot), and
  //   serving_offset() is the trainer's count of the last whole sync applied. It still reads the
  //   events (the joiner and the behaviour features of serving requests) and appends to `sink`.
  std::shared_ptr<stream::EventSink> params_sink;
  ParamSourceOpener params_source;
  size_t params_part_bytes = 900'000;  // a sync is cut into parameter records of about this size
};

// What the loop has applied: every log record counts once, and the checksum is the sum of a
// hash of each (offset, payload). Part of every snapshot, so a restart that lost or repeated an
// event is visible (the kill test compares it with the log).
struct Ledger {
  uint64_t events = 0;
  uint64_t checksum = 0;
  static uint64_t Hash(uint64_t offset, std::string_view payload);
};

// Progressive AUC per task over the most recent examples (each scored before it was trained on),
// recomputed at every dense sync: the live model-quality signal of a running server.
struct LiveQuality {
  std::array<double, model::kNumTasks> auc{};  // NaN until both classes were seen
  uint64_t window = 0;                         // examples the AUCs cover
  int64_t computed_ms = 0;                     // wall clock of the last recomputation
};

struct LoopStats {
  uint64_t events_read = 0;
  uint64_t decode_errors = 0;  // records that are neither events nor deletion markers (skipped)
  uint64_t user_deletions = 0;  // deletion markers applied
  uint64_t examples_trained = 0;
  uint64_t syncs = 0;
  JoinerStats joiner;
  // Estimated heap bytes of the joiner's in-memory state (pending impressions with their
  // features, the indexes over them), measured about once a second.
  uint64_t join_bytes = 0;
  uint64_t late_store_table_readers_bytes = 0;  // Joiner::LateStoreTableReaderBytes, as often
  uint64_t params_published = 0;  // parameter records a trainer's sink acknowledged
  uint64_t params_applied = 0;    // parameter records a replica applied
  uint64_t params_refused = 0;    // parameter records a replica could not decode or apply (skipped)
};

// Storage faults the loop rides out instead of stopping (docs/design/realtime.md, "Failure
// modes"): what is wrong now and counters since Open.
struct StorageHealth {
  // One line per current fault, naming the store and the error; empty = healthy. A failed
  // append clears with the next successful one, a failed snapshot with the next snapshot; data
  // the log's recovery dropped at Open stays listed for the life of the process.
  std::vector<std::string> faults;
  uint64_t append_failures = 0;      // Ingest calls refused by a log write or sync error
  uint64_t snapshot_failures = 0;    // snapshot (or offset commit) attempts that failed
  uint64_t snapshots_set_aside = 0;  // snapshots ahead of the log, moved aside at Open
  uint64_t log_dropped_bytes = 0;    // damaged bytes the log's recovery skipped at Open
  uint64_t log_lost_records = 0;     // records of sealed segments lost to damage (found at Open)
  uint64_t late_store_failures = 0;  // late store reads and writes that failed (joiner)
  uint64_t params_failures = 0;      // syncs a trainer could not publish (kept, sent again)
};

class RealtimeLoop {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RealtimeLoop>> Open(
      LoopOptions options, const model::ModelConfig& config,
      std::shared_ptr<const model::Catalog> catalog);
  ~RealtimeLoop();  // stops the trainer thread

  // Starts / stops the trainer thread (Stop waits for it; both idempotent).
  void Start();
  void Stop();

  // Without the thread: processes every event in the log now, trains every emitted example and
  // syncs the serving replica, on the calling thread. Not with Start() running.
  [[nodiscard]] absl::Status ProcessAvailable();

  // Appends validated events to the log; returns the offset of the first. When it returns the
  // events are durable per the log's fsync policy. Errors: InvalidArgument for an event that
  // does not pass ValidateEvent (nothing appended), the log's errors.
  // A log write error (full disk, EIO) is Unavailable with a message that names no file: the
  // batch was not stored (the log cuts back to its previous end) and may be retried.
  [[nodiscard]] absl::StatusOr<uint64_t> Ingest(absl::Span<const Event> events, int64_t now_ms);
  // Appends the deletion marker of `deletion` (docs/formats/events.md) and returns its offset.
  // When the trainer thread reads it, it trains what was emitted so far, drops the user's
  // pending impressions and removes the user_id rows of every model identity of the user; the
  // feed's start-up replay and the export drop the user's events before it. Errors as Ingest
  // (InvalidArgument for an invalid id, Unavailable when the log cannot store it now).
  [[nodiscard]] absl::StatusOr<uint64_t> LogUserDeletion(const stream::UserDeletion& deletion);

  // Every event with offset < serving_offset() has reached the serving model.
  // With a source (LoopOptions::source) the offsets are counts: serving_offset() is
  // EventSource::count() at the last sync.
  uint64_t serving_offset() const { return serving_offset_.load(std::memory_order_acquire); }
  // Thread-safe: one past the stream's last record: the file log's EndOffset(), or with a
  // source its EventSource::End() as the trainer thread last measured it (every 200 ms).
  uint64_t end_offset() const;
  // Thread-safe: the ledger as of the last sync (what serving_offset() covers).
  Ledger served_ledger() const;
  // Blocks until serving_offset() >= offset (true), or until `timeout_ms` passed or the trainer
  // thread stopped on an error (false). For tests and the simulator: wait for the serving model
  // to have learned from given events instead of sleeping.
  bool WaitForServing(uint64_t offset, int64_t timeout_ms) const;
  // Called on the trainer thread after each sync with the new serving_offset (benchmarks).
  void SetSyncObserver(std::function<void(uint64_t)> observer) { observer_ = std::move(observer); }
  // With a source (LoopOptions::source): `observer` gets the payload of every record read from
  // the stream that this loop did not append itself with an OK answer, i.e. the records other
  // processes appended, and every record after a restart. A record this loop's Ingest or
  // LogUserDeletion appended and answered OK for is left to that caller, who applies it at
  // once; one whose append answered an error but reached the stream anyway is passed once (by
  // the trainer thread, or by the appending thread if the trainer thread read it first). So
  // every record reaches the caller or the observer exactly once per process. Called on the
  // trainer thread and on appending threads: must be thread-safe. Set before Start and before
  // any append; no-op without a source. (docs/design/kafka_roles.md, "Feed state".)
  void SetStreamObserver(std::function<void(absl::Span<const std::string_view>)> observer) {
    stream_observer_ = std::move(observer);
  }

  // With a source and a restored snapshot: reads the stream from its beginning (what its
  // retention kept) to the snapshot's position and passes every record before that position to
  // `observe`, in stream order per partition, on the calling thread; nothing of it reaches the
  // model, the joiner or the ledger (the snapshot holds what they took from those records).
  // Records at or after the position are the trainer thread's (SetStreamObserver). Before
  // Start. Returns the records passed (0 without a source or a snapshot). Errors: the source's
  // (Unimplemented if it cannot bound its read); Unavailable when no record arrived for
  // `idle_ms` before the end was reached. (docs/design/kafka_roles.md, "Feed state".)
  [[nodiscard]] absl::StatusOr<uint64_t> ReadBeforeRestored(
      const std::function<void(absl::Span<const std::string_view>)>& observe,
      int64_t idle_ms = 30'000);

  // Predictions for feed requests: thread-safe, never blocked by (and never blocking) syncs.
  const model::ServingModel& serving_model() const { return *serving_model_; }
  // The serving replica's table holder, for inspection (its table is safe to read at any time;
  // use serving_model() for predictions).
  model::RankingModel& serving() { return *serving_; }
  EventLog& log() { return *log_; }
  LoopStats stats() const;
  // Read when the thread is stopped (or from the sync observer).
  const Ledger& ledger() const { return ledger_; }
  // The offset the loop resumed from at Open (0 without a snapshot) and the snapshots written.
  uint64_t restored_offset() const { return restored_offset_; }
  uint64_t snapshots_written() const { return snapshots_written_.load(); }
  // Takes a snapshot now (trainer thread stopped, or from within it) and commits its offset.
  // No-op without snapshot_dir and on a replica (LoopOptions::params_source). A failed attempt
  // removes its partial files. The trainer thread treats a failure as a storage fault
  // (storage_health()) and retries after min(snapshot_interval_ms, 5 s), never stopping for it.
  [[nodiscard]] absl::Status Snapshot();
  // Thread-safe: current storage faults and counters.
  StorageHealth storage_health() const;
  // Removes the user_id feature rows of `model_users` (the model's identities of one user:
  // "<id>", "<id>#<epoch>") from the trainer's table and the serving replica's, now. Thread-safe
  // (the tables are). Returns the rows removed from the trainer's table. Rows the user shares
  // with others (profile values) and the user x creator / sound / category cross rows stay
  // until their expiry.
  [[nodiscard]] absl::StatusOr<uint64_t> RemoveUserRows(absl::Span<const std::string> model_users);
  // The trainer thread's feature extractor (warm start before Start and before any
  // ExtractForServing, e.g. a history file).
  model::FeatureExtractor* features() { return features_.get(); }
  // Thread-safe: features of serving-time impressions (no labels) from the behaviour state as of
  // now. Readers share a lock the trainer takes only around each Observe, so a feed request
  // waits at most one mini-batch's Observe. out: impressions.size() rows.
  void ExtractForServing(absl::Span<const model::Impression> impressions,
                         model::FeatureBatch* out) const;
  // Thread-safe: sizes and estimated bytes of the behaviour state (a pass over every user under
  // the lock ExtractForServing shares).
  model::BehaviourMemory BehaviourMemory() const;
  // Changes LoopOptions::evaluate_from_offset (not while the thread runs).
  void set_evaluate_from_offset(uint64_t offset) { options_.evaluate_from_offset = offset; }
  // The trainer's progressive metrics (read when the thread is stopped).
  const trainer::ProgressiveMetrics& metrics() const { return trainer_->metrics(); }
  // Thread-safe: the live per-task AUC (LiveQuality). live_window = examples kept (0 = off).
  LiveQuality live_quality() const;
  // The trainer thread's first error, if it stopped on one.
  absl::Status status() const;

 private:
  RealtimeLoop(LoopOptions options, std::shared_ptr<const model::Catalog> catalog);
  void Run();
  absl::Status Step(bool* idle, bool advance_by_wall_clock);
  // Trainer thread: gives stream_observer_ the records_ this loop did not append itself.
  void PassOnStreamRecords();
  // Reads the next records into records_ (file log or source).
  absl::Status ReadRecords(int timeout_ms);
  // Appends encoded records; a storage fault becomes Unavailable and a listed fault.
  absl::StatusOr<uint64_t> Append(absl::Span<const std::string_view> records);
  // Trainer thread: applies a deletion marker read from the log.
  absl::Status ApplyUserDeletion(const stream::UserDeletion& deletion);
  absl::Status TrainPending();
  absl::Status TrainRange(size_t begin, size_t end, bool evaluate);
  absl::Status Sync(bool dense);
  bool follower() const { return static_cast<bool>(options_.params_source); }
  // Trainer with a params sink: encodes this sync and publishes it with what is still unsent.
  void PublishParams(const embedding::TableDelta& delta, std::string_view dense);
  // Replica: applies the parameter records available now (up to the stream's end when
  // `to_end`). Sets *applied when any was.
  absl::Status FollowParams(bool to_end, bool* applied);
  absl::Status Restore(const std::string& dir, const model::ModelConfig& config,
                       std::string* joiner_state);
  // Restores the newest usable snapshot, or leaves the fresh state; creates the joiner.
  absl::Status RestoreNewest(const model::ModelConfig& config);
  absl::Status WriteSnapshot(const std::string& final_dir);
  void RecordSnapshotResult(const absl::Status& s);

  LoopOptions options_;
  std::shared_ptr<const model::Catalog> catalog_;
  std::unique_ptr<FileEventLog> log_;
  std::unique_ptr<stream::EventSource> source_;  // with LoopOptions::source; trainer thread
  std::string restored_position_;                // the source position of the restored snapshot
  // The parameter stream: a trainer's next offset in it (UINT64_MAX until the first publish
  // after Open, or the restored snapshot's; what its snapshots keep), a replica's source.
  uint64_t params_next_ = UINT64_MAX;
  std::vector<std::string> params_unsent_;  // trainer: encoded records not yet acknowledged
  uint64_t params_published_events_ = UINT64_MAX;  // trainer: header.events of the last publish
  uint64_t params_dense_trained_ = UINT64_MAX;  // trainer: examples trained at the last dense one
  std::unique_ptr<stream::EventSource> params_;  // replica
  std::atomic<uint64_t> source_end_{0};
  int64_t last_end_ms_ = 0;
  std::unique_ptr<model::FeatureExtractor> features_;
  mutable common::RwMutex features_mu_;  // see ExtractForServing
  std::unique_ptr<Joiner> joiner_;
  std::unique_ptr<model::RankingModel> model_, serving_;
  std::unique_ptr<model::ServingModel> serving_model_;
  std::unique_ptr<trainer::OnlineTrainer> trainer_;

  // Trainer-thread state.
  uint64_t next_offset_ = 0;
  std::vector<LogRecord> records_;
  std::vector<Example> examples_;
  std::vector<model::Impression> batch_impressions_;
  model::FeatureBatch batch_features_;
  std::vector<bool> batch_observe_;
  int64_t last_event_ms_ = 0, last_sync_ms_ = 0, last_dense_sync_ms_ = 0, last_snapshot_ms_ = 0;
  int64_t last_memory_ms_ = 0;  // the last LoopStats::join_bytes measurement
  Ledger ledger_;
  uint64_t restored_offset_ = 0;
  std::atomic<uint64_t> snapshots_written_{0};
  // The offset of the snapshot this process restored or last wrote (UINT64_MAX: none): a
  // directory of that name written by an earlier process is replaced, not trusted.
  uint64_t snapshot_offset_ = UINT64_MAX;
  int64_t snapshot_wait_ms_ = 0;  // until the next attempt: the interval, shorter after a failure

  std::atomic<uint64_t> serving_offset_{0};
  mutable common::Mutex serving_mu_;  // with serving_cv_: WaitForServing's wake-ups
  mutable common::CondVar serving_cv_;
  std::function<void(uint64_t)> observer_;
  std::function<void(absl::Span<const std::string_view>)> stream_observer_;
  // Payloads this loop is appending or appended with an OK answer, not read back yet (a
  // multiset: a client may send the same event twice). See SetStreamObserver.
  mutable common::Mutex own_mu_;
  absl::flat_hash_map<std::string, uint32_t> own_pending_ ABSL_GUARDED_BY(own_mu_);
  std::atomic<bool> running_{false};
  std::thread thread_;
  mutable common::Mutex mu_;
  LoopStats stats_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  LiveQuality live_ ABSL_GUARDED_BY(mu_);
  Ledger served_ledger_ ABSL_GUARDED_BY(mu_);
  StorageHealth health_ ABSL_GUARDED_BY(mu_);  // counters; faults below
  std::string append_fault_ ABSL_GUARDED_BY(mu_), snapshot_fault_ ABSL_GUARDED_BY(mu_);
  std::string late_store_fault_ ABSL_GUARDED_BY(mu_);  // the joiner's, copied after each step
  std::string params_fault_ ABSL_GUARDED_BY(mu_);      // the parameter stream's last failure
  std::string recovery_fault_;  // set in Open
  // Trainer thread: ring of (prediction, label) per task for LiveQuality.
  std::vector<std::array<float, model::kNumTasks>> live_probs_, live_labels_;
  size_t live_next_ = 0;
};

}  // namespace foryou::realtime
