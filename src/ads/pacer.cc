// Smooth pacing and budget reservations (see pacer.h).
//
// HOW THE RATE FOLLOWS THE PLAN
// A group's plan for today starts when its pacing of the day begins (midnight, or its first
// request of the day): the rest of the day's target spread along the remaining scheduled
// traffic. At each update the group should spend the next interval's part of the plan plus
// update_ms / catch_up_ms of its gap to the plan so far (Smart Pacing's per-slot correction:
// a slot's shortfall or excess is made up within about one 15-minute slot, not spread over
// the rest of the day, so spend follows the plan slot by slot). Spend over exposure (the sum
// over past intervals of rate x traffic share, both sums decayed by 1 - smoothing per
// interval) estimates what the group would spend at rate 1 per unit of traffic; the new rate
// is the wanted spend over that estimate for the next interval. Intervals without an impression add exposure without spend, so a group with a
// few impressions an hour is estimated as well as a busy one, only more slowly. The gap term
// also corrects what the estimate gets wrong (competition that moves during the day). A
// new group starts at `start_rate` and doubles its rate each interval until its first spend.
#include "ads/pacer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace foryou::ads {

std::vector<double> DefaultTrafficCurve() {
  // Relative traffic per UTC hour of a short-video app: trough before dawn, lunch bump,
  // evening peak.
  return {3.0, 2.0, 1.5, 1.0, 1.0, 1.5, 2.5, 3.5, 4.0, 4.0, 4.5, 5.0,
          5.5, 5.0, 4.5, 4.5, 5.0, 5.5, 6.5, 7.5, 8.0, 7.5, 6.0, 4.5};
}

absl::Status Pacer::Validate(const PacerOptions& o) {
  if (o.traffic.size() != 24 && o.traffic.size() != 96) {
    return absl::InvalidArgumentError(
        absl::StrCat("pacer.traffic: 24 or 96 slots, not ", o.traffic.size()));
  }
  double sum = 0;
  for (double t : o.traffic) {
    if (!(t >= 0)) return absl::InvalidArgumentError("pacer.traffic: slots must be >= 0");
    sum += t;
  }
  if (sum <= 0) return absl::InvalidArgumentError("pacer.traffic: all slots are 0");
  if (o.update_ms <= 0) return absl::InvalidArgumentError("pacer.update_ms: must be > 0");
  if (!(o.min_rate > 0 && o.min_rate <= 1)) {
    return absl::InvalidArgumentError("pacer.min_rate: must be in (0, 1]");
  }
  if (!(o.start_rate >= o.min_rate && o.start_rate <= 1)) {
    return absl::InvalidArgumentError("pacer.start_rate: must be in [min_rate, 1]");
  }
  if (o.catch_up_ms < o.update_ms) {
    return absl::InvalidArgumentError("pacer.catch_up_ms: must be >= update_ms");
  }
  if (!(o.smoothing > 0 && o.smoothing <= 1)) {
    return absl::InvalidArgumentError("pacer.smoothing: must be in (0, 1]");
  }
  return absl::OkStatus();
}

Pacer::Pacer(Ledger* ledger, PacerOptions options) : ledger_(ledger), options_(std::move(options)) {}

double Pacer::Share(uint32_t hours, int64_t from_ms, int64_t to_ms) const {
  const int n = static_cast<int>(options_.traffic.size());
  const int64_t slot_ms = kDayMs / n;
  const int64_t day_start = from_ms - from_ms % kDayMs;
  from_ms -= day_start;
  to_ms = std::min(to_ms - day_start, kDayMs);
  double part = 0, whole = 0;
  for (int s = 0; s < n; ++s) {
    const int hour = static_cast<int>(s * slot_ms / kHourMs);
    if ((hours & (1u << hour)) == 0) continue;
    const double w = options_.traffic[s];
    whole += w;
    const int64_t lo = std::max(from_ms, s * slot_ms), hi = std::min(to_ms, (s + 1) * slot_ms);
    if (hi > lo) part += w * static_cast<double>(hi - lo) / static_cast<double>(slot_ms);
  }
  return whole > 0 ? part / whole : 0;
}

