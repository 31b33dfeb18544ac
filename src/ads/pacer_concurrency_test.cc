// Reservations under concurrent serving against a real ledger: many threads serve one nearly
// exhausted budget; spend never passes it and no reserved charge is refused.
#include <atomic>
#include <thread>
#include <vector>

#include "ads/ads_test_world.h"
#include "ads/pacer.h"

namespace foryou::ads {
namespace {

class PacerConcurrencyTest : public AdsWorldTest {
 protected:
  void SetUp() override {
    AdsWorldTest::SetUp();
    ledger_ = std::make_unique<Ledger>(store_.get(), /*sync=*/false);
    ASSERT_TRUE(ledger_->Load().ok());
  }
  LedgerEntry Impression(const std::string& id, int64_t t, int64_t charge) {
    LedgerEntry e;
    e.event_id = id;
    e.user = "u1";
    e.account = "a1";
    e.campaign = "c1";
    e.ad_group = "g1";
    e.ad = "d1";
    e.time_ms = t;
    e.charge_micros = charge;
    return e;
  }
  std::unique_ptr<Ledger> ledger_;
};

constexpr int64_t kDay0 = kTestT0 - kTestT0 % kDayMs + kDayMs;

TEST_F(PacerConcurrencyTest, ConcurrentServingNeverPassesTheBudgetAndNeverFailsASettle) {
  Pacer pacer(ledger_.get(), PacerOptions{});
  group_.budget_micros = 1'000'000;
  ASSERT_TRUE(*ledger_->Append(Impression("pre", kDay0, 900'000), LimitsOf(campaign_, group_)));
  std::atomic<int> served = 0, settle_failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        absl::StatusOr<Reservation> r = pacer.Reserve(campaign_, group_, 3'000, kDay0);
        if (!r.ok()) continue;
        // Billed for less than the hold, as a second price is.
        absl::StatusOr<bool> s = pacer.Settle(*r, Impression(absl::StrCat(t, "-", i), kDay0, 2'000));
        if (s.ok() && *s) ++served;
        else ++settle_failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(settle_failures.load(), 0);
  // Holds that overlapped may have turned some tries away: serve on until none fits.
  for (int i = 0;; ++i) {
    absl::StatusOr<Reservation> r = pacer.Reserve(campaign_, group_, 3'000, kDay0);
    if (!r.ok()) break;
    ASSERT_TRUE(*pacer.Settle(*r, Impression(absl::StrCat("after-", i), kDay0, 2'000)));
    ++served;
  }
  // 49 x 2,000 leaves 2,000: too little for the 50th hold of 3,000.
  EXPECT_EQ(served.load(), 49);
  EXPECT_EQ(ledger_->SpentOf("c1", "g1", kDay0).group_day, 998'000);
}

}  // namespace
}  // namespace foryou::ads
