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

// The cost per result of a Cost Cap group after its learning ended, as the simulation measures
// it: the spend billed after the result that ended learning, over the results of impressions
// shown after it. Results arrive minutes after their impression (a click, a conversion within
// the hour), so counting every result after learning would credit the spend after learning
// with results bought while learning, and show a CPA under the real one.
class CpaAfterLearning {
 public:
  explicit CpaAfterLearning(int64_t learning_events) : learning_events_(learning_events) {}
  void Spend(int64_t micros) { spend_ += micros; }
  // A result at `now_ms` of an impression shown at `shown_ms`.
  void Result(int64_t shown_ms, int64_t now_ms);
  bool learned() const { return learned_ms_ >= 0; }
  int64_t results_after() const { return results_after_; }
  // Spend after learning / results after it; NaN before any.
  double Cpa() const;

 private:
  int64_t learning_events_;
  int64_t results_ = 0, spend_ = 0;
  int64_t learned_ms_ = -1, learned_spend_ = 0, results_after_ = 0;
};

// Reads a traffic curve: one non-negative number per line (blank lines ignored), 24 or 96 of
// them, some positive. InvalidArgument naming the line otherwise.
[[nodiscard]] absl::StatusOr<std::vector<double>> ParseTrafficCurve(const std::string& text);

// Runs the day. Errors: a bad curve or option (InvalidArgument), the ledger's store.
[[nodiscard]] absl::StatusOr<AdsSimResult> RunAdsSimulation(const AdsSimOptions& options,
                                                            std::ostream& progress);

}  // namespace foryou::ads
