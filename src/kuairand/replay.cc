#include "kuairand/replay.h"

#include <sys/resource.h>

#include <chrono>
#include <deque>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/mutex.h"
#include "common/status_macros.h"
#include "kuairand/readers.h"
#include "model/features.h"
#include "model/ranking_model.h"
#include "kuairand/model_catalog.h"
#include "trainer/online_trainer.h"

namespace foryou::kuairand {

using trainer::OnlineTrainer;
using trainer::ProgressiveMetrics;

namespace {

using model::Impression;
using model::kNumTasks;

// A batch of the stream and whether it is scored.
struct Chunk {
  std::vector<Impression> rows;
  bool eval = false;
};

// Reads the files in order and hands out chunks of `batch` rows.
class StreamReader {
 public:
  StreamReader(const ReplayOptions& o) : o_(o) {
    files_ = o.warmup;
    files_.push_back(o.eval);
  }
  // Next chunk, or nullopt at the end.
  absl::StatusOr<std::optional<Chunk>> Next() {
    Chunk chunk;
    chunk.rows.reserve(o_.batch);
    while (true) {
      if (reader_ == nullptr) {
        if (file_ >= files_.size()) break;
        FORYOU_ASSIGN_OR_RETURN(reader_, kuairand::KuaiRandLogReader::Open(files_[file_]));
      }
      chunk.eval = file_ + 1 == files_.size();
      kuairand::KuaiRandImpression r;
      while (chunk.rows.size() < static_cast<size_t>(o_.batch)) {
        FORYOU_ASSIGN_OR_RETURN(bool more, reader_->Next(&r));
        if (!more) break;
        chunk.rows.push_back(KuaiRandToImpression(r));
      }
      if (chunk.rows.size() == static_cast<size_t>(o_.batch)) return chunk;
      // End of this file: a partial batch ends with it (never mixes warm-up and eval rows).
      bad_rows_ += reader_->bad_rows();
      if (reader_->bad_rows() > 0 && first_bad_.empty()) {
        first_bad_ = absl::StrCat(files_[file_], ": ", reader_->first_bad_reason());
      }
      reader_.reset();
      ++file_;
      if (!chunk.rows.empty()) return chunk;
    }
    return std::nullopt;
  }
  uint64_t bad_rows() const { return bad_rows_; }
  const std::string& first_bad() const { return first_bad_; }

 private:
  const ReplayOptions& o_;
  std::vector<std::string> files_;
  size_t file_ = 0;
  std::unique_ptr<kuairand::KuaiRandLogReader> reader_;
  uint64_t bad_rows_ = 0;
  std::string first_bad_;
};

// With threads >= 2: the reader runs ahead on its own thread through a bounded queue.
class PrefetchingReader {
 public:
  explicit PrefetchingReader(StreamReader* reader) : reader_(reader) {
    thread_ = std::thread([this] { Run(); });
  }
  ~PrefetchingReader() {
    {
      common::MutexLock l(&mu_);
      stop_ = true;
    }
    cv_.SignalAll();
    thread_.join();
  }
  absl::StatusOr<std::optional<Chunk>> Next() ABSL_LOCKS_EXCLUDED(mu_) {
    common::MutexLock l(&mu_);
    while (queue_.empty() && !done_) cv_.Wait(&mu_);
    if (queue_.empty()) {
      if (!status_.ok()) return status_;
      return std::nullopt;
    }
    Chunk c = std::move(queue_.front());
    queue_.pop_front();
    cv_.SignalAll();
    return std::optional<Chunk>(std::move(c));
  }

