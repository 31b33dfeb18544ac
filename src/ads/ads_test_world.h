// A temp-dir AdsStore with one account, campaign, ad group and ad, for the ads tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "ads/ads_store.h"
#include "gtest/gtest.h"

namespace foryou::ads {

constexpr int64_t kTestT0 = 1'700'000'000'000;  // 2023-11-14 22:13 UTC

class AdsWorldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            absl::StrCat("foryou_ads_test_", ::getpid(), "_", counter_++))
               .string();
    std::filesystem::remove_all(dir_);
    OpenStore();
    account_ = {"a1", "Shoes", "u-owner"};
    campaign_.id = "c1";
    campaign_.account = "a1";
    campaign_.name = "Launch";
    campaign_.budget_mode = BudgetMode::kLifetime;
    campaign_.budget_micros = 1000 * kMicros;
    campaign_.end_ms = kTestT0 + 30 * kDayMs;
    group_.id = "g1";
    group_.campaign = "c1";
    group_.name = "Group";
    group_.bid_strategy = BidStrategy::kBidCap;
    group_.goal = Goal::kImpression;
    group_.bid_micros = 10 * kMicros;  // $10 CPM
    group_.budget_mode = BudgetMode::kDaily;
    group_.budget_micros = 100 * kMicros;
    group_.attribution_window_hours = 24;
    ad_.id = "d1";
    ad_.ad_group = "g1";
    ad_.name = "Spring";
    ad_.video = "v1";
    ad_.landing_url = "https://shop.example/";
    ad_.approval = Approval::kApproved;
    ASSERT_TRUE(store_->PutAccount(account_).ok());
    ASSERT_TRUE(store_->PutCampaign(campaign_).ok());
    ASSERT_TRUE(store_->PutAdGroup(group_).ok());
    ASSERT_TRUE(store_->PutAd(ad_).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void OpenStore() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<AdsStore>> s = AdsStore::Open(dir_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }

  static inline int counter_ = 0;
  std::string dir_;
  std::unique_ptr<AdsStore> store_;
  Account account_;
  Campaign campaign_;
  AdGroup group_;
  Ad ad_;
};

}  // namespace foryou::ads
