// `foryou simulate --ads`: one day of ad traffic through the ads engine's real parts (the slot
// opportunities of a day, the auction, the pacer, the billing ledger in RocksDB), with a few
// hundred ad groups of mixed strategies and budgets, in simulated time (docs/design/sim.md,
// "Ads"). The viewers' responses come from a synthetic world, not from the serving model: each
// ad group has true rates of click, 6 s view, conversion and like, each viewer a multiplier of
// them, and the auction is given those true rates as the model's predictions. Clicks and
// conversions arrive minutes after the impression, so CPC and oCPM budgets are billed late.
//
// Example:
//   AdsSimOptions o;  o.seed = 7;
//   FORYOU_ASSIGN_OR_RETURN(AdsSimResult r, RunAdsSimulation(o, std::cerr));
//   std::cout << r.Report() << r.Line() << "\n";
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ads/auction.h"

namespace foryou::ads {

struct AdsSimOptions {
  uint64_t seed = 1;
  // The day's relative traffic, 24 or 96 slots (empty: the pacer's default curve).
  std::vector<double> traffic;
  // Ad slot opportunities: about one per 10 feed items; 20,000 viewers watching ~500 items a day.
  int64_t slots_per_day = 1'000'000;
  int32_t groups = 300;
  int32_t viewers = 20'000;
  // The organic item's value in micros per impression per unit, and the experience term's
  // weight (as the feed's ad stage: feed::AdStageOptions).
  double micros_per_value = 5'000;
  double experience_micros = 5'000;
  // No daily budget below this (TikTok's minimum per ad group).
  int64_t min_daily_budget_micros = 20'000'000;
  // The rule that keeps ads from costing the viewers more than 3% of likes or long views.
  ReserveOptions reserve;
  std::string dir;  // the ledger's RocksDB directory (empty: a temporary one, removed after)
};

// Per-strategy figures and the requirement's summary (docs/design/ads_serving.md).
struct AdsSimResult {
  double overspend_daily_cpm_pct = 0, overspend_daily_cpc_pct = 0, overspend_daily_ocpm_pct = 0;
  double overspend_lifetime_pct = 0;
  double pacing_err_15min_pct = 0;  // NaN when no smooth group reached 100 impressions a slot
  int32_t paced_groups_measured = 0;
  double life_share = 0;
  double costcap_cpa_err_pct = 0;  // NaN when no Cost Cap group left learning
  int32_t costcap_groups_measured = 0;
  double like_rate_cost_pct = 0, long_view_rate_cost_pct = 0;
  int64_t slots = 0, ads_shown = 0, free_events = 0;
  int64_t spend_micros = 0, budget_micros = 0;
  double median_spend_share = 0;  // spend / budget of the median daily-budget group
  std::string details;  // one line per strategy

  // The figures, one per line, then the strategies' lines.
  std::string Report() const;
  // `ads_sim overspend_daily_cpm_pct=.. ... long_view_rate_cost_pct=..`
  std::string Line() const;
};

// Reads a traffic curve: one non-negative number per line (blank lines ignored), 24 or 96 of
// them, some positive. InvalidArgument naming the line otherwise.
[[nodiscard]] absl::StatusOr<std::vector<double>> ParseTrafficCurve(const std::string& text);

// Runs the day. Errors: a bad curve or option (InvalidArgument), the ledger's store.
[[nodiscard]] absl::StatusOr<AdsSimResult> RunAdsSimulation(const AdsSimOptions& options,
                                                            std::ostream& progress);

}  // namespace foryou::ads
