// The live Cost Cap factor and Lowest Cost bid (see bid_controllers.h).
#include "ads/bid_controllers.h"

#include <utility>

#include "common/status_macros.h"

namespace foryou::ads {

BidControllers::BidControllers(AuctionOptions auction, BidControllerOptions options,
                               const Ledger* ledger, const Pacer* pacer)
    : auction_(auction),
      options_(std::move(options)),
      ledger_(ledger),
      pacer_(pacer),
      cost_cap_(auction, options_.cost_cap),
      lowest_cost_(auction, options_.lowest_cost) {}

absl::Status BidControllers::Validate(const BidControllerOptions& o) {
  FORYOU_RETURN_IF_ERROR(CostCapController::Validate(o.cost_cap));
  return LowestCostController::Validate(o.lowest_cost);
}

GroupDelivery BidControllers::Delivery(const Campaign& c, const AdGroup& g, int64_t now_ms) {
  GroupDelivery d = DeliveryOf(*ledger_, g, now_ms);
  switch (g.bid_strategy) {
    case BidStrategy::kCostCap:
      // The controller moves the factor at most every update_ms; in between it returns it.
      d.cost_cap_factor = cost_cap_.Factor(g, d, now_ms);
      break;
    case BidStrategy::kLowestCost:
      d.lowest_cost_bid = LowestCostBid(c, g, d, now_ms);
      break;
    case BidStrategy::kBidCap:
      break;
  }
  return d;
}

double BidControllers::LowestCostBid(const Campaign& c, const AdGroup& g, const GroupDelivery& d,
                                     int64_t now_ms) {
  const int64_t day = DayOf(now_ms);
  {
    common::MutexLock lock(&mu_);
    auto it = lowest_cost_reads_.find(g.id);
    if (it == lowest_cost_reads_.end()) {
      // First seen: a group with results starts from its cost per result so far (the
      // auction's rule without a controller), as after a restart on an existing ledger.
      lowest_cost_.Seed(g, EffectiveBid(auction_, g, d, now_ms));
    } else if (it->second.day == day &&
               now_ms - it->second.read_ms < options_.lowest_cost.update_ms) {
      return it->second.bid;
    }
  }
  // The ledger's and the pacer's locks are taken outside mu_.
  const int64_t day_start = day * kDayMs;
  const double bid = lowest_cost_.Bid(g, ledger_->SpentOf(c.id, g.id, now_ms).group_day,
                                      pacer_->PlannedSpend(c, g, day_start, now_ms), now_ms);
  common::MutexLock lock(&mu_);
  lowest_cost_reads_[g.id] = LowestCostRead{.read_ms = now_ms, .day = day, .bid = bid};
  return bid;
}

}  // namespace foryou::ads
