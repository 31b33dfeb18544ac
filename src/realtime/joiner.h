// Joiner: turns the event stream (impressions, then the user's actions on them, sometimes much
// later) into training examples with every label, the features the ranker saw, and the log
// offset that produced them. Rules (docs/design/realtime.md, "Joiner"):
//
//  * An impression opens a pending entry keyed by (request_id, video); its features are
//    extracted at that moment, from the behaviour state as of then (what the ranker saw).
//  * Actions update the entry's labels. The example is emitted early, at the end of the view
//    (play or skip: the watch outcome is known), or when the window closes (event time passes
//    impression time + window_ms) for an impression the client never reported a view end for.
//  * After emission the entry stays in memory until the window closes, then moves to the late
//    store (RocksDB) for late_window_ms. An action that turns a label on after emission (a like
//    after the swipe, a follow from the profile page ten minutes later) emits a correction: the
//    same features with the updated labels.
//  * Negative sampling: an example with no positive label is kept with probability
//    negative_sample_rate (deterministic in the offset), and the serving score is corrected
//    with CorrectSampledProbability.
//
// Deterministic: the same events in the same order give the same examples. Not thread-safe:
// the trainer thread owns it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "model/features.h"
#include "model/impression.h"
#include "model/serving_model.h"
#include "stream/event.h"

namespace rocksdb {
class DB;
class Env;
}

namespace foryou::realtime {

// The event schema the joiner consumes.
using stream::Event;
using stream::EventType;

struct JoinerOptions {
  int64_t window_ms = 60'000;            // in-memory join window, event time
  int64_t late_window_ms = 6 * 3600'000;  // late actions accepted this long after the impression
  double negative_sample_rate = 1.0;     // (0, 1]
  // Emit at the end of the view (play / skip). false: only when the window closes (for
  // measuring what early emission is worth).
  bool emit_at_view_end = true;
  uint64_t seed = 1;
  // Local time of the platform's users for the hour / weekday features (KuaiRand: +480).
  int32_t utc_offset_minutes = 0;
  // RocksDB directory of the late store; empty = no late store (late actions are counted and
  // dropped).
  std::string late_store_dir;
  // RocksDB environment of the late store; null = the default one (tests inject faults).
  rocksdb::Env* late_store_env = nullptr;
  // After the late store fails, how long until it is tried again. Meanwhile impressions whose
  // window closes stay in memory (they still match actions) and late actions are orphans.
  int64_t late_store_retry_ms = 1000;
  // Budget of the pending entries' estimated heap bytes (their features mostly: they fill as
  // the users' recent lists do). Past it, the entries whose view already ended (emitted) move
  // to the late store before their window closes, the earliest emitted first: later actions
  // on them join there (or, without a late store, are orphans). Entries still waiting for
  // their view end stay for window_ms whatever the budget.
  size_t max_pending_bytes = 40 << 20;
};

// Which action ends a view (emits the example early).
bool EndsView(EventType type);

// One training example.
struct Example {
  model::Impression impression;   // labels filled in
  model::FeatureBatch features;   // size 1: what the ranker saw at impression time
  uint64_t offset = 0;            // log offset of the event that emitted it
  bool correction = false;        // a late label update of an example emitted before
};

struct JoinerStats {
  uint64_t impressions = 0, actions = 0;
  uint64_t emitted = 0, emitted_at_view_end = 0, emitted_at_window_close = 0, corrections = 0;
  uint64_t negatives_dropped = 0;  // by negative sampling
  uint64_t late_actions = 0;       // matched in the late store
  uint64_t orphan_actions = 0;     // no impression found (never shown, or past late_window_ms)
  uint64_t duplicate_impressions = 0;
  uint64_t pending = 0;            // entries in memory
};

// The serving-side correction for negative sampling (model/serving_model.h).
using model::CorrectSampledProbability;

class Joiner {
 public:
  // `features` extracts what the ranker sees (it must outlive the joiner); `catalog` gives video
  // durations for the watch ratio (may be null). Errors: bad options, RocksDB open errors.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Joiner>> Create(
      JoinerOptions options, const model::FeatureExtractor* features,
      std::shared_ptr<const model::Catalog> catalog);
  ~Joiner();

  // Feeds one event, in log order, with its log offset. Emitted examples are appended to *out.
  // Also advances the event-time watermark to e.time_ms (closing windows). A late store I/O
  // error is not an error here (late_store_fault()); DataLoss for a corrupt late store entry.
  [[nodiscard]] absl::Status Add(const Event& e, uint64_t offset, std::vector<Example>* out);

  // Closes every window whose impression time + window_ms <= watermark_ms.
  [[nodiscard]] absl::Status Advance(int64_t watermark_ms, uint64_t offset, std::vector<Example>* out);

