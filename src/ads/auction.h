// The ad auction of one feed slot: which ad groups may serve this viewer now, which wins, and
// what it pays (docs/design/ads.md, "Auction and pricing").
//
// Every candidate is ranked by its expected value per impression, in micros:
//     value = effective bid per goal event x p(goal event | impression) + experience
// where p (pCTR, p(view), pCVR: calibrated, from the caller's model) and the viewer-experience
// term (the model's predicted like / long view minus not-interested, in micros) are passed in.
// The best value takes the slot only if it beats the reserve (the value of the organic item it
// would replace). The winner pays a generalised second price: the least value that would still
// have won (the runner-up's value or the reserve, whichever is higher), less its own experience
// term, per goal event; never above its bid, never below 0.
//
// Every candidate's campaign, group and ad pointers must be non-null and point at the records
// the ad belongs to. A p or experience term that is not finite makes a candidate ineligible; a
// reserve that is not finite keeps the organic item.
//
// Stateless and thread-safe: the caller gathers the per-group delivery state (spend, goal
// events, budget left, pacing admission, the viewer's recent impressions) beforehand.
//
// Example:
//   AuctionRequest req{.viewer = &profile, .now_ms = now, .reserve_micros = organic_value};
//   AuctionResult r = RunAuction(AuctionOptions{}, req, candidates);
//   if (r.winner >= 0) serve candidates[r.winner].ad, reserve r.charge_micros ...
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "ads/ledger.h"
#include "ads/model.h"
#include "ads/targeting.h"
#include "common/mutex.h"

namespace foryou::ads {

struct AuctionOptions {
  // The learning phase: until this many goal events or this long since the group was created.
  int64_t learning_events = 50;
  int64_t learning_ms = 7 * kDayMs;
  // oCPM's adjusted bid stays within [min, max] x the target (Taobao's OCPC bound).
  double cost_cap_min_factor = 0.6;
  double cost_cap_max_factor = 1.4;
  // Lowest Cost: with LowestCostController (lowest_cost.h) the bid starts here and moves with
  // the group's spend against its plan within [min, max]; without it the group bids the start
  // value until it has results, then its average cost per result times the headroom.
  int64_t lowest_cost_start_micros = 1 * kMicros;
  int64_t lowest_cost_min_micros = kMicros / 100;
  int64_t lowest_cost_max_micros = 20 * kMicros;
  double lowest_cost_headroom = 1.25;
};

// What the ledger knows of a group's delivery (Ledger::SpentOf, Ledger::Events).
struct GroupDelivery {
  int64_t goal_events = 0;   // all time, of the group's goal
  int64_t spend_micros = 0;  // all time
  // Cost Cap: the factor CostCapController::Factor gave the group (> 0), which EffectiveBid
  // then uses; 0 when the caller keeps no controller: the CPA so far sets the factor.
  double cost_cap_factor = 0;
  // Lowest Cost: the bid LowestCostController::Bid gave the group (> 0), which EffectiveBid
  // then uses; 0 when the caller keeps no controller: the cost per result so far sets it.
  double lowest_cost_bid = 0;
};

// The group's delivery from the ledger: its goal events and its spend, all time.
GroupDelivery DeliveryOf(const Ledger& ledger, const AdGroup& g, int64_t now_ms);

// One ad group's best ad, with everything the auction needs about it for this viewer.
struct AdCandidate {
  const Campaign* campaign = nullptr;
  const AdGroup* group = nullptr;
  const Ad* ad = nullptr;
  std::string creator, sound;  // of the ad's video (the organic "not twice in a row" rules)
  double p_action = 0;         // P(the group's goal event | impression), in [0, 1]
  double experience_micros = 0;
  GroupDelivery delivery;
  int64_t budget_left_micros = kNoLimit;  // Pacer::BudgetLeft
  bool paced_in = true;                   // Pacer::Admit for this request
  int32_t recent_impressions = 0;         // the viewer's, within the group's frequency-cap window
};

struct AuctionRequest {
  const ViewerProfile* viewer = nullptr;
  int64_t now_ms = 0;
  std::string placement = "foryou";
  double reserve_micros = 0;  // the replaced organic item's value per impression
  const absl::flat_hash_set<std::string>* hidden_accounts = nullptr;  // "not interested"
  std::string previous_ad;                      // the viewer's last ad ("" = none)
  std::string previous_creator, previous_sound;  // of the item just before the slot
};

enum class Verdict {
  kEligible,
  kPaused,
  kNotApproved,
  kOutsideDates,
  kOutsideHours,
  kPlacement,
  kTargeting,
  kHiddenAdvertiser,
  kFrequencyCap,
  kBudget,
  kPaced,
  kRepeat,  // same ad, creator or sound as just before
  kNoValue,
};
absl::string_view Name(Verdict v);

struct AuctionResult {
  int winner = -1;  // index into the candidates, -1 when no ad beat the reserve
  int64_t charge_micros = 0;  // per billed event (an impression unless Bid Cap CPC / CPV)
  Goal billed = Goal::kImpression;
  double winner_value = 0, runner_up_value = 0;
  int eligible = 0;
  std::vector<Verdict> verdicts;  // per candidate
};

// True while the group is learning (too few goal events and too young).
bool Learning(const AuctionOptions& o, const AdGroup& g, const GroupDelivery& d, int64_t now_ms);

// The bid per goal event the auction uses (Bid Cap: the bid, per 1,000 impressions for an
// impression goal; Cost Cap: the target adjusted within the factor bounds by the CPA so far,
// unadjusted while learning; Lowest Cost: see AuctionOptions).
double EffectiveBid(const AuctionOptions& o, const AdGroup& g, const GroupDelivery& d,
                    int64_t now_ms);

// The oCPM Cost Cap controller: per group, the factor its target CPA is multiplied by to bid,
// moved by feedback on the CPA it observes after learning.
//
// The stateless rule (factor = target / CPA so far) is proportional: under second pricing a
// group pays a share d < 1 of its bid, so it settles where factor = 1 / (d x factor), a CPA of
// sqrt(d) x target (d = 0.75: 13% under the target). This controller integrates instead: every
// `update_ms` it multiplies the factor by (target / CPA since learning ended)^gain, clamped to
// [cost_cap_min_factor, cost_cap_max_factor], so it keeps moving until the average CPA after
// learning is the target (or a bound holds it). While learning the factor is 1 (the target).
// Until `min_events` goal events since learning it keeps the factor it had.
//
// Thread-safe.
//
// Example:
//   GroupDelivery d = DeliveryOf(ledger, group, now);
//   d.cost_cap_factor = cost_cap.Factor(group, d, now);
//   ... candidate.delivery = d; RunAuction(...)
struct CostCapOptions {
  int64_t update_ms = 5 * 60'000;  // the factor moves at most this often
  double gain = 0.3;               // exponent of target / CPA per update
  int64_t min_events = 5;          // goal events since learning before the first move
};

class CostCapController {
 public:
  CostCapController(AuctionOptions auction, CostCapOptions options)
      : auction_(auction), options_(options) {}

