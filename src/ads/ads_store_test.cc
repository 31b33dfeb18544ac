// AdsStore over a real RocksDB in a temp dir.
#include "ads/ads_store.h"
#include "ads/served_ads.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace foryou::ads {
namespace {

class AdsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            absl::StrCat("foryou_ads_store_test_", ::getpid(), "_", counter_++))
               .string();
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<AdsStore>> s = AdsStore::Open(dir_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  static Campaign MakeCampaign(std::string id) {
    Campaign c;
    c.id = std::move(id);
    c.account = "a1";
    c.name = "Launch";
    c.budget_mode = BudgetMode::kDaily;
    c.budget_micros = 100 * kMicros;
    return c;
  }
  static AdGroup MakeGroup(std::string id, std::string campaign) {
    AdGroup g;
    g.id = std::move(id);
    g.campaign = std::move(campaign);
    g.name = "Group";
    g.bid_strategy = BidStrategy::kBidCap;
    g.goal = Goal::kImpression;
    g.bid_micros = 5 * kMicros;
    return g;
  }

  static inline int counter_ = 0;
  std::string dir_;
  std::unique_ptr<AdsStore> store_;
};

TEST_F(AdsStoreTest, HierarchyPersistsAcrossReopen) {
  ASSERT_TRUE(store_->PutAccount({"a1", "Shoes", "u1"}).ok());
  ASSERT_TRUE(store_->PutCampaign(MakeCampaign("c2")).ok());
  ASSERT_TRUE(store_->PutCampaign(MakeCampaign("c1")).ok());
  ASSERT_TRUE(store_->PutAdGroup(MakeGroup("g1", "c1")).ok());
  Ad ad;
  ad.id = "d1";
  ad.ad_group = "g1";
  ad.name = "Spring";
  ad.video = "v1";
  ad.landing_url = "https://shop.example/";
  ASSERT_TRUE(store_->PutAd(ad).ok());
  Reopen();
  absl::StatusOr<std::vector<Campaign>> campaigns = store_->CampaignsOf("a1");
  ASSERT_TRUE(campaigns.ok()) << campaigns.status();
  ASSERT_EQ(campaigns->size(), 2u);
  EXPECT_EQ((*campaigns)[0].id, "c1");
  EXPECT_EQ((*campaigns)[1].budget_micros, 100 * kMicros);
  EXPECT_EQ(store_->AdGroupsOf("c1")->size(), 1u);
  EXPECT_TRUE(store_->AdGroupsOf("c2")->empty());
  absl::StatusOr<Ad> back = store_->GetAd("d1");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(AdToJson(*back), AdToJson(ad));
  // A replacement keeps the children.
  ad.approval = Approval::kApproved;
  ASSERT_TRUE(store_->PutAd(ad).ok());
  EXPECT_EQ(store_->AdsOf("g1")->at(0).approval, Approval::kApproved);
}

TEST_F(AdsStoreTest, AccountsListsEveryAccountAndNothingElse) {
  EXPECT_TRUE(store_->Accounts()->empty());
  ASSERT_TRUE(store_->PutAccount({"a2", "Hats", "u2"}).ok());
  ASSERT_TRUE(store_->PutAccount({"a1", "Shoes", "u1"}).ok());
  // Records under other tags that sort near "a|" (campaign index "ac|", audiences "am|").
  ASSERT_TRUE(store_->PutCampaign(MakeCampaign("c1")).ok());
  ASSERT_TRUE(store_->PutAudience({"au1", "a1", "Buyers", 0}, {"x1"}).ok());
  Reopen();
  absl::StatusOr<std::vector<Account>> all = store_->Accounts();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "a1");
  EXPECT_EQ((*all)[0].owner, "u1");
  EXPECT_EQ((*all)[1].id, "a2");
}

TEST_F(AdsStoreTest, RefusesOrphansInvalidRecordsAndMoves) {
  EXPECT_EQ(store_->PutCampaign(MakeCampaign("c1")).message(), "account a1 not found");
  ASSERT_TRUE(store_->PutAccount({"a1", "Shoes", "u1"}).ok());
  ASSERT_TRUE(store_->PutAccount({"a2", "Hats", "u2"}).ok());
  Campaign bad = MakeCampaign("c1");
  bad.budget_micros = 0;
  EXPECT_EQ(store_->PutCampaign(bad).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetCampaign("c1").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->PutCampaign(MakeCampaign("c1")).ok());
  Campaign moved = MakeCampaign("c1");
  moved.account = "a2";
  EXPECT_EQ(store_->PutCampaign(moved).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->CampaignsOf("a2")->empty());
  EXPECT_EQ(store_->PutAdGroup(MakeGroup("g1", "c9")).message(), "campaign c9 not found");
}

