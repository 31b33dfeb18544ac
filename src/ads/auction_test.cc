// The auction: eligibility, ranking by expected value, second price against the reserve,
// Cost Cap's bounded bid and the learning state.
#include "ads/auction.h"

#include <deque>

#include "gtest/gtest.h"

namespace foryou::ads {
namespace {

constexpr int64_t kNow = 1'700'000'000'000 + 2 * kDayMs;

class AuctionTest : public ::testing::Test {
 protected:
  AuctionTest() {
    campaign_.id = "c1";
    campaign_.account = "a1";
    viewer_.user = "u1";
    viewer_.country = "US";
    request_.viewer = &viewer_;
    request_.now_ms = kNow;
  }
  // A candidate of a new group with its own ad.
  AdCandidate& Add(BidStrategy s, Goal goal, int64_t bid, double p, double experience = 0) {
    AdGroup& g = groups_.emplace_back();
    g.id = "g" + std::to_string(groups_.size());
    g.campaign = "c1";
    g.bid_strategy = s;
    g.goal = goal;
    g.bid_micros = bid;
    g.budget_mode = BudgetMode::kDaily;
    g.budget_micros = 100 * kMicros;
    Ad& ad = ads_.emplace_back();
    ad.id = "d" + std::to_string(ads_.size());
    ad.approval = Approval::kApproved;
    AdCandidate c;
    c.campaign = &campaign_;
    c.group = &g;
    c.ad = &ad;
    c.p_action = p;
    c.experience_micros = experience;
    candidates_.push_back(c);
    return candidates_.back();
  }
  AuctionResult Run() { return RunAuction(options_, request_, candidates_); }

