#include "stream/realtime_loop.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace foryou::stream {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RealtimeLoop>> RealtimeLoop::Open(
    LoopOptions options, const model::ModelConfig& config,
    std::shared_ptr<const model::Catalog> catalog) {
  if (options.batch_size < 1) return absl::InvalidArgumentError("loop: batch_size must be >= 1");
  if (options.sync_interval_ms < 0 || options.dense_sync_interval_ms < 0) {
    return absl::InvalidArgumentError("loop: sync intervals must be >= 0");
  }
  if (catalog == nullptr) catalog = std::make_shared<model::Catalog>();
  std::unique_ptr<RealtimeLoop> loop(new RealtimeLoop(options, catalog));
  FORYOU_ASSIGN_OR_RETURN(loop->log_, FileEventLog::Open(options.log));
  loop->features_ = std::make_unique<model::FeatureExtractor>(config, catalog);
  FORYOU_ASSIGN_OR_RETURN(loop->joiner_, Joiner::Create(options.joiner, loop->features_.get(), catalog));
  FORYOU_ASSIGN_OR_RETURN(loop->model_, model::RankingModel::Create(config));
  FORYOU_ASSIGN_OR_RETURN(loop->serving_, model::RankingModel::Create(config, /*serving=*/true));
  loop->trainer_ = std::make_unique<trainer::OnlineTrainer>(loop->model_.get(), loop->features_.get(),
                                                            trainer::TrainerOptions{});
  // Without a snapshot (a later step), training starts at the oldest retained event.
  loop->next_offset_ = loop->log_->StartOffset();
  loop->serving_offset_ = loop->next_offset_;
  return loop;
}

RealtimeLoop::RealtimeLoop(LoopOptions options, std::shared_ptr<const model::Catalog> catalog)
    : options_(std::move(options)), catalog_(std::move(catalog)) {}

RealtimeLoop::~RealtimeLoop() { Stop(); }

void RealtimeLoop::Start() {
  if (running_.exchange(true)) return;
  last_event_ms_ = last_sync_ms_ = last_dense_sync_ms_ = NowMs();
  thread_ = std::thread([this] { Run(); });
}

void RealtimeLoop::Stop() {
  if (!running_.exchange(false)) return;
  thread_.join();
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
  return log_->Append(records);
}

LoopStats RealtimeLoop::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

absl::Status RealtimeLoop::status() const {
  std::lock_guard<std::mutex> l(mu_);
  return status_;
}

void RealtimeLoop::Run() {
  while (running_.load(std::memory_order_acquire)) {
    bool idle = false;
    absl::Status s = Step(&idle);
    if (!s.ok()) {
      std::lock_guard<std::mutex> l(mu_);
      status_ = s;
      return;
    }
    if (idle) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

absl::Status RealtimeLoop::Step(bool* idle) {
  records_.clear();
  const uint64_t end = log_->EndOffset();
  if (next_offset_ < end) {
    FORYOU_RETURN_IF_ERROR(log_->Read(next_offset_, options_.read_batch, &records_));
  }
  const int64_t now = NowMs();
  uint64_t decode_errors = 0;
  for (const LogRecord& r : records_) {
    absl::StatusOr<Event> e = DecodeEvent(r.payload);
    if (!e.ok()) {
      ++decode_errors;
    } else {
      FORYOU_RETURN_IF_ERROR(joiner_->Add(*e, r.offset, &examples_));
    }
    next_offset_ = r.offset + 1;
  }
  *idle = records_.empty();
  if (!records_.empty()) last_event_ms_ = now;
  if (*idle) {
    // No traffic: let wall-clock time close the windows of impressions without a view end.
    FORYOU_RETURN_IF_ERROR(joiner_->Advance(WallMs() - options_.joiner.window_ms, next_offset_, &examples_));
  }
  if (examples_.size() >= static_cast<size_t>(options_.batch_size) ||
      (!examples_.empty() && now - last_event_ms_ >= options_.max_batch_wait_ms)) {
    FORYOU_RETURN_IF_ERROR(TrainPending());
  }
  const bool dense = now - last_dense_sync_ms_ >= options_.dense_sync_interval_ms;
  if (dense || now - last_sync_ms_ >= options_.sync_interval_ms) {
    FORYOU_RETURN_IF_ERROR(TrainPending());  // everything read so far reaches serving
    FORYOU_RETURN_IF_ERROR(Sync(dense));
    last_sync_ms_ = now;
    if (dense) last_dense_sync_ms_ = now;
  }
  std::lock_guard<std::mutex> l(mu_);
  stats_.events_read += records_.size();
  stats_.decode_errors += decode_errors;
  stats_.joiner = joiner_->stats();
  return absl::OkStatus();
}

absl::Status RealtimeLoop::TrainPending() {
  for (size_t begin = 0; begin < examples_.size(); begin += options_.batch_size) {
    const size_t end = std::min(examples_.size(), begin + options_.batch_size);
    batch_impressions_.clear();
    batch_observe_.clear();
    batch_features_.size = 0;
    for (size_t i = begin; i < end; ++i) {
      batch_impressions_.push_back(examples_[i].impression);
      batch_observe_.push_back(!examples_[i].correction);
      model::AppendRows(examples_[i].features, &batch_features_);
    }
    FORYOU_RETURN_IF_ERROR(trainer_->ProcessExtracted(batch_impressions_, batch_features_,
                                                      /*evaluate=*/true, batch_observe_));
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    stats_.examples_trained += examples_.size();
  }
  examples_.clear();
  return absl::OkStatus();
}

absl::Status RealtimeLoop::Sync(bool dense) {
  FORYOU_RETURN_IF_ERROR(model_->SyncTo(serving_.get(), dense));
  serving_offset_.store(next_offset_, std::memory_order_release);
  {
    std::lock_guard<std::mutex> l(mu_);
    ++stats_.syncs;
  }
  if (observer_) observer_(next_offset_);
  return absl::OkStatus();
}

}  // namespace foryou::stream
