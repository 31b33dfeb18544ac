// Reports from a real ledger: exact figures on a small case, and on a random day the spend of
// every grouping adds up to the ledger's to the micro.
#include "ads/report.h"

#include <random>

#include "ads/ads_test_world.h"

namespace foryou::ads {
namespace {

class ReportTest : public AdsWorldTest {
 protected:
  void SetUp() override {
    AdsWorldTest::SetUp();
    AdGroup g2 = group_;
    g2.id = "g2";
    ASSERT_TRUE(store_->PutAdGroup(g2).ok());
    Ad d2 = ad_;
    d2.id = "d2";
    d2.ad_group = "g2";
    ASSERT_TRUE(store_->PutAd(d2).ok());
    ledger_ = std::make_unique<Ledger>(store_.get(), /*sync=*/false);
    ASSERT_TRUE(ledger_->Load().ok());
  }
  void Add(const std::string& id, EventKind kind, const std::string& user, const std::string& ad,
           int64_t t, int64_t charge) {
    LedgerEntry e;
    e.event_id = id;
    e.kind = kind;
    e.user = user;
    e.account = "a1";
    e.campaign = "c1";
    e.ad_group = ad == "d1" ? "g1" : "g2";
    e.ad = ad;
    e.time_ms = t;
    e.charge_micros = charge;
    absl::StatusOr<bool> r = ledger_->Append(e, BudgetLimits{});
    ASSERT_TRUE(r.ok() && *r) << r.status();
  }
  std::unique_ptr<Ledger> ledger_;
};

constexpr int64_t kDay0 = kTestT0 - kTestT0 % kDayMs;

TEST_F(ReportTest, FiguresOfASmallDay) {
  Add("i1", EventKind::kImpression, "u1", "d1", kDay0 + 10, 12'345);
  Add("i2", EventKind::kImpression, "u1", "d1", kDay0 + 20, 12'345);
  Add("i3", EventKind::kImpression, "u2", "d1", kDay0 + kHourMs, 12'345);
  Add("k1", EventKind::kClick, "u2", "d1", kDay0 + kHourMs + 5, 0);
  Add("v1", EventKind::kView2s, "u2", "d1", kDay0 + kHourMs + 6, 0);
  Add("v2", EventKind::kView6s, "u2", "d1", kDay0 + kHourMs + 7, 0);
  Conversion c{.event_id = "buy", .user = "u2", .ad = "d1", .type = "purchase",
               .time_ms = kDay0 + kHourMs + 60'000};
  ASSERT_TRUE(ledger_->RecordConversion(c).ok());
  ReportQuery q{.account = "a1", .from_ms = kDay0, .to_ms = kDay0 + kDayMs,
                .bucket = Bucket::kDay, .level = Level::kAd};
  absl::StatusOr<std::vector<ReportRow>> rows = BuildReport(*ledger_, q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  const ReportRow& r = (*rows)[0];
  EXPECT_EQ(r.id, "d1");
  EXPECT_EQ(r.impressions, 3);
  EXPECT_EQ(r.reach, 2);
  EXPECT_DOUBLE_EQ(r.frequency(), 1.5);
  EXPECT_EQ(r.clicks, 1);
  EXPECT_DOUBLE_EQ(r.ctr(), 1.0 / 3);
  EXPECT_EQ(r.views_2s, 1);
  EXPECT_EQ(r.views_6s, 1);
  EXPECT_EQ(r.conversions, 1);
  EXPECT_EQ(r.spend_micros, 37'035);
  EXPECT_EQ(r.cpa_micros(), 37'035);
  q.bucket = Bucket::kHour;
  rows = BuildReport(*ledger_, q);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].bucket_ms, kDay0);
  EXPECT_EQ((*rows)[0].spend_micros, 24'690);
  EXPECT_EQ((*rows)[1].bucket_ms, kDay0 + kHourMs);
  EXPECT_EQ((*rows)[1].reach, 1);
  q.to_ms = q.from_ms;
  EXPECT_EQ(BuildReport(*ledger_, q).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ReportTest, EveryGroupingAddsUpToTheLedger) {
  std::mt19937_64 rng(11);
  int64_t impressions = 0;
  for (int i = 0; i < 600; ++i) {
    const int64_t t = kDay0 + static_cast<int64_t>(rng() % (2 * kDayMs));
    const std::string user = absl::StrCat("u", rng() % 40);
    const std::string ad = rng() % 3 ? "d1" : "d2";
    const int kind = static_cast<int>(rng() % 4);
    const int64_t charge = kind == 0 ? static_cast<int64_t>(rng() % 20'000) : 0;
    impressions += kind == 0;
    Add(absl::StrCat("e", i), static_cast<EventKind>(kind), user, ad, t, charge);
  }
  const Spend ledger_spend = ledger_->SpentOf("c1", "g1", kDay0);
  for (Level level : {Level::kAccount, Level::kCampaign, Level::kAdGroup, Level::kAd}) {
    for (Bucket bucket : {Bucket::kHour, Bucket::kDay, Bucket::kAll}) {
      ReportQuery q{.account = "a1", .from_ms = kDay0, .to_ms = kDay0 + 2 * kDayMs,
                    .bucket = bucket, .level = level};
      absl::StatusOr<std::vector<ReportRow>> rows = BuildReport(*ledger_, q);
      ASSERT_TRUE(rows.ok()) << rows.status();
      int64_t spend = 0, imps = 0;
      for (const ReportRow& r : *rows) {
        spend += r.spend_micros;
        imps += r.impressions;
        EXPECT_LE(r.reach, r.impressions);
      }
      EXPECT_EQ(spend, ledger_spend.campaign_total);
      EXPECT_EQ(imps, impressions);
    }
  }
  // Day one of one ad group equals the ledger's daily counter for it.
  ReportQuery day{.account = "a1", .from_ms = kDay0, .to_ms = kDay0 + kDayMs,
                  .bucket = Bucket::kDay, .level = Level::kAdGroup};
  absl::StatusOr<std::vector<ReportRow>> rows = BuildReport(*ledger_, day);
  ASSERT_TRUE(rows.ok()) << rows.status();
  for (const ReportRow& r : *rows) {
    if (r.id == "g1") EXPECT_EQ(r.spend_micros, ledger_spend.group_day);
  }
}

}  // namespace
}  // namespace foryou::ads
