#include "realtime/realtime_loop.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/binary_io.h"
#include "common/file_util.h"
#include "common/clock.h"
#include "common/id_key.h"
#include "common/status_macros.h"
#include "trainer/metrics.h"
#include "xxhash.h"

namespace foryou::realtime {
namespace {

int64_t NowMs() { return common::SteadyMs(); }

using common::WallMs;

}  // namespace

absl::StatusOr<std::unique_ptr<RealtimeLoop>> RealtimeLoop::Open(
    LoopOptions options, const model::ModelConfig& config,
    std::shared_ptr<const model::Catalog> catalog) {
  if (options.batch_size < 1) return absl::InvalidArgumentError("loop: batch_size must be >= 1");
  if (options.sync_interval_ms < 0 || options.dense_sync_interval_ms < 0) {
    return absl::InvalidArgumentError("loop: sync intervals must be >= 0");
  }
  if (options.source && options.sink == nullptr) {
    return absl::InvalidArgumentError("loop: an event source needs an event sink");
  }
  if ((options.params_sink != nullptr || options.params_source) && !options.source) {
    return absl::InvalidArgumentError("loop: a parameter stream needs an event source");
  }
  if (options.params_sink != nullptr && options.params_source) {
    return absl::InvalidArgumentError(
        "loop: a loop either publishes its parameters (trainer) or follows them (replica)");
  }
  if (options.params_part_bytes < 4096) {
    return absl::InvalidArgumentError("loop: params_part_bytes must be >= 4096");
  }
  if (catalog == nullptr) catalog = std::make_shared<model::Catalog>();
  std::unique_ptr<RealtimeLoop> loop(new RealtimeLoop(options, catalog));
  FORYOU_ASSIGN_OR_RETURN(loop->log_, FileEventLog::Open(options.log));
  loop->features_ = std::make_unique<model::FeatureExtractor>(config, catalog);
  FORYOU_ASSIGN_OR_RETURN(loop->model_, model::RankingModel::Create(config));
  FORYOU_ASSIGN_OR_RETURN(loop->serving_, model::RankingModel::Create(config, /*serving=*/true));
  loop->next_offset_ = loop->log_->StartOffset();

  if (loop->log_->recovery().damaged_ranges > 0) {
    loop->recovery_fault_ = absl::StrCat("event log recovery: ", loop->log_->recovery().detail);
  }
  FORYOU_RETURN_IF_ERROR(loop->RestoreNewest(config));
  if (options.source) {
    // The stream resumes at the snapshot's position; next_offset_ counts the records before it.
    FORYOU_ASSIGN_OR_RETURN(loop->source_, options.source(loop->restored_position_));
    loop->next_offset_ = loop->source_->count();
    loop->source_end_ = loop->next_offset_;
    if (loop->follower()) {
      // The trainer's syncs after the snapshot (its beginning without one).
      FORYOU_ASSIGN_OR_RETURN(
          loop->params_, options.params_source(
                             loop->params_next_ == UINT64_MAX ? 0 : loop->params_next_));
    } else {
      // A restarted trainer learns its offset in the stream from its first publish: an earlier
      // process may have published past the snapshot's.
      loop->params_next_ = UINT64_MAX;
    }
  } else if (loop->next_offset_ < loop->log_->StartOffset()) {
    return absl::DataLossError(absl::StrCat("loop: the snapshot resumes at offset ", loop->next_offset_,
                                            " but the log starts at ", loop->log_->StartOffset()));
  }
  loop->trainer_ = std::make_unique<trainer::OnlineTrainer>(loop->model_.get(), loop->features_.get(),
                                                            trainer::TrainerOptions{});
  loop->trainer_->set_features_mutex(&loop->features_mu_);
  loop->serving_offset_ = loop->next_offset_;
  {
    common::MutexLock l(&loop->mu_);
    loop->served_ledger_ = loop->ledger_;
  }
  loop->serving_model_ = std::make_unique<model::ServingModel>(config, loop->serving_->shared_table());
  loop->serving_model_->set_negative_sample_rate(options.joiner.negative_sample_rate);
  FORYOU_RETURN_IF_ERROR(loop->serving_model_->PublishDense(loop->model_->SaveDense()));
  return loop;
}

RealtimeLoop::RealtimeLoop(LoopOptions options, std::shared_ptr<const model::Catalog> catalog)
    : options_(std::move(options)), catalog_(std::move(catalog)) {}

RealtimeLoop::~RealtimeLoop() { Stop(); }

void RealtimeLoop::Start() {
  if (running_.exchange(true)) return;
  snapshot_wait_ms_ = options_.snapshot_interval_ms;
  last_event_ms_ = last_sync_ms_ = last_dense_sync_ms_ = last_snapshot_ms_ = NowMs();
  thread_ = std::thread([this] { Run(); });
}

void RealtimeLoop::Stop() {
  if (!running_.exchange(false)) return;
  thread_.join();
}

uint64_t Ledger::Hash(uint64_t offset, std::string_view payload) {
  return XXH3_64bits_withSeed(payload.data(), payload.size(), offset * 0x9E3779B97F4A7C15ull + 1);
}

absl::StatusOr<uint64_t> RealtimeLoop::RemoveUserRows(absl::Span<const std::string> model_users) {
  const model::FeatureSpec* spec = model::FindFeature("user_id");
  std::vector<embedding::FeatureId> keys;
  for (const std::string& u : model_users) {
    keys.push_back(embedding::HashFeature(spec->slot, common::UserKey(u)));
  }
  // A config without the user_id feature has no such rows.
  if (model_->table().DimOf(spec->slot) == 0) return 0;
  // The serving replica would also drop them at the next sync (they go out as deletes); removing
  // them there now means no feed request after the answer scores with them.
  FORYOU_ASSIGN_OR_RETURN(uint64_t removed, model_->table().Remove(keys));
  FORYOU_RETURN_IF_ERROR(serving_->table().Remove(keys).status());
  return removed;
}

absl::Status RealtimeLoop::ApplyUserDeletion(const stream::UserDeletion& deletion) {
  // Examples emitted before the marker are trained first, so none of them brings a row back;
  // impressions of the user still waiting for their view end will never emit.
  FORYOU_RETURN_IF_ERROR(TrainPending());
  const std::vector<std::string> ids = deletion.ModelIdentities();
  std::vector<uint64_t> keys;
  for (const std::string& id : ids) keys.push_back(common::UserKey(id));
  joiner_->ForgetUsers(keys);
  FORYOU_RETURN_IF_ERROR(RemoveUserRows(ids).status());
  common::MutexLock l(&mu_);
  ++stats_.user_deletions;
  return absl::OkStatus();
}

StorageHealth RealtimeLoop::storage_health() const {
  common::MutexLock l(&mu_);
  StorageHealth h = health_;
  for (const std::string* f : {&append_fault_, &snapshot_fault_, &late_store_fault_,
                               &recovery_fault_, &params_fault_}) {
    if (!f->empty()) h.faults.push_back(*f);
  }
  h.log_dropped_bytes = log_->recovery().dropped_bytes;
  h.log_lost_records = log_->recovery().lost_records;
  return h;
}

absl::StatusOr<uint64_t> RealtimeLoop::Ingest(absl::Span<const Event> events, int64_t now_ms) {
  if (events.empty()) return absl::InvalidArgumentError("events: empty batch");
  std::vector<std::string> encoded(events.size());
  std::vector<std::string_view> records(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    if (absl::Status s = ValidateEvent(events[i], now_ms); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("events[", i, "]: ", s.message()));
    }
    EncodeEvent(events[i], &encoded[i]);
    records[i] = encoded[i];
  }
  return Append(records);
}

