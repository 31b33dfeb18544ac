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
      // Bid up while results come cheaper than the target, down while dearer.
      const double factor =
          d.goal_events == 0 || d.spend_micros == 0
              ? (d.goal_events == 0 ? o.cost_cap_min_factor : o.cost_cap_max_factor)
              : target * static_cast<double>(d.goal_events) / static_cast<double>(d.spend_micros);
      return target * std::clamp(factor, o.cost_cap_min_factor, o.cost_cap_max_factor);
    }
    case BidStrategy::kLowestCost: {
      // Per goal event; an impression goal bids per 1,000 impressions like a CPM.
      const double scale = g.goal == Goal::kImpression ? 1000.0 : 1.0;
      if (d.goal_events == 0) return static_cast<double>(o.lowest_cost_start_micros);
      return o.lowest_cost_headroom * scale * static_cast<double>(d.spend_micros) /
             static_cast<double>(d.goal_events);
    }
  }
  return 0;
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
