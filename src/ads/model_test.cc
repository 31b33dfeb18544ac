// The advertiser's records: JSON round trips, and every refusal names its field.
#include "ads/model.h"

#include <string>

#include "gtest/gtest.h"

namespace foryou::ads {
namespace {

constexpr char kGroup[] = R"({"id": "g1", "campaign": "c1", "name": "Dancers",
  "targeting": {"countries": ["US", "GB"], "age_bands": ["18-24"], "interests": ["dance"],
                "excluded_audiences": ["buyers"]},
  "hours": [8, 9, 20], "goal": "click", "bid_strategy": "bid_cap", "bid_micros": 250000,
  "budget_mode": "daily", "budget_micros": 50000000, "pacing": "fast",
  "frequency_cap": {"impressions": 3, "window_hours": 24}, "attribution_window_hours": 24})";

// The message of a refused parse.
std::string Refusal(const absl::StatusOr<AdGroup>& g) {
  EXPECT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(g.status().message());
}

std::string WithField(std::string json, const std::string& field_and_value) {
  json.insert(1, field_and_value + ", ");
  return json;
}

TEST(AdsModelTest, AdGroupRoundTrips) {
  absl::StatusOr<AdGroup> g = ParseAdGroup(kGroup);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->hours, (1u << 8) | (1u << 9) | (1u << 20));
  EXPECT_EQ(g->goal, Goal::kClick);
  EXPECT_EQ(g->bid_micros, 250000);
  EXPECT_EQ(g->pacing, Pacing::kFast);
  EXPECT_EQ(g->frequency_cap.impressions, 3);
  EXPECT_EQ(g->targeting.countries, (std::vector<std::string>{"US", "GB"}));
  EXPECT_EQ(g->placements, (std::vector<std::string>{"foryou"}));
  absl::StatusOr<AdGroup> back = ParseAdGroup(AdGroupToJson(*g));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(AdGroupToJson(*back), AdGroupToJson(*g));
  EXPECT_EQ(back->targeting.excluded_audiences, (std::vector<std::string>{"buyers"}));
  EXPECT_EQ(BilledEvent(*g), Goal::kClick);
}

TEST(AdsModelTest, AdGroupRefusalsNameTheField) {
  std::string bad = kGroup;
  bad.replace(bad.find("250000"), 6, "0");
  EXPECT_EQ(Refusal(ParseAdGroup(bad)), "ad_group.bid_micros: must be > 0 for bid_cap");
  EXPECT_EQ(Refusal(ParseAdGroup(WithField(kGroup, R"("bid": 5)"))), "ad_group.bid: unknown field");
  EXPECT_EQ(Refusal(ParseAdGroup(WithField(kGroup, R"("paused": "yes")"))),
            "ad_group.paused: must be true or false");
  std::string band = kGroup;
  band.replace(band.find("18-24"), 5, "18-99");
  EXPECT_EQ(Refusal(ParseAdGroup(band)).rfind("ad_group.targeting.age_bands: '18-99'", 0), 0u);
  std::string nested = kGroup;
  nested.replace(nested.find("\"interests\""), 11, "\"interest\"");
  EXPECT_EQ(Refusal(ParseAdGroup(nested)), "ad_group.targeting.interest: unknown field");
  std::string hour = kGroup;
  hour.replace(hour.find("20]"), 2, "24");
  EXPECT_EQ(Refusal(ParseAdGroup(hour)), "ad_group.hours: each hour must be 0-23");
  std::string strategy = kGroup;
  strategy.replace(strategy.find("bid_cap"), 7, "max_bid");
  EXPECT_EQ(Refusal(ParseAdGroup(strategy)),
            "ad_group.bid_strategy: 'max_bid' is not one of bid_cap, cost_cap, lowest_cost");
  std::string lowest = kGroup;
  lowest.replace(lowest.find("bid_cap"), 7, "lowest_cost");
  EXPECT_EQ(Refusal(ParseAdGroup(lowest)), "ad_group.bid_micros: must be 0 for lowest_cost");
  std::string cpa = kGroup;
  cpa.replace(cpa.find("\"click\""), 7, "\"impression\"");
  cpa.replace(cpa.find("bid_cap"), 7, "cost_cap");
  EXPECT_EQ(Refusal(ParseAdGroup(cpa)),
            "ad_group.goal: cost_cap targets a cost per click, view or conversion");
  std::string budget = kGroup;
  budget.replace(budget.find("50000000"), 8, "-1");
  EXPECT_EQ(Refusal(ParseAdGroup(budget)), "ad_group.budget_micros: must be >= 0");
  EXPECT_EQ(Refusal(ParseAdGroup("[1]")), "ad_group: must be a JSON object");
  EXPECT_EQ(Refusal(ParseAdGroup("{")), "ad_group: not valid JSON");
  std::string fraction = kGroup;
  fraction.replace(fraction.find("250000"), 6, "1.5");
  EXPECT_EQ(Refusal(ParseAdGroup(fraction)),
            "ad_group.bid_micros: must be an integer");
}

