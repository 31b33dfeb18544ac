// Engine: the one-process wiring of `foryou serve` (see the header).
#include "server/engine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "media/effects.h"
#include "nlohmann/json.hpp"
#include "server/search_popularity.h"
#include "stream/user_deletion.h"

namespace foryou::server {
namespace {

// Undoes the upload-time shift an interrupted first start applied to a catalog it did not
// import (its marker's "shift <ms> <video id> <upload_ms before>" line; see Engine::Open).
absl::Status UndoShift(const std::string& marker_text, catalog::CatalogStore* store) {
  for (absl::string_view line : absl::StrSplit(marker_text, '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    int64_t shift = 0, before = 0;
    if (f.size() != 4 || f[0] != "shift" || !absl::SimpleAtoi(f[1], &shift) ||
        !absl::SimpleAtoi(f[3], &before)) {
      continue;
    }
    absl::StatusOr<catalog::Video> ref = store->GetVideo(f[2]);
    if (!ref.ok() || ref->upload_ms != before + shift) return absl::OkStatus();  // not applied
    catalog::CatalogStore::Batch undo;
    FORYOU_RETURN_IF_ERROR(store->ForEachVideo([&](const catalog::Video& v) {
      undo.videos.push_back(v);
      undo.videos.back().upload_ms -= shift;
    }));
    return store->Write(undo, /*sync=*/true);
  }
  return absl::OkStatus();
}

// Applies log records (events and deletion markers, in log order) to the feed's sessions and
// engagement as events read back: settings are the catalog's, not changed here. Returns the
// events applied. Used by the start-up replay of the file log and, on an event stream, for the
// records other processes appended (RealtimeLoop::SetStreamObserver).
uint64_t ObserveLogRecordsInFeed(feed::FeedService& feed,
                                 absl::Span<const std::string_view> payloads) {
  std::vector<stream::Event> events;
  uint64_t applied = 0;
  for (std::string_view payload : payloads) {
    absl::StatusOr<stream::Event> ev = stream::DecodeEvent(payload);
    if (ev.ok()) {
      events.push_back(std::move(*ev));
    } else if (absl::StatusOr<stream::UserDeletion> d = stream::DecodeUserDeletion(payload);
               d.ok()) {
      // A deletion marker: the user's events so far belonged to the deleted account; an
      // account of the same id made later starts from here.
      feed.Observe(events, /*apply_settings=*/false);
      applied += events.size();
      events.clear();
      feed.ForgetSession(d->user);
    }
  }
  feed.Observe(events, /*apply_settings=*/false);
  return applied + events.size();
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
                                              ? model::DefaultModelConfigJson()
                                              : std::string_view(options.model_config_json)));
  // HOW A FIRST START STAYS CRASH-SAFE
  // Seeding (import, upload-time shift, replay into the log, training, first snapshot) runs
  // between the creation of <data_dir>/SEEDING (synced before anything is written) and its
  // removal (synced after the snapshot). A start that finds the marker wipes the log, the
  // snapshots and the late store, and the catalog too if the interrupted start imported it
  // (marker line "import"), then seeds again. A catalog that was there before keeps its videos
  // but must lose a shift the interrupted start applied: the shift is one atomic batch, and
  // the marker line "shift <ms> <video> <upload_ms before>" written before it tells whether it
  // happened. So the import and the shift are applied exactly once, and the log holds every
  // seeded event or none.
  Seeder* seeder = options.seeder.get();
  if (options.event_source && seeder != nullptr && seeder->has_events()) {
    return absl::InvalidArgumentError(
        "a seed log cannot be replayed into an event stream (--seed-log with --kafka)");
  }
  const std::string marker = options.data_dir + "/" + kSeedingMarker;
  std::string interrupted;
  if (std::filesystem::exists(marker)) {
    if (seeder == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data_dir ", options.data_dir, " holds an interrupted first start (", kSeedingMarker,
          " exists): start again with the same seed data to redo it, or remove the directory"));
    }
    FORYOU_ASSIGN_OR_RETURN(interrupted, common::ReadFile(marker));
    progress << "serve: an earlier first start was interrupted; removing its partial data and "
                "seeding again\n";
    std::vector<std::string> wipe = {"log", "snapshots", "late", "social"};
    if (absl::StrContains(interrupted, "import\n")) wipe.push_back("catalog");
    for (const std::string& sub : wipe) {
      std::error_code ec;
      std::filesystem::remove_all(options.data_dir + "/" + sub, ec);
      if (ec) {
        return absl::UnavailableError(
            absl::StrCat("cannot remove ", options.data_dir, "/", sub, ": ", ec.message()));
      }
    }
  }
  FORYOU_ASSIGN_OR_RETURN(e->store_, catalog::CatalogStore::Open(options.data_dir + "/catalog"));
  if (!interrupted.empty()) FORYOU_RETURN_IF_ERROR(UndoShift(interrupted, e->store_.get()));
  if (options.catalog_changelog != nullptr) {
    // The writes of other processes first: an import below sees the shared catalog, and every
    // later write here goes to the changelog before the store.
    const auto attach_start = std::chrono::steady_clock::now();
    FORYOU_RETURN_IF_ERROR(options.catalog_changelog->Attach(e->store_.get()));
    e->catalog_changelog_ = options.catalog_changelog;
    progress << "serve: catalog changelog applied to offset "
             << e->catalog_changelog_->health().next_offset << " in "
             << std::chrono::duration<double>(std::chrono::steady_clock::now() - attach_start)
                    .count()
             << " s (" << e->store_->num_videos() << " videos)\n";
  }
  FORYOU_ASSIGN_OR_RETURN(e->accounts_,
                          accounts::AccountService::Open(options.data_dir, options.accounts));

