// UserSessions under concurrent feed requests and a deletion (run under TSan): requests for a
// user that is being deleted never leave a session behind once the deletion has returned, and
// the id gets sessions again once it is created anew.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "feed/user_session.h"

namespace foryou::feed {
namespace {

TEST(UserSessionsConcurrencyTest, RequestsInFlightCannotBringADeletedSessionBack) {
  UserSessions sessions;
  constexpr int kRounds = 50, kRequesters = 4;
  for (int round = 0; round < kRounds; ++round) {
    const std::string user = "u" + std::to_string(round);
    std::atomic<bool> deleted{false};
    std::atomic<int> after_delete{0};
    std::vector<std::thread> requesters;
    for (int t = 0; t < kRequesters; ++t) {
      requesters.emplace_back([&, t] {
        // Each request marks a video seen and records a served item, as a feed page does; the
        // requests keep coming until some have run after the deletion returned.
        for (uint64_t i = 0; after_delete.load() < 2 * kRequesters; ++i) {
          const bool late = deleted.load();
          sessions.With(user, [&](UserSession& s) {
            s.MarkSeen(i * kRequesters + t, 1000);
            s.RecordServed(ServedItem{.video_key = i});
          });
          if (late) after_delete.fetch_add(1);
          if (i > 100'000) break;  // bounded whatever the scheduling
        }
      });
    }
    sessions.With(user, [](UserSession&) {});
    sessions.Erase(user);
    deleted = true;
    for (std::thread& r : requesters) r.join();
    ASSERT_GE(after_delete.load(), 2 * kRequesters);
    EXPECT_EQ(sessions.size(), 0u) << "round " << round;
    EXPECT_EQ(sessions.served_records(), 0u) << "round " << round;
  }
  sessions.Undelete("u0");
  sessions.With("u0", [](UserSession& s) { s.MarkSeen(1, 10); });
  EXPECT_EQ(sessions.size(), 1u);
}

}  // namespace
}  // namespace foryou::feed