int64_t Pacer::DailyTarget(const Campaign& c, const AdGroup& g, int64_t now_ms) const {
  const Spend s = ledger_->SpentOf(c.id, g.id, now_ms);
  const int64_t today = now_ms - now_ms % kDayMs;
  // A lifetime budget: what was left at the start of today over the days left (today counted).
  auto per_day = [&](int64_t lifetime, int64_t spent_total, int64_t spent_today) {
    if (c.end_ms == 0) return kNoLimit;
    const int64_t days = std::max<int64_t>(1, (c.end_ms - today + kDayMs - 1) / kDayMs);
    return std::max<int64_t>(0, lifetime - (spent_total - spent_today)) / days;
  };
  int64_t target = kNoLimit;
  if (g.budget_mode == BudgetMode::kDaily) target = std::min(target, g.budget_micros);
  if (g.budget_mode == BudgetMode::kLifetime) {
    target = std::min(target, per_day(g.budget_micros, s.group_total, s.group_day));
  }
  if (c.budget_mode == BudgetMode::kDaily) target = std::min(target, c.budget_micros);
  if (c.budget_mode == BudgetMode::kLifetime) {
    target = std::min(target, per_day(c.budget_micros, s.campaign_total, s.campaign_day));
  }
  return target;
}

int64_t Pacer::PlannedSpend(const Campaign& c, const AdGroup& g, int64_t from_ms,
                            int64_t to_ms) const {
  const int64_t target = DailyTarget(c, g, from_ms);
  if (target == kNoLimit || to_ms <= from_ms) return 0;
  return static_cast<int64_t>(static_cast<double>(target) * Share(g.hours, from_ms, to_ms));
}

double Pacer::PassRate(const Campaign& c, const AdGroup& g, int64_t now_ms) {
  if (g.pacing == Pacing::kFast) return 1;
  const int64_t target = DailyTarget(c, g, now_ms);
  if (target == kNoLimit) return 1;
  const int64_t spent = ledger_->SpentOf(c.id, g.id, now_ms).group_day;
  const int64_t day = DayOf(now_ms);
  common::MutexLock lock(&mu_);
  Pace& p = paces_[g.id];
  if (p.rate == 0) p.rate = options_.start_rate;
  if (p.day != day) {
    // A new day keeps what the group learnt of its traffic (its rate and full-rate spend).
    p.day = day;
    p.updated_ms = now_ms;
    p.spent_at_update = spent;
    p.plan_from_ms = now_ms;
    p.plan_spent0 = spent;
  }
  if (spent >= target) return 0;
  if (now_ms - p.updated_ms < options_.update_ms) return p.rate;
  const int64_t day_end = (day + 1) * kDayMs;
  const double next_share = Share(g.hours, now_ms, now_ms + options_.update_ms);
  const double last_share = Share(g.hours, p.updated_ms, now_ms);
  const int64_t spent_last = spent - p.spent_at_update;
  double rate = p.rate;
  if (last_share > 0) {
    // Spend per unit of traffic share at rate 1: spend over exposure (rate x share), both
    // decayed sums over past intervals, so intervals without a single impression count too.
    const double keep = 1 - options_.smoothing;
    p.spend_sum = keep * p.spend_sum + static_cast<double>(spent_last);
    p.exposure_sum = keep * p.exposure_sum + p.rate * last_share;
  }
  // Today's plan: from where the group stood when today's pacing began, the rest of the
  // target along the remaining scheduled traffic.
  const double plan_whole = Share(g.hours, p.plan_from_ms, day_end);
  const double planned_now =
      plan_whole > 0 ? static_cast<double>(p.plan_spent0) +
                           static_cast<double>(target - p.plan_spent0) *
                               Share(g.hours, p.plan_from_ms, now_ms) / plan_whole
                     : static_cast<double>(target);
  if (p.spend_sum > 0 && p.exposure_sum > 0 && next_share > 0) {
    const double full_per_share = p.spend_sum / p.exposure_sum;
    // The next interval's part of the plan, plus a part of the gap to the plan so far: a
    // shortfall or excess is made up within `catch_up_ms`, inside the slot it happened in,
    // rather than spread over the rest of the day.
    const double catch_up =
        std::min(1.0, static_cast<double>(options_.update_ms) / options_.catch_up_ms);
    const double planned_next =
        static_cast<double>(target - p.plan_spent0) * next_share / std::max(plan_whole, 1e-12);
    const double want = std::clamp(planned_next + catch_up * (planned_now - spent), 0.0,
                                   static_cast<double>(target - spent));
    rate = want / (full_per_share * next_share);
  } else if (last_share > 0) {
    rate = p.rate * 2;  // nothing spent yet, no estimate: open up
  }
  p.rate = std::clamp(rate, options_.min_rate, 1.0);
  p.updated_ms = now_ms;
  p.spent_at_update = spent;
  return p.rate;
}