absl::StatusOr<uint64_t> RealtimeLoop::LogUserDeletion(const stream::UserDeletion& deletion) {
  std::string record;
  stream::EncodeUserDeletion(deletion, &record);
  if (absl::Status s = stream::DecodeUserDeletion(record).status(); !s.ok()) {
    return absl::InvalidArgumentError(s.message());  // an invalid id: nothing appended
  }
  const std::string_view view = record;
  return Append(absl::MakeConstSpan(&view, 1));
}

absl::StatusOr<uint64_t> RealtimeLoop::Append(absl::Span<const std::string_view> records) {
  // Own records are noted before they can be read back (SetStreamObserver).
  const bool track_own = source_ != nullptr && options_.sink != nullptr && stream_observer_;
  if (track_own) {
    common::MutexLock l(&own_mu_);
    for (std::string_view r : records) ++own_pending_[absl::string_view(r.data(), r.size())];
  }
  absl::StatusOr<uint64_t> first =
      options_.sink != nullptr ? options_.sink->Append(records) : log_->Append(records);
  if (track_own && !first.ok()) {
    // The caller applies none of the batch. A record no longer noted was read back already (it
    // reached the stream though the append failed): it is passed on here, once.
    std::vector<std::string_view> read_back;
    {
      common::MutexLock l(&own_mu_);
      for (std::string_view r : records) {
        auto it = own_pending_.find(absl::string_view(r.data(), r.size()));
        if (it == own_pending_.end()) {
          read_back.push_back(r);
        } else if (--it->second == 0) {
          own_pending_.erase(it);
        }
      }
    }
    if (!read_back.empty()) stream_observer_(read_back);
  }
  if (first.ok() || absl::IsInvalidArgument(first.status())) {
    if (first.ok()) {
      common::MutexLock l(&mu_);
      if (!append_fault_.empty()) std::cerr << "foryou: the event log accepts appends again\n";
      append_fault_.clear();
    }
    return first;
  }
  // A storage fault: the log cut back to its previous end, so the batch may be sent again. The
  // client's message names the cause but no file.
  const absl::string_view m = first.status().message();
  const size_t colon = m.rfind(": ");
  const std::string cause(colon == absl::string_view::npos ? m : m.substr(colon + 2));
  {
    common::MutexLock l(&mu_);
    if (append_fault_.empty()) {
      std::cerr << "foryou: event log append failed (" << first.status() << "); refusing events "
                << "until an append succeeds\n";
    }
    append_fault_ = absl::StrCat("event log: ", m);
    ++health_.append_failures;
  }
  return absl::UnavailableError(
      absl::StrCat("the event log cannot store events right now (", cause, "); retry later"));
}

