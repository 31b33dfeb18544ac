#include "kuairand/log_replay.h"

#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "realtime/realtime_loop.h"
#include "kuairand/model_catalog.h"

namespace foryou::kuairand {

using realtime::LoopOptions;
using realtime::LoopStats;
using realtime::RealtimeLoop;
using stream::Event;
using stream::EventType;
using stream::FsyncPolicy;
using stream::kMaxWatchMs;

namespace {

// Joiner::ApplyAction's thresholds (joiner.cc): a skip after this long counts as a play, a view
// this long counts as a long view.
constexpr int64_t kJoinerPlayedMs = 3'000;
constexpr int64_t kJoinerLongViewMs = 18'000;

// The in-memory join window. Every row carries its own view end, so the example is emitted at
// once and the window only bounds how long the entry stays in memory.
constexpr int64_t kWindowMs = 3600'000;
constexpr int32_t kChinaUtcOffsetMinutes = 480;



}  // namespace

void KuaiRandRowToEvents(const kuairand::KuaiRandImpression& row, uint64_t row_number,
                         const model::Catalog& catalog, std::vector<Event>* out) {
  Event base;
  base.user = absl::StrCat(row.user_id);
  base.time_ms = row.time_ms;
  base.request_id = absl::StrCat("k", row_number);
  base.video = absl::StrCat(row.video_id);
  // Returns the new event; valid until the next push_back.
  auto add = [&](EventType type) -> Event& {
    out->push_back(base);
    out->back().type = type;
    return out->back();
  };
  Event& impression = add(EventType::kImpression);
  impression.position = 0;
  impression.surface = absl::StrCat(row.tab);
  if (row.is_like) add(EventType::kLike);
  if (row.is_forward) add(EventType::kShare);
  // (Not `= "c"`: GCC 12 warns a false -Wrestrict on it.)
  if (row.is_comment) add(EventType::kComment).text = std::string(1, 'c');
  if (row.is_follow) {
    const auto it = catalog.videos.find(row.video_id);
    add(EventType::kFollow).creator =
        it == catalog.videos.end() ? std::string("0") : absl::StrCat(it->second.author_id);
  }
  if (row.is_hate) add(EventType::kNotInterested);
  const int64_t play = std::min<int64_t>(row.play_time_ms, kMaxWatchMs);
  if (row.is_click) {
    Event& end = add(EventType::kPlay);
    end.watch_ms = row.long_view ? play : std::min(play, kJoinerLongViewMs - 1);
    end.completed = row.long_view && (play >= int64_t{row.duration_ms} || play < kJoinerLongViewMs);
  } else {
    Event& end = add(EventType::kSkip);
    end.watch_ms = std::min(play, kJoinerPlayedMs - 1);
    end.completed = row.long_view != 0;
  }
}

absl::StatusOr<kuairand::ReplayResult> RunReplayThroughLog(const kuairand::ReplayOptions& o,
                                                          const std::string& work_dir,
                                                          std::ostream& progress,
                                                          int64_t window_close_only_ms) {
  if (o.batch < 1 || o.batch > 65536)
    return absl::InvalidArgumentError("batch: must be in [1, 65536]");
  if (o.threads < 1) return absl::InvalidArgumentError("threads: must be >= 1");
  if (o.eval.empty()) return absl::InvalidArgumentError("eval: a log file is required");
  if (o.hash_buckets > 0) {
    return absl::InvalidArgumentError("--through-log does not support --hash-buckets");
  }
  kuairand::ReplayResult result;
  FORYOU_ASSIGN_OR_RETURN(std::shared_ptr<model::Catalog> catalog,
                          kuairand::LoadKuaiRandCatalog(o.videos, o.users, &result.bad_rows));
  // Declared before the loop: the loop (which holds the log open) goes first.
  FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<common::TempDir> work,
                          common::TempDir::Make(work_dir, "foryou-replay"));