  AuctionOptions options_;
  Campaign campaign_;
  ViewerProfile viewer_;
  AuctionRequest request_;
  std::deque<AdGroup> groups_;  // stable addresses
  std::deque<Ad> ads_;
  std::vector<AdCandidate> candidates_;
};

TEST_F(AuctionTest, HighestExpectedValueWinsAndPaysWhatTheRunnerUpNeeded) {
  Add(BidStrategy::kBidCap, Goal::kClick, 1 * kMicros, 0.02);       // 20,000 per impression
  Add(BidStrategy::kBidCap, Goal::kImpression, 10 * kMicros, 0.5);  // $10 CPM: 10,000
  Add(BidStrategy::kCostCap, Goal::kConversion, 5 * kMicros, 0.001);  // 5,000
  AuctionResult r = Run();
  ASSERT_EQ(r.winner, 0);
  EXPECT_EQ(r.eligible, 3);
  EXPECT_EQ(r.billed, Goal::kClick);
  EXPECT_DOUBLE_EQ(r.winner_value, 20'000);
  EXPECT_DOUBLE_EQ(r.runner_up_value, 10'000);
  EXPECT_EQ(r.charge_micros, 500'000);  // 10,000 / 0.02 per click, half its $1 bid

  // A reserve above the runner-up sets the price; one above the winner keeps the organic item.
  request_.reserve_micros = 15'000;
  EXPECT_EQ(Run().charge_micros, 750'000);
  request_.reserve_micros = 20'000;
  EXPECT_EQ(Run().winner, -1);
}

TEST_F(AuctionTest, ExperienceTermRanksAndLowersThePriceButNeverBelowZero) {
  Add(BidStrategy::kBidCap, Goal::kClick, 1 * kMicros, 0.02);                // 20,000
  Add(BidStrategy::kBidCap, Goal::kImpression, 10 * kMicros, 1, 15'000);     // 25,000
  AuctionResult r = Run();
  ASSERT_EQ(r.winner, 1);
  EXPECT_EQ(r.billed, Goal::kImpression);
  EXPECT_EQ(r.charge_micros, 5'000);  // needed 20,000 - 15,000 of bid value per impression
  candidates_[1].experience_micros = 30'000;
  EXPECT_EQ(Run().charge_micros, 0);
  // A viewer who would dislike it makes a high bid lose.
  candidates_[1].experience_micros = -15'000;
  EXPECT_EQ(Run().winner, 0);
}

TEST_F(AuctionTest, PredictionsThatAreNotNumbersNeverWin) {
  Add(BidStrategy::kBidCap, Goal::kClick, 1 * kMicros, NAN);
  Add(BidStrategy::kBidCap, Goal::kClick, 1 * kMicros, 0.01, INFINITY);
  Add(BidStrategy::kBidCap, Goal::kClick, 1 * kMicros, 0.001);  // 1,000
  AuctionResult r = Run();
  EXPECT_EQ(r.verdicts[0], Verdict::kNoValue);
  EXPECT_EQ(r.verdicts[1], Verdict::kNoValue);
  ASSERT_EQ(r.winner, 2);
  EXPECT_EQ(r.charge_micros, 0);
  request_.reserve_micros = NAN;
  EXPECT_EQ(Run().winner, -1);
}

TEST_F(AuctionTest, PriceNeverPassesTheBid) {
  // The only candidate against a reserve it barely beats, and a runner-up close behind:
  // the price per click stays at or under the bid.
  Add(BidStrategy::kBidCap, Goal::kClick, 300'000, 0.05);  // 15,000
  request_.reserve_micros = 14'999;
  AuctionResult r = Run();
  ASSERT_EQ(r.winner, 0);
  EXPECT_LE(r.charge_micros, 300'000);
  EXPECT_EQ(r.charge_micros, 299'980);
  Add(BidStrategy::kBidCap, Goal::kClick, 300'000, 0.05, -0.5);
  EXPECT_LE(Run().charge_micros, 300'000);
}

TEST_F(AuctionTest, VerdictsForEachIneligibleCandidate) {
  auto verdict = [&](auto change) {
    candidates_.clear();
    groups_.clear();
    ads_.clear();
    AdCandidate& c = Add(BidStrategy::kBidCap, Goal::kImpression, 10 * kMicros, 1);
    Campaign campaign = campaign_;
    AdGroup& g = groups_.back();
    Ad& ad = ads_.back();
    change(campaign, g, ad, c);
    c.campaign = &campaign;
    AuctionResult r = Run();
    EXPECT_EQ(r.winner == -1, r.verdicts[0] != Verdict::kEligible);
    return r.verdicts[0];
  };
  EXPECT_EQ(verdict([](Campaign&, AdGroup&, Ad&, AdCandidate&) {}), Verdict::kEligible);
  EXPECT_EQ(verdict([](Campaign& c, AdGroup&, Ad&, AdCandidate&) { c.paused = true; }),
            Verdict::kPaused);
  EXPECT_EQ(verdict([](Campaign&, AdGroup&, Ad& a, AdCandidate&) { a.approval = Approval::kPending; }),
            Verdict::kNotApproved);
  EXPECT_EQ(verdict([](Campaign& c, AdGroup&, Ad&, AdCandidate&) { c.end_ms = kNow; }),
            Verdict::kOutsideDates);
  const int hour = static_cast<int>((kNow % kDayMs) / kHourMs);
  EXPECT_EQ(verdict([&](Campaign&, AdGroup& g, Ad&, AdCandidate&) { g.hours &= ~(1u << hour); }),
            Verdict::kOutsideHours);
  EXPECT_EQ(verdict([](Campaign&, AdGroup& g, Ad&, AdCandidate&) { g.targeting.countries = {"GB"}; }),
            Verdict::kTargeting);
  EXPECT_EQ(verdict([](Campaign&, AdGroup& g, Ad&, AdCandidate& c) {
              g.frequency_cap.impressions = 2;
              c.recent_impressions = 2;
            }),
            Verdict::kFrequencyCap);
  // 10,000 micros per impression does not fit in 9,999 left.
  EXPECT_EQ(verdict([](Campaign&, AdGroup&, Ad&, AdCandidate& c) { c.budget_left_micros = 9'999; }),
            Verdict::kBudget);
  EXPECT_EQ(verdict([](Campaign&, AdGroup&, Ad&, AdCandidate& c) { c.paced_in = false; }),
            Verdict::kPaced);
  absl::flat_hash_set<std::string> hidden = {"a1"};
  request_.hidden_accounts = &hidden;
  EXPECT_EQ(verdict([](Campaign&, AdGroup&, Ad&, AdCandidate&) {}), Verdict::kHiddenAdvertiser);
  request_.hidden_accounts = nullptr;
  request_.previous_ad = "d1";
  EXPECT_EQ(verdict([](Campaign&, AdGroup&, Ad&, AdCandidate&) {}), Verdict::kRepeat);
  request_.previous_ad = "";
  request_.previous_creator = "cr1";
  EXPECT_EQ(verdict([](Campaign&, AdGroup&, Ad&, AdCandidate& c) { c.creator = "cr1"; }),
            Verdict::kRepeat);
}

TEST_F(AuctionTest, CostCapBidStaysWithinItsBoundsAfterLearning) {
  AdGroup g;
  g.bid_strategy = BidStrategy::kCostCap;
  g.goal = Goal::kConversion;
  g.bid_micros = 10 * kMicros;
  g.created_ms = kNow - kDayMs;
  GroupDelivery d{.goal_events = 49, .spend_micros = 49 * 30 * kMicros};
  EXPECT_TRUE(Learning(options_, g, d, kNow));
  EXPECT_DOUBLE_EQ(EffectiveBid(options_, g, d, kNow), 10 * kMicros);  // learning: the target
  d = {.goal_events = 50, .spend_micros = 50 * 20 * kMicros};           // CPA twice the target
  EXPECT_FALSE(Learning(options_, g, d, kNow));
  EXPECT_DOUBLE_EQ(EffectiveBid(options_, g, d, kNow), 6 * kMicros);
  d.spend_micros = 50 * 5 * kMicros;  // half the target
  EXPECT_DOUBLE_EQ(EffectiveBid(options_, g, d, kNow), 14 * kMicros);
  d.spend_micros = 50 * 8 * kMicros;  // 0.8 of the target: bid 1.25x
  EXPECT_DOUBLE_EQ(EffectiveBid(options_, g, d, kNow), 12.5 * kMicros);
  // Seven days without enough events end learning too.
  g.created_ms = kNow - 7 * kDayMs;
  d = {.goal_events = 3, .spend_micros = 3 * 10 * kMicros};
  EXPECT_FALSE(Learning(options_, g, d, kNow));
}

TEST_F(AuctionTest, LowestCostBidsFromItsCostPerResult) {
  AdGroup g;
  g.bid_strategy = BidStrategy::kLowestCost;
  g.goal = Goal::kClick;
  EXPECT_DOUBLE_EQ(EffectiveBid(options_, g, {}, kNow), options_.lowest_cost_start_micros);
  GroupDelivery d{.goal_events = 100, .spend_micros = 40 * kMicros};  // $0.40 a click
  EXPECT_DOUBLE_EQ(EffectiveBid(options_, g, d, kNow), 0.5 * kMicros);
  // It is billed per impression.
  Add(BidStrategy::kLowestCost, Goal::kClick, 0, 0.02).delivery = d;
  AuctionResult r = Run();
  ASSERT_EQ(r.winner, 0);
  EXPECT_EQ(r.billed, Goal::kImpression);
  EXPECT_EQ(r.charge_micros, 0);  // nobody else and no reserve: free
  request_.reserve_micros = 4'000;
  EXPECT_EQ(Run().charge_micros, 4'000);
}


// A group that pays three quarters of its bid per goal event (second pricing): the stateless
// rule would settle at sqrt(0.75) = 87% of the target; the controller brings the CPA after
// learning to the target.
TEST_F(AuctionTest, CostCapControllerBringsTheCpaAfterLearningToTheTarget) {
  AdGroup g;
  g.id = "g1";
  g.bid_strategy = BidStrategy::kCostCap;
  g.goal = Goal::kConversion;
  g.bid_micros = 10 * kMicros;
  g.created_ms = kNow;
  CostCapController controller(options_, CostCapOptions{});
  GroupDelivery d;
  int64_t events0 = -1, spend0 = 0;
  // One goal event a minute for a day, each costing 0.75 x the bid the group made.
  for (int minute = 0; minute < 24 * 60; ++minute) {
    const int64_t t = kNow + minute * 60'000;
    d.cost_cap_factor = controller.Factor(g, d, t);
    const double bid = EffectiveBid(options_, g, d, t);
    if (!Learning(options_, g, d, t)) {
      EXPECT_GE(d.cost_cap_factor, options_.cost_cap_min_factor);
      EXPECT_LE(d.cost_cap_factor, options_.cost_cap_max_factor);
      if (events0 < 0) {
        events0 = d.goal_events;
        spend0 = d.spend_micros;
      }
    } else {
      EXPECT_EQ(d.cost_cap_factor, 1);  // learning: the target
    }
    d.goal_events += 1;
    d.spend_micros += static_cast<int64_t>(0.75 * bid);
  }
  ASSERT_GE(events0, 50);
  const double cpa = static_cast<double>(d.spend_micros - spend0) /
                     static_cast<double>(d.goal_events - events0);
  EXPECT_NEAR(cpa, 10.0 * kMicros, 0.03 * 10 * kMicros);
  // Without the controller the same group would bid target / CPA so far.
  GroupDelivery stateless{.goal_events = 100, .spend_micros = 100 * 75 * kMicros / 10};
  const double stateless_factor = EffectiveBid(options_, g, stateless, kNow + kDayMs) / (10.0 * kMicros);
  EXPECT_NEAR(stateless_factor, 1 / 0.75, 1e-9);
}

TEST_F(AuctionTest, CostCapControllerStaysWithinItsBoundsAndIgnoresOtherStrategies) {
  AdGroup g;
  g.id = "g1";
  g.bid_strategy = BidStrategy::kCostCap;
  g.goal = Goal::kClick;
  g.bid_micros = 1 * kMicros;
  g.created_ms = kNow - 8 * kDayMs;  // past learning by age
  CostCapController controller(options_, CostCapOptions{.update_ms = 60'000});
  GroupDelivery d;
  // Every event costs three times the target: the factor falls to the floor and stays.
  for (int minute = 0; minute < 120; ++minute) {
    d.cost_cap_factor = controller.Factor(g, d, kNow + minute * 60'000);
    d.goal_events += 1;
    d.spend_micros += 3 * kMicros;
  }
  EXPECT_DOUBLE_EQ(d.cost_cap_factor, options_.cost_cap_min_factor);
  EXPECT_DOUBLE_EQ(EffectiveBid(options_, g, d, kNow), 0.6 * kMicros);
  g.bid_strategy = BidStrategy::kBidCap;
  EXPECT_EQ(controller.Factor(g, d, kNow), 0);
  EXPECT_FALSE(CostCapController::Validate(CostCapOptions{.gain = 0}).ok());
  EXPECT_FALSE(CostCapController::Validate(CostCapOptions{.update_ms = 0}).ok());
  EXPECT_TRUE(CostCapController::Validate(CostCapOptions{}).ok());
}

// Ads half as liked as the organic items in every slot cost the viewers 4.5% of their likes:
// the reserve rises until fewer ads are shown; ads as liked as the organic items cost nothing
// and the multiplier comes back to 1.
TEST_F(AuctionTest, ReserveRisesWhileAdsCostTheViewersMoreThanTheTarget) {
  ReserveController reserve(ReserveOptions{});
  ASSERT_TRUE(ReserveController::Validate(ReserveOptions{}).ok());
  EXPECT_EQ(reserve.Multiplier(kNow), 1);
  double multiplier = 1, previous = 1;
  for (int minute = 1; minute <= 30; ++minute) {
    for (int slot = 0; slot < 100; ++slot) {
      reserve.ObserveSlot(10 * 0.06, 10 * 0.35, 10);
      reserve.ObserveAd(0.03, 0.35);
    }
    multiplier = reserve.Multiplier(kNow + minute * 60'000);
    EXPECT_GE(multiplier, previous);
    previous = multiplier;
  }
  EXPECT_GT(multiplier, 1.2);
  EXPECT_LE(multiplier, ReserveOptions{}.max_multiplier);
  for (int minute = 61; minute <= 240; ++minute) {
    for (int slot = 0; slot < 100; ++slot) {
      reserve.ObserveSlot(10 * 0.06, 10 * 0.35, 10);
      reserve.ObserveAd(0.06, 0.35);
    }
    multiplier = reserve.Multiplier(kNow + minute * 60'000);
  }
  EXPECT_EQ(multiplier, 1);
  EXPECT_FALSE(ReserveController::Validate(ReserveOptions{.max_cost = 0}).ok());
  EXPECT_FALSE(ReserveController::Validate(ReserveOptions{.decay = 1}).ok());
  EXPECT_FALSE(ReserveController::Validate(ReserveOptions{.max_multiplier = 0.5}).ok());
}

}  // namespace
}  // namespace foryou::ads
