// The live bid controllers: a Cost Cap group over its target CPA after learning bids below its
// target (within the oCPM bounds), one still learning bids its target, a Lowest Cost group
// behind its plan bids up within its bounds, and a group first seen with results (a process
// starting on an existing ledger) starts from them.
#include "ads/bid_controllers.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "ads/ads_test_world.h"
#include "gtest/gtest.h"

namespace foryou::ads {
namespace {

constexpr int64_t kMinute = 60'000;

class BidControllersTest : public AdsWorldTest {
 protected:
  void SetUp() override {
    AdsWorldTest::SetUp();
    ledger_ = std::make_unique<Ledger>(store_.get(), /*sync=*/false);
    ASSERT_TRUE(ledger_->Load().ok());
    pacer_ = std::make_unique<Pacer>(ledger_.get(), PacerOptions{});
  }
  void TearDown() override {
    pacer_.reset();
    ledger_.reset();
    AdsWorldTest::TearDown();
  }

  // `clicks` clicks of the group and impressions costing `spend` in all, at `t`.
  void Deliver(const AdGroup& g, int clicks, int64_t spend, int64_t t) {
    for (int i = 0; i < clicks; ++i) {
      const std::string n = absl::StrCat(g.id, "_", ++events_);
      ASSERT_TRUE(ledger_
                      ->Append({.event_id = "imp_" + n,
                                .kind = EventKind::kImpression,
                                .user = "u1",
                                .account = "a1",
                                .campaign = g.campaign,
                                .ad_group = g.id,
                                .ad = "d1",
                                .time_ms = t,
                                .charge_micros = spend / clicks},
                               BudgetLimits{})
                      .ok());
      ASSERT_TRUE(ledger_
                      ->Append({.event_id = "click_" + n,
                                .kind = EventKind::kClick,
                                .user = "u1",
                                .account = "a1",
                                .campaign = g.campaign,
                                .ad_group = g.id,
                                .ad = "d1",
                                .time_ms = t},
                               BudgetLimits{})
                      .ok());
    }
  }