  const int64_t now = common::WallMs();
  const std::string log_dir = options.data_dir + "/log";
  // Seed only into an empty log (first start).
  const bool seed = seeder != nullptr && seeder->has_events() &&
                    (!std::filesystem::exists(log_dir) || std::filesystem::is_empty(log_dir));
  const bool import = seeder != nullptr && e->store_->num_videos() == 0;
  std::string marker_text = import ? "seeding\nimport\n" : "seeding\n";
  if (seed || import) FORYOU_RETURN_IF_ERROR(common::WriteFileAtomically(marker, marker_text));
  if (import) {
    FORYOU_ASSIGN_OR_RETURN(Seeder::Imported imported,
                            seeder->ImportCatalog(now, e->store_.get(), progress));
    e->report_.imported_videos = imported.videos;
    e->report_.imported_users = imported.users;
  }

  // The seed shift must be known before the model's catalog is built (upload days).
  if (seed) {
    FORYOU_ASSIGN_OR_RETURN(const int64_t last, seeder->LastEventMs());
    e->seed_shift_ms_ = last > 0 ? now - options.seed_end_ago_ms - last : 0;
    // Imported videos age with the log: their uploads move by the same shift, in one batch.
    catalog::CatalogStore::Batch shifted;
    FORYOU_RETURN_IF_ERROR(e->store_->ForEachVideo([&](const catalog::Video& v) {
      shifted.videos.push_back(v);
      shifted.videos.back().upload_ms += e->seed_shift_ms_;
    }));
    if (!shifted.videos.empty() && e->seed_shift_ms_ != 0) {
      const catalog::Video& ref = shifted.videos.front();
      absl::StrAppend(&marker_text, "shift ", e->seed_shift_ms_, " ", ref.id, " ",
                      ref.upload_ms - e->seed_shift_ms_, "\n");
      FORYOU_RETURN_IF_ERROR(common::WriteFileAtomically(marker, marker_text));
      FORYOU_RETURN_IF_ERROR(e->store_->Write(shifted, /*sync=*/true));
    }
  }

  // Moderation's store is the truth of each video's state; a crash between its write and the
  // catalog's left the catalog behind: bring it in line before anything reads the catalog.
  FORYOU_ASSIGN_OR_RETURN(e->moderation_store_,
                          moderation::ModerationStore::Open(options.data_dir + "/moderation"));
  e->moderation_ = std::make_unique<moderation::ModerationService>(
      e->moderation_store_.get(), e->store_.get(), options.moderation);
  // With a shared catalog this process's moderation store is not the truth of a video another
  // process moderated: its older state must not be written back over the shared one.
  if (e->catalog_changelog_ == nullptr) {
    FORYOU_RETURN_IF_ERROR(e->moderation_->Reconcile().status());
  }
  e->duplicates_ = std::make_unique<moderation::DuplicateIndex>(moderation::DuplicateIndexOptions{});
  FORYOU_RETURN_IF_ERROR(e->store_->ForEachVideo([&](const catalog::Video& v) {
    if (v.frame_hash.empty()) return;
    // A record that does not parse is left out of the index (it only narrows duplicate checks).
    absl::StatusOr<std::vector<uint64_t>> hashes = ParseStoredFrameHashes(v.frame_hash);
    if (hashes.ok()) (void)e->duplicates_->Add(v.id, *hashes);
  }));

