// Engine: everything `foryou serve` runs in one process, wired together on one data directory:
//
//   <data_dir>/catalog    CatalogStore (RocksDB)        users, videos, creators, sounds, hashtags
//   <data_dir>/log        FileEventLog                  every acknowledged event
//   <data_dir>/snapshots  RealtimeLoop snapshots        model + table + behaviour state
//   <data_dir>/late       RocksDB late store            late actions for the joiner
//   <data_dir>/accounts   AccountService (RocksDB)      accounts, signed-out sessions, audit log
//   <data_dir>/social     SocialStore (RocksDB)         counts, comments, follows, profiles, inboxes
//   <data_dir>/search     SearchIndex (Xapian)          rebuilt from the catalog at every start
//   <data_dir>/moderation ModerationStore (RocksDB)     states, transitions, review queue, reports
//   <data_dir>/uploads, jobs, work, media               UploadService: uploads, media jobs, media
//   <data_dir>/ads        AdsStore + Ledger (RocksDB)   campaigns, ad groups, ads, billing ledger
//
// plus the in-memory FeedService (rebuilt from the catalog and the event log at every start).
// The social store applies the log from its own stored offset at every start (catch-up).
// On a first start with a Seeder, its catalog is imported into the empty catalog and its past
// events are replayed through the real-time loop into the empty log, shifted in time to end now,
// so a real catalog, a trained model and live engagement exist from the start. That first start
// is crash-safe: <data_dir>/SEEDING exists while it runs, and a start that finds it wipes the
// partial catalog, log, snapshots and late store and seeds again (a start without a Seeder
// refuses such a directory with FailedPrecondition).
//
// Example:
//   EngineOptions o{.data_dir = "demo-data", .seeder = kuairand::DemoSeeder::Make("demo/kuairand", "")};
//   FORYOU_ASSIGN_OR_RETURN(auto engine, Engine::Open(o, std::cerr));
//   engine->Start();
//   FORYOU_ASSIGN_OR_RETURN(feed::FeedPage page, engine->feed().Feed("0", 10, now_ms));
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "accounts/account_service.h"
#include "ads/ads_store.h"
#include "ads/ledger.h"
#include "ads/pacer.h"
#include "catalog/catalog_store.h"
#include "catalog/changelog.h"
#include "feed/ad_stage.h"
#include "feed/feed_service.h"
#include "server/loop_scorer.h"
#include "server/seeder.h"
#include "model/model_config.h"
#include "moderation/duplicate_index.h"
#include "moderation/moderation_service.h"
#include "realtime/realtime_loop.h"
#include "social/social_store.h"
#include "search/search_index.h"
#include "uploads/upload_service.h"

namespace foryou::server {

// The marker of a first start in progress, in the data directory.
inline constexpr char kSeedingMarker[] = "SEEDING";

struct EngineOptions {
  std::string data_dir;
  // Seeds a first start (null = none): its catalog when the catalog is empty, its events when the
  // event log is empty. Event times are shifted so the last is `seed_end_ago_ms` before now (and
  // the imported videos' upload times by the same amount).
  std::shared_ptr<Seeder> seeder;
  int64_t seed_end_ago_ms = 60'000;
  std::string model_config_json;  // "" = the built-in config/model.json
  feed::FeedOptions feed;
  int32_t utc_offset_minutes = 0;
  stream::FsyncPolicy fsync = stream::FsyncPolicy::kEveryBatch;
  int64_t snapshot_interval_ms = 60'000;
  accounts::AccountOptions accounts;  // password hashing limits, session lifetime
  // How often the search index re-reads the videos' engagement.
  int64_t search_refresh_ms = 60'000;
  // Banned terms, media policy and the reports threshold (docs/design/moderation.md).
  moderation::ModerationOptions moderation;
  // Upload limits, the media workers and their resource limits (docs/design/uploads.md). Empty
  // `effects` become the worker's (media::Effects()).
  uploads::UploadServiceOptions uploads;
  // The ads of the For You feed (docs/design/ads.md): slots, auction, billing. The store and
  // its ledger live in <data_dir>/ads.
  feed::AdStageOptions ads;
  ads::PacerOptions pacer;
  // The event stream instead of <data_dir>/log (`serve --kafka`, docs/design/kafka.md): events
  // are appended through the sink and trained from the source (LoopOptions). Null = the file
  // log. Not with a Seeder that has events (the seed goes into an empty file log only).
  std::shared_ptr<stream::EventSink> event_sink;
  stream::EventSourceOpener event_source;
  // Roles in separate processes (`serve --role`, LoopOptions::params_sink / params_source): a
  // trainer's parameter stream, a replica's. snapshot_dir: the loop's snapshots ("" =
  // <data_dir>/snapshots; a replica's is the trainer's, shared).
  std::shared_ptr<stream::EventSink> params_sink;
  realtime::ParamSourceOpener params_source;
  std::string snapshot_dir;
  // The catalog shared by every process through a changelog (`serve --kafka`,
  // docs/design/kafka_roles.md, "The catalog"): attached to the store before anything reads it
  // (a new process materialises the whole topic first), followed from the end of Open. Null =
  // the catalog is this process's alone.
  std::shared_ptr<catalog::CatalogChangelog> catalog_changelog;
};

// A video's stored frame hashes (catalog::Video::frame_hash: 16 hex digits each, joined by
// commas, as the upload pipeline writes them); InvalidArgument naming a bad one.
absl::StatusOr<std::vector<uint64_t>> ParseStoredFrameHashes(std::string_view stored);

// The uploads' catalog writes, through the feed service so that its index sees them. A new post
// also enters the moderation machine (uploaded, then processing).
class FeedVideoSink : public uploads::VideoSink {
 public:
  FeedVideoSink(feed::FeedService* feed, catalog::CatalogStore* store,
                moderation::ModerationService* moderation)
      : feed_(feed), store_(store), moderation_(moderation) {}
  absl::StatusOr<catalog::Video> GetVideo(std::string_view id) override;
  absl::Status CreateVideo(const catalog::Video& video) override;
  absl::Status UpdateVideo(const catalog::Video& video) override;
  absl::Status PutSound(const catalog::Sound& sound) override;

