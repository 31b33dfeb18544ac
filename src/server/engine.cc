// Engine: the one-process wiring of `foryou serve` (see the header).
#include "server/engine.h"

#include <chrono>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "catalog/kuairand_import.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "data/kuairand.h"
#include "stream/log_replay.h"
#include "trainer/replay.h"

namespace foryou::server {

namespace {

// "name" or "name.zst", whichever exists in dir ("" if neither).
std::string FindTable(const std::string& dir, const std::string& name) {
  for (const std::string& candidate : {absl::StrCat(dir, "/", name), absl::StrCat(dir, "/", name, ".zst")}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return "";
}

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(EngineOptions options, std::ostream& progress) {
  const auto start = std::chrono::steady_clock::now();
  if (options.data_dir.empty()) return absl::InvalidArgumentError("data_dir: required");
  std::unique_ptr<Engine> e(new Engine());
  e->options_ = options;
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(options.data_dir));
  FORYOU_ASSIGN_OR_RETURN(
      e->config_, model::ParseModelConfig(options.model_config_json.empty()
                                              ? trainer::DefaultModelConfigJson()
                                              : std::string_view(options.model_config_json)));
  FORYOU_ASSIGN_OR_RETURN(e->store_, catalog::CatalogStore::Open(options.data_dir + "/catalog"));

  const int64_t now = common::WallMs();
  if (e->store_->num_videos() == 0 && !options.import_dir.empty()) {
    const std::string videos = FindTable(options.import_dir, "video_features_basic_pure.csv");
    const std::string users = FindTable(options.import_dir, "user_features_pure.csv");
    if (videos.empty()) {
      return absl::NotFoundError(
          absl::StrCat(options.import_dir, ": no video_features_basic_pure.csv[.zst]"));
    }
    FORYOU_ASSIGN_OR_RETURN(catalog::ImportStats stats,
                            catalog::ImportKuaiRand(videos, users, now, e->store_.get()));
    e->report_.imported_videos = stats.videos;
    e->report_.imported_users = stats.users;
    progress << absl::StrFormat("serve: imported %d videos, %d users from %s\n", stats.videos,
                                stats.users, options.import_dir);
  }

  // The seed shift must be known before the model's catalog is built (upload days).
  bool seed = false;
  if (!options.seed_log.empty()) {
    stream::LogOptions probe;
    probe.dir = options.data_dir + "/log";
    // Seed only into an empty log (first start).
    seed = !std::filesystem::exists(probe.dir) || std::filesystem::is_empty(probe.dir);
  }
  if (seed) {
    FORYOU_ASSIGN_OR_RETURN(auto reader, data::KuaiRandLogReader::Open(options.seed_log));
    data::KuaiRandImpression row;
    int64_t last = 0;
    while (true) {
      FORYOU_ASSIGN_OR_RETURN(bool more, reader->Next(&row));
      if (!more) break;
      last = std::max(last, row.time_ms);
    }
    e->seed_shift_ms_ = last > 0 ? now - options.seed_end_ago_ms - last : 0;
    // Imported videos age with the log: their uploads move by the same shift.
    std::vector<catalog::Video> shifted;
    FORYOU_RETURN_IF_ERROR(e->store_->ForEachVideo([&](const catalog::Video& v) {
      catalog::Video copy = v;
      copy.upload_ms += e->seed_shift_ms_;
      shifted.push_back(std::move(copy));
    }));
    for (const catalog::Video& v : shifted) FORYOU_RETURN_IF_ERROR(e->store_->PutVideo(v));
  }

  FORYOU_ASSIGN_OR_RETURN(e->model_catalog_, feed::BuildModelCatalog(*e->store_));

  stream::LoopOptions lo;
  lo.log.dir = options.data_dir + "/log";
  lo.log.fsync = options.fsync;
  lo.joiner.utc_offset_minutes = options.utc_offset_minutes;
  lo.joiner.late_store_dir = options.data_dir + "/late";
  lo.snapshot_dir = options.data_dir + "/snapshots";
  lo.snapshot_interval_ms = options.snapshot_interval_ms;
  // A server keeps only the live window of progressive metrics (bounded memory).
  lo.evaluate_from_offset = std::numeric_limits<uint64_t>::max();
  FORYOU_ASSIGN_OR_RETURN(e->loop_, stream::RealtimeLoop::Open(lo, e->config_, e->model_catalog_));

  e->scorer_ = std::make_unique<feed::LoopScorer>(e->loop_.get(), e->config_);
  feed::FeedOptions fo = options.feed;
  fo.utc_offset_minutes = options.utc_offset_minutes;
  e->feed_ = std::make_unique<feed::FeedService>(fo, e->store_.get(), e->model_catalog_, e->scorer_.get());
  FORYOU_RETURN_IF_ERROR(e->feed_->Load());

  if (seed) FORYOU_RETURN_IF_ERROR(e->Seed(progress));
  FORYOU_RETURN_IF_ERROR(e->ReplayLogIntoFeed());
  FORYOU_RETURN_IF_ERROR(e->feed_->RefreshEmbeddings());
  e->report_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return e;
}

absl::Status Engine::Seed(std::ostream& progress) {
  FORYOU_ASSIGN_OR_RETURN(auto reader, data::KuaiRandLogReader::Open(options_.seed_log));
  data::KuaiRandImpression row;
  std::vector<stream::Event> events, batch;
  uint64_t rows = 0;
  const int64_t now = common::WallMs();
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    FORYOU_RETURN_IF_ERROR(loop_->Ingest(batch, now).status());
    report_.seeded_events += batch.size();
    batch.clear();
    return absl::OkStatus();
  };
  while (true) {
    FORYOU_ASSIGN_OR_RETURN(bool more, reader->Next(&row));
    if (!more) break;
    row.time_ms += seed_shift_ms_;
    events.clear();
    stream::KuaiRandRowToEvents(row, rows, *model_catalog_, &events);
    bool valid = true;
    for (const stream::Event& ev : events) valid = valid && stream::ValidateEvent(ev, now).ok();
    if (!valid) continue;  // counted as not seeded; the replay command reports such rows
    ++rows;
    batch.insert(batch.end(), events.begin(), events.end());
    if (batch.size() >= 8192) FORYOU_RETURN_IF_ERROR(flush());
  }
  FORYOU_RETURN_IF_ERROR(flush());
  report_.seeded_rows = rows;
  progress << absl::StrFormat("serve: seeding the model from %d logged views (%d events)...\n",
                              rows, report_.seeded_events);
  FORYOU_RETURN_IF_ERROR(loop_->ProcessAvailable());
  FORYOU_RETURN_IF_ERROR(loop_->Snapshot());
  return absl::OkStatus();
}

absl::Status Engine::ReplayLogIntoFeed() {
  // The feed's sessions and engagement are in memory: rebuild them from the durable log.
  stream::EventLog& log = loop_->log();
  std::vector<stream::LogRecord> records;
  std::vector<stream::Event> events;
  for (uint64_t offset = log.StartOffset(); offset < log.EndOffset();) {
    records.clear();
    FORYOU_RETURN_IF_ERROR(log.Read(offset, 8192, &records));
    if (records.empty()) break;
    events.clear();
    for (const stream::LogRecord& r : records) {
      absl::StatusOr<stream::Event> ev = stream::DecodeEvent(r.payload);
      if (ev.ok()) events.push_back(std::move(*ev));
    }
    feed_->Observe(events, /*apply_settings=*/false);
    report_.replayed_events += events.size();
    offset = records.back().offset + 1;
  }
  return absl::OkStatus();
}

Engine::~Engine() { Stop(); }

void Engine::Start() {
  loop_->Start();
  feed_->Start();
}

void Engine::Stop() {
  if (feed_) feed_->Stop();
  if (loop_) loop_->Stop();
}

}  // namespace foryou::server
