// AdStage on its own (no server): live Cost Cap and Lowest Cost bids through the stage's bid
// controllers, and the holds of ads served but never shown, released after the impression
// window by the periodic sweep.
#include "feed/ad_stage.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/model_config.h"

namespace foryou::feed {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14 22:13 UTC
constexpr int64_t kMinute = 60'000;
constexpr int kOrganic = 20;

// p(click) 0.5 for every video, nothing else: a click goal's p is 0.5 x cta_per_play = 0.025,
// and the experience term is 0.
class ClickScorer : public Scorer {
 public:
  absl::Status Score(absl::Span<const model::Impression> impressions, float* probs) const override {
    for (size_t i = 0; i < impressions.size() * model::kNumTasks; ++i) probs[i] = 0;
    for (size_t i = 0; i < impressions.size(); ++i)
      probs[i * model::kNumTasks + model::kClick] = 0.5f;
    return absl::OkStatus();
  }
  int embedding_dim() const override { return 1; }
  absl::Status VideoEmbeddings(absl::Span<const uint64_t> keys, float* out) const override {
    for (size_t i = 0; i < keys.size(); ++i) out[i] = 1;
    return absl::OkStatus();
  }
};

class AdStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            absl::StrCat("foryou_ad_stage_test_", ::getpid(), "_", counter_++))
               .string();
    std::filesystem::remove_all(dir_);
    auto store = ads::AdsStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ledger_ = std::make_unique<ads::Ledger>(store_.get(), /*sync=*/false);
    ASSERT_TRUE(ledger_->Load().ok());
    pacer_ = std::make_unique<ads::Pacer>(ledger_.get(), ads::PacerOptions{});
    std::vector<catalog::Video> videos;
    for (int v = 0; v <= kOrganic; ++v) {
      catalog::Video video;
      video.id = v < kOrganic ? absl::StrCat("v", v) : "ad-video";
      video.creator = v < kOrganic ? absl::StrCat("c", v % 5) : "brand";
      video.duration_ms = 15000;
      video.moderation = catalog::Moderation::kApproved;
      videos.push_back(video);
    }
    index_.Build(videos);
    campaign_.id = "c1";
    campaign_.account = "a1";
    campaign_.name = "C";
    group_.id = "g1";
    group_.campaign = "c1";
    group_.name = "G";
    group_.pacing = ads::Pacing::kFast;
    ad_.id = "d1";
    ad_.ad_group = "g1";
    ad_.name = "D";
    ad_.video = "ad-video";
    ad_.landing_url = "https://shop.example/";
    ad_.approval = ads::Approval::kApproved;
  }
  void TearDown() override {
    stage_.reset();
    pacer_.reset();
    ledger_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Stores the campaign, group_ and the ad, and opens the stage.
  void Open(AdStageOptions options = {}) {
    ASSERT_TRUE(store_->PutAccount({"a1", "A", "owner"}).ok());
    ASSERT_TRUE(store_->PutCampaign(campaign_).ok());
    ASSERT_TRUE(store_->PutAdGroup(group_).ok());
    ASSERT_TRUE(store_->PutAd(ad_).ok());
    ASSERT_TRUE(AdStage::Validate(options).ok());
    stage_ =
        std::make_unique<AdStage>(options, store_.get(), ledger_.get(), pacer_.get(), &scorer_);
  }

  // A page of 10 organic items for a new viewer, each worth `value` (the reserve is value x
  // 5,000 micros per impression), after Place at `now`. The position of its ad, -1 if none.
  int Serve(const std::string& request_id, const std::string& user, double value, int64_t now,
            int64_t* charge = nullptr) {
    FeedPage page;
    page.request_id = request_id;
    page.model_user = user;
    const auto snap = index_.snapshot();
    for (const auto& entry : snap->all) {
      if (entry->video.id == "ad-video" || page.items.size() == 10) continue;
      FeedItem item;
      item.entry = entry;
      item.candidate = item.entry->proto;
      item.candidate.value = static_cast<float>(value);
      page.items.push_back(std::move(item));
    }
    catalog::User u;
    u.id = user;
    EXPECT_TRUE(stage_->Place(u, snap, now, &page).ok());
    for (size_t i = 0; i < page.items.size(); ++i) {
      if (page.items[i].ad == nullptr) continue;
      if (charge != nullptr) *charge = page.items[i].ad->charge_micros;
      return static_cast<int>(i);
    }
    return -1;
  }

  stream::Event Impression(const std::string& request_id, const std::string& user, int position,
                           int64_t now) {
    stream::Event e;
    e.type = stream::EventType::kImpression;
    e.user = user;
    e.time_ms = now;
    e.request_id = request_id;
    e.video = "ad-video";
    e.position = position;
    e.surface = "foryou";
    return e;
  }

  int64_t Left(int64_t now) { return pacer_->BudgetLeft(campaign_, group_, now); }

  static inline int counter_ = 0;
  std::string dir_;
  std::unique_ptr<ads::AdsStore> store_;
  std::unique_ptr<ads::Ledger> ledger_;
  std::unique_ptr<ads::Pacer> pacer_;
  VideoIndex index_;
  ClickScorer scorer_;
  ads::Campaign campaign_;
  ads::AdGroup group_;
  ads::Ad ad_;
  std::unique_ptr<AdStage> stage_;
};