TEST(AdsModelTest, CampaignBudgetsAndDates) {
  absl::StatusOr<Campaign> c = ParseCampaign(
      R"({"id": "c1", "account": "a1", "name": "Launch", "objective": "conversions",
          "budget_mode": "lifetime", "budget_micros": 1000000000, "start_ms": 1000,
          "end_ms": 2000})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->objective, Objective::kConversions);
  EXPECT_EQ(CampaignToJson(*ParseCampaign(CampaignToJson(*c))), CampaignToJson(*c));
  Campaign open = *c;
  open.end_ms = 0;
  EXPECT_EQ(Validate(open).message(), "campaign.end_ms: a lifetime budget needs an end");
  Campaign none = *c;
  none.budget_mode = BudgetMode::kNone;
  EXPECT_EQ(Validate(none).message(), "campaign.budget_micros: must be 0 when budget_mode is none");
  Campaign backwards = *c;
  backwards.end_ms = 500;
  EXPECT_EQ(Validate(backwards).message(),
            "campaign.end_ms: must be after start_ms (or 0 for no end)");
  EXPECT_EQ(ParseCampaign(R"({"id": "c 1"})").status().message(),
            "campaign.id: only letters, digits, _ and -");
}

TEST(AdsModelTest, AdUrlAndCallToAction) {
  absl::StatusOr<Ad> ad = ParseAd(
      R"({"id": "d1", "ad_group": "g1", "name": "Spring", "video": "v9",
          "call_to_action": "shop_now", "landing_url": "https://shop.example/spring",
          "challenge": "springdance"})");
  ASSERT_TRUE(ad.ok()) << ad.status();
  EXPECT_EQ(ad->approval, Approval::kPending);
  EXPECT_EQ(AdToJson(*ParseAd(AdToJson(*ad))), AdToJson(*ad));
  Ad bad = *ad;
  bad.landing_url = "javascript:alert(1)";
  EXPECT_EQ(Validate(bad).message(), "ad.landing_url: must be an http:// or https:// URL with a host");
  bad.landing_url = "https://";
  EXPECT_FALSE(Validate(bad).ok());
  bad = *ad;
  bad.call_to_action = "buy";
  EXPECT_EQ(std::string(Validate(bad).message()).rfind("ad.call_to_action: 'buy' is not one of", 0),
            0u);
  EXPECT_EQ(ParseAd(R"({"id": "d1", "approval": "maybe"})").status().message(),
            "ad.approval: 'maybe' is not one of pending, approved, rejected");
}

TEST(AdsModelTest, AccountNeedsOwner) {
  EXPECT_TRUE(ParseAccount(R"({"id": "a1", "name": "Shoes Inc", "owner": "u7"})").ok());
  EXPECT_EQ(ParseAccount(R"({"id": "a1", "name": "Shoes Inc"})").status().message(),
            "account.owner: must be 1-64 characters");
}

TEST(AdsModelTest, AnOwnerIsAHandleWhichMayHoldADot) {
  EXPECT_TRUE(ParseAccount(R"({"id": "a1", "name": "Shoes", "owner": "shoe.shop"})").ok());
  EXPECT_EQ(ParseAccount(R"({"id": "a1", "name": "Shoes", "owner": "shoe shop"})").status().message(),
            "account.owner: only letters, digits, _, - and .");
}

}  // namespace
}  // namespace foryou::ads
