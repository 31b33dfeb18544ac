// Pacer: how fast each ad group may spend, and the budget it has left once what is being served
// is held back (docs/design/ads.md, "Pacing").
//
// Smooth pacing spends a day's budget along the expected traffic of the group's scheduled
// hours: each group has a pass-through rate, updated at most once per `update_ms` from its spend
// against the plan (the next interval's part of it, plus a part of the gap so far); a request
// takes part in the auction with that probability (Admit). Fast pacing always passes.
//
// Budgets are never passed: before an ad is served the caller reserves its maximum charge
// (Reserve); after the billed event it settles the real charge into the ledger (Settle), or
// releases the reservation (Release) when no billed event came. BudgetLeft subtracts both what
// the ledger holds and what is reserved.
//
// Thread-safe. The ledger must outlive the pacer.
//
// Example:
//   if (!pacer.Admit(campaign, group, now, uniform01)) skip the group;
//   FORYOU_ASSIGN_OR_RETURN(Reservation r, pacer.Reserve(campaign, group, charge, now));
//   ... serve ...
//   FORYOU_ASSIGN_OR_RETURN(bool billed, pacer.Settle(r, entry));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "ads/ledger.h"
#include "ads/model.h"
#include "common/mutex.h"

namespace foryou::ads {

// A day's relative traffic in equal slots (24 or 96): low at night, peaking in the evening.
std::vector<double> DefaultTrafficCurve();

struct PacerOptions {
  std::vector<double> traffic = DefaultTrafficCurve();  // 24 or 96 slots of the UTC day
  int64_t update_ms = 60'000;                           // rate updates at most this often
  double min_rate = 0.001;  // never fully closed: a group keeps learning its traffic
  double start_rate = 0.01;  // a new group's first rate (it doubles each interval without spend)
  double smoothing = 0.05;   // weight of the newest interval in the full-rate spend estimate
  // A gap between spend and plan is made up over about this long (>= update_ms).
  int64_t catch_up_ms = 15 * 60'000;
};

struct Reservation {
  uint64_t id = 0;
  std::string campaign, ad_group;
  int64_t amount = 0;
  BudgetLimits limits;
};

class Pacer {
 public:
  Pacer(Ledger* ledger, PacerOptions options);

  // InvalidArgument unless the curve has 24 or 96 slots, none negative, some positive.
  [[nodiscard]] static absl::Status Validate(const PacerOptions& options);

  // The group's pass-through rate in [min_rate, 1] now (1 for fast pacing or no budget), 0
  // once today's target is spent.
  double PassRate(const Campaign& c, const AdGroup& g, int64_t now_ms);
  // Whether a request with uniform draw `u01` (in [0, 1)) passes the throttle.
  bool Admit(const Campaign& c, const AdGroup& g, int64_t now_ms, double u01) {
    return u01 < PassRate(c, g, now_ms);
  }

  // The most the group may still be charged now: every budget of the group and its campaign,
  // less spend and reservations (kNoLimit when none applies).
  int64_t BudgetLeft(const Campaign& c, const AdGroup& g, int64_t now_ms) const;

  // Holds `amount` of the budgets; ResourceExhausted when it does not fit in BudgetLeft.
  [[nodiscard]] absl::StatusOr<Reservation> Reserve(const Campaign& c, const AdGroup& g,
                                                    int64_t amount, int64_t now_ms);
  // Appends `e` (charge at most the reserved amount, else InvalidArgument and the reservation
  // stays) to the ledger and releases the reservation. Returns what Ledger::Append returns.
  [[nodiscard]] absl::StatusOr<bool> Settle(const Reservation& r, const LedgerEntry& e);
  // Gives the hold back (once: a second release of the same reservation does nothing).
  void Release(const Reservation& r);

  // The plan of smooth pacing: the part of the day's target (DailyTarget at `from_ms`) the
  // group should spend in [from_ms, to_ms), both within one UTC day (to_ms may be the next
  // midnight). For "spend vs plan" charts. 0 when the group has no budget to pace.
  int64_t PlannedSpend(const Campaign& c, const AdGroup& g, int64_t from_ms, int64_t to_ms) const;

  // Today's spend target of the group under smooth pacing (kNoLimit when unbounded): its daily
  // budget, or a lifetime budget spread evenly over the days left, the lower of group and
  // campaign.
  int64_t DailyTarget(const Campaign& c, const AdGroup& g, int64_t now_ms) const;

 private:
  struct Pace {
    int64_t day = -1;
    double rate = 0;  // set from PacerOptions::start_rate
    double spend_sum = 0, exposure_sum = 0;  // decayed sums of spend and of rate x share
    int64_t updated_ms = 0;
    int64_t spent_at_update = 0;
    int64_t plan_from_ms = 0, plan_spent0 = 0;  // where today's plan starts
  };
  int64_t BudgetLeftLocked(const Campaign& c, const AdGroup& g, int64_t now_ms) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The share of the group's scheduled traffic of the day between two times of that day.
  double Share(uint32_t hours, int64_t from_ms, int64_t to_ms) const;

  Ledger* const ledger_;
  const PacerOptions options_;
  mutable common::Mutex mu_;
  absl::flat_hash_map<std::string, Pace> paces_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> reserved_group_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> reserved_campaign_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<uint64_t> live_ ABSL_GUARDED_BY(mu_);  // reservations not yet released
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace foryou::ads
