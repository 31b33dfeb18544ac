// Seeder: what a first start of the Engine is seeded with, so that a fresh server has a catalog,
// a trained model and live engagement from the start: a catalog to import into an empty store,
// and past views replayed as events into an empty log. The server knows no data set; `foryou
// serve --import/--seed-log` passes the KuaiRand one (kuairand/demo_seeder.h).
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "catalog/catalog_store.h"
#include "model/features.h"
#include "stream/event.h"

namespace foryou::server {

class Seeder {
 public:
  virtual ~Seeder() = default;

  // Fills `store`, which has no videos. Returns how many videos and users it imported.
  struct Imported {
    uint64_t videos = 0, users = 0;
  };
  [[nodiscard]] virtual absl::StatusOr<Imported> ImportCatalog(int64_t now_ms,
                                                               catalog::CatalogStore* store,
                                                               std::ostream& progress) = 0;

  // Whether there are past events to replay (false: the log starts empty).
  virtual bool has_events() const = 0;
  // The time of the newest past event (0 if none). The engine shifts every event and every
  // imported upload by the same amount, so the past ends just before now.
  [[nodiscard]] virtual absl::StatusOr<int64_t> LastEventMs() = 0;
  // Calls `ingest` with the past events in time order, in batches, each time shifted by
  // `shift_ms` and valid at `now_ms` (an invalid one is dropped). `catalog` is the model's view of
  // the catalog (for the videos' creators and sounds). Sets *rows to the views replayed.
  using Ingest = std::function<absl::Status(const std::vector<stream::Event>& batch)>;
  [[nodiscard]] virtual absl::Status ReplayEvents(int64_t shift_ms, int64_t now_ms,
                                                  const model::Catalog& catalog,
                                                  const Ingest& ingest, uint64_t* rows) = 0;
};

}  // namespace foryou::server
