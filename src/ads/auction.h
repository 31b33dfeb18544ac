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

#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "ads/ledger.h"
#include "ads/model.h"
#include "ads/targeting.h"

namespace foryou::ads {

struct AuctionOptions {
  // The learning phase: until this many goal events or this long since the group was created.
  int64_t learning_events = 50;
  int64_t learning_ms = 7 * kDayMs;
  // oCPM's adjusted bid stays within [min, max] x the target (Taobao's OCPC bound).
  double cost_cap_min_factor = 0.6;
  double cost_cap_max_factor = 1.4;
  // Lowest Cost bids this per goal event until it has results, then its average cost per
  // result times the headroom (so it keeps winning what it won, and the pacer limits spend).
  int64_t lowest_cost_start_micros = 1 * kMicros;
  double lowest_cost_headroom = 1.25;
};

// What the ledger knows of a group's delivery (Ledger::SpentOf, Ledger::Events).
struct GroupDelivery {
  int64_t goal_events = 0;   // all time, of the group's goal
  int64_t spend_micros = 0;  // all time
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

// Why a candidate may or may not take this slot (kEligible when it may).
Verdict Check(const AuctionRequest& req, const AdCandidate& c);

AuctionResult RunAuction(const AuctionOptions& o, const AuctionRequest& req,
                         absl::Span<const AdCandidate> candidates);

}  // namespace foryou::ads