  FORYOU_ASSIGN_OR_RETURN(e->model_catalog_, feed::BuildModelCatalog(*e->store_));

  realtime::LoopOptions lo;
  lo.log.dir = log_dir;
  lo.log.fsync = options.fsync;
  lo.joiner.utc_offset_minutes = options.utc_offset_minutes;
  lo.joiner.late_store_dir = options.data_dir + "/late";
  lo.snapshot_dir =
      options.snapshot_dir.empty() ? options.data_dir + "/snapshots" : options.snapshot_dir;
  lo.snapshot_interval_ms = options.snapshot_interval_ms;
  lo.sink = options.event_sink;
  lo.source = options.event_source;
  lo.params_sink = options.params_sink;
  lo.params_source = options.params_source;
  // A server keeps only the live window of progressive metrics (bounded memory).
  lo.evaluate_from_offset = std::numeric_limits<uint64_t>::max();
  FORYOU_ASSIGN_OR_RETURN(e->loop_, realtime::RealtimeLoop::Open(lo, e->config_, e->model_catalog_));

  e->scorer_ = std::make_unique<LoopScorer>(e->loop_.get(), e->config_);
  feed::FeedOptions fo = options.feed;
  fo.utc_offset_minutes = options.utc_offset_minutes;
  e->feed_ = std::make_unique<feed::FeedService>(fo, e->store_.get(), e->model_catalog_, e->scorer_.get());
  FORYOU_RETURN_IF_ERROR(e->feed_->Load());
  FORYOU_RETURN_IF_ERROR(feed::AdStage::Validate(options.ads));
  FORYOU_RETURN_IF_ERROR(ads::Pacer::Validate(options.pacer));
  FORYOU_ASSIGN_OR_RETURN(e->ads_store_, ads::AdsStore::Open(options.data_dir + "/ads"));
  e->ads_ledger_ = std::make_unique<ads::Ledger>(
      e->ads_store_.get(), /*sync=*/options.fsync != stream::FsyncPolicy::kNever);
  FORYOU_RETURN_IF_ERROR(e->ads_ledger_->Load());
  e->ads_pacer_ = std::make_unique<ads::Pacer>(e->ads_ledger_.get(), options.pacer);
  feed::AdStageOptions ad_options = options.ads;
  ad_options.utc_offset_minutes = options.utc_offset_minutes;
  ad_options.surface = fo.surface;
  e->ad_stage_ = std::make_unique<feed::AdStage>(ad_options, e->ads_store_.get(),
                                                 e->ads_ledger_.get(), e->ads_pacer_.get(),
                                                 e->scorer_.get());
  // The ads served before a restart still bill their events.
  FORYOU_RETURN_IF_ERROR(e->ad_stage_->Restore(common::WallMs()));

