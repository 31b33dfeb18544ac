// One simulated day of ad traffic (see ads_simulation.h).
//
// HOW IT RUNS. Minute by minute through one UTC day, the day's slot opportunities (the traffic
// curve's share of `slots_per_day`) each bring a viewer (a country, interests, an engagement
// multiplier) and the organic item the slot would show. At each minute every group's pass rate
// (Pacer::PassRate, which moves at most once a minute), delivery (BidControllers: DeliveryOf
// with the Cost Cap factor or the Lowest Cost bid, as the feed's ad stage computes them) and
// budget left are read once, as a server would cache them; the budget left then shrinks by
// every hold the group takes within the minute. The groups whose targeting matches the viewer
// and whose draw passes the rate become candidates with their true rates as the model's
// predictions; the auction runs against the organic item's value times
// the reserve controller's multiplier; the winner's charge is reserved. An impression-billed
// win settles at once; a CPC win holds its charge until its click arrives (0.5-5 minutes later,
// or never: the hold is released after 5 minutes). Clicks lead to conversions 1-60 minutes later
// (attributed by the ledger), which Cost Cap groups optimise for. Everything billed goes
// through Pacer::Settle / Ledger::Append, so budgets are checked exactly as in serving.
#include "ads/ads_simulation.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <deque>
#include <limits>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ads/ads_store.h"
#include "ads/auction.h"
#include "ads/ledger.h"
#include "ads/bid_controllers.h"
#include "ads/pacer.h"
#include "common/status_macros.h"

namespace foryou::ads {
namespace {

constexpr int64_t kDay0 = 1'700'006'400'000;  // 2023-11-15 00:00 UTC
constexpr int64_t kMinuteMs = 60'000;
constexpr int kCountries = 5;
// Viewers per country (a large market, a second, three smaller ones).
constexpr double kCountryShare[kCountries] = {0.35, 0.25, 0.18, 0.13, 0.09};
constexpr const char* kCountryCode[kCountries] = {"US", "BR", "ID", "GB", "DE"};
constexpr int kInterests = 8;
constexpr double kInterestRate = 0.3;  // a viewer engages with each interest with this chance
constexpr double kMedianCtr = 0.01;
// Bids: a median value per impression of $20 CPM, log-normal with this sigma.
constexpr double kMedianValueMicros = 20'000;
constexpr double kBidSigma = 0.5;
constexpr double kBudgetSigma = 1.0;  // the spread of budgets, beyond reach
// The day's budgets together would buy this share of the slots at the median value.
constexpr double kDemandShare = 0.6;

constexpr double kOrganicLike = 0.06, kOrganicLongView = 0.35, kHate = 0.01;
constexpr int kOrganicPerSlot = 10;  // the default ad load: a slot per 10 organic items

enum class Kind { kCpm, kCpc, kOcpm };  // how the overspend figures group the strategies

struct Group {
  Campaign campaign;
  AdGroup group;
  Ad ad;
  Kind kind = Kind::kCpm;
  int country = -1;  // -1: everyone
  uint32_t interests = 0;  // bits of kInterests; 0: everyone
  double ctr = 0, cvr = 0, like = 0, long_view = 0;  // true rates per impression / click
  bool lifetime = false;
  // What the day did.
  std::vector<int64_t> slot_spend = std::vector<int64_t>(96, 0);
  std::vector<int64_t> slot_impressions = std::vector<int64_t>(96, 0);
  int64_t exhausted_ms = -1;
  int64_t goal_events = 0, spend = 0;
  std::unique_ptr<CpaAfterLearning> cpa;  // Cost Cap's figure
};

// A late event: a click, a conversion or a CPC hold's expiry.
struct Pending {
  int64_t time_ms = 0;
  enum Type { kClick, kConversion, kExpire } type = kClick;
  size_t group = 0;
  std::string user, impression_id;
  int64_t shown_ms = 0;  // the impression's time
  Reservation hold;
  bool held = false;
  double cvr = 0;
};

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string Fixed(double v) {
  if (std::isnan(v)) return "nan";
  return absl::StrFormat("%.2f", v);
}

}  // namespace

void CpaAfterLearning::Result(int64_t shown_ms, int64_t now_ms) {
  ++results_;
  if (learned_ms_ >= 0 && shown_ms >= learned_ms_) ++results_after_;
  if (learned_ms_ < 0 && results_ >= learning_events_) {
    learned_ms_ = now_ms;
    learned_spend_ = spend_;
  }
}

double CpaAfterLearning::Cpa() const {
  if (results_after_ == 0) return NAN;
  return static_cast<double>(spend_ - learned_spend_) / static_cast<double>(results_after_);
}

absl::StatusOr<std::vector<double>> ParseTrafficCurve(const std::string& text) {
  std::vector<double> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    double v = 0;
    if (!absl::SimpleAtod(line, &v) || !std::isfinite(v) || v < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("traffic curve: line ", line_no, ": not a non-negative number"));
    }
    out.push_back(v);
  }
  FORYOU_RETURN_IF_ERROR(Pacer::Validate(PacerOptions{.traffic = out}));
  return out;
}

