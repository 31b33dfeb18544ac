// WatchNext under concurrent events and requests (run under TSan: label unit_concurrency).
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

#include <cmath>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "feed/watch_next.h"

namespace foryou::feed {
namespace {

constexpr int64_t kNow = 3'600'000'000;

// 4 threads x 300 steps: each step observes event(t, i) for a user, scores 10 videos (all
// finite) and every 5th step asks for a Top; `extra(t, i)` runs after each step.
template <typename Event, typename Extra>
void Hammer(WatchNext& wn, Event event, Extra extra) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> s(10);
      std::vector<uint64_t> keys;
      for (uint64_t v = 0; v < 10; ++v) keys.push_back(v);
      for (int i = 0; i < 300; ++i) {
        const std::string user = absl::StrCat("u", (t * 7 + i) % 13);
        const auto [video, kind] = event(t, i);
        wn.Observe(user, video, kNow + 100 * i, kind);
        wn.Scores(user, keys, kNow + 100 * i, s.data());  // the counters refresh every ~10 steps
        for (float x : s) ASSERT_TRUE(std::isfinite(x));
        if (i % 5 == 0) (void)wn.Top(user, 5, kNow + 100 * i, [](uint64_t) { return false; });
        extra(t, i);
      }
    });
  }
  for (auto& th : threads) th.join();
}

TEST(WatchNextConcurrencyTest, ObserveAndScoreFromManyThreads) {
  WatchNextOptions o;
  o.batch = 16;
  o.negatives = 8;
  o.user_embedding = true;
  o.max_users = 8;  // 13 users: some are forgotten (and their embedding rows reused) meanwhile
  WatchNext wn(o);
  Hammer(
      wn,
      [](int, int i) {
        return std::pair{static_cast<uint64_t>(i % 50),
                         i % 3 ? WatchNext::kImpression : (i % 2 ? WatchNext::kLongView : WatchNext::kPositive)};
      },
      [](int, int) {});
  EXPECT_EQ(wn.stats().videos, 50u);
  EXPECT_GT(wn.stats().train_steps, 0u);
  EXPECT_LE(wn.stats().users, 8u);
  EXPECT_GT(wn.stats().users_forgotten, 0u);
}

TEST(WatchNextConcurrencyTest, ItemItemFitsInTheBackgroundWhileScoring) {
  WatchNextOptions o;
  o.batch = 16;
  o.negatives = 8;
  o.w_item_item = 10;
  o.item_item.min_users = 1;
  o.item_item_refit_ms = 1000;  // a new period every 10 events of a thread
  WatchNext wn(o);
  Hammer(
      wn,
      [](int t, int i) {
        return std::pair{static_cast<uint64_t>((i * 7 + t) % 40),
                         i % 2 ? WatchNext::kImpression : WatchNext::kLongView};
      },
      [&](int t, int i) {
        if (i == 150 && t == 0) {
          ASSERT_TRUE(wn.FitItemItem().ok());  // an explicit fit too
        }
      });
  EXPECT_GE(wn.stats().item_item_fits, 1u);
}

}  // namespace
}  // namespace foryou::feed
