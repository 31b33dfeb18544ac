// Lowest Cost's bid controller: it finds the price at which a group without a bid spends its
// budget, bids down when ahead of its plan, and stays within its bounds.
#include "ads/lowest_cost.h"

#include <algorithm>
#include <random>

#include "gtest/gtest.h"

namespace foryou::ads {
namespace {

constexpr int64_t kDayStart = 1'700'006'400'000;  // a UTC midnight

class LowestCostTest : public ::testing::Test {
 protected:
  LowestCostTest() {
    campaign_.id = "c1";
    campaign_.account = "a1";
    group_.id = "g1";
    group_.campaign = "c1";
    group_.bid_strategy = BidStrategy::kLowestCost;
    group_.goal = Goal::kClick;
    group_.budget_mode = BudgetMode::kDaily;
    group_.budget_micros = 60 * kMicros;
    ad_.id = "d1";
    ad_.approval = Approval::kApproved;
  }

  // One day: 20 slots a minute, each with a reserve drawn from [10,000, 40,000) micros per
  // impression (above the start bid's value at a 1% CTR), the group alone in the auction. The
  // plan is flat over the day. With `controller` the group bids what it says; without it,
  // the auction's rule without a controller. Returns the day's spend; `max_bid` the highest
  // bid made.
  int64_t RunDay(LowestCostController* controller, double* max_bid) {
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> reserve(10'000, 40'000);
    int64_t spent = 0;
    GroupDelivery d;
    *max_bid = 0;
    for (int minute = 0; minute < 24 * 60; ++minute) {
      const int64_t t = kDayStart + minute * 60'000;
      const int64_t planned = group_.budget_micros * minute / (24 * 60);
      if (controller != nullptr) d.lowest_cost_bid = controller->Bid(group_, spent, planned, t);
      *max_bid = std::max(*max_bid, EffectiveBid(AuctionOptions{}, group_, d, t));
      for (int k = 0; k < 20; ++k) {
        AdCandidate c{.campaign = &campaign_, .group = &group_, .ad = &ad_, .p_action = 0.01};
        c.delivery = d;
        c.budget_left_micros = group_.budget_micros - spent;
        const AuctionRequest req{.now_ms = t, .reserve_micros = reserve(rng)};
        const AuctionResult r = RunAuction(AuctionOptions{}, req, {c});
        if (r.winner < 0) continue;
        spent += r.charge_micros;
        if (rng() % 100 == 0) {  // a click
          ++d.goal_events;
        }
        d.spend_micros = spent;
      }
    }
    return spent;
  }

  Campaign campaign_;
  AdGroup group_;
  Ad ad_;
};

TEST_F(LowestCostTest, BidsUpUntilTheGroupSpendsItsBudget) {
  double max_bid = 0;
  // The rule without a controller bids the start value until a first click, under every
  // reserve: nothing is ever won.
  EXPECT_EQ(RunDay(nullptr, &max_bid), 0);
  LowestCostController controller(AuctionOptions{}, LowestCostOptions{});
  const int64_t spent = RunDay(&controller, &max_bid);
  EXPECT_GE(static_cast<double>(spent), 0.9 * static_cast<double>(group_.budget_micros));
  EXPECT_LE(spent, group_.budget_micros);
  EXPECT_LE(max_bid, static_cast<double>(AuctionOptions{}.lowest_cost_max_micros));
}

TEST_F(LowestCostTest, BidsDownWhenAheadOfThePlanAndStaysWithinItsBounds) {
  const AuctionOptions o;
  LowestCostController controller(o, LowestCostOptions{.update_ms = 60'000});
  double bid = controller.Bid(group_, 0, 0, kDayStart);
  EXPECT_EQ(bid, static_cast<double>(o.lowest_cost_start_micros));
  // Spending twice the plan each minute: the bid falls, down to its floor.
  for (int minute = 1; minute <= 60; ++minute) {
    const double next = controller.Bid(group_, minute * 2'000, minute * 1'000,
                                       kDayStart + minute * 60'000);
    EXPECT_LE(next, bid);
    bid = next;
  }
  EXPECT_EQ(bid, static_cast<double>(o.lowest_cost_min_micros));
  // Nothing spent while the plan wants spend: the bid doubles each update, up to its cap.
  for (int minute = 61; minute <= 120; ++minute) {
    const double next = controller.Bid(group_, 120'000, minute * 10'000,
                                       kDayStart + minute * 60'000);
    EXPECT_LE(next, std::min(2 * bid, static_cast<double>(o.lowest_cost_max_micros)));
    bid = next;
  }
  EXPECT_EQ(bid, static_cast<double>(o.lowest_cost_max_micros));
  AdGroup other = group_;
  other.bid_strategy = BidStrategy::kBidCap;
  EXPECT_EQ(controller.Bid(other, 0, 1'000, kDayStart), 0);
  EXPECT_FALSE(LowestCostController::Validate({.update_ms = 0}).ok());
  EXPECT_FALSE(LowestCostController::Validate({.update_ms = 60'000, .catch_up_ms = 1}).ok());
  EXPECT_FALSE(LowestCostController::Validate({.gain = 0}).ok());
  EXPECT_FALSE(LowestCostController::Validate({.max_step = 1}).ok());
  EXPECT_TRUE(LowestCostController::Validate({}).ok());
}

}  // namespace
}  // namespace foryou::ads