 private:
  void Run() ABSL_LOCKS_EXCLUDED(mu_) {
    while (true) {
      absl::StatusOr<std::optional<Chunk>> c = reader_->Next();
      common::MutexLock l(&mu_);
      if (!c.ok() || !c->has_value()) {
        if (!c.ok()) status_ = c.status();
        done_ = true;
        cv_.SignalAll();
        return;
      }
      while (queue_.size() >= 64 && !stop_) cv_.Wait(&mu_);
      if (stop_) return;
      queue_.push_back(std::move(**c));
      cv_.SignalAll();
    }
  }
  StreamReader* reader_;  // used by the reading thread only
  common::Mutex mu_;
  common::CondVar cv_;
  std::deque<Chunk> queue_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

double PeakRssMb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

std::string ReplayResult::Line() const {
  std::string line = absl::StrFormat("replay examples=%d secs=%.2f ex_per_s=%.0f", examples, secs,
                                     secs > 0 ? static_cast<double>(examples) / secs : 0.0);
  for (int t = 0; t < model::kWatchRatio; ++t) {
    absl::StrAppendFormat(&line, " auc_%s=%.4f", model::kTaskNames[t], auc[t]);
  }
  absl::StrAppendFormat(&line, " gauc_long_view=%.4f peak_rss_mb=%.0f", gauc_long_view, peak_rss_mb);
  absl::StrAppendFormat(&line, " eval_examples=%d bad_rows=%d logloss_is_click=%.4f "
                        "logloss_long_view=%.4f watch_ratio_rmse=%.4f",
                        eval_examples, bad_rows, logloss[model::kClick], logloss[model::kLongView],
                        watch_ratio_rmse);
  return line;
}

absl::StatusOr<ReplayResult> RunReplay(const ReplayOptions& o, std::ostream& progress) {
  if (o.batch < 1 || o.batch > 65536) return absl::InvalidArgumentError("batch: must be in [1, 65536]");
  if (o.threads < 1) return absl::InvalidArgumentError("threads: must be >= 1");
  if (o.eval.empty()) return absl::InvalidArgumentError("eval: a log file is required");
  ReplayResult result;
  FORYOU_ASSIGN_OR_RETURN(std::shared_ptr<model::Catalog> catalog, LoadKuaiRandCatalog(o.videos, o.users, &result.bad_rows));
  model::FeatureExtractor features(o.config, catalog, o.hash_buckets);
  if (!o.history.empty()) FORYOU_RETURN_IF_ERROR(LoadKuaiRandHistory(o.history, &features, &result.bad_rows));
  FORYOU_ASSIGN_OR_RETURN(auto model, model::RankingModel::Create(o.config));
  OnlineTrainer trainer(model.get(), &features, {});
  if (o.progress) {
    progress << "replay: " << catalog->videos.size() << " videos, " << catalog->users.size()
             << " users, " << features.users_tracked() << " user histories; " << features.fields()
             << " embedding fields + " << features.dense_width() << " dense floats; "
             << (o.hash_buckets ? absl::StrCat(o.hash_buckets, " hashed rows per slot")
                                : std::string("collisionless table"))
             << "\n";
  }

  StreamReader reader(o);
  std::optional<PrefetchingReader> prefetch;
  if (o.threads >= 2) prefetch.emplace(&reader);
  const auto start = std::chrono::steady_clock::now();
  auto last_report = start;
  while (true) {
    FORYOU_ASSIGN_OR_RETURN(std::optional<Chunk> chunk, prefetch ? prefetch->Next() : reader.Next());
    if (!chunk) break;
    FORYOU_RETURN_IF_ERROR(trainer.ProcessBatch(chunk->rows, chunk->eval));
    if (chunk->eval) result.eval_examples += chunk->rows.size();
    const auto now = std::chrono::steady_clock::now();
    if (o.progress && now - last_report > std::chrono::seconds(2)) {
      last_report = now;
      const double secs = std::chrono::duration<double>(now - start).count();
      progress << absl::StrFormat("replay: %d examples (%d scored), %.0f ex/s, loss %.4f\n",
                                  trainer.examples_trained(), result.eval_examples,
                                  trainer.examples_trained() / secs, trainer.last_loss());
    }
  }
  prefetch.reset();
  result.secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.examples = trainer.examples_trained();
  result.bad_rows += reader.bad_rows();
  if (o.progress && reader.bad_rows() > 0) {
    progress << "replay: skipped " << reader.bad_rows() << " bad rows (first: " << reader.first_bad() << ")\n";
  }
  FillReplayMetrics(trainer.metrics(), &result);
  return result;
}

void FillReplayMetrics(const trainer::ProgressiveMetrics& m, ReplayResult* result) {
  for (int t = 0; t < kNumTasks; ++t) {
    result->auc[t] = m.Auc(t);
    result->logloss[t] = m.LogLoss(t);
  }
  result->gauc_long_view = m.GroupAuc(model::kLongView);
  result->watch_ratio_rmse = m.Rmse(model::kWatchRatio);
  result->peak_rss_mb = PeakRssMb();
}

}  // namespace foryou::kuairand