  LoopOptions lo;
  lo.log.dir = work->path() + "/log";
  lo.log.fsync = FsyncPolicy::kEveryBatch;
  lo.joiner.window_ms = kWindowMs;
  lo.joiner.late_window_ms = kWindowMs;
  lo.joiner.utc_offset_minutes = kChinaUtcOffsetMinutes;
  if (window_close_only_ms > 0) {
    lo.joiner.window_ms = window_close_only_ms;
    lo.joiner.late_window_ms = std::max(window_close_only_ms, kWindowMs);
    lo.joiner.emit_at_view_end = false;
  }
  lo.batch_size = o.batch;
  // One read takes a whole batch of rows: the joiner extracts every impression of the batch
  // before any of it is trained, as the direct replay's Extract does.
  lo.read_batch = std::max<size_t>(
      lo.read_batch, size_t{static_cast<uint32_t>(o.batch)} * kMaxEventsPerKuaiRandRow);
  lo.evaluate_from_offset = std::numeric_limits<uint64_t>::max();  // set when the eval file starts
  FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<RealtimeLoop> loop,
                          RealtimeLoop::Open(lo, o.config, catalog));
  if (!o.history.empty()) {
    FORYOU_RETURN_IF_ERROR(
        kuairand::LoadKuaiRandHistory(o.history, loop->features(), &result.bad_rows));
  }
  if (o.progress) {
    progress << "replay --through-log: " << catalog->videos.size() << " videos, "
             << catalog->users.size() << " users, " << loop->features()->users_tracked()
             << " user histories; event log in " << lo.log.dir << " (fsync every batch)\n";
  }

  std::vector<std::string> files = o.warmup;
  files.push_back(o.eval);
  std::vector<Event> events;
  events.reserve(static_cast<size_t>(o.batch) * kMaxEventsPerKuaiRandRow);
  uint64_t row_number = 0, reader_bad = 0, invalid_rows = 0;
  std::string first_bad, first_invalid;
  int rows_in_batch = 0;
  int64_t batch_max_time = 0;
  const auto start = std::chrono::steady_clock::now();
  auto last_report = start;

  auto flush = [&]() -> absl::Status {
    if (rows_in_batch == 0) return absl::OkStatus();
    FORYOU_RETURN_IF_ERROR(loop->Ingest(events, batch_max_time + 1).status());
    FORYOU_RETURN_IF_ERROR(loop->ProcessAvailable());
    events.clear();
    rows_in_batch = 0;
    batch_max_time = 0;
    const auto now = std::chrono::steady_clock::now();
    if (o.progress && now - last_report > std::chrono::seconds(2)) {
      last_report = now;
      const double secs = std::chrono::duration<double>(now - start).count();
      const LoopStats s = loop->stats();
      progress << absl::StrFormat(
          "replay --through-log: %d examples (%d scored), %.0f ex/s, %d events in the log\n",
          s.examples_trained, loop->metrics().examples(), s.examples_trained / secs,
          loop->log().EndOffset());
    }
    return absl::OkStatus();
  };

  for (size_t f = 0; f < files.size(); ++f) {
    // The eval file's examples are emitted by its own view ends, all at or after this offset.
    if (f + 1 == files.size()) loop->set_evaluate_from_offset(loop->log().EndOffset());
    FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<kuairand::KuaiRandLogReader> reader,
                            kuairand::KuaiRandLogReader::Open(files[f]));
    kuairand::KuaiRandImpression r;
    while (true) {
      FORYOU_ASSIGN_OR_RETURN(bool more, reader->Next(&r));
      if (!more) break;
      const size_t before = events.size();
      KuaiRandRowToEvents(r, row_number++, *catalog, &events);
      // A row with an event the API would refuse is skipped whole (a view without its
      // impression or its end would give a different example).
      absl::Status valid;
      for (size_t i = before; i < events.size() && valid.ok(); ++i) {
        valid = ValidateEvent(events[i], r.time_ms + 1);
      }
      if (!valid.ok()) {
        events.resize(before);
        if (invalid_rows++ == 0) {
          first_invalid =
              absl::StrCat(files[f], " good row ", reader->rows(), ": ", valid.message());
        }
        continue;
      }
      batch_max_time = std::max(batch_max_time, r.time_ms);
      if (++rows_in_batch == o.batch) FORYOU_RETURN_IF_ERROR(flush());
    }
    FORYOU_RETURN_IF_ERROR(flush());  // a file's partial batch ends with it
    reader_bad += reader->bad_rows();
    if (reader->bad_rows() > 0 && first_bad.empty()) {
      first_bad = absl::StrCat(files[f], ": ", reader->first_bad_reason());
    }
  }
  result.secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const LoopStats stats = loop->stats();
  result.examples = stats.examples_trained;
  result.bad_rows += reader_bad + invalid_rows;
  if (o.progress && reader_bad > 0) {
    progress << "replay: skipped " << reader_bad << " bad rows (first: " << first_bad << ")\n";
  }
  if (o.progress && invalid_rows > 0) {
    progress << "replay --through-log: skipped " << invalid_rows
             << " rows with an invalid event (first: " << first_invalid << ")\n";
  }
  if (o.progress) {
    progress << "replay --through-log: " << loop->log().EndOffset() << " events, "
             << stats.joiner.emitted_at_view_end << " examples at view end, "
             << stats.joiner.emitted_at_window_close << " at window close, "
             << stats.joiner.orphan_actions << " orphan actions, " << stats.decode_errors
             << " decode errors, " << stats.syncs << " syncs\n";
  }
  result.eval_examples = loop->metrics().examples();
  kuairand::FillReplayMetrics(loop->metrics(), &result);
  return result;
}

}  // namespace foryou::kuairand
