#include "kuairand/demo_seeder.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "kuairand/catalog_import.h"
#include "kuairand/log_replay.h"
#include "kuairand/readers.h"

namespace foryou::kuairand {
namespace {

// "name" or "name.zst", whichever exists in dir ("" if neither).
std::string FindTable(const std::string& dir, const std::string& name) {
  for (const std::string& candidate :
       {absl::StrCat(dir, "/", name), absl::StrCat(dir, "/", name, ".zst")}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return "";
}

}  // namespace

std::shared_ptr<DemoSeeder> DemoSeeder::Make(std::string import_dir, std::string seed_log) {
  if (import_dir.empty() && seed_log.empty()) return nullptr;
  return std::shared_ptr<DemoSeeder>(new DemoSeeder(std::move(import_dir), std::move(seed_log)));
}

absl::StatusOr<server::Seeder::Imported> DemoSeeder::ImportCatalog(int64_t now_ms,
                                                                   catalog::CatalogStore* store,
                                                                   std::ostream& progress) {
  if (import_dir_.empty()) return Imported{};
  const std::string videos = FindTable(import_dir_, "video_features_basic_pure.csv");
  const std::string users = FindTable(import_dir_, "user_features_pure.csv");
  if (videos.empty()) {
    return absl::NotFoundError(
        absl::StrCat(import_dir_, ": no video_features_basic_pure.csv[.zst]"));
  }
  FORYOU_ASSIGN_OR_RETURN(ImportStats stats, ImportKuaiRand(videos, users, now_ms, store));
  progress << absl::StrFormat("serve: imported %d videos, %d users from %s\n", stats.videos,
                              stats.users, import_dir_);
  return Imported{.videos = stats.videos, .users = stats.users};
}

absl::StatusOr<int64_t> DemoSeeder::LastEventMs() {
  FORYOU_ASSIGN_OR_RETURN(auto reader, KuaiRandLogReader::Open(seed_log_));
  KuaiRandImpression row;
  int64_t last = 0;
  while (true) {
    FORYOU_ASSIGN_OR_RETURN(bool more, reader->Next(&row));
    if (!more) break;
    last = std::max(last, row.time_ms);
  }
  return last;
}

absl::Status DemoSeeder::ReplayEvents(int64_t shift_ms, int64_t now_ms,
                                      const model::Catalog& catalog, const Ingest& ingest,
                                      uint64_t* rows) {
  *rows = 0;
  FORYOU_ASSIGN_OR_RETURN(auto reader, KuaiRandLogReader::Open(seed_log_));
  KuaiRandImpression row;
  std::vector<stream::Event> events, batch;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    FORYOU_RETURN_IF_ERROR(ingest(batch));
    batch.clear();
    return absl::OkStatus();
  };
  while (true) {
    FORYOU_ASSIGN_OR_RETURN(bool more, reader->Next(&row));
    if (!more) break;
    row.time_ms += shift_ms;
    events.clear();
    KuaiRandRowToEvents(row, *rows, catalog, &events);
    bool valid = true;
    for (const stream::Event& ev : events) valid = valid && stream::ValidateEvent(ev, now_ms).ok();
    if (!valid) continue;  // not seeded; `foryou replay` reports such rows
    ++*rows;
    batch.insert(batch.end(), events.begin(), events.end());
    if (batch.size() >= 8192) FORYOU_RETURN_IF_ERROR(flush());
  }
  return flush();
}

}  // namespace foryou::kuairand