  if (seed) FORYOU_RETURN_IF_ERROR(e->Seed(progress));
  if (seed || import) {
    // Everything seeded is durable (the catalog's WAL synced here, the log per batch unless
    // fsync is off, the snapshot written): only now may a restart trust it.
    FORYOU_RETURN_IF_ERROR(e->store_->Sync());
    if (std::remove(marker.c_str()) != 0) {
      return absl::UnavailableError(absl::StrCat("cannot remove ", marker));
    }
    FORYOU_RETURN_IF_ERROR(common::SyncDir(options.data_dir));
  }
  const auto replay_start = std::chrono::steady_clock::now();
  FORYOU_RETURN_IF_ERROR(e->ReplayLogIntoFeed());
  if (options.event_source) {
    progress << "serve: feed state rebuilt from " << e->report_.replayed_events
             << " events of the event stream before the snapshot's position in "
             << std::chrono::duration<double>(std::chrono::steady_clock::now() - replay_start)
                    .count()
             << " s\n";
    // On an event stream the feed state is every process's: the events other processes
    // appended reach this feed as the trainer thread reads them; this process's own are
    // applied where they are ingested (docs/design/kafka_roles.md, "Feed state").
    e->loop_->SetStreamObserver([feed = e->feed_.get()](absl::Span<const std::string_view> p) {
      ObserveLogRecordsInFeed(*feed, p);
    });
  }
  // The social store: a video's creator gives likes received and the creator's inbox.
  catalog::CatalogStore* store = e->store_.get();
  FORYOU_ASSIGN_OR_RETURN(
      e->social_, social::SocialStore::Open(options.data_dir + "/social", [store](std::string_view v) {
        absl::StatusOr<catalog::Video> video = store->GetVideo(v);
        return video.ok() ? video->creator : std::string();
      }));
  const uint64_t social_from = e->social_->applied_offset();
  FORYOU_RETURN_IF_ERROR(e->social_->CatchUp(e->loop_->log()));
  e->report_.social_applied = e->social_->applied_offset() - std::min(social_from, e->social_->applied_offset());
  FORYOU_RETURN_IF_ERROR(e->feed_->RefreshEmbeddings());
  // Search: rebuilt from the catalog (after the log replay, so the engagement is there), then
  // told of every catalog write from here on.
  const auto search_start = std::chrono::steady_clock::now();
  e->popularity_ = std::make_unique<EngagementPopularity>(&e->feed_->engagement());
  FORYOU_ASSIGN_OR_RETURN(
      e->search_, search::SearchIndex::Open({.dir = options.data_dir + "/search",
                                             .refresh_ms = options.search_refresh_ms},
                                            e->store_.get(), e->popularity_.get()));
  e->store_->SetListener([search = e->search_.get(),
                          feed = e->feed_.get()](const catalog::CatalogChange& change) {
    // The catalog write stands; a failed index update leaves those records stale until they
    // change again or the next start rebuilds the index.
    (void)search->Apply(change);
    // The feed re-reads the videos (a moderation decision is a write straight to the store).
    feed->OnCatalogChange(change);
  });
  e->report_.search_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - search_start).count();
  // From here on the other processes' writes reach the listener as they arrive.
  if (e->catalog_changelog_ != nullptr) e->catalog_changelog_->Follow();
  // Uploads: their videos are written through the feed service, like the API's.
  e->video_sink_ = std::make_unique<FeedVideoSink>(e->feed_.get(), e->store_.get(),
                                                   e->moderation_.get());
  // A post may name only the effects the media worker applies: an unknown one is refused at
  // complete, before a video or a job exists.
  uploads::UploadServiceOptions upload_options = options.uploads;
  if (upload_options.effects.empty()) {
    for (const media::Effect& fx : media::Effects()) upload_options.effects.push_back(fx.name);
  }
  FORYOU_ASSIGN_OR_RETURN(e->uploads_,
                          uploads::UploadService::Open(options.data_dir, upload_options,
                                                       e->store_.get(), e->video_sink_.get(),
                                                       [] { return common::WallMs(); }));
  e->uploads_->pipeline().set_on_processed(
      [engine = e.get()](catalog::Video* video, const nlohmann::json& result) {
        engine->OnProcessed(video, result);
      });
  e->report_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return e;
}

absl::StatusOr<catalog::Video> FeedVideoSink::GetVideo(std::string_view id) {
  return store_->GetVideo(id);
}
absl::Status FeedVideoSink::CreateVideo(const catalog::Video& video) {
  FORYOU_RETURN_IF_ERROR(feed_->CreateVideo(video));
  const int64_t now = common::WallMs();
  FORYOU_RETURN_IF_ERROR(moderation_->OnUploaded(video, now));
  return moderation_->OnProcessing(video.id, now);
}

absl::StatusOr<std::vector<uint64_t>> ParseStoredFrameHashes(std::string_view stored) {
  // The catalog keeps the list without its "dct64:" prefix (docs/formats/frame_hashes.md).
  return moderation::ParseFrameHashes(
      absl::StrCat("dct64:", absl::string_view(stored.data(), stored.size())));
}

std::vector<moderation::DuplicateMatch> Engine::SimilarVideos(std::string_view video) const {
  absl::StatusOr<catalog::Video> v = store_->GetVideo(video);
  if (!v.ok() || v->frame_hash.empty()) return {};
  absl::StatusOr<std::vector<uint64_t>> hashes = ParseStoredFrameHashes(v->frame_hash);
  if (!hashes.ok()) return {};
  return OthersLike(video, *hashes);
}