  // InvalidArgument naming the knob unless update_ms > 0, gain in (0, 1], min_events >= 1.
  [[nodiscard]] static absl::Status Validate(const CostCapOptions& o);

  // The group's factor now, in [cost_cap_min_factor, cost_cap_max_factor] (1 while learning);
  // 0 for a group that is not Cost Cap. `d` is the group's delivery (DeliveryOf).
  double Factor(const AdGroup& g, const GroupDelivery& d, int64_t now_ms);

 private:
  struct State {
    double factor = 1;
    bool learned = false;
    int64_t events0 = 0, spend0 = 0;  // delivery when learning ended
    int64_t updated_ms = 0;
  };
  const AuctionOptions auction_;
  const CostCapOptions options_;
  common::Mutex mu_;
  absl::flat_hash_map<std::string, State> states_ ABSL_GUARDED_BY(mu_);
};

// The reserve rule that keeps ads from costing the viewers more than `max_cost` of their like
// rate or long-view rate against a feed without ads (at the slot load in force).
//
// The caller reports every slot opportunity (ObserveSlot: the expected likes and long views of
// the organic items the slot's page keeps) and every ad shown (ObserveAd: the ad's expected
// like and long view). Over a window decayed by `decay` per update, the cost of a rate is
//     1 - (organic + ads) / (items with ads) / (organic / items without ads)
// and every `update_ms` the multiplier on the reserve moves by exp(gain x (worst cost -
// max_cost x setpoint) / max_cost), within [1, max_multiplier]: up while ads cost more than
// the setpoint, back toward 1 while they cost less. At 1 the reserve is the organic item's
// value, the auction's own rule.
//
// Thread-safe.
struct ReserveOptions {
  double max_cost = 0.03;          // the most either rate may lose to ads
  double setpoint = 0.8;           // aim at this share of max_cost, for the noise
  int64_t update_ms = 60'000;
  double decay = 0.97;             // per update: a window of about half an hour
  double gain = 0.5;
  double max_multiplier = 4;
};

class ReserveController {
 public:
  explicit ReserveController(ReserveOptions options) : options_(options) {}

  // InvalidArgument naming the knob unless max_cost and setpoint in (0, 1], update_ms > 0,
  // decay in (0, 1), gain > 0, max_multiplier >= 1.
  [[nodiscard]] static absl::Status Validate(const ReserveOptions& o);

  // A slot opportunity whose page keeps `items` organic items with these expected sums.
  void ObserveSlot(double organic_likes, double organic_long_views, int32_t items);
  // An ad placed in that page, with its expected like and long view.
  void ObserveAd(double like, double long_view);
  // The factor to multiply the reserve by now, in [1, max_multiplier].
  double Multiplier(int64_t now_ms);

 private:
  struct Sums {
    double like = 0, long_view = 0, items = 0;
  };
  const ReserveOptions options_;
  common::Mutex mu_;
  Sums organic_ ABSL_GUARDED_BY(mu_), ads_ ABSL_GUARDED_BY(mu_);
  double multiplier_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t updated_ms_ ABSL_GUARDED_BY(mu_) = -1;
};

// Why a candidate may or may not take this slot (kEligible when it may).
Verdict Check(const AuctionRequest& req, const AdCandidate& c);

AuctionResult RunAuction(const AuctionOptions& o, const AuctionRequest& req,
                         absl::Span<const AdCandidate> candidates);

}  // namespace foryou::ads
