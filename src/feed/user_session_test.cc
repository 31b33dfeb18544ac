#include "feed/user_session.h"

#include <gtest/gtest.h>
#include <malloc.h>
#ifdef FORYOU_SANITIZED
#include <sanitizer/allocator_interface.h>
#endif

#include <string>

namespace foryou::feed {
namespace {

TEST(UserSessionTest, ForeignShareFollowsTheRecentExposures) {
  UserSession s;
  EXPECT_EQ(s.foreign_share(), 0.0f);  // no impression yet
  s.CountExposures(/*foreign=*/true);
  EXPECT_FLOAT_EQ(s.foreign_share(), 1.0f);
  for (int i = 0; i < 200; ++i) s.CountExposures(/*foreign=*/false);
  EXPECT_LT(s.foreign_share(), 0.001f);  // this feed has served them since
  // A history of n counts as n single impressions.
  UserSession one_by_one, at_once;
  for (int i = 0; i < 30; ++i) one_by_one.CountExposures(false);
  at_once.CountExposures(false, 30);
  for (int i = 0; i < 25; ++i) one_by_one.CountExposures(true);
  at_once.CountExposures(true, 25);
  EXPECT_NEAR(one_by_one.own_exposures, at_once.own_exposures, 1e-4);
  EXPECT_NEAR(one_by_one.foreign_exposures, at_once.foreign_exposures, 1e-4);
  EXPECT_NEAR(one_by_one.foreign_share(), at_once.foreign_share(), 1e-5);
  EXPECT_GT(at_once.foreign_share(), 0.5f);
}

TEST(UserSessionsTest, EraseForgetsEverythingOfThatUserOnly) {
  UserSessions sessions;
  for (const std::string user : {"u1", "u2"}) {
    sessions.With(user, [](UserSession& s) {
      s.MarkSeen(7, 100);
      s.not_interested.creators[9] = 1;
    });
  }
  sessions.Erase("u1");
  sessions.Erase("nobody");  // no session: nothing to do
  EXPECT_EQ(sessions.size(), 1u);
  sessions.With("u1", [](UserSession& s) {
    EXPECT_TRUE(s.seen.empty());
    EXPECT_TRUE(s.not_interested.creators.empty());
  });
  sessions.With("u2", [](UserSession& s) { EXPECT_TRUE(s.seen.contains(7)); });
}

TEST(UserSessionsTest, AnErasedUsersServedRecordsLeaveTheBound) {
  UserSessions sessions(/*max_served_records=*/64 * 4);
  sessions.With("gone", [](UserSession& s) {
    for (uint64_t v = 1; v <= 4; ++v) s.RecordServed(ServedItem{.video_key = v});
  });
  EXPECT_EQ(sessions.served_records(), 4u);
  sessions.Erase("gone");
  EXPECT_EQ(sessions.served_records(), 0u);
  // The same id again (created anew): its new records are its own, none dropped for the erased
  // session's.
  sessions.Undelete("gone");
  sessions.With("gone", [](UserSession& s) {
    for (uint64_t v = 10; v < 14; ++v) s.RecordServed(ServedItem{.video_key = v});
  });
  sessions.With("gone", [](UserSession& s) { EXPECT_EQ(s.served.size(), 4u); });
}

TEST(UserSessionsTest, AnErasedIdGetsNoSessionUntilItIsCreatedAgain) {
  UserSessions sessions;
  sessions.With("u1", [](UserSession& s) { s.MarkSeen(7, 100); });
  sessions.Erase("u1");
  // A request that read the user before the deletion: it runs, but keeps nothing.
  bool ran = false;
  sessions.With("u1", [&](UserSession& s) {
    ran = true;
    EXPECT_TRUE(s.seen.empty());
    s.MarkSeen(8, 100);
  });
  EXPECT_TRUE(ran);
  EXPECT_EQ(sessions.size(), 0u);
  sessions.Undelete("u1");
  sessions.With("u1", [](UserSession& s) { s.MarkSeen(9, 100); });
  EXPECT_EQ(sessions.size(), 1u);
  sessions.With("u1", [](UserSession& s) {
    EXPECT_FALSE(s.seen.contains(8));
    EXPECT_TRUE(s.seen.contains(9));
  });
  // Forget (a replayed deletion) drops the session but leaves the id usable.
  sessions.Forget("u1");
  EXPECT_EQ(sessions.size(), 0u);
  sessions.With("u1", [](UserSession& s) { EXPECT_TRUE(s.seen.empty()); });
  EXPECT_EQ(sessions.size(), 1u);
}

// Serves `n` items to `user` in one call, as FeedService::Remember does.
void Serve(UserSessions& sessions, const std::string& user, uint64_t first_video, int n) {
  sessions.With(user, [&](UserSession& s) {
    for (int i = 0; i < n; ++i) s.RecordServed(ServedItem{.video_key = first_video + i});
  });
}

TEST(UserSessionsTest, ServedRecordsStayUnderTheTotalBoundWhateverTheUsers) {
  // 64 shards x 16 records.
  UserSessions sessions(/*max_served_records=*/1024);
  for (int u = 0; u < 5000; ++u) Serve(sessions, "u" + std::to_string(u), 1, 10);
  EXPECT_EQ(sessions.size(), 5000u);  // sessions stay; their old records went
  EXPECT_LE(sessions.served_records(), 1024u);
  EXPECT_GT(sessions.served_records(), 512u);
  // The user served last keeps the page just served; the first ones lost theirs.
  sessions.With("u4999", [](UserSession& s) {
    ASSERT_EQ(s.served.size(), 10u);
    EXPECT_NE(s.FindServed(10, ""), nullptr);
  });
  sessions.With("u0", [](UserSession& s) { EXPECT_TRUE(s.served.empty()); });
}

TEST(UserSessionsTest, ServedBoundCountsOnlyRecordsStillKept) {
  // 200 records per shard; 300 users with one record each (a few in every shard, b's too).
  UserSessions sessions(/*max_served_records=*/64 * 200);
  for (int u = 0; u < 300; ++u) Serve(sessions, "a" + std::to_string(u), 1, 1);
  // One user served far past the per-user bound: the records that bound dropped do not count,
  // so nobody else's records in b's shard are pushed out.
  for (int i = 0; i < 1000; ++i) Serve(sessions, "b", 100 + 10 * i, 10);
  sessions.With("b", [](UserSession& s) { EXPECT_EQ(s.served.size(), kServedRecords); });
  EXPECT_EQ(sessions.served_records(), 300 + kServedRecords);
  // A reset without the seen set drops the records; later ones are tracked from there.
  sessions.Reset("b", /*keep_seen=*/false);
  EXPECT_EQ(sessions.served_records(), 300u);
  for (int i = 0; i < 100; ++i) Serve(sessions, "b", 1, 3);
  sessions.With("b", [](UserSession& s) { EXPECT_EQ(s.served.size(), kServedRecords); });
  EXPECT_EQ(sessions.served_records(), 300 + kServedRecords);
}

TEST(UserSessionsTest, LiveSessionsStayBoundedAndParkedOnesKeepTheirPromises) {
  // 2 live sessions per shard (128 / 64 shards).
  UserSessions sessions(kDefaultMaxServedRecords, /*max_sessions=*/128);
  for (int u = 0; u < 2000; ++u) {
    sessions.With("u" + std::to_string(u), [&](UserSession& s) {
      for (uint64_t v = 0; v < 10; ++v) s.MarkSeen(1000 * u + v, 100);
      s.not_interested.creators[u] = 2;
      s.positives.push_back(7);
      s.feeds = 1;
    });
    EXPECT_LE(sessions.live(), 128u) << "after user " << u;
  }
  EXPECT_EQ(sessions.size(), 2000u);  // parked, not forgotten
  Serve(sessions, "u0", 1, 3);          // served records of a session parked next
  for (int u = 2000; u < 3000; ++u) sessions.With("u" + std::to_string(u), [](UserSession&) {});
  EXPECT_EQ(sessions.served_records(), 0u);  // parked sessions hold no served records
  // Back from parked: the seen set in its order and the "not interested" counts; the rest went.
  sessions.With("u0", [](UserSession& s) {
    EXPECT_EQ(s.seen.size(), 10u);
    EXPECT_EQ(s.seen.fingerprints().front(), SeenFingerprint(0));
    EXPECT_TRUE(s.seen.contains(9));
    EXPECT_EQ(s.not_interested.creators.at(0), 2);
    EXPECT_TRUE(s.positives.empty());
    EXPECT_TRUE(s.served.empty());
  });
  Serve(sessions, "u0", 50, 2);  // records after parking are tracked afresh
  EXPECT_EQ(sessions.served_records(), 2u);
  sessions.Erase("u1");  // parked: erased too
  EXPECT_EQ(sessions.size(), 2999u);
  sessions.With("u1", [](UserSession& s) { EXPECT_TRUE(s.seen.empty()); });
}

TEST(UserSessionsTest, MemoryCountsLiveAndParkedSessions) {
  UserSessions sessions(kDefaultMaxServedRecords, /*max_sessions=*/128);
  const SessionMemory empty = sessions.Memory();
  EXPECT_EQ(empty.live + empty.parked + empty.seen_keys + empty.served_records, 0u);
  for (int u = 0; u < 1000; ++u) {
    sessions.With("u" + std::to_string(u), [&](UserSession& s) {
      for (uint64_t v = 0; v < 20; ++v) s.MarkSeen(1000 * u + v, 100);
      s.not_interested.creators[u] = 1;
    });
  }
  Serve(sessions, "u999", 1, 3);
  const SessionMemory m = sessions.Memory();
  EXPECT_EQ(m.live, sessions.live());
  EXPECT_EQ(m.live + m.parked, 1000u);
  EXPECT_GT(m.parked, 0u);
  EXPECT_EQ(m.seen_keys, 20'000u);  // parked sessions keep theirs
  EXPECT_EQ(m.not_interested, 1000u);
  EXPECT_EQ(m.served_records, 3u);
  EXPECT_EQ(m.served_order, 3u);
  // At least the keys themselves; the parts within the whole.
  EXPECT_GE(m.seen_bytes, 20'000u * sizeof(uint32_t));
  EXPECT_GE(m.served_bytes, 3 * sizeof(ServedItem));
  EXPECT_GE(m.bytes, m.seen_bytes + m.served_bytes);
  EXPECT_GT(m.bytes, empty.bytes);
}

// The heap in use: the sanitizers' allocator keeps its own count (it does not report to
// mallinfo2).
size_t HeapInUse() {
#ifdef FORYOU_SANITIZED
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

TEST(UserSessionsTest, SeenSetsTakeAboutFourBytesAVideo) {
  // 200 users shown 2,000 videos each: the heap they take, per video.
  constexpr int kUsers = 200, kVideos = 2'000;
  UserSessions sessions(kDefaultMaxServedRecords, kDefaultMaxSessions, /*max_seen_keys=*/1 << 30);
  for (int u = 0; u < kUsers; ++u) sessions.With("u" + std::to_string(u), [](UserSession&) {});
  const size_t before = HeapInUse();
  for (int u = 0; u < kUsers; ++u) {
    sessions.With("u" + std::to_string(u), [&](UserSession& s) {
      for (uint64_t v = 0; v < kVideos; ++v) s.MarkSeen(v * 7919 + u, 5'000);
    });
  }
  const double per_video = static_cast<double>(HeapInUse() - before) / (kUsers * kVideos);
  // A hash set beside the order took ~26 bytes a video at this size, the 64-bit keys alone ~8.
  EXPECT_LT(per_video, 5.0);
  EXPECT_GE(per_video, 3.5);  // the sanitizers' count: 3.96
  sessions.With("u7", [&](UserSession& s) {
    EXPECT_EQ(s.seen.size(), static_cast<size_t>(kVideos));
    EXPECT_TRUE(s.seen.contains(7919 + 7));
    EXPECT_FALSE(s.seen.contains(7919 + 8));
  });
}

TEST(UserSessionsTest, SeenSetsShareOneBudgetAndTheLeastRecentlyUsedGiveFirst) {
  // 64 keys a shard (4,096 / 64 shards); 2 live sessions a shard, so most are parked.
  constexpr size_t kBudget = 4'096;
  UserSessions sessions(kDefaultMaxServedRecords, /*max_sessions=*/128, kBudget);
  for (int u = 0; u < 2'000; ++u) {
    sessions.With("u" + std::to_string(u), [&](UserSession& s) {
      for (uint64_t v = 0; v < 20; ++v) s.MarkSeen(1000 * u + v, 5'000);
    });
  }
  const SessionMemory m = sessions.Memory();
  EXPECT_LE(m.seen_keys, kBudget);
  EXPECT_GE(m.seen_keys, kBudget / 2);  // the budget is used, not emptied
  EXPECT_EQ(m.parked + m.live, 2'000u);  // sessions stay; their oldest seen videos went
  // The user seen last keeps every video; the first ones, used longest ago, gave theirs.
  sessions.With("u1999", [](UserSession& s) {
    EXPECT_EQ(s.seen.size(), 20u);
    EXPECT_TRUE(s.seen.contains(1'999'000));
  });
  sessions.With("u0", [](UserSession& s) { EXPECT_TRUE(s.seen.empty()); });
  // One user past the whole share keeps the newest 15/16 of it.
  sessions.With("big", [](UserSession& s) {
    for (uint64_t v = 0; v < 100; ++v) s.MarkSeen(5'000'000 + v, 5'000);
  });
  sessions.With("big", [](UserSession& s) {
    EXPECT_EQ(s.seen.size(), 60u);
    EXPECT_TRUE(s.seen.contains(5'000'099));
    EXPECT_TRUE(s.seen.contains(5'000'040));
    EXPECT_FALSE(s.seen.contains(5'000'039));
  });
  // Erasing a user gives its keys back to the budget's count.
  sessions.Erase("big");
  EXPECT_LE(sessions.Memory().seen_keys, kBudget);
}

TEST(SeenVideosTest, KeepsTheNewestUpToCapacityInSeenOrder) {
  SeenVideos seen;
  EXPECT_TRUE(seen.Add(1, 3));
  EXPECT_FALSE(seen.Add(1, 3));  // already there
  EXPECT_TRUE(seen.Add(2, 3));
  EXPECT_TRUE(seen.Add(3, 3));
  EXPECT_TRUE(seen.Add(4, 3));  // drops 1
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_FALSE(seen.contains(1));
  EXPECT_TRUE(seen.contains(2) && seen.contains(4));
  EXPECT_EQ(seen.fingerprints().front(), SeenFingerprint(2));
  const SeenSet set = seen.ToSet();
  EXPECT_EQ(set.size(), 3u);
  EXPECT_TRUE(set.contains(2) && set.contains(3) && set.contains(4));
  EXPECT_FALSE(set.contains(1));
}

// Numeric ids are their own keys: ids 2^32 apart (equal low bits) must not share a fingerprint,
// and over a large catalog fingerprints collide about as often as random 32-bit values.
TEST(SeenVideosTest, FingerprintsMixEveryBitOfTheKey) {
  SeenVideos seen;
  seen.Add(42, 10);
  EXPECT_TRUE(seen.contains(42));
  EXPECT_FALSE(seen.contains(42 + (uint64_t{1} << 32)));
  EXPECT_FALSE(seen.contains(42 | (uint64_t{1} << 63)));
  absl::flat_hash_set<uint32_t> prints;
  constexpr uint64_t kKeys = 200'000;
  for (uint64_t k = 0; k < kKeys; ++k) prints.insert(SeenFingerprint(k << 32 | k));
  // Expected collisions among 200,000 random 32-bit values: n^2 / 2^33 = ~4.7.
  EXPECT_GE(prints.size(), kKeys - 20);
}

}  // namespace
}  // namespace foryou::feed