TEST_F(AdsStoreTest, HiddenAdvertisersPersist) {
  ASSERT_TRUE(store_->HideAdvertiser("u1", "a2").ok());
  ASSERT_TRUE(store_->HideAdvertiser("u1", "a1").ok());
  ASSERT_TRUE(store_->HideAdvertiser("u12", "a3").ok());
  Reopen();
  EXPECT_EQ(*store_->HiddenAdvertisers("u1"), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_TRUE(store_->HiddenAdvertisers("u2")->empty());
  EXPECT_EQ(store_->HideAdvertiser("", "a1").code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AdsStoreTest, AudiencesReplaceTheirMembersAndStayWithTheirAccount) {
  ASSERT_TRUE(store_->PutAccount({"a1", "Shoes", "u1"}).ok());
  ASSERT_TRUE(store_->PutAccount({"a2", "Hats", "u2"}).ok());
  ASSERT_TRUE(store_->PutCampaign(MakeCampaign("c1")).ok());
  Audience buyers{.id = "buyers", .account = "a1", .name = "Past buyers"};
  ASSERT_TRUE(store_->PutAudience(buyers, {"v1", "v2", "v2", "v3"}).ok());
  EXPECT_EQ(store_->GetAudience("buyers")->size, 3);
  EXPECT_EQ(*store_->AudiencesOf("v2"), (std::vector<std::string>{"buyers"}));
  // A new upload replaces the list.
  ASSERT_TRUE(store_->PutAudience(buyers, {"v3", "v4"}).ok());
  // A lookalike keeps its recipe beside its members.
  Audience like{.id = "like", .account = "a1", .name = "Like buyers",
                .kind = AudienceKind::kLookalike, .seed = "buyers", .requested_size = 5,
                .computed_ms = 1234};
  ASSERT_TRUE(store_->PutAudience(like, {"v7", "v8"}).ok());
  Reopen();
  EXPECT_EQ(*store_->AudienceMembers("buyers"), (std::vector<std::string>{"v3", "v4"}));
  EXPECT_TRUE(store_->AudienceMembers("nobody")->empty());
  absl::StatusOr<Audience> got = store_->GetAudience("like");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->kind, AudienceKind::kLookalike);
  EXPECT_EQ(got->seed, "buyers");
  EXPECT_EQ(got->requested_size, 5);
  EXPECT_EQ(got->computed_ms, 1234);
  EXPECT_EQ(got->size, 2);
  EXPECT_EQ(store_->GetAudience("buyers")->kind, AudienceKind::kCustom);
  // A lookalike asks for 1..kMaxLookalikeSize users of another audience; a custom one has no
  // recipe.
  Audience bad = like;
  bad.requested_size = kMaxLookalikeSize + 1;
  EXPECT_EQ(store_->PutAudience(bad, {}).message(), "audience.size: must be in [1, 100000]");
  bad = like;
  bad.seed = "like";
  EXPECT_EQ(store_->PutAudience(bad, {}).message(), "audience.seed: must be another audience");
  bad = buyers;
  bad.seed = "like";
  EXPECT_EQ(store_->PutAudience(bad, {}).message(), "audience.seed: only a lookalike has a seed");
  EXPECT_EQ(store_->GetAudience("like")->size, 2);
  EXPECT_TRUE(store_->AudiencesOf("v2")->empty());
  EXPECT_EQ(*store_->AudiencesOf("v4"), (std::vector<std::string>{"buyers"}));
  EXPECT_EQ(store_->GetAudience("buyers")->size, 2);
  // Another account can neither take the id nor target the audience.
  Audience stolen = buyers;
  stolen.account = "a2";
  EXPECT_EQ(store_->PutAudience(stolen, {"v9"}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->AudiencesOf("v3"), (std::vector<std::string>{"buyers"}));
  AdGroup g = MakeGroup("g1", "c1");
  g.targeting.excluded_audiences = {"buyers"};
  EXPECT_TRUE(store_->PutAdGroup(g).ok());
  Campaign other = MakeCampaign("c2");
  other.account = "a2";
  ASSERT_TRUE(store_->PutCampaign(other).ok());
  AdGroup foreign = MakeGroup("g2", "c2");
  foreign.targeting.audiences = {"buyers"};
  EXPECT_EQ(store_->PutAdGroup(foreign).message(),
            "ad_group.targeting.audiences: 'buyers' is not an audience of account a2");
  foreign.targeting.audiences = {"nobody"};
  EXPECT_EQ(store_->PutAdGroup(foreign).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->PutAudience({.id = "x", .account = "a9", .name = "X"}, {}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->PutAudience({.id = "x", .account = "a1", .name = "X"}, {""}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AdsStoreTest, ServedAdsOutliveAReopenUntilDeleted) {
  const ServedAd a{.request_id = "r1-ab", .position = 4, .user = "u1", .account = "a1",
                   .campaign = "c1", .ad_group = "g1", .ad = "d1", .video = "v9",
                   .billed = Goal::kClick, .charge_micros = 1500, .served_ms = 1765000000000};
  ServedAd b = a;
  b.position = 14;
  b.billed = Goal::kImpression;
  const uint64_t generation = store_->generation();
  ASSERT_TRUE(PutServedAds(store_.get(), {a, b}).ok());
  // Not a record write: readers of the records (the ad stage's active groups) keep their copies.
  EXPECT_EQ(store_->generation(), generation);
  Reopen();
  absl::StatusOr<std::vector<ServedAd>> all = LoadServedAds(*store_);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, (std::vector<ServedAd>{a, b}));
  ASSERT_TRUE(DeleteServedAds(store_.get(), {{"r1-ab", 4}}).ok());
  all = LoadServedAds(*store_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, std::vector<ServedAd>{b});

  // Invalid: nothing of the batch is written.
  ServedAd bad = a;
  bad.position = 30;
  ServedAd worse = a;
  worse.charge_micros = -1;
  EXPECT_EQ(PutServedAds(store_.get(), {bad, worse}).message(),
            "served_ad.charge_micros: must be >= 0");
  EXPECT_EQ(LoadServedAds(*store_)->size(), 1u);
  EXPECT_EQ(ParseServedAd(ServedAdToJson(a)).value(), a);
  EXPECT_EQ(ParseServedAd(R"({"request_id":"r1","colour":1})").status().message(),
            "served_ad.colour: unknown field");
  EXPECT_EQ(ParseServedAd(R"({"billed":"free"})").status().message(),
            "served_ad.billed: 'free' is not a goal");
}

}  // namespace
}  // namespace foryou::ads