std::string AdsSimResult::Line() const {
  return absl::StrCat(
      "ads_sim overspend_daily_cpm_pct=", Fixed(overspend_daily_cpm_pct),
      " overspend_daily_cpc_pct=", Fixed(overspend_daily_cpc_pct),
      " overspend_daily_ocpm_pct=", Fixed(overspend_daily_ocpm_pct),
      " overspend_lifetime_pct=", Fixed(overspend_lifetime_pct),
      " pacing_err_15min_pct=", Fixed(pacing_err_15min_pct), " life_share=", Fixed(life_share),
      " costcap_cpa_err_pct=", Fixed(costcap_cpa_err_pct),
      " like_rate_cost_pct=", Fixed(like_rate_cost_pct),
      " long_view_rate_cost_pct=", Fixed(long_view_rate_cost_pct));
}

std::string AdsSimResult::Report() const {
  return absl::StrCat(
      "slots ", slots, ", ads shown ", ads_shown, " (", Fixed(100.0 * ads_shown / std::max<int64_t>(1, slots)),
      "%), spend ", Fixed(spend_micros / 1e6), " of budgets ", Fixed(budget_micros / 1e6),
      ", billed events refused for budget (free) ", free_events,
      ", median group's spend / daily budget ", Fixed(median_spend_share), "\n",
      "pacing error per 15 min: median over ", paced_groups_measured,
      " smooth groups with >= 100 impressions a slot\n",
      "Cost Cap CPA error: median over ", costcap_groups_measured,
      " groups past learning (target - actual) / target\n", details);
}

