// The pieces together, as the feed's ad source will use them: candidates from the store, the
// viewer's audiences, hidden advertisers and frequency counts, the auction against a reserve,
// a reservation, the billed impression or click in the ledger, and a report that equals it.
#include <random>

#include "ads/ad_slots.h"
#include "ads/ads_test_world.h"
#include "ads/auction.h"
#include "ads/ledger.h"
#include "ads/pacer.h"
#include "ads/report.h"

namespace foryou::ads {
namespace {

class AdsFlowTest : public AdsWorldTest {
 protected:
  void SetUp() override {
    AdsWorldTest::SetUp();
    // g1 (from the world): $10 CPM, 2 impressions per viewer a day. g2: $0.50 CPC, fans only.
    group_.frequency_cap = {.impressions = 2, .window_hours = 24};
    group_.pacing = Pacing::kFast;
    ASSERT_TRUE(store_->PutAdGroup(group_).ok());
    ASSERT_TRUE(store_->PutAudience({.id = "fans", .account = "a1", .name = "Fans"}, {"u1"}).ok());
    AdGroup g2 = group_;
    g2.id = "g2";
    g2.goal = Goal::kClick;
    g2.bid_micros = 500'000;
    g2.frequency_cap = {};
    g2.targeting.audiences = {"fans"};
    ASSERT_TRUE(store_->PutAdGroup(g2).ok());
    Ad d2 = ad_;
    d2.id = "d2";
    d2.ad_group = "g2";
    ASSERT_TRUE(store_->PutAd(d2).ok());
    ledger_ = std::make_unique<Ledger>(store_.get(), /*sync=*/false);
    ASSERT_TRUE(ledger_->Load().ok());
    pacer_ = std::make_unique<Pacer>(ledger_.get(), PacerOptions{});
  }

  // One slot for `user` at `now`: returns the ad served ("" for none) and bills it.
  std::string ServeSlot(const std::string& user, int64_t now, double reserve) {
    ViewerProfile viewer{.user = user, .country = "US"};
    const std::vector<std::string> audiences = *store_->AudiencesOf(user);
    viewer.audiences.insert(audiences.begin(), audiences.end());
    const std::vector<std::string> hidden_list = *store_->HiddenAdvertisers(user);
    absl::flat_hash_set<std::string> hidden(hidden_list.begin(), hidden_list.end());
    std::vector<Campaign> campaigns = *store_->CampaignsOf("a1");
    std::deque<AdGroup> groups;
    std::deque<Ad> ads;
    std::vector<AdCandidate> candidates;
    for (const Campaign& c : campaigns) {
      std::vector<AdGroup> in_campaign = *store_->AdGroupsOf(c.id);
      for (AdGroup& g : in_campaign) {
        AdCandidate cand;
        cand.campaign = &c;
        cand.group = &groups.emplace_back(std::move(g));
        cand.ad = &ads.emplace_back(store_->AdsOf(cand.group->id)->at(0));
        cand.p_action = cand.group->goal == Goal::kClick ? 0.03 : 1;  // the model's, here fixed
        cand.delivery = DeliveryOf(*ledger_, *cand.group, now);
        cand.budget_left_micros = pacer_->BudgetLeft(c, *cand.group, now);
        cand.paced_in = pacer_->Admit(c, *cand.group, now, 0.5);
        const FrequencyCap& cap = cand.group->frequency_cap;
        if (cap.impressions > 0) {
          cand.recent_impressions = static_cast<int32_t>(*ledger_->ImpressionsSince(
              user, cand.group->id, now - cap.window_hours * kHourMs, cap.impressions));
        }
        candidates.push_back(cand);
      }
    }
    AuctionRequest req{.viewer = &viewer, .now_ms = now, .reserve_micros = reserve,
                       .hidden_accounts = &hidden};
    AuctionResult r = RunAuction(AuctionOptions{}, req, candidates);
    if (r.winner < 0) return "";
    const AdCandidate& w = candidates[r.winner];
    absl::StatusOr<Reservation> hold = pacer_->Reserve(*w.campaign, *w.group, r.charge_micros, now);
    EXPECT_TRUE(hold.ok()) << hold.status();
    LedgerEntry e{.event_id = absl::StrCat("imp-", ++n_), .kind = EventKind::kImpression,
                  .user = user, .account = w.campaign->account, .campaign = w.campaign->id,
                  .ad_group = w.group->id, .ad = w.ad->id, .time_ms = now};
    if (r.billed == Goal::kImpression) {
      e.charge_micros = r.charge_micros;
      EXPECT_TRUE(*pacer_->Settle(*hold, e));
    } else {
      // CPC: the impression is free; the held click price is billed when the click comes.
      EXPECT_TRUE(*ledger_->Append(e, BudgetLimits{}));
      LedgerEntry click = e;
      click.event_id = absl::StrCat("clk-", n_);
      click.kind = EventKind::kClick;
      click.charge_micros = r.charge_micros;
      click.time_ms = now + 2000;
      EXPECT_TRUE(*pacer_->Settle(*hold, click));
    }
    return w.ad->id;
  }

  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Pacer> pacer_;
  int n_ = 0;
};

TEST_F(AdsFlowTest, SlotsAuctionBillingAndReportsTogether) {
  const int64_t t = kTestT0;
  // u1 is a fan: the CPC group is worth 0.03 x 500,000 = 15,000 a view, more than g1's 10,000.
  EXPECT_EQ(ServeSlot("u1", t, 1000), "d2");
  // u2 is not: g1 wins, twice, then its frequency cap stops it and the organic item stays.
  EXPECT_EQ(ServeSlot("u2", t, 1000), "d1");
  EXPECT_EQ(ServeSlot("u2", t + 60'000, 1000), "d1");
  EXPECT_EQ(ServeSlot("u2", t + 120'000, 1000), "");
  EXPECT_EQ(ServeSlot("u3", t, 12'000), "");  // the organic item is worth more
  // "Not interested": u1 sees no ad of a1 again.
  ASSERT_TRUE(store_->HideAdvertiser("u1", "a1").ok());
  EXPECT_EQ(ServeSlot("u1", t + 60'000, 1000), "");

  // Charges: u1's click at the runner-up's 10,000 / 0.03; u2's impressions at the reserve.
  EXPECT_EQ(ledger_->Find("clk-1")->charge_micros, 333'333);
  EXPECT_EQ(ledger_->Find("imp-2")->charge_micros, 1'000);
  ReportQuery q{.account = "a1", .from_ms = t - kHourMs, .to_ms = t + kHourMs,
                .bucket = Bucket::kAll, .level = Level::kAdGroup};
  absl::StatusOr<std::vector<ReportRow>> rows = BuildReport(*ledger_, q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].id, "g1");
  EXPECT_EQ((*rows)[0].impressions, 2);
  EXPECT_EQ((*rows)[0].reach, 1);
  EXPECT_EQ((*rows)[0].spend_micros, ledger_->SpentOf("c1", "g1", t).group_total);
  EXPECT_EQ((*rows)[1].clicks, 1);
  EXPECT_EQ((*rows)[1].spend_micros, 333'333);
  EXPECT_EQ(ledger_->SpentOf("c1", "g1", t).campaign_total, 2'000 + 333'333);
}

}  // namespace
}  // namespace foryou::ads