// A $5 CPM group with a daily budget of 7,000 micros: one hold of 2,500 (the reserve at an
// organic value of 0.5) leaves less than its bid value of 5,000, so a second page gets no ad
// until the hold goes back.
void CpmWithSmallBudget(ads::AdGroup* g) {
  g->bid_strategy = ads::BidStrategy::kBidCap;
  g->goal = ads::Goal::kImpression;
  g->bid_micros = 5 * ads::kMicros;
  g->budget_mode = ads::BudgetMode::kDaily;
  g->budget_micros = 7'000;
}

TEST_F(AdStageTest, HoldWithoutImpressionGoesBackAfterTheImpressionWindow) {
  CpmWithSmallBudget(&group_);
  Open();
  int64_t charge = 0;
  const int pos = Serve("r1", "u1", 0.5, kT0, &charge);
  ASSERT_GE(pos, 0);
  EXPECT_EQ(charge, 2'500);
  EXPECT_EQ(Left(kT0), 4'500);
  EXPECT_LT(Serve("r2", "u2", 0.5, kT0 + kMinute), 0);  // held: no room for another
  // The sweep, without any request: within the impression window the hold stays.
  ASSERT_TRUE(stage_->ReleaseExpired(kT0 + 4 * kMinute).ok());
  EXPECT_EQ(Left(kT0 + 4 * kMinute), 4'500);
  ASSERT_TRUE(stage_->ReleaseExpired(kT0 + 5 * kMinute + 1000).ok());
  EXPECT_EQ(Left(kT0 + 5 * kMinute + 1000), 7'000);
  // The group spends it again.
  EXPECT_GE(Serve("r3", "u3", 0.5, kT0 + 6 * kMinute), 0);
  EXPECT_EQ(Left(kT0 + 6 * kMinute), 4'500);

  // The impression of r1 comes after all: billed once, within the budget, with no second hold.
  const stream::Event late = Impression("r1", "u1", pos, kT0 + 7 * kMinute);
  ASSERT_TRUE(stage_->Observe({late}, kT0 + 7 * kMinute).ok());
  absl::StatusOr<ads::LedgerEntry> billed =
      ledger_->Find(AdEventId(ads::EventKind::kImpression, "r1", pos));
  ASSERT_TRUE(billed.ok()) << billed.status();
  EXPECT_EQ(billed->charge_micros, 2'500);
  EXPECT_EQ(Left(kT0 + 7 * kMinute), 2'000);  // 2,500 spent, r3's 2,500 held
  ASSERT_TRUE(stage_->Observe({late, late}, kT0 + 8 * kMinute).ok());
  EXPECT_EQ(ledger_->SpentOf("c1", "g1", kT0 + 8 * kMinute).group_day, 2'500);
  EXPECT_EQ(Left(kT0 + 8 * kMinute), 2'000);
  // Past the billing window only r3's hold goes back (r1's was released once, never twice).
  ASSERT_TRUE(stage_->ReleaseExpired(kT0 + 40 * kMinute).ok());
  EXPECT_EQ(Left(kT0 + 40 * kMinute), 4'500);
}

TEST_F(AdStageTest, LateImpressionWithoutRoomInTheBudgetIsFree) {
  CpmWithSmallBudget(&group_);
  Open();
  const int pos = Serve("r1", "u1", 0.5, kT0);
  ASSERT_GE(pos, 0);
  ASSERT_TRUE(stage_->ReleaseExpired(kT0 + 6 * kMinute).ok());
  // Meanwhile the budget went elsewhere (an unreserved charge of 6,000).
  ASSERT_TRUE(ledger_
                  ->Append({.event_id = "other",
                            .kind = ads::EventKind::kImpression,
                            .user = "u9",
                            .account = "a1",
                            .campaign = "c1",
                            .ad_group = "g1",
                            .ad = "d1",
                            .time_ms = kT0 + 6 * kMinute,
                            .charge_micros = 6'000},
                           ads::LimitsOf(campaign_, group_))
                  .ok());
  ASSERT_TRUE(
      stage_->Observe({Impression("r1", "u1", pos, kT0 + 7 * kMinute)}, kT0 + 7 * kMinute).ok());
  absl::StatusOr<ads::LedgerEntry> e =
      ledger_->Find(AdEventId(ads::EventKind::kImpression, "r1", pos));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->charge_micros, 0);
  EXPECT_EQ(Left(kT0 + 7 * kMinute), 1'000);
}

TEST_F(AdStageTest, ClickBilledHoldWaitsForTheClickOnceTheImpressionCame) {
  group_.bid_strategy = ads::BidStrategy::kBidCap;
  group_.goal = ads::Goal::kClick;
  group_.bid_micros = ads::kMicros;  // $1 per click
  group_.budget_mode = ads::BudgetMode::kDaily;
  group_.budget_micros = 10 * ads::kMicros;
  Open();
  int64_t charge = 0;
  const int shown = Serve("r1", "u1", 0.5, kT0, &charge);
  ASSERT_GE(shown, 0);
  ASSERT_GT(charge, 0);
  const int never = Serve("r2", "u2", 0.5, kT0);
  ASSERT_GE(never, 0);
  const int64_t full = 10 * ads::kMicros;
  EXPECT_EQ(Left(kT0), full - 2 * charge);
  ASSERT_TRUE(stage_->Observe({Impression("r1", "u1", shown, kT0 + kMinute)}, kT0 + kMinute).ok());
  // The impression is free (CPC); r2's hold goes back at its impression window, r1's waits.
  ASSERT_TRUE(stage_->ReleaseExpired(kT0 + 6 * kMinute).ok());
  EXPECT_EQ(Left(kT0 + 6 * kMinute), full - charge);
  ASSERT_TRUE(stage_->ReleaseExpired(kT0 + 29 * kMinute).ok());
  EXPECT_EQ(Left(kT0 + 29 * kMinute), full - charge);
  ASSERT_TRUE(stage_->ReleaseExpired(kT0 + 31 * kMinute).ok());
  EXPECT_EQ(Left(kT0 + 31 * kMinute), full);
}

TEST_F(AdStageTest, ImpressionWindowIsValidated) {
  AdStageOptions o;
  o.impression_window_ms = o.billing_window_ms + 1;
  absl::Status st = AdStage::Validate(o);
  EXPECT_NE(st.message().find("ads.impression_window_ms"), std::string::npos) << st;
  o.impression_window_ms = 999;
  EXPECT_FALSE(AdStage::Validate(o).ok());
  o = AdStageOptions{};
  o.bid_controllers.cost_cap.update_ms = 0;
  st = AdStage::Validate(o);
  EXPECT_NE(st.message().find("cost_cap.update_ms"), std::string::npos) << st;
}

// A Cost Cap group (target $2 per click, p = 0.025: $2 is worth 50,000 micros an impression)
// past learning, whose results after learning cost twice the target: the stage bids it down by
// the controller's step, (1/2)^0.3 = 0.81 (40,600 micros), not to the bound 0.6 (30,000 micros)
// that the CPA so far alone would give. A reserve of 35,000 tells the two apart.
TEST_F(AdStageTest, LiveCostCapOverTargetBidsBelowItsTarget) {
  group_.bid_strategy = ads::BidStrategy::kCostCap;
  group_.goal = ads::Goal::kClick;
  group_.bid_micros = 2 * ads::kMicros;
  group_.created_ms = kT0 - 8 * ads::kDayMs;  // past learning by age
  Open();
  EXPECT_GE(Serve("r1", "u1", 0.5, kT0), 0);  // learning ended: the factor starts at 1
  for (int i = 0; i < 10; ++i) {
    const std::string n = std::to_string(i);
    for (const auto& [kind, charge] : {std::pair{ads::EventKind::kImpression, 4 * ads::kMicros},
                                       std::pair{ads::EventKind::kClick, int64_t{0}}}) {
      ASSERT_TRUE(ledger_
                      ->Append({.event_id = absl::StrCat(ads::Name(kind), "-x", n),
                                .kind = kind,
                                .user = "u9",
                                .account = "a1",
                                .campaign = "c1",
                                .ad_group = "g1",
                                .ad = "d1",
                                .time_ms = kT0 + kMinute,
                                .charge_micros = charge},
                               ads::BudgetLimits{})
                      .ok());
    }
  }
  const int64_t t = kT0 + 5 * kMinute;
  int64_t charge = 0;
  EXPECT_GE(Serve("r2", "u2", 7.0, t, &charge), 0);
  EXPECT_EQ(charge, 35'000);  // the reserve: its bid value was above it
  const ads::GroupDelivery d = stage_->bid_controllers().Delivery(campaign_, group_, t);
  EXPECT_NEAR(d.cost_cap_factor, std::pow(0.5, 0.3), 1e-9);
  EXPECT_GE(d.cost_cap_factor, 0.6);
  EXPECT_LE(d.cost_cap_factor, 1.4);
  EXPECT_NEAR(ads::EffectiveBid(AdStageOptions{}.auction, group_, d, t), 2e6 * std::pow(0.5, 0.3),
              1e-3);
  // Over the target still, it moves down at the next interval: now under the reserve.
  EXPECT_LT(Serve("r3", "u3", 7.0, t + 5 * kMinute), 0);
}

// A Lowest Cost group with a daily budget and nothing spent is behind its plan: from $1 per
// 1,000 impressions (1,000 micros an impression, under a reserve of 1,500) the stage's
// controller doubles its bid at the next interval, so it wins the same slot then.
TEST_F(AdStageTest, LiveLowestCostBehindPlanBidsUp) {
  group_.bid_strategy = ads::BidStrategy::kLowestCost;
  group_.goal = ads::Goal::kImpression;
  group_.bid_micros = 0;
  group_.budget_mode = ads::BudgetMode::kDaily;
  group_.budget_micros = 100 * ads::kMicros;
  AdStageOptions options;
  options.auction.lowest_cost_max_micros = 3 * ads::kMicros;
  Open(options);
  EXPECT_LT(Serve("r1", "u1", 0.3, kT0), 0);
  EXPECT_LT(Serve("r2", "u2", 0.3, kT0 + 4 * kMinute), 0);
  int64_t charge = 0;
  EXPECT_GE(Serve("r3", "u3", 0.3, kT0 + 5 * kMinute, &charge), 0);
  EXPECT_EQ(charge, 1'500);
  EXPECT_DOUBLE_EQ(
      stage_->bid_controllers().Delivery(campaign_, group_, kT0 + 5 * kMinute).lowest_cost_bid,
      2e6);
  // Still behind: up to the bound, and no further.
  for (int step = 2; step <= 4; ++step) {
    Serve(absl::StrCat("r", 3 + step), absl::StrCat("u", 3 + step), 0.3, kT0 + step * 5 * kMinute);
  }
  EXPECT_DOUBLE_EQ(
      stage_->bid_controllers().Delivery(campaign_, group_, kT0 + 20 * kMinute).lowest_cost_bid,
      3e6);
}

}  // namespace
}  // namespace foryou::feed
