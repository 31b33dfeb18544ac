// Lowest Cost bidding: the bid of an ad group without one ("spend the budget for the most
// results"), moved by feedback on its spend against its plan (docs/design/ads.md, "Auction and
// pricing").
//
// A Lowest Cost group has no bid of its own, so something must find the price at which it
// spends its budget. Every `update_ms` the controller compares what the group spent in the last
// interval with what it should have spent: the plan's part of the interval plus
// update_ms / catch_up_ms of the gap to the plan it had at the interval's start (as the pacer
// does for its rate). The bid is multiplied by (wanted / spent)^gain, at most `max_step` either
// way; an interval with nothing spent while the plan wanted spend multiplies it by `max_step`.
// So the bid rises while the group is behind its plan and falls while it is ahead (paying less
// per result), within [lowest_cost_min_micros, lowest_cost_max_micros] of AuctionOptions. The
// auction's own rules still hold: the price never passes the bid, and a group whose bid cannot
// be paid from its budget left sits out. A new UTC day keeps the bid it ended with.
//
// Thread-safe.
//
// Example:
//   d.lowest_cost_bid = lowest_cost.Bid(group, spent_today, pacer.PlannedSpend(c, group,
//                                       day_start, now), now);
//   ... candidate.delivery = d; RunAuction(...)
#pragma once

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ads/auction.h"
#include "ads/model.h"
#include "common/mutex.h"

namespace foryou::ads {

struct LowestCostOptions {
  int64_t update_ms = 5 * 60'000;     // the bid moves at most this often
  int64_t catch_up_ms = 15 * 60'000;  // a gap to the plan is made up over about this long
  double gain = 0.5;                  // exponent of wanted / spent per update
  double max_step = 2;                // the most one update multiplies or divides the bid by
};

class LowestCostController {
 public:
  LowestCostController(AuctionOptions auction, LowestCostOptions options)
      : auction_(auction), options_(options) {}

  // InvalidArgument naming the knob unless update_ms > 0, catch_up_ms >= update_ms, gain in
  // (0, 1], max_step > 1.
  [[nodiscard]] static absl::Status Validate(const LowestCostOptions& o);

  // The group's bid now (per goal event; per 1,000 impressions for an impression goal), in
  // [lowest_cost_min_micros, lowest_cost_max_micros], starting at lowest_cost_start_micros;
  // 0 for a group that is not Lowest Cost. `spent_today` is the group's spend since the UTC
  // day began, `planned_today` its plan from then to now (Pacer::PlannedSpend).
  double Bid(const AdGroup& g, int64_t spent_today, int64_t planned_today, int64_t now_ms);

  // Sets the bid a group the controller has not seen yet starts from (instead of
  // lowest_cost_start_micros), within the bounds: what a process starting on an existing ledger
  // knows of the group's market. Does nothing for a group already seen or a bid <= 0.
  void Seed(const AdGroup& g, double bid);

 private:
  struct State {
    double bid = 0;
    int64_t day = -1;
    int64_t updated_ms = 0;
    int64_t spent_at_update = 0, planned_at_update = 0;
  };
  const AuctionOptions auction_;
  const LowestCostOptions options_;
  common::Mutex mu_;
  absl::flat_hash_map<std::string, State> states_ ABSL_GUARDED_BY(mu_);
};

}  // namespace foryou::ads
