// The billing ledger over a real RocksDB: exactly-once appends, budgets under concurrent
// charges, counters that survive a reopen, conversion attribution.
#include "ads/ledger.h"

#include <atomic>
#include <thread>
#include <vector>

#include "ads/ads_test_world.h"

namespace foryou::ads {
namespace {

class LedgerTest : public AdsWorldTest {
 protected:
  void SetUp() override {
    AdsWorldTest::SetUp();
    ReopenLedger();
  }
  void ReopenLedger(bool sync = true) {
    ledger_ = std::make_unique<Ledger>(store_.get(), sync);
    ASSERT_TRUE(ledger_->Load().ok());
  }
  LedgerEntry Entry(std::string id, EventKind kind, int64_t t, int64_t charge,
                    std::string user = "u1") {
    LedgerEntry e;
    e.event_id = std::move(id);
    e.kind = kind;
    e.user = std::move(user);
    e.account = "a1";
    e.campaign = "c1";
    e.ad_group = "g1";
    e.ad = "d1";
    e.time_ms = t;
    e.charge_micros = charge;
    return e;
  }
  int64_t SumOfCharges() {
    int64_t sum = 0;
    EXPECT_TRUE(ledger_->ForEach("a1", [&](const LedgerEntry& e) {
      sum += e.charge_micros;
      return true;
    }).ok());
    return sum;
  }