int64_t Pacer::BudgetLeft(const Campaign& c, const AdGroup& g, int64_t now_ms) const {
  common::MutexLock lock(&mu_);
  return BudgetLeftLocked(c, g, now_ms);
}

// Reads the ledger's spend under mu_ (the lock order is always mu_, then the ledger's): a
// settle appends to the ledger before it releases its hold, so no reader under mu_ can see the
// hold gone without the spend that replaced it.
int64_t Pacer::BudgetLeftLocked(const Campaign& c, const AdGroup& g, int64_t now_ms) const {
  const BudgetLimits l = LimitsOf(c, g);
  const Spend s = ledger_->SpentOf(c.id, g.id, now_ms);
  auto reserved = [](const absl::flat_hash_map<std::string, int64_t>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? int64_t{0} : it->second;
  };
  const int64_t rg = reserved(reserved_group_, g.id), rc = reserved(reserved_campaign_, c.id);
  int64_t left = kNoLimit;
  auto bound = [&](int64_t limit, int64_t spent, int64_t held) {
    if (limit != kNoLimit) left = std::min(left, std::max<int64_t>(0, limit - spent - held));
  };
  bound(l.group_daily, s.group_day, rg);
  bound(l.group_lifetime, s.group_total, rg);
  bound(l.campaign_daily, s.campaign_day, rc);
  bound(l.campaign_lifetime, s.campaign_total, rc);
  return left;
}

absl::StatusOr<Reservation> Pacer::Reserve(const Campaign& c, const AdGroup& g, int64_t amount,
                                           int64_t now_ms) {
  if (amount < 0) return absl::InvalidArgumentError("reserve: amount must be >= 0");
  // The check and the hold under one lock: two requests cannot both take the last of a budget.
  common::MutexLock lock(&mu_);
  const int64_t left = BudgetLeftLocked(c, g, now_ms);
  if (amount > left) {
    return absl::ResourceExhaustedError(
        absl::StrCat("ad group ", g.id, ": ", amount, " micros do not fit in the ", left, " left"));
  }
  Reservation r{.id = next_id_++, .campaign = c.id, .ad_group = g.id, .amount = amount,
                .limits = LimitsOf(c, g)};
  live_.insert(r.id);
  reserved_group_[g.id] += amount;
  reserved_campaign_[c.id] += amount;
  return r;
}

absl::StatusOr<bool> Pacer::Settle(const Reservation& r, const LedgerEntry& e) {
  if (e.charge_micros > r.amount) {
    return absl::InvalidArgumentError(absl::StrCat("settle: charge ", e.charge_micros,
                                                   " is more than the ", r.amount, " reserved"));
  }
  absl::StatusOr<bool> appended = ledger_->Append(e, r.limits);
  Release(r);
  return appended;
}

void Pacer::Release(const Reservation& r) {
  common::MutexLock lock(&mu_);
  if (!live_.erase(r.id)) return;  // released already
  if ((reserved_group_[r.ad_group] -= r.amount) <= 0) reserved_group_.erase(r.ad_group);
  if ((reserved_campaign_[r.campaign] -= r.amount) <= 0) reserved_campaign_.erase(r.campaign);
}

}  // namespace foryou::ads