LoopStats RealtimeLoop::stats() const {
  common::MutexLock l(&mu_);
  return stats_;
}

absl::Status RealtimeLoop::status() const {
  common::MutexLock l(&mu_);
  return status_;
}

bool RealtimeLoop::WaitForServing(uint64_t offset, int64_t timeout_ms) const {
  common::MutexLock l(&serving_mu_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (serving_offset() < offset && status().ok()) {
    if (serving_cv_.WaitUntil(&serving_mu_, deadline)) break;  // timed out
  }
  return serving_offset() >= offset;
}

void RealtimeLoop::Run() {
  while (running_.load(std::memory_order_acquire)) {
    bool idle = false;
    absl::Status s = Step(&idle, /*advance_by_wall_clock=*/true);
    if (!s.ok()) {
      {
        common::MutexLock l(&mu_);
        status_ = s;
      }
      common::MutexLock l(&serving_mu_);
      serving_cv_.SignalAll();
      return;
    }
    if (idle) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

absl::Status RealtimeLoop::Step(bool* idle, bool advance_by_wall_clock) {
  // Records a source returned with an error are applied first (its position is past them).
  const absl::Status read = ReadRecords(advance_by_wall_clock ? 0 : 100);
  if (!read.ok() && records_.empty()) return read;
  const int64_t now = NowMs();
  if (source_ && stream_observer_ && !records_.empty()) PassOnStreamRecords();
  uint64_t decode_errors = 0;
  for (const LogRecord& r : records_) {
    ++ledger_.events;
    ledger_.checksum += Ledger::Hash(r.offset, r.payload);
    absl::StatusOr<Event> e = stream::DecodeEvent(r.payload);
    if (!e.ok() && stream::IsUserDeletionRecord(r.payload)) {
      absl::StatusOr<stream::UserDeletion> d = stream::DecodeUserDeletion(r.payload);
      if (d.ok()) {
        FORYOU_RETURN_IF_ERROR(ApplyUserDeletion(*d));
      } else {
        ++decode_errors;
      }
    } else if (!e.ok()) {
      ++decode_errors;
    } else {
      FORYOU_RETURN_IF_ERROR(joiner_->Add(*e, r.offset, &examples_));
    }
    next_offset_ = r.offset + 1;
  }
  if (source_) next_offset_ = source_->count();
  FORYOU_RETURN_IF_ERROR(read);
  if (source_ && now - last_end_ms_ >= 200) {
    // The stream's end, for end_offset(); a failed look keeps the last one.
    if (absl::StatusOr<uint64_t> end = source_->End(1000); end.ok()) source_end_ = *end;
    last_end_ms_ = now;
  }
  *idle = records_.empty();
  if (!records_.empty()) last_event_ms_ = now;
  if (*idle && advance_by_wall_clock) {
    // No traffic: let wall-clock time close the windows of impressions without a view end.
    FORYOU_RETURN_IF_ERROR(joiner_->Advance(WallMs() - options_.joiner.window_ms, next_offset_, &examples_));
  }
  if (examples_.size() >= static_cast<size_t>(options_.batch_size) ||
      (!examples_.empty() && now - last_event_ms_ >= options_.max_batch_wait_ms)) {
    // Whole mini-batches now; a remainder waits for more examples (or the timeout / a sync).
    const size_t whole = examples_.size() >= static_cast<size_t>(options_.batch_size)
                             ? examples_.size() / options_.batch_size * options_.batch_size
                             : examples_.size();
    std::vector<Example> rest(std::make_move_iterator(examples_.begin() + whole),
                              std::make_move_iterator(examples_.end()));
    examples_.resize(whole);
    FORYOU_RETURN_IF_ERROR(TrainPending());
    examples_ = std::move(rest);
  }
  const bool dense = now - last_dense_sync_ms_ >= options_.dense_sync_interval_ms;
  if (follower()) {
    // A replica's serving model moves with the trainer's syncs, as they arrive.
    bool applied = false;
    FORYOU_RETURN_IF_ERROR(FollowParams(/*to_end=*/false, &applied));
    if (applied) *idle = false;
  } else if (dense || now - last_sync_ms_ >= options_.sync_interval_ms) {
    FORYOU_RETURN_IF_ERROR(TrainPending());  // everything read so far reaches serving
    // The slots' row budgets, enforced here rather than on insert so that the evictions travel
    // to serving as this sync's deletes: the replica holds exactly the trainer's rows.
    model_->table().TrimToRowBudget();
    FORYOU_RETURN_IF_ERROR(Sync(dense));
    last_sync_ms_ = now;
    if (dense) last_dense_sync_ms_ = now;
  }
  // A replica writes no snapshot: the directory is the trainer's.
  if (!options_.snapshot_dir.empty() && !follower() &&
      now - last_snapshot_ms_ >= snapshot_wait_ms_) {
    FORYOU_RETURN_IF_ERROR(TrainPending());  // a training error stops the thread; I/O does not
    RecordSnapshotResult(Snapshot());
    last_snapshot_ms_ = now;
  }
  common::MutexLock l(&mu_);
  stats_.events_read += records_.size();
  stats_.decode_errors += decode_errors;
  stats_.joiner = joiner_->stats();
  if (now - last_memory_ms_ >= 1000) {  // a pass over the pending impressions
    stats_.join_bytes = joiner_->MemoryBytes();
    stats_.late_store_table_readers_bytes = joiner_->LateStoreTableReaderBytes();
    last_memory_ms_ = now;
  }
  late_store_fault_ = joiner_->late_store_fault();
  health_.late_store_failures = joiner_->late_store_failures();
  return absl::OkStatus();
}

void RealtimeLoop::PassOnStreamRecords() {
  std::vector<std::string_view> others;
  others.reserve(records_.size());
  {
    common::MutexLock l(&own_mu_);
    for (const LogRecord& r : records_) {
      auto it = own_pending_.empty() ? own_pending_.end()
                                     : own_pending_.find(absl::string_view(r.payload));
      if (it == own_pending_.end()) {
        others.push_back(r.payload);
      } else if (--it->second == 0) {
        own_pending_.erase(it);
      }
    }
  }
  if (!others.empty()) stream_observer_(others);
}

absl::Status RealtimeLoop::ReadRecords(int timeout_ms) {
  records_.clear();
  if (source_) return source_->Poll(options_.read_batch, timeout_ms, &records_);
  if (next_offset_ >= log_->EndOffset()) return absl::OkStatus();
  return log_->Read(next_offset_, options_.read_batch, &records_);
}

uint64_t RealtimeLoop::end_offset() const {
  return source_ ? source_end_.load() : log_->EndOffset();
}

Ledger RealtimeLoop::served_ledger() const {
  common::MutexLock l(&mu_);
  return served_ledger_;
}

absl::Status RealtimeLoop::TrainPending() {
  // Mini-batches never mix examples scored for the metrics with the others.
  for (size_t begin = 0; begin < examples_.size();) {
    const bool evaluate = examples_[begin].offset >= options_.evaluate_from_offset;
    size_t end = begin;
    while (end < examples_.size() && end - begin < static_cast<size_t>(options_.batch_size) &&
           (examples_[end].offset >= options_.evaluate_from_offset) == evaluate) {
      ++end;
    }
    FORYOU_RETURN_IF_ERROR(TrainRange(begin, end, evaluate));
    begin = end;
  }
  {
    common::MutexLock l(&mu_);
    stats_.examples_trained += examples_.size();
  }
  examples_.clear();
  return absl::OkStatus();
}

absl::Status RealtimeLoop::TrainRange(size_t begin, size_t end, bool evaluate) {
  batch_impressions_.clear();
  batch_observe_.clear();
  batch_features_.size = 0;
  for (size_t i = begin; i < end; ++i) {
    batch_impressions_.push_back(examples_[i].impression);
    batch_observe_.push_back(!examples_[i].correction);
    model::AppendRows(examples_[i].features, &batch_features_);
  }
  if (follower()) {
    // A replica trains nothing: the examples' labels only become behaviour history, as the
    // trainer's do after its step (OnlineTrainer::ProcessExtracted).
    std::vector<model::Impression> observed;
    for (size_t i = 0; i < batch_impressions_.size(); ++i) {
      if (batch_observe_[i]) observed.push_back(batch_impressions_[i]);
    }
    common::WriterLock lock(&features_mu_);
    features_->Observe(observed);
    return absl::OkStatus();
  }
  FORYOU_RETURN_IF_ERROR(
      trainer_->ProcessExtracted(batch_impressions_, batch_features_, evaluate, batch_observe_));
  if (options_.live_window > 0) {
    const std::vector<float>& probs = trainer_->last_probs();
    for (size_t i = 0; i < batch_impressions_.size(); ++i) {
      if (batch_observe_[i] == false) continue;  // corrections repeat an example
      std::array<float, model::kNumTasks> p{};
      std::copy_n(probs.data() + i * model::kNumTasks, model::kNumTasks, p.begin());
      if (live_probs_.size() < options_.live_window) {
        live_probs_.push_back(p);
        live_labels_.push_back(batch_impressions_[i].labels);
      } else {
        live_probs_[live_next_] = p;
        live_labels_[live_next_] = batch_impressions_[i].labels;
        live_next_ = (live_next_ + 1) % options_.live_window;
      }
    }
  }
  return absl::OkStatus();
}

LiveQuality RealtimeLoop::live_quality() const {
  common::MutexLock l(&mu_);
  return live_;
}

absl::Status RealtimeLoop::ProcessAvailable() {
  if (running_.load()) return absl::FailedPreconditionError("the trainer thread is running");
  if (source_) {
    FORYOU_ASSIGN_OR_RETURN(const uint64_t end, source_->End(10'000));
    while (next_offset_ < end) {
      bool idle = false;
      FORYOU_RETURN_IF_ERROR(Step(&idle, /*advance_by_wall_clock=*/false));
    }
  }
  while (!source_ && next_offset_ < log_->EndOffset()) {
    bool idle = false;
    FORYOU_RETURN_IF_ERROR(Step(&idle, /*advance_by_wall_clock=*/false));
  }
  FORYOU_RETURN_IF_ERROR(TrainPending());
  return Sync(/*dense=*/true);
}

absl::Status RealtimeLoop::Sync(bool dense) {
  if (follower()) {
    bool applied = false;
    return FollowParams(/*to_end=*/true, &applied);
  }
  // The delta goes to this process's serving replica and, for a trainer, to the parameter
  // stream: both get the same rows.
  const embedding::TableDelta delta = model_->table().DrainDelta();
  FORYOU_RETURN_IF_ERROR(serving_->table().ApplyDelta(delta));
  std::string dense_blob;
  if (dense) {
    dense_blob = model_->SaveDense();
    FORYOU_RETURN_IF_ERROR(serving_model_->PublishDense(dense_blob));
  }
  if (options_.params_sink != nullptr) {
    // Dense weights change only with training: an idle trainer does not send them again.
    const bool dense_news = dense && trainer_->examples_trained() != params_dense_trained_;
    if (dense_news) params_dense_trained_ = trainer_->examples_trained();
    PublishParams(delta, dense_news ? std::string_view(dense_blob) : std::string_view());
  }
  {
    common::MutexLock l(&serving_mu_);
    serving_offset_.store(next_offset_, std::memory_order_release);
  }
  serving_cv_.SignalAll();
  if (dense && !live_probs_.empty()) {
    LiveQuality q;
    q.window = live_probs_.size();
    q.computed_ms = common::WallMs();
    std::vector<float> scores(live_probs_.size());
    std::vector<uint8_t> labels(live_probs_.size());
    for (int t = 0; t < model::kNumTasks; ++t) {
      for (size_t i = 0; i < live_probs_.size(); ++i) {
        scores[i] = live_probs_[i][t];
        labels[i] = live_labels_[i][t] >= 0.5f ? 1 : 0;
      }
      q.auc[t] = trainer::Auc(scores, labels);
    }
    common::MutexLock l(&mu_);
    live_ = q;
  }
  {
    common::MutexLock l(&mu_);
    ++stats_.syncs;
    served_ledger_ = ledger_;
  }
  if (observer_) observer_(next_offset_);
  return absl::OkStatus();
}

model::BehaviourMemory RealtimeLoop::BehaviourMemory() const {
  common::ReaderLock lock(&features_mu_);
  return features_->Memory();
}

void RealtimeLoop::ExtractForServing(absl::Span<const model::Impression> impressions,
                                     model::FeatureBatch* out) const {
  common::ReaderLock lock(&features_mu_);
  features_->Extract(impressions, out);
}

}  // namespace foryou::realtime