  std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerTest, AnEventIdIsWrittenOnce) {
  const BudgetLimits limits = LimitsOf(campaign_, group_);
  ASSERT_TRUE(*ledger_->Append(Entry("i1", EventKind::kImpression, kTestT0, 10'000), limits));
  // The same id again, even with another charge, changes nothing.
  EXPECT_FALSE(*ledger_->Append(Entry("i1", EventKind::kImpression, kTestT0, 99'000), limits));
  EXPECT_EQ(ledger_->SpentOf("c1", "g1", kTestT0).group_day, 10'000);
  EXPECT_EQ(ledger_->Events("g1", EventKind::kImpression), 1);
  OpenStore();
  ReopenLedger();
  EXPECT_FALSE(*ledger_->Append(Entry("i1", EventKind::kImpression, kTestT0, 10'000), limits));
  ASSERT_TRUE(*ledger_->Append(Entry("i2", EventKind::kImpression, kTestT0 + 1, 10'000), limits));
  const Spend s = ledger_->SpentOf("c1", "g1", kTestT0);
  EXPECT_EQ(s.group_day, 20'000);
  EXPECT_EQ(s.campaign_total, 20'000);
  EXPECT_EQ(SumOfCharges(), 20'000);
  absl::StatusOr<LedgerEntry> found = ledger_->Find("i2");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->seq, 2u);
  EXPECT_EQ(found->charge_micros, 10'000);
}

TEST_F(LedgerTest, ChargesStopAtEachBudget) {
  BudgetLimits limits;
  limits.group_daily = 25'000;
  ASSERT_TRUE(*ledger_->Append(Entry("i1", EventKind::kImpression, kTestT0, 10'000), limits));
  ASSERT_TRUE(*ledger_->Append(Entry("i2", EventKind::kImpression, kTestT0, 10'000), limits));
  absl::StatusOr<bool> over = ledger_->Append(Entry("i3", EventKind::kImpression, kTestT0, 10'000),
                                              limits);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ledger_->Find("i3").status().code(), absl::StatusCode::kNotFound);
  // A charge that fits exactly is taken; the next UTC day has its own daily budget.
  ASSERT_TRUE(*ledger_->Append(Entry("i4", EventKind::kImpression, kTestT0, 5'000), limits));
  ASSERT_TRUE(*ledger_->Append(Entry("i5", EventKind::kImpression, kTestT0 + kDayMs, 20'000),
                               limits));
  limits.campaign_lifetime = 45'000;
  EXPECT_EQ(ledger_->Append(Entry("i6", EventKind::kImpression, kTestT0 + kDayMs, 1), limits)
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  // Unbilled events pass whatever the budget.
  EXPECT_TRUE(*ledger_->Append(Entry("k1", EventKind::kClick, kTestT0, 0), limits));
  EXPECT_EQ(SumOfCharges(), 45'000);
  EXPECT_EQ(ledger_->Append(Entry("bad", EventKind::kClick, kTestT0, -1), limits).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(LedgerTest, ConcurrentChargesNeverPassTheBudget) {
  ReopenLedger(/*sync=*/false);  // the lock, not the disk, is under test here
  BudgetLimits limits;
  limits.group_daily = 1'000'000;
  // Nearly exhausted: 20 charges of 7,000 fit in what is left, 8 threads try 40 each.
  ASSERT_TRUE(*ledger_->Append(Entry("pre", EventKind::kImpression, kTestT0, 860'000), limits));
  std::atomic<int> taken = 0, refused = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        absl::StatusOr<bool> r = ledger_->Append(
            Entry(absl::StrCat("t", t, "-", i), EventKind::kImpression, kTestT0, 7'000), limits);
        if (r.ok() && *r) ++taken;
        if (r.status().code() == absl::StatusCode::kResourceExhausted) ++refused;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(taken.load(), 20);
  EXPECT_EQ(refused.load(), 8 * 40 - 20);
  EXPECT_EQ(ledger_->SpentOf("c1", "g1", kTestT0).group_day, 1'000'000);
  EXPECT_EQ(SumOfCharges(), 1'000'000);
}

TEST_F(LedgerTest, ConcurrentAppendsOfTheSameIdsCountOnce) {
  // Synced: appends share group-committed writes, and a repeat of an id still being written
  // must wait for it rather than pass or double it.
  std::atomic<int> added = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 30; ++i) {
        absl::StatusOr<bool> r =
            ledger_->Append(Entry(absl::StrCat("same-", i), EventKind::kImpression, kTestT0, 1'000),
                            BudgetLimits{});
        ASSERT_TRUE(r.ok()) << r.status();
        if (*r) ++added;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(added.load(), 30);
  EXPECT_EQ(SumOfCharges(), 30'000);
  EXPECT_EQ(ledger_->SpentOf("c1", "g1", kTestT0).group_total, 30'000);
  OpenStore();
  ReopenLedger();
  EXPECT_EQ(ledger_->SpentOf("c1", "g1", kTestT0).group_total, 30'000);
  EXPECT_EQ(ledger_->Events("g1", EventKind::kImpression), 30);
}

TEST_F(LedgerTest, ConversionsAttributeToTheLastTouchInTheWindow) {
  const BudgetLimits limits = LimitsOf(campaign_, group_);
  ASSERT_TRUE(*ledger_->Append(Entry("i1", EventKind::kImpression, kTestT0, 10'000), limits));
  ASSERT_TRUE(*ledger_->Append(Entry("k1", EventKind::kClick, kTestT0 + 1000, 0), limits));
  ASSERT_TRUE(*ledger_->Append(Entry("i2", EventKind::kImpression, kTestT0 + 5000, 10'000),
                               limits));
  Conversion c;
  c.event_id = "buy1";
  c.user = "u1";
  c.ad = "d1";
  c.type = "purchase";
  c.value_micros = 30 * kMicros;
  c.time_ms = kTestT0 + 3000;  // after k1, before i2
  absl::StatusOr<LedgerEntry> e = ledger_->RecordConversion(c);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->attributed_to, "k1");
  EXPECT_EQ(e->account, "a1");
  EXPECT_EQ(e->ad_group, "g1");
  // Reported again (a retried pixel): the same entry, counted once.
  c.time_ms = kTestT0 + 9000;
  EXPECT_EQ(ledger_->RecordConversion(c)->attributed_to, "k1");
  EXPECT_EQ(ledger_->Events("g1", EventKind::kConversion), 1);
  // By click id, later: the newest touch before it is i2.
  Conversion by_click;
  by_click.event_id = "buy2";
  by_click.click_id = "k1";
  by_click.type = "purchase";
  by_click.time_ms = kTestT0 + 6000;
  EXPECT_EQ(ledger_->RecordConversion(by_click)->attributed_to, "i2");
  // Past the 24 h window: recorded, not attributed, not counted.
  Conversion late = c;
  late.event_id = "buy3";
  late.time_ms = kTestT0 + 5000 + 24 * kHourMs + 1;
  absl::StatusOr<LedgerEntry> l = ledger_->RecordConversion(late);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->attributed_to, "");
  EXPECT_EQ(ledger_->Events("g1", EventKind::kConversion), 2);
  // Another user's touches never count.
  Conversion other = c;
  other.event_id = "buy4";
  other.user = "u2";
  EXPECT_EQ(ledger_->RecordConversion(other)->attributed_to, "");
  // Touches also give the frequency cap its counts: impressions only, newest first.
  EXPECT_EQ(*ledger_->ImpressionsSince("u1", "g1", kTestT0, 10), 2);
  EXPECT_EQ(*ledger_->ImpressionsSince("u1", "g1", kTestT0 + 1, 10), 1);
  EXPECT_EQ(*ledger_->ImpressionsSince("u1", "g1", kTestT0, 1), 1);
  EXPECT_EQ(*ledger_->ImpressionsSince("u2", "g1", kTestT0, 10), 0);
  Conversion unknown = c;
  unknown.event_id = "buy5";
  unknown.ad = "d9";
  EXPECT_EQ(ledger_->RecordConversion(unknown).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace foryou::ads
