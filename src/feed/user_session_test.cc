#include "feed/user_session.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace foryou::feed