std::vector<moderation::DuplicateMatch> Engine::OthersLike(std::string_view video,
                                                         absl::Span<const uint64_t> hashes) const {
  std::vector<moderation::DuplicateMatch> out = duplicates_->Lookup(hashes);
  std::erase_if(out, [&](const moderation::DuplicateMatch& m) { return m.video == video; });
  return out;
}

void Engine::OnProcessed(catalog::Video* video, const nlohmann::json& result) {
  const int64_t now = common::WallMs();
  absl::StatusOr<std::vector<uint64_t>> hashes = ParseStoredFrameHashes(video->frame_hash);
  std::vector<moderation::DuplicateMatch> matches;
  if (hashes.ok()) matches = OthersLike(video->id, *hashes);
  absl::StatusOr<moderation::MediaResult> media = moderation::MediaResultFromJson(result);
  absl::StatusOr<moderation::Decision> decision = moderation_->OnProcessed(
      *video, media.ok() ? std::optional(*media) : std::nullopt, matches, now);
  // Moderation wrote the serving state to the catalog; the pipeline's write of this video must
  // carry the same state. If the machine refused, the video stays out of every feed.
  absl::StatusOr<catalog::Video> stored = store_->GetVideo(video->id);
  video->moderation = decision.ok() && stored.ok() ? stored->moderation : catalog::Moderation::kPending;
  if (!decision.ok()) {
    std::cerr << "moderation of upload " << video->id << ": " << decision.status() << "\n";
  }
  if (hashes.ok()) (void)duplicates_->Add(video->id, *hashes);
}
absl::Status FeedVideoSink::UpdateVideo(const catalog::Video& video) {
  return feed_->UpdateVideo(video);
}
absl::Status FeedVideoSink::PutSound(const catalog::Sound& sound) {
  return store_->PutSound(sound);
}

absl::Status Engine::Seed(std::ostream& progress) {
  const int64_t now = common::WallMs();
  uint64_t rows = 0;
  FORYOU_RETURN_IF_ERROR(options_.seeder->ReplayEvents(
      seed_shift_ms_, now, *model_catalog_,
      [&](const std::vector<stream::Event>& batch) -> absl::Status {
        FORYOU_RETURN_IF_ERROR(loop_->Ingest(batch, now).status());
        report_.seeded_events += batch.size();
        return absl::OkStatus();
      },
      &rows));
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
  std::vector<std::string_view> payloads;
  for (uint64_t offset = log.StartOffset(); offset < log.EndOffset();) {
    records.clear();
    FORYOU_RETURN_IF_ERROR(log.Read(offset, 8192, &records));
    if (records.empty()) break;
    payloads.clear();
    for (const stream::LogRecord& r : records) payloads.push_back(r.payload);
    report_.replayed_events += ObserveLogRecordsInFeed(*feed_, payloads);
    offset = records.back().offset + 1;
  }
  // On an event stream the log above is empty: the same rule, the whole stream its retention
  // kept, reads the records before the snapshot's position here (the trainer thread reads the
  // rest, SetStreamObserver); the model has them from the snapshot.
  FORYOU_RETURN_IF_ERROR(
      loop_->ReadBeforeRestored([&](absl::Span<const std::string_view> stream_payloads) {
        report_.replayed_events += ObserveLogRecordsInFeed(*feed_, stream_payloads);
      }).status());
  return absl::OkStatus();
}

Engine::~Engine() {
  Stop();
  uploads_.reset();  // its workers write through the feed
  if (store_) store_->SetListener(nullptr);  // before search_ goes
}

void Engine::Start() {
  loop_->Start();
  feed_->Start();
  search_->Start();
  uploads_->Start();
}

absl::Status Engine::Advance() {
  FORYOU_RETURN_IF_ERROR(loop_->ProcessAvailable());
  return feed_->RefreshEmbeddings();
}

void Engine::Stop() {
  if (catalog_changelog_) catalog_changelog_->Stop();
  if (uploads_) uploads_->Stop();
  if (search_) search_->Stop();
  if (feed_) feed_->Stop();
  if (loop_) loop_->Stop();
}

}  // namespace foryou::server