  AdGroup CostCap(int64_t created_ms) {
    AdGroup g = group_;
    g.bid_strategy = BidStrategy::kCostCap;
    g.goal = Goal::kClick;
    g.bid_micros = 2 * kMicros;  // target CPA $2
    g.created_ms = created_ms;
    return g;
  }

  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Pacer> pacer_;
  int events_ = 0;
};

TEST_F(BidControllersTest, CostCapOverTargetAfterLearningBidsBelowTarget) {
  const AuctionOptions auction;
  BidControllers bids(auction, BidControllerOptions{}, ledger_.get(), pacer_.get());
  // Created 8 days ago: past learning by age.
  const AdGroup g = CostCap(kTestT0 - 8 * kDayMs);
  GroupDelivery d = bids.Delivery(campaign_, g, kTestT0);
  EXPECT_DOUBLE_EQ(d.cost_cap_factor, 1);  // learning just ended: the CPA counts from here
  // 10 results at $4 each: twice the target.
  Deliver(g, 10, 40 * kMicros, kTestT0 + kMinute);
  d = bids.Delivery(campaign_, g, kTestT0 + 2 * kMinute);
  EXPECT_DOUBLE_EQ(d.cost_cap_factor, 1);  // not before the controller's interval
  d = bids.Delivery(campaign_, g, kTestT0 + 5 * kMinute);
  EXPECT_NEAR(d.cost_cap_factor, std::pow(0.5, 0.3), 1e-9);
  EXPECT_LT(d.cost_cap_factor, 1);
  EXPECT_GE(d.cost_cap_factor, auction.cost_cap_min_factor);
  const double bid = EffectiveBid(auction, g, d, kTestT0 + 5 * kMinute);
  EXPECT_NEAR(bid, 2e6 * std::pow(0.5, 0.3), 1e-3);
  // Still over the target: it keeps moving down, never under the bound.
  for (int step = 2; step < 12; ++step) {
    d = bids.Delivery(campaign_, g, kTestT0 + step * 5 * kMinute);
  }
  EXPECT_DOUBLE_EQ(d.cost_cap_factor, auction.cost_cap_min_factor);
  EXPECT_DOUBLE_EQ(EffectiveBid(auction, g, d, kTestT0 + 60 * kMinute), 0.6 * 2e6);
}

TEST_F(BidControllersTest, CostCapWhileLearningKeepsFactorOne) {
  const AuctionOptions auction;
  BidControllers bids(auction, BidControllerOptions{}, ledger_.get(), pacer_.get());
  const AdGroup g = CostCap(kTestT0);  // new: learning until 50 results or 7 days
  Deliver(g, 20, 80 * kMicros, kTestT0);
  for (int step = 0; step < 6; ++step) {
    const int64_t t = kTestT0 + step * 5 * kMinute;
    const GroupDelivery d = bids.Delivery(campaign_, g, t);
    EXPECT_DOUBLE_EQ(d.cost_cap_factor, 1);
    EXPECT_DOUBLE_EQ(EffectiveBid(auction, g, d, t), 2e6);
  }
}

TEST_F(BidControllersTest, LowestCostBehindPlanBidsUpWithinBounds) {
  AuctionOptions auction;
  auction.lowest_cost_max_micros = 3 * kMicros;
  BidControllers bids(auction, BidControllerOptions{}, ledger_.get(), pacer_.get());
  AdGroup g = group_;
  g.bid_strategy = BidStrategy::kLowestCost;
  g.bid_micros = 0;
  g.pacing = Pacing::kFast;
  const int64_t day = kTestT0 - kTestT0 % kDayMs + kHourMs;  // 01:00 UTC
  ASSERT_GT(pacer_->PlannedSpend(campaign_, g, day, day + 5 * kMinute), 0);
  // Nothing spent while the plan wants spend: the bid doubles each interval up to the bound.
  EXPECT_DOUBLE_EQ(bids.Delivery(campaign_, g, day).lowest_cost_bid, 1e6);
  EXPECT_DOUBLE_EQ(bids.Delivery(campaign_, g, day + 4 * kMinute).lowest_cost_bid, 1e6);
  EXPECT_DOUBLE_EQ(bids.Delivery(campaign_, g, day + 5 * kMinute).lowest_cost_bid, 2e6);
  EXPECT_DOUBLE_EQ(bids.Delivery(campaign_, g, day + 10 * kMinute).lowest_cost_bid, 3e6);
  EXPECT_DOUBLE_EQ(bids.Delivery(campaign_, g, day + 15 * kMinute).lowest_cost_bid, 3e6);
  const GroupDelivery d = bids.Delivery(campaign_, g, day + 20 * kMinute);
  EXPECT_DOUBLE_EQ(EffectiveBid(auction, g, d, day + 20 * kMinute), 3e6);
}

TEST_F(BidControllersTest, LowestCostFirstSeenWithResultsStartsFromTheLedger) {
  const AuctionOptions auction;
  AdGroup g = group_;
  g.bid_strategy = BidStrategy::kLowestCost;
  g.goal = Goal::kClick;
  g.bid_micros = 0;
  Deliver(g, 10, 5 * kMicros, kTestT0);  // $0.50 per result so far
  // A process starting on this ledger: cost per result x the headroom.
  BidControllers bids(auction, BidControllerOptions{}, ledger_.get(), pacer_.get());
  EXPECT_DOUBLE_EQ(bids.Delivery(campaign_, g, kTestT0 + kMinute).lowest_cost_bid,
                   auction.lowest_cost_headroom * 0.5e6);
}

TEST_F(BidControllersTest, ValidateNamesTheKnob) {
  BidControllerOptions o;
  EXPECT_TRUE(BidControllers::Validate(o).ok());
  o.cost_cap.gain = 0;
  EXPECT_NE(BidControllers::Validate(o).message().find("cost_cap.gain"), std::string::npos);
  o = BidControllerOptions{};
  o.lowest_cost.max_step = 1;
  EXPECT_NE(BidControllers::Validate(o).message().find("lowest_cost.max_step"), std::string::npos);
}

}  // namespace
}  // namespace foryou::ads
