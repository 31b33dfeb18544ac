// Engine: everything `foryou serve` runs in one process, wired together on one data directory:
//
//   <data_dir>/catalog    CatalogStore (RocksDB)        users, videos, creators, sounds, hashtags
//   <data_dir>/log        FileEventLog                  every acknowledged event
//   <data_dir>/snapshots  RealtimeLoop snapshots        model + table + behaviour state
//   <data_dir>/late       RocksDB late store            late actions for the joiner
//
// plus the in-memory FeedService (rebuilt from the catalog and the event log at every start).
// On a first start with `import_dir`, the KuaiRand-Pure tables are imported into the catalog and
// (with `seed_log`) the KuaiRand log is replayed as events through the real-time loop, shifted in
// time to end now, so a real catalog, a trained model and live engagement exist from the start.
//
// Example:
//   EngineOptions o{.data_dir = "demo-data", .import_dir = "demo/kuairand"};
//   FORYOU_ASSIGN_OR_RETURN(auto engine, Engine::Open(o, std::cerr));
//   engine->Start();
//   FORYOU_ASSIGN_OR_RETURN(feed::FeedPage page, engine->feed().Feed("0", 10, now_ms));
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "catalog/catalog_store.h"
#include "feed/feed_service.h"
#include "feed/scorer.h"
#include "model/model_config.h"
#include "stream/realtime_loop.h"

namespace foryou::server {

struct EngineOptions {
  std::string data_dir;
  // KuaiRand-Pure directory: video_features_basic_pure.csv[.zst], user_features_pure.csv[.zst].
  // Imported when the catalog is empty. "" = none.
  std::string import_dir;
  // A KuaiRand log file replayed as events when the event log is empty ("" = none). Its times
  // are shifted so its last event is `seed_end_ago_ms` before now (and the imported videos'
  // upload times by the same amount).
  std::string seed_log;
  int64_t seed_end_ago_ms = 60'000;
  std::string model_config_json;  // "" = the built-in config/model.json
  feed::FeedOptions feed;
  int32_t utc_offset_minutes = 0;
  stream::FsyncPolicy fsync = stream::FsyncPolicy::kEveryBatch;
  int64_t snapshot_interval_ms = 60'000;
};

struct StartupReport {
  uint64_t imported_videos = 0, imported_users = 0;
  uint64_t seeded_rows = 0, seeded_events = 0;
  uint64_t replayed_events = 0;  // events re-observed by the feed at start
  double seconds = 0;
};

class Engine {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Engine>> Open(EngineOptions options,
                                                                    std::ostream& progress);
  ~Engine();  // stops

  void Start();  // the trainer thread and the feed's embedding refresher
  void Stop();

  catalog::CatalogStore& store() { return *store_; }
  stream::RealtimeLoop& loop() { return *loop_; }
  feed::FeedService& feed() { return *feed_; }
  const StartupReport& report() const { return report_; }
  const model::ModelConfig& model_config() const { return config_; }

 private:
  Engine() = default;
  absl::Status Seed(std::ostream& progress);
  absl::Status ReplayLogIntoFeed();

  EngineOptions options_;
  model::ModelConfig config_;
  std::unique_ptr<catalog::CatalogStore> store_;
  std::shared_ptr<model::Catalog> model_catalog_;
  std::unique_ptr<stream::RealtimeLoop> loop_;
  std::unique_ptr<feed::LoopScorer> scorer_;
  std::unique_ptr<feed::FeedService> feed_;
  StartupReport report_;
  int64_t seed_shift_ms_ = 0;
};

}  // namespace foryou::server
