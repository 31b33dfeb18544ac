// RealtimeLoop: the streaming path from a user's action to the serving model, in one process.
//
//   Ingest (any thread) --append, group commit, fsync--> durable EventLog --ack-->
//   trainer thread: read log -> decode -> Joiner (examples with impression-time features)
//                   -> OnlineTrainer (mini-batches) -> SyncTo(serving) every sync_interval_ms
//
// An event is acknowledged (Ingest returns) only once it is durable in the log. The trainer
// thread consumes the log in order; after each sync, serving_offset() says which events the
// serving model has absorbed (every example their events emitted is trained and synced).
// See docs/design/stream.md.
//
// Example:
//   auto loop = RealtimeLoop::Open(options, model_config, catalog).value();
//   loop->Start();
//   uint64_t offset = loop->Ingest(events).value();   // durable: safe to acknowledge
//   ... loop->serving_offset() > offset: the serving model has learned from them
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "model/features.h"
#include "model/ranking_model.h"
#include "stream/event.h"
#include "stream/event_log.h"
#include "stream/joiner.h"
#include "trainer/online_trainer.h"

namespace foryou::stream {

struct LoopOptions {
  LogOptions log;          // log.dir is required
  JoinerOptions joiner;
  int batch_size = 256;    // training mini-batch
  // A partial mini-batch is trained when no event arrived for this long.
  int64_t max_batch_wait_ms = 20;
  int64_t sync_interval_ms = 200;         // sparse rows to serving (<= 1 s, per the design)
  int64_t dense_sync_interval_ms = 5000;  // dense weights to serving
  size_t read_batch = 4096;               // records per log read
};

struct LoopStats {
  uint64_t events_read = 0;
  uint64_t decode_errors = 0;  // records that are not events (counted, skipped)
  uint64_t examples_trained = 0;
  uint64_t syncs = 0;
  JoinerStats joiner;
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

  // Appends validated events to the log; returns the offset of the first. When it returns the
  // events are durable per the log's fsync policy. Errors: InvalidArgument for an event that
  // does not pass ValidateEvent (nothing appended), the log's errors.
  [[nodiscard]] absl::StatusOr<uint64_t> Ingest(absl::Span<const Event> events, int64_t now_ms);

  // Every event with offset < serving_offset() has reached the serving model.
  uint64_t serving_offset() const { return serving_offset_.load(std::memory_order_acquire); }
  // Called on the trainer thread after each sync with the new serving_offset (benchmarks).
  void SetSyncObserver(std::function<void(uint64_t)> observer) { observer_ = std::move(observer); }

  // The serving replica (reads of its table are safe at any time; its dense weights change at
  // dense syncs: feed requests will read them through the feed service's own copy, issue 5).
  model::RankingModel& serving() { return *serving_; }
  EventLog& log() { return *log_; }
  LoopStats stats() const;
  // The trainer thread's first error, if it stopped on one.
  absl::Status status() const;

 private:
  RealtimeLoop(LoopOptions options, std::shared_ptr<const model::Catalog> catalog);
  void Run();
  absl::Status Step(bool* idle);
  absl::Status TrainPending();
  absl::Status Sync(bool dense);

  LoopOptions options_;
  std::shared_ptr<const model::Catalog> catalog_;
  std::unique_ptr<FileEventLog> log_;
  std::unique_ptr<model::FeatureExtractor> features_;
  std::unique_ptr<Joiner> joiner_;
  std::unique_ptr<model::RankingModel> model_, serving_;
  std::unique_ptr<trainer::OnlineTrainer> trainer_;

  // Trainer-thread state.
  uint64_t next_offset_ = 0;
  std::vector<LogRecord> records_;
  std::vector<Example> examples_;
  std::vector<model::Impression> batch_impressions_;
  model::FeatureBatch batch_features_;
  std::vector<bool> batch_observe_;
  int64_t last_event_ms_ = 0, last_sync_ms_ = 0, last_dense_sync_ms_ = 0;

  std::atomic<uint64_t> serving_offset_{0};
  std::function<void(uint64_t)> observer_;
  std::atomic<bool> running_{false};
  std::thread thread_;
  mutable std::mutex mu_;  // guards stats_ and status_
  LoopStats stats_;
  absl::Status status_;
};

}  // namespace foryou::stream