 private:
  feed::FeedService* feed_;
  catalog::CatalogStore* store_;
  moderation::ModerationService* moderation_;
};

struct StartupReport {
  uint64_t imported_videos = 0, imported_users = 0;
  uint64_t seeded_rows = 0, seeded_events = 0;
  uint64_t replayed_events = 0;  // events re-observed by the feed at start
  uint64_t social_applied = 0;   // log records the social store caught up on at start
  double search_seconds = 0;  // the search index's rebuild (part of `seconds`)
  double seconds = 0;
};

class Engine {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Engine>> Open(EngineOptions options,
                                                                    std::ostream& progress);
  ~Engine();  // stops

  void Start();  // the trainer thread and the feed's embedding refresher
  void Stop();
  // In place of Start(), for a service whose time is driven from outside: trains the model on
  // every logged event, syncs the serving replica (sparse rows and dense weights) and rebuilds
  // the feed's embedding matrix, on the calling thread. The same requests with the same clock
  // and the same Advance() points give the same model and pages (`foryou simulate`). Errors:
  // FailedPrecondition while Start() runs; the trainer's errors.
  [[nodiscard]] absl::Status Advance();

  catalog::CatalogStore& store() { return *store_; }
  accounts::AccountService& accounts() { return *accounts_; }
  social::SocialStore& social() { return *social_; }
  realtime::RealtimeLoop& loop() { return *loop_; }
  feed::FeedService& feed() { return *feed_; }
  search::SearchIndex& search() { return *search_; }
  moderation::ModerationService& moderation() { return *moderation_; }
  // Every processed upload's frame hashes (rebuilt from the catalog at start): what a new upload
  // is checked against, and the review queue's similar videos.
  moderation::DuplicateIndex& duplicates() { return *duplicates_; }
  // The indexed videos like `video` (none when it has no frame hashes), itself left out.
  std::vector<moderation::DuplicateMatch> SimilarVideos(std::string_view video) const;
  uploads::UploadService& uploads() { return *uploads_; }
  // The ads engine: records, billing ledger, pacer, and the feed's ad stage (off while no ad
  // group is active).
  ads::AdsStore& ads_store() { return *ads_store_; }
  ads::Ledger& ads_ledger() { return *ads_ledger_; }
  ads::Pacer& ads_pacer() { return *ads_pacer_; }
  feed::AdStage& ad_stage() { return *ad_stage_; }
  const StartupReport& report() const { return report_; }
  const model::ModelConfig& model_config() const { return config_; }

 private:
  Engine() = default;
  absl::Status Seed(std::ostream& progress);
  // The upload pipeline's last step: moderation's rules (the duplicate index's matches among
  // them) decide the video's state, then its hashes join the index.
  void OnProcessed(catalog::Video* video, const nlohmann::json& result);
  // The indexed videos whose frames `hashes` match, `video` itself left out.
  std::vector<moderation::DuplicateMatch> OthersLike(std::string_view video,
                                                     absl::Span<const uint64_t> hashes) const;
  absl::Status ReplayLogIntoFeed();

  EngineOptions options_;
  model::ModelConfig config_;
  std::unique_ptr<catalog::CatalogStore> store_;
  std::shared_ptr<catalog::CatalogChangelog> catalog_changelog_;  // stopped before store_ goes
  std::unique_ptr<accounts::AccountService> accounts_;
  std::unique_ptr<social::SocialStore> social_;
  std::shared_ptr<model::Catalog> model_catalog_;
  std::unique_ptr<realtime::RealtimeLoop> loop_;
  std::unique_ptr<LoopScorer> scorer_;
  std::unique_ptr<feed::FeedService> feed_;
  std::unique_ptr<search::Popularity> popularity_;
  std::unique_ptr<search::SearchIndex> search_;  // every catalog write reaches it (listener)
  std::unique_ptr<moderation::ModerationStore> moderation_store_;
  std::unique_ptr<moderation::ModerationService> moderation_;
  std::unique_ptr<moderation::DuplicateIndex> duplicates_;
  std::unique_ptr<FeedVideoSink> video_sink_;
  std::unique_ptr<uploads::UploadService> uploads_;
  // Declared after the scorer, destroyed before it; the stage before the pacer and ledger.
  std::unique_ptr<ads::AdsStore> ads_store_;
  std::unique_ptr<ads::Ledger> ads_ledger_;
  std::unique_ptr<ads::Pacer> ads_pacer_;
  std::unique_ptr<feed::AdStage> ad_stage_;
  StartupReport report_;
  int64_t seed_shift_ms_ = 0;
};

}  // namespace foryou::server