  // Snapshot support: the in-memory join state (pending entries, windows, watermark, stats), and
  // a consistent copy of the late store (a RocksDB checkpoint: hard links, cheap) in `dir`
  // (OK and nothing written without a late store). LoadState replaces the state only if the
  // blob parses completely. The sink form hands the state over in ~1 MB pieces (the state is
  // tens of MB under load: impressions with their features for window_ms), so a snapshot never
  // holds it whole.
  void SaveState(std::string* out) const;
  void SaveState(absl::FunctionRef<void(std::string_view)> sink) const;
  [[nodiscard]] absl::Status LoadState(std::string_view blob);
  [[nodiscard]] absl::Status CheckpointLateStore(const std::string& dir) const;

  // Drops the pending impressions of these users (common::UserKey of each model identity): they
  // never emit. Applied at a deletion marker.
  void ForgetUsers(absl::Span<const uint64_t> user_keys);

  const JoinerStats& stats() const { return stats_; }
  // Entries moved to the late store before their window closed, to keep max_pending_bytes.
  uint64_t moved_for_budget() const { return moved_for_budget_; }
  // The pending entries' estimated bytes, the figure max_pending_bytes bounds.
  size_t pending_bytes() const { return pending_bytes_; }
  // Estimated heap bytes of the in-memory join state (a pass over the pending entries).
  size_t MemoryBytes() const;
  // RocksDB's estimate of the late store's memory beside the shared block cache and memtable
  // budget (its tables' index and filter blocks); 0 without a late store.
  uint64_t LateStoreTableReaderBytes() const;
  // The late store's current fault ("" = healthy; cleared by the next successful write) and its
  // failed reads, writes and reopenings since Create.
  const std::string& late_store_fault() const { return late_fault_; }
  uint64_t late_store_failures() const { return late_failures_; }
  int64_t watermark_ms() const { return watermark_ms_; }

 private:
  struct Pending {
    model::Impression impression;
    model::FeatureBatch features;
    bool emitted = false;
    uint64_t offset = 0;  // of the impression
  };
  Joiner(JoinerOptions options, const model::FeatureExtractor* features,
         std::shared_ptr<const model::Catalog> catalog);

  static std::string Key(std::string_view request_id, std::string_view video);
  // Applies an action to labels; true if a label turned on (or the view ended).
  bool ApplyAction(const Event& e, model::Impression* imp) const;
  void Emit(Pending& p, uint64_t offset, bool correction, std::vector<Example>* out);
  // False if the store failed (or is waiting for a retry): the entry stays in memory.
  bool MoveToLateStore(const std::string& key, const Pending& p);
  // True if the late store may be used now: healthy, or a retry is due and the store resumed
  // (or reopened) without error.
  bool LateStoreUsable();
  void LateStoreFailed(std::string what);
  absl::Status LateAction(const Event& e, const std::string& key, uint64_t offset,
                          std::vector<Example>* out);

  JoinerOptions options_;
  const model::FeatureExtractor* features_;
  std::shared_ptr<const model::Catalog> catalog_;
  std::unique_ptr<rocksdb::DB> late_;
  // A node map: its slots are pointers, so the capacity a busy window leaves costs 9 bytes a slot
  // rather than a whole entry (~250 bytes without its features).
  using PendingMap = absl::node_hash_map<std::string, Pending>;
  // Rebuilds the join tables at the smallest capacity that holds their entries once fewer than
  // a quarter of their slots are used.
  void ShrinkIfSparse();
  // Estimated heap bytes of one pending entry (what pending_bytes_ sums).
  static size_t EntryBytes(const std::string& key, const Pending& p);
  // Removes a pending entry (after it moved to the late store or was dropped).
  void ErasePending(PendingMap::iterator it);
  // Moves view-ended entries to the late store, earliest emitted first, while pending_bytes_
  // is over max_pending_bytes; prunes keys of entries already gone from view_ended_.
  void KeepBudget();
  PendingMap pending_;
  size_t pending_bytes_ = 0;
  // Keys of entries emitted at their view end, in emission order (some already gone).
  std::deque<std::string> view_ended_;
  uint64_t moved_for_budget_ = 0;
  // (user, video) -> the latest pending key, for actions without a request_id.
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, std::string> by_user_video_;
  std::deque<std::pair<int64_t, std::string>> expiry_;  // (impression time, key), time order
  int64_t watermark_ms_ = 0;
  JoinerStats stats_;  // part of the snapshot format (raw bytes): the fault counters are not
  std::string late_fault_;
  uint64_t late_failures_ = 0;
  int64_t late_retry_at_ms_ = 0;  // steady clock
};

}  // namespace foryou::realtime
