// The ads simulation on a small day: budgets hold, the figures are in range, the summary line
// has every key, a seed gives the same day, and traffic curves are read strictly.
#include "ads/ads_simulation.h"

#include <cmath>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace foryou::ads {
namespace {

AdsSimOptions SmallDay(uint64_t seed) {
  AdsSimOptions o;
  o.seed = seed;
  o.groups = 40;
  o.viewers = 2'000;
  o.slots_per_day = 10'000;
  o.min_daily_budget_micros = 0;  // budgets sized to this small day's traffic
  return o;
}

TEST(AdsSimulationTest, ASmallDayKeepsBudgetsAndReportsEveryFigure) {
  std::ostringstream progress;
  absl::StatusOr<AdsSimResult> r = RunAdsSimulation(SmallDay(3), progress);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->slots, 10'000);
  EXPECT_GT(r->ads_shown, 0);
  EXPECT_LT(r->ads_shown, r->slots);
  EXPECT_GT(r->spend_micros, 0);
  EXPECT_LE(r->spend_micros, r->budget_micros);
  // The ledger refuses any charge past a budget, late clicks included.
  EXPECT_EQ(r->overspend_daily_cpm_pct, 0);
  EXPECT_EQ(r->overspend_daily_cpc_pct, 0);
  EXPECT_EQ(r->overspend_daily_ocpm_pct, 0);
  EXPECT_EQ(r->overspend_lifetime_pct, 0);
  // Budgets are sized to the traffic and bids spread around the reserve: the median group
  // spends, and the highest bids do not take every slot.
  EXPECT_GT(r->median_spend_share, 0.25) << r->Report();
  EXPECT_LT(r->ads_shown, r->slots * 95 / 100);
  EXPECT_GT(r->life_share, 0);
  EXPECT_LE(r->life_share, 1);
  // Ads take a slot only over the organic item's value: some slots stay organic, and the
  // viewers' rates move by less than an ad's share of the items (1 in 11).
  EXPECT_LT(std::abs(r->like_rate_cost_pct), 100.0 / 11);
  EXPECT_LT(std::abs(r->long_view_rate_cost_pct), 100.0 / 11);
  const std::string line = r->Line();
  EXPECT_EQ(line.rfind("ads_sim overspend_daily_cpm_pct=", 0), 0u) << line;
  for (const char* key :
       {" overspend_daily_cpc_pct=", " overspend_daily_ocpm_pct=", " overspend_lifetime_pct=",
        " pacing_err_15min_pct=", " life_share=", " costcap_cpa_err_pct=",
        " like_rate_cost_pct=", " long_view_rate_cost_pct="}) {
    EXPECT_NE(line.find(key), std::string::npos) << key;
  }
  EXPECT_NE(r->Report().find("bid_cap/"), std::string::npos) << r->Report();
}

TEST(AdsSimulationTest, ASeedGivesTheSameDay) {
  std::ostringstream progress;
  absl::StatusOr<AdsSimResult> a = RunAdsSimulation(SmallDay(5), progress);
  absl::StatusOr<AdsSimResult> b = RunAdsSimulation(SmallDay(5), progress);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->Line(), b->Line());
  EXPECT_EQ(a->spend_micros, b->spend_micros);
}

// An impression a minute for 200 minutes at 1,000 micros, each bringing its result 10 minutes
// later. Learning ends with the 50th result (minute 59); the 9 results after it whose
// impressions were bought while learning do not count, so the CPA after learning is the true
// 1,000 micros (counting every result after learning would show 141,000 / 150 = 940).
TEST(AdsSimulationTest, CostCapCpaAfterLearningCountsOnlyResultsOfLaterImpressions) {
  CpaAfterLearning cpa(50);
  EXPECT_TRUE(std::isnan(cpa.Cpa()));
  for (int64_t minute = 0; minute < 210; ++minute) {
    if (minute >= 10) cpa.Result(minute - 10, minute);
    if (minute < 200) cpa.Spend(1'000);
  }
  ASSERT_TRUE(cpa.learned());
  EXPECT_EQ(cpa.results_after(), 141);  // of the impressions of minutes 59-199
  EXPECT_DOUBLE_EQ(cpa.Cpa(), 1'000);
}

TEST(AdsSimulationTest, TrafficCurvesAreReadStrictly) {
  std::string flat;
  for (int i = 0; i < 96; ++i) flat += "1\n";
  absl::StatusOr<std::vector<double>> curve = ParseTrafficCurve(flat + "\n");
  ASSERT_TRUE(curve.ok()) << curve.status();
  EXPECT_EQ(curve->size(), 96u);
  std::string short_curve;
  for (int i = 0; i < 23; ++i) short_curve += "1\n";
  EXPECT_FALSE(ParseTrafficCurve(short_curve).ok());
  absl::Status bad = ParseTrafficCurve("1\n-2\n").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("line 2"), std::string::npos) << bad;
  EXPECT_FALSE(ParseTrafficCurve("x\n").ok());
  // A flat day runs too.
  AdsSimOptions o = SmallDay(1);
  o.traffic = *curve;
  std::ostringstream progress;
  EXPECT_TRUE(RunAdsSimulation(o, progress).ok());
}

}  // namespace
}  // namespace foryou::ads