absl::StatusOr<AdsSimResult> RunAdsSimulation(const AdsSimOptions& o, std::ostream& progress) {
  if (o.groups < 1 || o.viewers < 1 || o.slots_per_day < 1) {
    return absl::InvalidArgumentError("ads simulation: groups, viewers and slots must be >= 1");
  }
  PacerOptions pacer_options;
  if (!o.traffic.empty()) pacer_options.traffic = o.traffic;
  FORYOU_RETURN_IF_ERROR(Pacer::Validate(pacer_options));
  const std::vector<double>& curve = pacer_options.traffic;

  const bool temp = o.dir.empty();
  const std::string dir =
      temp ? (std::filesystem::temp_directory_path() / absl::StrCat("foryou_ads_sim_", ::getpid()))
                 .string()
           : o.dir;
  if (temp) std::filesystem::remove_all(dir);
  struct Cleanup {
    std::string dir;
    bool on;
    ~Cleanup() {
      std::error_code ec;
      if (on) std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir, temp};
  FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<AdsStore> store, AdsStore::Open(dir, /*sync=*/false));
  Ledger ledger(store.get(), /*sync=*/false);
  FORYOU_RETURN_IF_ERROR(ledger.Load());
  Pacer pacer(&ledger, pacer_options);

  // ---- The advertisers: mixed strategies, budgets, pacing and audiences ----
  // Where the numbers come from: docs/experiments/ads_sim.md.
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  auto log_uniform = [&](double lo, double hi) { return lo * std::pow(hi / lo, u01(rng)); };
  auto log_normal = [&](double median, double sigma) {
    return median * std::exp(sigma * normal(rng));
  };
  auto pick_country = [&] {
    double x = u01(rng);
    for (int c = 0; c < kCountries - 1; ++c) {
      if ((x -= kCountryShare[c]) < 0) return c;
    }
    return kCountries - 1;
  };
  std::deque<Group> groups;
  std::vector<double> weight;  // each group's budget weight: reach x a log-normal size
  for (int i = 0; i < o.groups; ++i) {
    Group& G = groups.emplace_back();
    const std::string n = std::to_string(i);
    FORYOU_RETURN_IF_ERROR(store->PutAccount({"a" + n, "Advertiser " + n, "owner" + n}));
    G.campaign.id = "c" + n;
    G.campaign.account = "a" + n;
    G.campaign.name = "Campaign";
    AdGroup& g = G.group;
    g.id = "g" + n;
    g.campaign = G.campaign.id;
    g.name = "Group";
    g.created_ms = kDay0;
    g.pacing = u01(rng) < 0.75 ? Pacing::kSmooth : Pacing::kFast;
    g.budget_mode = BudgetMode::kDaily;
    // Audience: 40% everywhere, else one country (advertisers go where the viewers are); half
    // of the groups also name one or two interests.
    G.country = u01(rng) < 0.4 ? -1 : pick_country();
    if (G.country >= 0) g.targeting.countries = {kCountryCode[G.country]};
    if (u01(rng) < 0.5) {
      const int k = u01(rng) < 0.5 ? 1 : 2;
      while (std::popcount(G.interests) < k) G.interests |= 1u << (rng() % kInterests);
      for (int b = 0; b < kInterests; ++b) {
        if (G.interests & (1u << b)) g.targeting.interests.push_back(absl::StrCat("topic", b));
      }
    }
    const double reach = (G.country < 0 ? 1.0 : kCountryShare[G.country]) *
                         (G.interests == 0 ? 1.0 : 1 - std::pow(1 - kInterestRate, std::popcount(G.interests)));
    G.ctr = std::clamp(log_normal(kMedianCtr, 0.5), 0.001, 0.1);
    G.cvr = log_uniform(0.05, 0.2);
    G.like = kOrganicLike * log_uniform(0.3, 1.3);
    G.long_view = kOrganicLongView * log_uniform(0.5, 1.2);
    // Bids: log-normal around one median value per impression, whatever the strategy.
    const double value = log_normal(kMedianValueMicros, kBidSigma);  // per impression
    const double kind = u01(rng);
    if (kind < 0.35) {  // CPM, Bid Cap
      g.bid_strategy = BidStrategy::kBidCap;
      g.goal = Goal::kImpression;
      g.bid_micros = static_cast<int64_t>(value * 1000);
      G.kind = Kind::kCpm;
    } else if (kind < 0.55) {  // CPC, Bid Cap
      g.bid_strategy = BidStrategy::kBidCap;
      g.goal = Goal::kClick;
      g.bid_micros = static_cast<int64_t>(value / kMedianCtr);
      G.kind = Kind::kCpc;
    } else if (kind < 0.85) {  // oCPM, Cost Cap on clicks or conversions
      g.bid_strategy = BidStrategy::kCostCap;
      g.goal = u01(rng) < 0.5 ? Goal::kClick : Goal::kConversion;
      const double per_click = value / kMedianCtr;
      g.bid_micros = static_cast<int64_t>(g.goal == Goal::kClick ? per_click : per_click / G.cvr);
      G.kind = Kind::kOcpm;
    } else {  // Lowest Cost, billed per impression
      g.bid_strategy = BidStrategy::kLowestCost;
      g.goal = Goal::kClick;
      g.bid_micros = 0;
      G.kind = Kind::kCpm;
    }
    weight.push_back(reach * log_normal(1.0, kBudgetSigma));
  }
  // Budgets sized to the traffic: together they would buy kDemandShare of the day's slots at
  // the median value, split by reach x size, never under the minimum.
  double weight_sum = 0;
  for (double w : weight) weight_sum += w;
  const double demand = kDemandShare * static_cast<double>(o.slots_per_day) * kMedianValueMicros;
  for (int i = 0; i < o.groups; ++i) {
    Group& G = groups[i];
    AdGroup& g = G.group;
    g.budget_micros = std::max<int64_t>(o.min_daily_budget_micros,
                                        static_cast<int64_t>(demand * weight[i] / weight_sum));
    if (i % 10 == 9) {
      // A lifetime budget on the campaign: half end tonight, half in three days.
      G.lifetime = true;
      G.campaign.budget_mode = BudgetMode::kLifetime;
      G.campaign.budget_micros = g.budget_micros * (i % 20 == 19 ? 3 : 1);
      G.campaign.end_ms = kDay0 + (i % 20 == 19 ? 3 : 1) * kDayMs;
      g.budget_mode = BudgetMode::kLifetime;
      g.budget_micros = G.campaign.budget_micros;
    }
    FORYOU_RETURN_IF_ERROR(store->PutCampaign(G.campaign));
    FORYOU_RETURN_IF_ERROR(store->PutAdGroup(g));
    const std::string n = std::to_string(i);
    G.ad.id = "d" + n;
    G.ad.ad_group = g.id;
    G.ad.name = "Ad";
    G.ad.video = "video" + n;
    G.ad.landing_url = "https://shop.example/";
    G.ad.approval = Approval::kApproved;
    FORYOU_RETURN_IF_ERROR(store->PutAd(G.ad));
  }
  struct Viewer {
    int country = 0;
    uint32_t interests = 0;
    double mult = 1;  // engagement
  };
  std::vector<Viewer> viewers(o.viewers);
  std::lognormal_distribution<double> engagement(0.0, 0.4);
  for (Viewer& v : viewers) {
    v.country = pick_country();
    for (int b = 0; b < kInterests; ++b) {
      if (u01(rng) < kInterestRate) v.interests |= 1u << b;
    }
    v.mult = engagement(rng);
  }

  // ---- The day ----
  AdsSimResult r;
  std::map<int64_t, std::vector<Pending>> late;  // by minute
  double like_with = 0, like_without = 0, long_with = 0, long_without = 0;
  double items_with = 0, items_without = 0;
  int64_t event_n = 0;
  const double curve_sum = [&] {
    double s = 0;
    for (double v : curve) s += v;
    return s;
  }();
  const int minutes_per_slot = 1440 / static_cast<int>(curve.size());
  const AuctionOptions auction;
  // The Cost Cap factor and the Lowest Cost bid, as the feed's ad stage computes them.
  BidControllers bids(auction, BidControllerOptions{}, &ledger, &pacer);
  ReserveController reserve(o.reserve);
  auto slot_of = [](int64_t t) { return static_cast<int>(((t - kDay0) / (15 * kMinuteMs)) % 96); };
  auto count_billed = [&](Group& G, int64_t charge, int64_t t) {
    G.spend += charge;
    G.cpa->Spend(charge);
    if (t < kDay0 + kDayMs) G.slot_spend[slot_of(t)] += charge;
    const int64_t target = pacer.DailyTarget(G.campaign, G.group, t);
    if (G.exhausted_ms < 0 && target != kNoLimit &&
        static_cast<double>(ledger.SpentOf(G.campaign.id, G.group.id, t).group_day) >=
            0.99 * static_cast<double>(target)) {
      G.exhausted_ms = t;
    }
  };
  for (Group& G : groups) G.cpa = std::make_unique<CpaAfterLearning>(auction.learning_events);
  auto goal_event = [&](Group& G, int64_t shown_ms, int64_t t) {
    ++G.goal_events;
    G.cpa->Result(shown_ms, t);
  };
  auto run_late = [&](const Pending& p) -> absl::Status {
    Group& G = groups[p.group];
    if (p.type == Pending::kExpire) {
      pacer.Release(p.hold);
      return absl::OkStatus();
    }
    if (p.type == Pending::kConversion) {
      absl::StatusOr<LedgerEntry> e = ledger.RecordConversion(
          {.event_id = absl::StrCat("v", ++event_n), .click_id = p.impression_id, .type = "buy",
           .time_ms = p.time_ms});
      FORYOU_RETURN_IF_ERROR(e.status());
      if (!e->attributed_to.empty() && G.group.goal == Goal::kConversion) {
        goal_event(G, p.shown_ms, p.time_ms);
      }
      return absl::OkStatus();
    }
    LedgerEntry click{.event_id = absl::StrCat("k", ++event_n), .kind = EventKind::kClick,
                           .user = p.user, .account = G.campaign.account,
                           .campaign = G.campaign.id, .ad_group = G.group.id, .ad = G.ad.id,
                           .time_ms = p.time_ms};
    absl::StatusOr<bool> added = false;
    if (p.held) {
      click.charge_micros = p.hold.amount;
      added = pacer.Settle(p.hold, click);
      if (absl::IsResourceExhausted(added.status())) {
        ++r.free_events;
        pacer.Release(p.hold);
        click.charge_micros = 0;
        added = ledger.Append(click, BudgetLimits{});
      } else if (added.ok()) {
        count_billed(G, click.charge_micros, p.time_ms);
      }
    } else {
      added = ledger.Append(click, BudgetLimits{});
    }
    FORYOU_RETURN_IF_ERROR(added.status());
    if (G.group.goal == Goal::kClick) goal_event(G, p.shown_ms, p.time_ms);
    if (u01(rng) < p.cvr) {
      Pending conv{.time_ms = p.time_ms + static_cast<int64_t>(log_uniform(1, 60) * kMinuteMs),
                   .type = Pending::kConversion, .group = p.group, .user = p.user,
                   .impression_id = click.event_id, .shown_ms = p.shown_ms};
      late[conv.time_ms / kMinuteMs].push_back(std::move(conv));
    }
    return absl::OkStatus();
  };
  auto drain = [&](int64_t until_minute) -> absl::Status {
    while (!late.empty() && late.begin()->first <= until_minute) {
      std::vector<Pending> batch = std::move(late.begin()->second);
      late.erase(late.begin());
      for (const Pending& p : batch) FORYOU_RETURN_IF_ERROR(run_late(p));
    }
    return absl::OkStatus();
  };

  std::vector<AdCandidate> candidates;
  std::vector<size_t> index_of;
  // Per group, read once a minute: pass rate, delivery, budget left (less the minute's holds).
  const size_t n_groups = groups.size();
  std::vector<double> rate(n_groups, 0);
  std::vector<GroupDelivery> delivery(n_groups);
  std::vector<int64_t> left(n_groups, 0);
  std::vector<double> bid(n_groups, 0);  // EffectiveBid
  double share = 0;
  int64_t issued = 0;
  for (int minute = 0; minute < 1440; ++minute) {
    const int64_t minute_ms = kDay0 + minute * kMinuteMs;
    FORYOU_RETURN_IF_ERROR(drain(minute_ms / kMinuteMs));
    for (size_t gi = 0; gi < n_groups; ++gi) {
      Group& G = groups[gi];
      rate[gi] = pacer.PassRate(G.campaign, G.group, minute_ms);
      if (rate[gi] <= 0) continue;
      delivery[gi] = bids.Delivery(G.campaign, G.group, minute_ms);
      left[gi] = pacer.BudgetLeft(G.campaign, G.group, minute_ms);
      bid[gi] = EffectiveBid(auction, G.group, delivery[gi], minute_ms);
      if (G.group.pacing == Pacing::kSmooth) {
        // The pacer's quick stop at today's target, for the minute's holds.
        const int64_t target = pacer.DailyTarget(G.campaign, G.group, minute_ms);
        const int64_t spent = ledger.SpentOf(G.campaign.id, G.group.id, minute_ms).group_day;
        left[gi] = std::min(left[gi], std::max<int64_t>(0, target - spent));
      }
    }
    const double reserve_multiplier = reserve.Multiplier(minute_ms);
    // The day's slots so far along the curve, rounded: the whole day has exactly slots_per_day.
    share += curve[minute / minutes_per_slot] / curve_sum / minutes_per_slot;
    const int64_t due = std::llround(static_cast<double>(o.slots_per_day) * share);
    const int64_t slots = due - issued;
    issued = due;
    for (int64_t s = 0; s < slots; ++s) {
      const int64_t now = minute_ms + (s * kMinuteMs) / std::max<int64_t>(1, slots);
      ++r.slots;
      const int v = static_cast<int>(rng() % static_cast<uint64_t>(o.viewers));
      const Viewer& viewer = viewers[v];
      const double mult = viewer.mult;
      const double org_like = std::min(1.0, kOrganicLike * mult * engagement(rng));
      const double org_long = std::min(1.0, kOrganicLongView * engagement(rng));
      const double organic_value = 1 + 4 * (org_like + org_long - kHate);
      like_without += kOrganicPerSlot * org_like;
      long_without += kOrganicPerSlot * org_long;
      items_without += kOrganicPerSlot;
      like_with += kOrganicPerSlot * org_like;
      long_with += kOrganicPerSlot * org_long;
      items_with += kOrganicPerSlot;
      reserve.ObserveSlot(kOrganicPerSlot * org_like, kOrganicPerSlot * org_long,
                          kOrganicPerSlot);
      candidates.clear();
      index_of.clear();
      const double reserve_micros = organic_value * o.micros_per_value * reserve_multiplier;
      for (size_t gi = 0; gi < n_groups; ++gi) {
        Group& G = groups[gi];
        if (rate[gi] <= 0 || left[gi] <= 0) continue;
        if (G.country >= 0 && G.country != viewer.country) continue;
        if (G.interests != 0 && (G.interests & viewer.interests) == 0) continue;
        if (!(u01(rng) < rate[gi])) continue;
        AdCandidate c{.campaign = &G.campaign, .group = &G.group, .ad = &G.ad};
        const double ctr = std::min(1.0, G.ctr * mult);
        c.p_action = G.group.goal == Goal::kImpression ? 1
                     : G.group.goal == Goal::kClick    ? ctr
                                                       : ctr * G.cvr;
        c.experience_micros =
            o.experience_micros * (std::min(1.0, G.like * mult) + G.long_view - kHate);
        // A group whose value cannot beat the reserve can neither win nor set the price: left
        // out before the auction (the margin keeps the cut conservative), to save its checks.
        const double bid_value = G.group.goal == Goal::kImpression ? bid[gi] / 1000.0
                                                                   : bid[gi] * c.p_action;
        if ((bid_value + c.experience_micros) * 1.001 + 1 <= reserve_micros) continue;
        c.delivery = delivery[gi];
        c.budget_left_micros = left[gi];
        candidates.push_back(c);
        index_of.push_back(gi);
      }
      if (candidates.empty()) continue;
      const AuctionRequest req{.now_ms = now, .reserve_micros = reserve_micros};
      const AuctionResult won = RunAuction(auction, req, candidates);
      if (won.winner < 0) continue;
      const size_t wi = index_of[won.winner];
      Group& G = groups[wi];
      const std::string user = absl::StrCat("u", v);
      absl::StatusOr<Reservation> hold =
          pacer.Reserve(G.campaign, G.group, won.charge_micros, now);
      if (!hold.ok()) continue;
      left[wi] -= won.charge_micros;
      ++r.ads_shown;
      const double ad_like = std::min(1.0, G.like * mult);
      like_with += ad_like;
      long_with += G.long_view;
      items_with += 1;
      reserve.ObserveAd(ad_like, G.long_view);
      if (now < kDay0 + kDayMs) ++G.slot_impressions[slot_of(now)];
      LedgerEntry imp{.event_id = absl::StrCat("i", ++event_n),
                      .kind = EventKind::kImpression, .user = user,
                      .account = G.campaign.account, .campaign = G.campaign.id,
                      .ad_group = G.group.id, .ad = G.ad.id, .time_ms = now};
      const bool cpc = won.billed == Goal::kClick;
      if (!cpc) {
        imp.charge_micros = won.charge_micros;
        absl::StatusOr<bool> added = pacer.Settle(*hold, imp);
        if (absl::IsResourceExhausted(added.status())) {
          ++r.free_events;
          pacer.Release(*hold);
          imp.charge_micros = 0;
          added = ledger.Append(imp, BudgetLimits{});
        } else if (added.ok()) {
          count_billed(G, imp.charge_micros, now);
        }
        FORYOU_RETURN_IF_ERROR(added.status());
        if (G.group.goal == Goal::kImpression) goal_event(G, now, now);
      } else {
        FORYOU_RETURN_IF_ERROR(ledger.Append(imp, BudgetLimits{}).status());
      }
      const double ctr = std::min(1.0, G.ctr * mult);
      if (u01(rng) < ctr) {
        Pending click{.time_ms = now + static_cast<int64_t>(log_uniform(0.5, 5) * kMinuteMs),
                      .type = Pending::kClick, .group = wi, .user = user,
                      .shown_ms = now, .hold = *hold, .held = cpc, .cvr = G.cvr};
        late[click.time_ms / kMinuteMs].push_back(std::move(click));
      } else if (cpc) {
        Pending expire{.time_ms = now + 5 * kMinuteMs, .type = Pending::kExpire,
                       .group = wi, .hold = *hold};
        late[expire.time_ms / kMinuteMs].push_back(std::move(expire));
      }
    }
    if (minute % 240 == 239) {
      progress << "ads sim: " << (minute + 1) / 60 << " h, " << r.slots << " slots, "
               << r.ads_shown << " ads\n";
    }
  }
  FORYOU_RETURN_IF_ERROR(drain(std::numeric_limits<int64_t>::max()));

  // ---- The figures ----
  const int64_t day_end = kDay0 + kDayMs - 1;
  std::map<Kind, std::pair<double, double>> over;  // kind -> (spend above budget, budgets)
  std::vector<double> pacing, lives, cpa;
  std::map<std::string, std::vector<double>> spend_share;  // strategy -> spend / budget
  for (Group& G : groups) {
    const Spend spent = ledger.SpentOf(G.campaign.id, G.group.id, day_end);
    if (G.lifetime) {
      const double total = static_cast<double>(spent.campaign_total);
      const double budget = static_cast<double>(G.campaign.budget_micros);
      r.overspend_lifetime_pct =
          std::max(r.overspend_lifetime_pct, 100.0 * std::max(0.0, total - budget) / budget);
      r.budget_micros += G.campaign.budget_micros;
    } else {
      const double budget = static_cast<double>(G.group.budget_micros);
      auto& [above, budgets] = over[G.kind];
      above += std::max(0.0, static_cast<double>(spent.group_day) - budget);
      budgets += budget;
      r.budget_micros += G.group.budget_micros;
      lives.push_back(G.exhausted_ms < 0
                          ? 1.0
                          : static_cast<double>(G.exhausted_ms - kDay0) / kDayMs);
      spend_share[absl::StrCat(Name(G.group.bid_strategy), "/", Name(G.group.goal), "/",
                               Name(G.group.pacing))]
          .push_back(static_cast<double>(spent.group_day) / budget);
      int64_t impressions = 0;
      for (int64_t n : G.slot_impressions) impressions += n;
      if (G.group.pacing == Pacing::kSmooth && impressions >= 100 * 96) {
        double err = 0;
        for (int s = 0; s < 96; ++s) {
          const int64_t from = kDay0 + s * 15 * kMinuteMs;
          const double plan = static_cast<double>(
              pacer.PlannedSpend(G.campaign, G.group, from, from + 15 * kMinuteMs));
          if (plan > 0) err += std::abs(static_cast<double>(G.slot_spend[s]) - plan) / plan;
        }
        pacing.push_back(100.0 * err / 96);
      }
    }
    r.spend_micros += spent.group_total;
    if (G.group.bid_strategy == BidStrategy::kCostCap && G.cpa->learned() &&
        G.cpa->results_after() >= 10) {
      const double actual = G.cpa->Cpa();
      const double target = static_cast<double>(G.group.bid_micros);
      cpa.push_back(100.0 * (target - actual) / target);
    }
  }
  auto pct = [&](Kind k) {
    const auto& [above, budgets] = over[k];
    return budgets > 0 ? 100.0 * above / budgets : 0.0;
  };
  r.overspend_daily_cpm_pct = pct(Kind::kCpm);
  r.overspend_daily_cpc_pct = pct(Kind::kCpc);
  r.overspend_daily_ocpm_pct = pct(Kind::kOcpm);
  r.pacing_err_15min_pct = Median(pacing);
  r.paced_groups_measured = static_cast<int32_t>(pacing.size());
  r.life_share = Median(lives);
  std::vector<double> all_shares;
  for (const auto& [name, shares] : spend_share) {
    all_shares.insert(all_shares.end(), shares.begin(), shares.end());
  }
  r.median_spend_share = Median(all_shares);
  r.costcap_cpa_err_pct = Median(cpa);
  r.costcap_groups_measured = static_cast<int32_t>(cpa.size());
  r.like_rate_cost_pct =
      100.0 * (1 - (like_with / items_with) / (like_without / items_without));
  r.long_view_rate_cost_pct =
      100.0 * (1 - (long_with / items_with) / (long_without / items_without));
  for (const auto& [name, shares] : spend_share) {
    r.details += absl::StrFormat("  %-32s groups %3d  median spend / daily budget %.3f\n", name,
                                 shares.size(), Median(shares));
  }
  return r;
}

}  // namespace foryou::ads
