// The auction of one ad slot (see auction.h).
//
// HOW THE PRICE IS SET
// Values are per impression, so candidates billed per click, per view and per 1,000 impressions
// compare on one scale. The winner W needs value V* = max(runner-up value, reserve) to win; its
// bid part must then be at least V* - experience(W), which is a price per goal event of
// (V* - experience(W)) / p(W). A Bid Cap CPC winner pays that per click; an impression-billed
// winner (CPM, oCPM, Lowest Cost) pays V* - experience(W) per impression, which in expectation is
// the same. Both are capped at what W offered, so the price never passes the bid.
#include "ads/auction.h"

#include <algorithm>
#include <cmath>

namespace foryou::ads {
namespace {

constexpr absl::string_view kVerdicts[] = {
    "eligible", "paused",   "not_approved", "outside_dates", "outside_hours",
    "placement", "targeting", "hidden_advertiser", "frequency_cap", "budget",
    "paced",    "repeat",   "no_value"};

bool BilledPerImpression(const AdGroup& g) { return BilledEvent(g) == Goal::kImpression; }

// Expected bid value per impression of `g` (no experience term).
double BidValue(const AdGroup& g, double bid, double p) {
  if (g.goal == Goal::kImpression) return bid / 1000.0;
  return bid * p;
}

}  // namespace

absl::string_view Name(Verdict v) { return kVerdicts[static_cast<int>(v)]; }

GroupDelivery DeliveryOf(const Ledger& ledger, const AdGroup& g, int64_t now_ms) {
  return GroupDelivery{.goal_events = ledger.Events(g.id, GoalKind(g.goal)),
                       .spend_micros = ledger.SpentOf(g.campaign, g.id, now_ms).group_total};
}

bool Learning(const AuctionOptions& o, const AdGroup& g, const GroupDelivery& d, int64_t now_ms) {
  return d.goal_events < o.learning_events && now_ms - g.created_ms < o.learning_ms;
}

double EffectiveBid(const AuctionOptions& o, const AdGroup& g, const GroupDelivery& d,
                    int64_t now_ms) {
  switch (g.bid_strategy) {
    case BidStrategy::kBidCap:
      return static_cast<double>(g.bid_micros);
    case BidStrategy::kCostCap: {
      const double target = static_cast<double>(g.bid_micros);
      if (Learning(o, g, d, now_ms)) return target;
      if (d.cost_cap_factor > 0) {
        return target * std::clamp(d.cost_cap_factor, o.cost_cap_min_factor,
                                   o.cost_cap_max_factor);
      }
      // Bid up while results come cheaper than the target, down while dearer.
      const double factor =
          d.goal_events == 0 || d.spend_micros == 0
              ? (d.goal_events == 0 ? o.cost_cap_min_factor : o.cost_cap_max_factor)
              : target * static_cast<double>(d.goal_events) / static_cast<double>(d.spend_micros);
      return target * std::clamp(factor, o.cost_cap_min_factor, o.cost_cap_max_factor);
    }
    case BidStrategy::kLowestCost: {
      // Per goal event; an impression goal bids per 1,000 impressions like a CPM.
      if (d.lowest_cost_bid > 0) return d.lowest_cost_bid;
      const double scale = g.goal == Goal::kImpression ? 1000.0 : 1.0;
      if (d.goal_events == 0) return static_cast<double>(o.lowest_cost_start_micros);
      return o.lowest_cost_headroom * scale * static_cast<double>(d.spend_micros) /
             static_cast<double>(d.goal_events);
    }
  }
  return 0;
}

absl::Status CostCapController::Validate(const CostCapOptions& o) {
  if (o.update_ms <= 0) return absl::InvalidArgumentError("cost_cap.update_ms: must be > 0");
  if (!(o.gain > 0 && o.gain <= 1)) {
    return absl::InvalidArgumentError("cost_cap.gain: must be in (0, 1]");
  }
  if (o.min_events < 1) return absl::InvalidArgumentError("cost_cap.min_events: must be >= 1");
  return absl::OkStatus();
}

double CostCapController::Factor(const AdGroup& g, const GroupDelivery& d, int64_t now_ms) {
  if (g.bid_strategy != BidStrategy::kCostCap) return 0;
  const bool learning = Learning(auction_, g, d, now_ms);
  common::MutexLock lock(&mu_);
  State& s = states_[g.id];
  if (learning) {
    s = State{};
    return 1;
  }
  if (!s.learned) {
    // Learning ended: the CPA from here on is what the controller answers for.
    s.learned = true;
    s.events0 = d.goal_events;
    s.spend0 = d.spend_micros;
    s.updated_ms = now_ms;
    return s.factor;
  }
  if (now_ms - s.updated_ms < options_.update_ms) return s.factor;
  s.updated_ms = now_ms;
  const int64_t events = d.goal_events - s.events0;
  const int64_t spend = d.spend_micros - s.spend0;
  if (events < options_.min_events || spend <= 0) return s.factor;
  // Integral action: the factor keeps moving while the CPA since learning is off the target.
  const double cpa = static_cast<double>(spend) / static_cast<double>(events);
  const double step = std::pow(static_cast<double>(g.bid_micros) / cpa, options_.gain);
  s.factor = std::clamp(s.factor * step, auction_.cost_cap_min_factor,
                        auction_.cost_cap_max_factor);
  return s.factor;
}

absl::Status ReserveController::Validate(const ReserveOptions& o) {
  if (!(o.max_cost > 0 && o.max_cost <= 1)) {
    return absl::InvalidArgumentError("reserve.max_cost: must be in (0, 1]");
  }
  if (!(o.setpoint > 0 && o.setpoint <= 1)) {
    return absl::InvalidArgumentError("reserve.setpoint: must be in (0, 1]");
  }
  if (o.update_ms <= 0) return absl::InvalidArgumentError("reserve.update_ms: must be > 0");
  if (!(o.decay > 0 && o.decay < 1)) {
    return absl::InvalidArgumentError("reserve.decay: must be in (0, 1)");
  }
  if (!(o.gain > 0)) return absl::InvalidArgumentError("reserve.gain: must be > 0");
  if (!(o.max_multiplier >= 1)) {
    return absl::InvalidArgumentError("reserve.max_multiplier: must be >= 1");
  }
  return absl::OkStatus();
}

void ReserveController::ObserveSlot(double organic_likes, double organic_long_views,
                                    int32_t items) {
  common::MutexLock lock(&mu_);
  organic_.like += organic_likes;
  organic_.long_view += organic_long_views;
  organic_.items += items;
}

void ReserveController::ObserveAd(double like, double long_view) {
  common::MutexLock lock(&mu_);
  ads_.like += like;
  ads_.long_view += long_view;
  ads_.items += 1;
}

double ReserveController::Multiplier(int64_t now_ms) {
  common::MutexLock lock(&mu_);
  if (updated_ms_ < 0) updated_ms_ = now_ms;
  if (now_ms - updated_ms_ < options_.update_ms) return multiplier_;
  updated_ms_ = now_ms;
  if (organic_.items > 0 && organic_.like > 0 && organic_.long_view > 0) {
    const double organic_items = organic_.items, all_items = organic_.items + ads_.items;
    auto cost = [organic_items, all_items](double organic, double ads) {
      const double without = organic / organic_items;
      const double with = (organic + ads) / all_items;
      return 1 - with / without;
    };
    const double worst = std::max(cost(organic_.like, ads_.like),
                                  cost(organic_.long_view, ads_.long_view));
    const double error = (worst - options_.max_cost * options_.setpoint) / options_.max_cost;
    multiplier_ = std::clamp(multiplier_ * std::exp(options_.gain * error), 1.0,
                             options_.max_multiplier);
  }
  // The window: older slots weigh less each update.
  for (Sums* s : {&organic_, &ads_}) {
    s->like *= options_.decay;
    s->long_view *= options_.decay;
    s->items *= options_.decay;
  }
  return multiplier_;
}

Verdict Check(const AuctionRequest& req, const AdCandidate& c) {
  const Campaign& campaign = *c.campaign;
  const AdGroup& g = *c.group;
  const Ad& ad = *c.ad;
  if (campaign.paused || g.paused || ad.paused) return Verdict::kPaused;
  if (ad.approval != Approval::kApproved) return Verdict::kNotApproved;
  if (req.now_ms < campaign.start_ms || (campaign.end_ms != 0 && req.now_ms >= campaign.end_ms)) {
    return Verdict::kOutsideDates;
  }
  const int hour = static_cast<int>((req.now_ms % kDayMs) / kHourMs);
  if ((g.hours & (1u << hour)) == 0) return Verdict::kOutsideHours;
  if (std::find(g.placements.begin(), g.placements.end(), req.placement) == g.placements.end()) {
    return Verdict::kPlacement;
  }
  if (req.hidden_accounts != nullptr && req.hidden_accounts->contains(campaign.account)) {
    return Verdict::kHiddenAdvertiser;
  }
  if (ad.id == req.previous_ad || (!c.creator.empty() && c.creator == req.previous_creator) ||
      (!c.sound.empty() && c.sound == req.previous_sound)) {
    return Verdict::kRepeat;
  }
  if (g.frequency_cap.impressions > 0 && c.recent_impressions >= g.frequency_cap.impressions) {
    return Verdict::kFrequencyCap;
  }
  if (req.viewer != nullptr && !Matches(g.targeting, *req.viewer)) return Verdict::kTargeting;
  if (c.budget_left_micros <= 0) return Verdict::kBudget;
  if (!c.paced_in) return Verdict::kPaced;
  return Verdict::kEligible;
}

AuctionResult RunAuction(const AuctionOptions& o, const AuctionRequest& req,
                         absl::Span<const AdCandidate> candidates) {
  AuctionResult r;
  r.verdicts.resize(candidates.size());
  double best = -INFINITY, second = -INFINITY;
  double best_bid_value = 0, best_bid = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const AdCandidate& c = candidates[i];
    Verdict v = Check(req, c);
    double bid = 0, bid_value = 0;
    // A prediction that is not a number cannot be ranked: the candidate sits out.
    if (v == Verdict::kEligible && (!std::isfinite(c.p_action) || !std::isfinite(c.experience_micros))) {
      v = Verdict::kNoValue;
    }
    if (v == Verdict::kEligible) {
      bid = EffectiveBid(o, *c.group, c.delivery, req.now_ms);
      const double p = std::clamp(c.p_action, 0.0, 1.0);
      bid_value = BidValue(*c.group, bid, p);
      // An ad that cannot pay for one billed event from what is left of its budget sits out.
      const double max_charge = BilledPerImpression(*c.group) ? std::ceil(bid_value) : bid;
      if (bid_value <= 0) v = Verdict::kNoValue;
      else if (max_charge > static_cast<double>(c.budget_left_micros)) v = Verdict::kBudget;
    }
    r.verdicts[i] = v;
    if (v != Verdict::kEligible) continue;
    ++r.eligible;
    const double value = bid_value + c.experience_micros;
    if (value > best) {
      second = best;
      best = value;
      r.winner = static_cast<int>(i);
      best_bid_value = bid_value;
      best_bid = bid;
    } else if (value > second) {
      second = value;
    }
  }
  if (r.winner < 0 || !std::isfinite(req.reserve_micros) || best <= req.reserve_micros) {
    r.winner = -1;
    return r;
  }
  const AdCandidate& w = candidates[r.winner];
  r.winner_value = best;
  r.runner_up_value = std::max(second, req.reserve_micros);
  // The bid value the winner needed, within [0, what it offered].
  const double needed = std::clamp(r.runner_up_value - w.experience_micros, 0.0, best_bid_value);
  r.billed = BilledEvent(*w.group);
  if (r.billed == Goal::kImpression) {
    r.charge_micros = static_cast<int64_t>(std::floor(needed));
  } else {
    const double p = std::clamp(w.p_action, 0.0, 1.0);
    const double per_event = p > 0 ? needed / p : best_bid;
    r.charge_micros = static_cast<int64_t>(std::floor(std::min(per_event, best_bid)));
  }
  return r;
}

}  // namespace foryou::ads
