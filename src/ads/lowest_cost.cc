// Lowest Cost's bid controller (see lowest_cost.h).
#include "ads/lowest_cost.h"

#include <algorithm>
#include <cmath>

namespace foryou::ads {

absl::Status LowestCostController::Validate(const LowestCostOptions& o) {
  if (o.update_ms <= 0) return absl::InvalidArgumentError("lowest_cost.update_ms: must be > 0");
  if (o.catch_up_ms < o.update_ms) {
    return absl::InvalidArgumentError("lowest_cost.catch_up_ms: must be >= update_ms");
  }
  if (!(o.gain > 0 && o.gain <= 1)) {
    return absl::InvalidArgumentError("lowest_cost.gain: must be in (0, 1]");
  }
  if (!(o.max_step > 1)) return absl::InvalidArgumentError("lowest_cost.max_step: must be > 1");
  return absl::OkStatus();
}

double LowestCostController::Bid(const AdGroup& g, int64_t spent_today, int64_t planned_today,
                                 int64_t now_ms) {
  if (g.bid_strategy != BidStrategy::kLowestCost) return 0;
  const double lo = static_cast<double>(auction_.lowest_cost_min_micros);
  const double hi = static_cast<double>(auction_.lowest_cost_max_micros);
  common::MutexLock lock(&mu_);
  State& s = states_[g.id];
  if (s.bid == 0) {
    s.bid = std::clamp(static_cast<double>(auction_.lowest_cost_start_micros), lo, hi);
  }
  const int64_t day = DayOf(now_ms);
  if (s.day != day) {
    // Today's spend and plan start from 0; the bid is what the group learnt of its market.
    s.day = day;
    s.updated_ms = now_ms;
    s.spent_at_update = spent_today;
    s.planned_at_update = planned_today;
    return s.bid;
  }
  if (now_ms - s.updated_ms < options_.update_ms) return s.bid;
  const double catch_up =
      std::min(1.0, static_cast<double>(now_ms - s.updated_ms) / options_.catch_up_ms);
  const double spent = static_cast<double>(spent_today - s.spent_at_update);
  const double want =
      std::max(0.0, static_cast<double>(planned_today - s.planned_at_update) +
                        catch_up * static_cast<double>(s.planned_at_update - s.spent_at_update));
  double step = 1;
  if (spent > 0) {
    step = std::pow(want / spent, options_.gain);
  } else if (want > 0) {
    step = options_.max_step;  // behind and nothing won: bid up as fast as allowed
  }
  step = std::clamp(step, 1 / options_.max_step, options_.max_step);
  s.bid = std::clamp(s.bid * step, lo, hi);
  s.updated_ms = now_ms;
  s.spent_at_update = spent_today;
  s.planned_at_update = planned_today;
  return s.bid;
}

void LowestCostController::Seed(const AdGroup& g, double bid) {
  if (g.bid_strategy != BidStrategy::kLowestCost || !(bid > 0)) return;
  common::MutexLock lock(&mu_);
  State& s = states_[g.id];
  if (s.bid != 0) return;
  s.bid = std::clamp(bid, static_cast<double>(auction_.lowest_cost_min_micros),
                     static_cast<double>(auction_.lowest_cost_max_micros));
}

}  // namespace foryou::ads
