// DemoSeeder: `foryou serve --import DIR --seed-log LOG` on the KuaiRand-Pure data set. It
// imports DIR's video and user tables into an empty catalog and replays LOG's views as the events
// a client would have sent (KuaiRandRowToEvents), so a demo server starts with a real catalog, a
// trained model and live engagement.
//
// Example:
//   EngineOptions o{.data_dir = "demo-data",
//                   .seeder = DemoSeeder::Make("demo/kuairand", "demo/kuairand/log.csv.zst")};
#pragma once

#include <memory>
#include <string>

#include "server/seeder.h"

namespace foryou::kuairand {

class DemoSeeder : public server::Seeder {
 public:
  // import_dir: holds video_features_basic_pure.csv[.zst] and user_features_pure.csv[.zst]
  // ("" = import nothing); seed_log: a KuaiRand log file ("" = no events). Null if both are "".
  static std::shared_ptr<DemoSeeder> Make(std::string import_dir, std::string seed_log);

  absl::StatusOr<Imported> ImportCatalog(int64_t now_ms, catalog::CatalogStore* store,
                                         std::ostream& progress) override;
  bool has_events() const override { return !seed_log_.empty(); }
  absl::StatusOr<int64_t> LastEventMs() override;
  absl::Status ReplayEvents(int64_t shift_ms, int64_t now_ms, const model::Catalog& catalog,
                            const Ingest& ingest, uint64_t* rows) override;

 private:
  DemoSeeder(std::string import_dir, std::string seed_log)
      : import_dir_(std::move(import_dir)), seed_log_(std::move(seed_log)) {}

  std::string import_dir_, seed_log_;
};

}  // namespace foryou::kuairand
