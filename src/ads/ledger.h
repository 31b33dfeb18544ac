// Ledger: the append-only billing ledger of the ads engine, in the AdsStore's database
// (docs/formats/ads.md). Every delivery event (impression, click, 2 s / 6 s view, conversion) is
// one entry, written exactly once: an event id already in the ledger changes nothing. A charge
// is checked against the budgets and counted under one lock, and written (synced, concurrent
// appends sharing one write) with the spend counters in the same write batch, so concurrent
// charges cannot pass a budget and a crash at any moment leaves either the whole entry or none
// of it.
//
// Thread-safe. Reports (report.h) are computed from the entries.
//
// Example:
//   Ledger ledger(store.get());
//   FORYOU_RETURN_IF_ERROR(ledger.Load());
//   LedgerEntry e{.event_id = "imp-1", .kind = EventKind::kImpression, ...};
//   FORYOU_ASSIGN_OR_RETURN(bool added, ledger.Append(e, LimitsOf(campaign, group)));
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ads/ads_store.h"
#include "ads/model.h"
#include "common/mutex.h"
#include "common/rw_mutex.h"

namespace foryou::ads {

enum class EventKind { kImpression, kClick, kView2s, kView6s, kConversion };
absl::string_view Name(EventKind k);
// The entry kind of a goal's event (a view goal counts 6 s views).
EventKind GoalKind(Goal g);

struct LedgerEntry {
  std::string event_id;  // unique across the ledger; the idempotency key
  EventKind kind = EventKind::kImpression;
  std::string user, account, campaign, ad_group, ad;
  int64_t time_ms = 0;
  int64_t charge_micros = 0;  // what the advertiser pays for this event (0 if not billed)
  // Conversions only: the advertiser's type ("purchase") and value, and the click or impression
  // event credited ("" when none was in the attribution window: counted, never reported).
  std::string conversion_type;
  int64_t value_micros = 0;
  std::string attributed_to;
  uint64_t seq = 0;  // set by the ledger: the order of appends
};

inline constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

// The budgets a charge must stay within (kNoLimit = none). Days are UTC days.
struct BudgetLimits {
  int64_t group_daily = kNoLimit, group_lifetime = kNoLimit;
  int64_t campaign_daily = kNoLimit, campaign_lifetime = kNoLimit;
};
BudgetLimits LimitsOf(const Campaign& c, const AdGroup& g);

// What was spent, in micros.
struct Spend {
  int64_t group_day = 0, group_total = 0;
  int64_t campaign_day = 0, campaign_total = 0;
};

// A conversion reported by the advertiser (pixel or server to server). Names the click (its
// event id) or the user and the ad.
struct Conversion {
  std::string event_id, click_id, user, ad, type;
  int64_t value_micros = 0;
  int64_t time_ms = 0;
};

class Ledger {
 public:
  // `store` must outlive the ledger. Call Load() before anything else.
  explicit Ledger(AdsStore* store, bool sync = true);

  // Reads the spend counters and the next sequence number.
  [[nodiscard]] absl::Status Load();

  // Appends `e` (seq is assigned) and returns once it is durable (with `sync`). Returns false
  // when e.event_id is already in the ledger (nothing changes). ResourceExhausted when the charge would take a spend past one of
  // `limits` (nothing is written); InvalidArgument for an entry without ids, a negative charge
  // or value.
  [[nodiscard]] absl::StatusOr<bool> Append(LedgerEntry e, const BudgetLimits& limits);

  // Records a conversion, attributed to the user's last click or impression of the ad's group
  // no older than the group's attribution window (clicks and impressions alike: last touch).
  // Returns the entry as written (or as already in the ledger, for a repeated event id).
  // NotFound for an unknown ad or click id.
  [[nodiscard]] absl::StatusOr<LedgerEntry> RecordConversion(const Conversion& c);

  // The entry of an event id; NotFound when absent.
  [[nodiscard]] absl::StatusOr<LedgerEntry> Find(absl::string_view event_id) const;

  // The user's impressions of the group at or after `since_ms`, counted up to `at_most` (the
  // frequency cap: the scan stops there).
  [[nodiscard]] absl::StatusOr<int64_t> ImpressionsSince(absl::string_view user,
                                                         absl::string_view ad_group,
                                                         int64_t since_ms, int64_t at_most) const;

  // Spend so far, appends still being written included (a budget check must count them).
  Spend SpentOf(absl::string_view campaign, absl::string_view ad_group, int64_t time_ms) const;
  // How many entries of `kind` the group has (conversions: attributed ones only), e.g. its
  // optimisation events for the learning state.
  int64_t Events(absl::string_view ad_group, EventKind kind) const;

  // Calls `fn` on every entry of `account` in append order; stops at the first false. A long
  // scan, so it runs on RocksDB's own consistency, without the ledger's locks.
  [[nodiscard]] absl::Status ForEach(absl::string_view account,
                                     const std::function<bool(const LedgerEntry&)>& fn) const;

 private:
  // The counter keys an entry adds to, with its amount (the same keys in memory and on disk).
  struct Delta {
    std::string key;
    int64_t amount;
  };
  void DeltasOf(const LedgerEntry& e, std::vector<Delta>* out) const;
  int64_t Counter(const std::string& key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // An entry counted and waiting for its batch to be written.
  struct Pending {
    std::string event_id;
    std::vector<Delta> deltas;
    std::vector<std::pair<std::string, std::string>> puts;
    bool done = false;
    absl::Status status;
  };

  AdsStore* const store_;
  const bool sync_;
  mutable common::Mutex mu_;
  common::CondVar committed_;  // a batch finished (written or failed)
  // Orders the ledger's own RocksDB reads (shared) and batch writes (exclusive) where TSan can
  // see it (ledger.cc). Taken after mu_, never before it. ForEach scans without it.
  mutable common::RwMutex db_mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;  // a leader is writing a batch
  std::vector<std::shared_ptr<Pending>> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> pending_ids_ ABSL_GUARDED_BY(mu_);
  // The spend and goal counters of docs/formats/ads.md ("sg|<group>", ...), all of them.
  absl::flat_hash_map<std::string, int64_t> counters_ ABSL_GUARDED_BY(mu_);
};

// The UTC day of a time (days since the epoch).
inline int64_t DayOf(int64_t time_ms) { return time_ms >= 0 ? time_ms / kDayMs : -1; }

}  // namespace foryou::ads
