#include "server/rate_limiter.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace foryou::server {
namespace {

struct FakeClock {
  int64_t now_ms = 1'000'000;
  RateLimiter::Clock fn() {
    return [this] { return now_ms; };
  }
};

int AllowedInARow(RateLimiter& limiter, const std::string& key, int max = 1000) {
  int n = 0;
  while (n < max && limiter.Allow(key)) ++n;
  return n;
}

TEST(RateLimiterTest, NewKeyGetsTheBurstThenIsRefused) {
  FakeClock clock;
  RateLimiter limiter({.rate_per_s = 10, .burst = 5}, clock.fn());
  EXPECT_EQ(AllowedInARow(limiter, "k"), 5);
  int64_t retry = 0;
  EXPECT_FALSE(limiter.Allow("k", &retry));
  EXPECT_EQ(retry, 100);  // one token per 100 ms
}

TEST(RateLimiterTest, RefillsAtTheRateUpToTheBurst) {
  FakeClock clock;
  RateLimiter limiter({.rate_per_s = 10, .burst = 5}, clock.fn());
  EXPECT_EQ(AllowedInARow(limiter, "k"), 5);
  clock.now_ms += 99;
  EXPECT_FALSE(limiter.Allow("k"));
  clock.now_ms += 1;  // 100 ms: one token
  EXPECT_TRUE(limiter.Allow("k"));
  EXPECT_FALSE(limiter.Allow("k"));
  clock.now_ms += 250;  // 2.5 tokens: two requests, half a token left
  EXPECT_EQ(AllowedInARow(limiter, "k"), 2);
  int64_t retry = 0;
  EXPECT_FALSE(limiter.Allow("k", &retry));
  EXPECT_EQ(retry, 50);
  clock.now_ms += 3'600'000;  // an hour: capped at the burst
  EXPECT_EQ(AllowedInARow(limiter, "k"), 5);
}

TEST(RateLimiterTest, SustainedRateMatchesTheConfiguredRate) {
  FakeClock clock;
  RateLimiter limiter({.rate_per_s = 50, .burst = 10}, clock.fn());
  int allowed = 0;
  for (int ms = 0; ms < 10'000; ++ms) {  // 10 s, one attempt per ms
    clock.now_ms += 1;
    allowed += limiter.Allow("k");
  }
  EXPECT_NEAR(allowed, 10 + 50 * 10, 2);
}

TEST(RateLimiterTest, KeysAreIsolated) {
  FakeClock clock;
  RateLimiter limiter({.rate_per_s = 1, .burst = 3}, clock.fn());
  EXPECT_EQ(AllowedInARow(limiter, "alice"), 3);
  EXPECT_EQ(AllowedInARow(limiter, "bob"), 3);
  EXPECT_FALSE(limiter.Allow("alice"));
  EXPECT_EQ(limiter.TrackedKeys(), 2u);
}

TEST(RateLimiterTest, ClockSteppingBackAddsNothing) {
  FakeClock clock;
  RateLimiter limiter({.rate_per_s = 10, .burst = 2}, clock.fn());
  EXPECT_EQ(AllowedInARow(limiter, "k"), 2);
  clock.now_ms -= 10'000;
  EXPECT_FALSE(limiter.Allow("k"));
  clock.now_ms += 10'100;  // 100 ms after the last real update
  EXPECT_TRUE(limiter.Allow("k"));
}

TEST(RateLimiterTest, EvictsFullBucketsFirstWhenAtTheBound) {
  FakeClock clock;
  RateLimiter limiter({.rate_per_s = 1, .burst = 2, .max_keys = 4}, clock.fn());
  for (std::string k : {"a", "b", "c", "d"}) EXPECT_TRUE(limiter.Allow(k));
  EXPECT_EQ(limiter.TrackedKeys(), 4u);
  clock.now_ms += 2000;  // every bucket is full again: forgetting them loses nothing
  EXPECT_TRUE(limiter.Allow("e"));
  EXPECT_EQ(limiter.TrackedKeys(), 1u);
}

TEST(RateLimiterTest, EvictsLeastRecentlyUsedWhenNoBucketIsFull) {
  FakeClock clock;
  RateLimiter limiter({.rate_per_s = 1, .burst = 2, .max_keys = 8}, clock.fn());
  for (int i = 0; i < 8; ++i) {
    const std::string k = absl::StrCat("k", i);
    EXPECT_EQ(AllowedInARow(limiter, k), 2);  // drained
    clock.now_ms += 1;
  }
  EXPECT_TRUE(limiter.Allow("new"));  // drops k0 (oldest) only: down to 7, then inserts
  EXPECT_EQ(limiter.TrackedKeys(), 8u);
  EXPECT_FALSE(limiter.Allow("k1"));  // still tracked, still drained
  EXPECT_EQ(limiter.TrackedKeys(), 8u);
  EXPECT_EQ(AllowedInARow(limiter, "k0"), 2);  // forgotten: starts full (and evicts k2)
  EXPECT_EQ(limiter.TrackedKeys(), 8u);
}

TEST(RateLimiterTest, MemoryStaysBoundedUnderAFloodOfKeys) {
  FakeClock clock;
  RateLimiter limiter({.rate_per_s = 1, .burst = 1, .max_keys = 1000}, clock.fn());
  for (int i = 0; i < 100'000; ++i) {
    EXPECT_TRUE(limiter.Allow(absl::StrCat("flood-", i)));  // a new key always starts full
    if (i % 10 == 0) clock.now_ms += 1;
  }
  EXPECT_LE(limiter.TrackedKeys(), 1000u);
}

TEST(RateLimiterTest, DefaultClockWorks) {
  RateLimiter limiter({.rate_per_s = 1, .burst = 1});
  EXPECT_TRUE(limiter.Allow("k"));
  EXPECT_FALSE(limiter.Allow("k"));  // refilling one token takes a second
}

}  // namespace
}  // namespace foryou::server
