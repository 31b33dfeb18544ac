// ModerationStore: the moderation state of every video the machine has seen, its transitions
// (who, when, why), the review queue and the viewers' reports, in one RocksDB directory. Keys and
// values: docs/formats/moderation.md. The rules of the machine live in ModerationService; this
// class stores what it is given.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto store, ModerationStore::Open(data_dir + "/moderation"));
//   ModerationStore::Write w{.video = "v1", .record = rec, .transitions = {t}, .queue_add = now};
//   FORYOU_RETURN_IF_ERROR(store->Apply(w));          // one synced WriteBatch
//   FORYOU_ASSIGN_OR_RETURN(auto history, store->History("v1"));
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "moderation/rules.h"
#include "moderation/state.h"

namespace rocksdb {
class DB;
}

namespace foryou::moderation {

// One step of a video through the machine.
struct Transition {
  std::optional<State> from;  // nullopt: the first (the video entered the machine)
  State to = State::kUploaded;
  std::string who;            // an account id, "key:<name>" or "rule:<code>"
  int64_t t_ms = 0;
  std::vector<Reason> reasons;
};

// The current state of one video.
struct VideoRecord {
  State state = State::kUploaded;
  uint32_t transitions = 0;     // how many Transition records the video has
  bool appealed = false;        // the current decision was appealed (once per decision)
  int64_t queued_ms = 0;        // in the review queue since (0 = not queued)
  std::vector<Reason> queue_reasons;       // why it is queued
  std::map<std::string, int64_t> reports;  // report reason code -> distinct viewers
  int64_t reports_total = 0;
};

// Thread-safe (RocksDB); callers serialize read-modify-writes of one video (ModerationService
// holds one lock around each).
class ModerationStore {
 public:
  // Opens (creating) the store in `dir`. Unavailable from RocksDB (also: already open).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ModerationStore>> Open(const std::string& dir);
  ~ModerationStore();

  // The video's record; nullopt if the machine has not seen it. DataLoss for a record that does
  // not decode.
  [[nodiscard]] absl::StatusOr<std::optional<VideoRecord>> Get(std::string_view video) const;

  // Everything one step writes, committed as one synced WriteBatch.
  struct Write {
    std::string video;
    VideoRecord record;                     // the new record (its `transitions` counts the new ones)
    std::vector<Transition> transitions;    // appended after the existing ones
    std::optional<int64_t> queue_remove;    // the queue key (queued_ms) to delete
    std::optional<int64_t> queue_add;       // the queue key to add
    std::optional<std::pair<std::string, std::string>> report;  // (viewer, reason) to remember
  };
  [[nodiscard]] absl::Status Apply(const Write& w);

  // Every transition of `video`, oldest first (empty if none).
  [[nodiscard]] absl::StatusOr<std::vector<Transition>> History(std::string_view video) const;
  // Whether `viewer` has reported `video`.
  [[nodiscard]] absl::StatusOr<bool> HasReport(std::string_view video, std::string_view viewer) const;

  // Up to `limit` queued videos, oldest first, after `cursor` ("" = from the start; else a value
  // of next_cursor). InvalidArgument for a malformed cursor.
  struct QueueEntry {
    int64_t queued_ms = 0;
    std::string video;
  };
  struct QueuePage {
    std::vector<QueueEntry> entries;
    std::string next_cursor;  // "" on the last page
  };
  [[nodiscard]] absl::StatusOr<QueuePage> Queue(std::string_view cursor, int limit) const;

  // Every record (for the start-up reconciliation with the catalog); stops at a DataLoss.
  [[nodiscard]] absl::Status ForEach(
      const std::function<void(const std::string& video, const VideoRecord&)>& fn) const;

 private:
  explicit ModerationStore(std::unique_ptr<rocksdb::DB> db);
  const std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace foryou::moderation
