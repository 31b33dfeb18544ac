// BidControllers: the live bid adjustments of the groups that have no fixed bid to bid, the Cost
// Cap factor (CostCapController) and the Lowest Cost bid (LowestCostController), computed from
// the ledger's figures and the pacer's plan the same way for the feed's ad stage and for the
// ads simulation (docs/design/ads.md, "Auction and pricing").
//
// Delivery(c, g, now) is DeliveryOf(ledger, g, now) with the group's controller figure filled
// in, ready for AdCandidate::delivery and EffectiveBid:
// * Cost Cap: the factor CostCapController::Factor gives for the delivery (1 while learning,
//   then moved at most every CostCapOptions::update_ms by the CPA since learning ended).
// * Lowest Cost: the bid LowestCostController::Bid gives for the group's spend today
//   (Ledger::SpentOf) against its plan since the UTC midnight (Pacer::PlannedSpend). Those two
//   reads are made at most every LowestCostOptions::update_ms per group (the controller does not
//   move in between) and on a new day; in between the last bid is reused.
//
// The state is in memory only. A process that starts on an existing ledger rebuilds it from the
// ledger: learning is read from the goal-event counters, so a group that had learnt is past
// learning at once, its Cost Cap factor starts at 1 and its CPA is measured from then on; a
// Lowest Cost group first seen with results starts at its cost per result so far x
// AuctionOptions::lowest_cost_headroom (within the bounds), one without at the start bid.
//
// Thread-safe (one lock over the Lowest Cost cache; each controller has its own). The ledger
// and the pacer must outlive it.
//
// Example:
//   BidControllers bids(AuctionOptions{}, BidControllerOptions{}, &ledger, &pacer);
//   candidate.delivery = bids.Delivery(campaign, group, now);
//   ... RunAuction(auction, req, candidates)
#pragma once

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ads/auction.h"
#include "ads/ledger.h"
#include "ads/lowest_cost.h"
#include "ads/model.h"
#include "ads/pacer.h"
#include "common/mutex.h"

namespace foryou::ads {

struct BidControllerOptions {
  CostCapOptions cost_cap;
  LowestCostOptions lowest_cost;
};

class BidControllers {
 public:
  BidControllers(AuctionOptions auction, BidControllerOptions options, const Ledger* ledger,
                 const Pacer* pacer);
  BidControllers(const BidControllers&) = delete;
  BidControllers& operator=(const BidControllers&) = delete;

  // InvalidArgument naming the knob (CostCapController::Validate,
  // LowestCostController::Validate).
  [[nodiscard]] static absl::Status Validate(const BidControllerOptions& o);

  // The group's delivery now (DeliveryOf) with cost_cap_factor set for a Cost Cap group and
  // lowest_cost_bid for a Lowest Cost group (both 0 otherwise).
  GroupDelivery Delivery(const Campaign& c, const AdGroup& g, int64_t now_ms);

 private:
  struct LowestCostRead {  // the last bid and when it was computed
    int64_t read_ms = 0;
    int64_t day = -1;
    double bid = 0;
  };
  double LowestCostBid(const Campaign& c, const AdGroup& g, const GroupDelivery& d, int64_t now_ms);

  const AuctionOptions auction_;
  const BidControllerOptions options_;
  const Ledger* const ledger_;
  const Pacer* const pacer_;
  CostCapController cost_cap_;
  LowestCostController lowest_cost_;
  common::Mutex mu_;
  absl::flat_hash_map<std::string, LowestCostRead> lowest_cost_reads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace foryou::ads
