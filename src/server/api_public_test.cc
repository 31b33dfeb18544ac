// HTTP API end to end, public reads: the logged-out For You feed (GET /v1/feed without a key or
// session), shared videos, creator / sound / hashtag pages and users, read by a visitor with no
// credential; what such a visitor may not see, and the per-address limit of the logged-out feed.
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

// A server with a small logged-out feed limit (burst 6), users u1 (language en) and u2, and
// videos v0..v19 approved, v20 pending, v21 removed.
class ApiPublicTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options;
    options.public_feed_limit = {.rate_per_s = 0.01, .burst = 6};
    h_ = new Harness(options);
    ASSERT_TRUE(h_->ok());
    ASSERT_EQ(h_->Post("/v1/users", R"({"id":"u1","language":"en","country":"US"})").status, 201);
    ASSERT_EQ(h_->Post("/v1/users", R"({"id":"u2","language":"pt","country":"BR"})").status, 201);
    for (int v = 0; v < 20; ++v) {
      ASSERT_EQ(h_->Post("/v1/videos", VideoJson(v), kAdminKey).status, 201);
    }
    ASSERT_EQ(h_->Post("/v1/videos", VideoJson(20, "pending"), kAdminKey).status, 201);
    ASSERT_EQ(h_->Post("/v1/videos", VideoJson(21, "removed"), kAdminKey).status, 201);
  }
  static void TearDownTestSuite() {
    delete h_;
    h_ = nullptr;
  }
  static inline Harness* h_ = nullptr;
};

TEST_F(ApiPublicTest, LoggedOutFeedIsPopularFirstPagedAndNeverLogged) {
  // u2 (pt) watches and likes v7 and v8; the portuguese visitor's feed leads with them.
  std::string events = "[";
  for (const char* v : {"v7", "v8"}) {
    absl::StrAppend(&events, Event("play", "u2", v), ",", Event("like", "u2", v), ",");
  }
  events.back() = ']';
  ASSERT_EQ(h_->Post("/v1/events", events).status, 200);
  const uint64_t log_end = h_->engine().loop().log().EndOffset();

  Reply first = h_->Get("/v1/feed?count=8&lang=pt", "");
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(first.j["items"].size(), 8u) << first.body;
  std::set<std::string> lead = {first.j["items"][0]["video"], first.j["items"][1]["video"]};
  EXPECT_EQ(lead, (std::set<std::string>{"v7", "v8"})) << first.body;
  EXPECT_EQ(first.j["items"][0]["reason"], "popular in your language");
  EXPECT_FALSE(first.j["items"][0].contains("score"));  // nothing of the ranking's internals
  ASSERT_TRUE(first.j["next_cursor"].is_string());

  // Pages follow one another without repeats; the pending and removed videos never appear.
  std::set<std::string> seen;
  Reply page = first;
  int pages = 1;
  while (true) {
    for (const auto& item : page.j["items"]) {
      EXPECT_TRUE(seen.insert(item["video"].get<std::string>()).second) << item;
    }
    if (page.j["next_cursor"].is_null()) break;
    page = h_->Get(absl::StrCat("/v1/feed?count=8&lang=pt&cursor=",
                                page.j["next_cursor"].get<std::string>()),
                   "");
    ASSERT_EQ(page.status, 200) << page.body;
    ASSERT_LT(++pages, 10);
  }
  EXPECT_EQ(seen.size(), 20u);
  EXPECT_FALSE(seen.contains("v20"));
  EXPECT_FALSE(seen.contains("v21"));
  // Nothing of it was logged as anybody's events.
  EXPECT_EQ(h_->engine().loop().log().EndOffset(), log_end);

  // Bad input: a clear 400; a user named without a credential: 401.
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?cursor=abc", ""), 400, "invalid_argument", "cursor"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?lang=EN%3B", ""), 400, "invalid_argument", "lang"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user=u1", ""), 401, "unauthenticated",
                      "API key is required"));
  // A key still gets the user's own feed, and a user is still required with it.
  EXPECT_EQ(h_->Get("/v1/feed?user=u1&count=3").status, 200);
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?count=3"), 400, "invalid_argument", "user"));
}

TEST_F(ApiPublicTest, VideosPagesAndUsersArePublicReads) {
  EXPECT_EQ(h_->Get("/v1/videos/v3", "").j["id"], "v3");
  // Not approved: 404 for the public, as if it did not exist; the app key still reads it.
  EXPECT_TRUE(IsError(h_->Get("/v1/videos/v20", ""), 404, "not_found", "v20"));
  EXPECT_TRUE(IsError(h_->Get("/v1/videos/v21", ""), 404, "not_found", "v21"));
  EXPECT_EQ(h_->Get("/v1/videos/v20").j["moderation"], "pending");
  for (const char* path : {"/v1/creators/c1", "/v1/sounds/s1", "/v1/hashtags/dance"}) {
    Reply r = h_->Get(path, "");
    ASSERT_EQ(r.status, 200) << path << r.body;
    EXPECT_FALSE(r.j["videos"].empty()) << path;
  }
  EXPECT_EQ(h_->Get("/v1/creators/c1", "").j["is_user"], false);
  // A user: the id for anyone; the private fields for an API key only.
  Reply pub = h_->Get("/v1/users/u1", "");
  ASSERT_EQ(pub.status, 200) << pub.body;
  EXPECT_EQ(pub.j["id"], "u1");
  EXPECT_FALSE(pub.j.contains("language")) << pub.body;
  EXPECT_FALSE(pub.j.contains("country")) << pub.body;
  EXPECT_EQ(h_->Get("/v1/users/u1").j["language"], "en");
  // An unknown key is refused even where no key is needed; so is one in the query string.
  EXPECT_TRUE(IsError(h_->Get("/v1/videos/v3", "not_a_configured_key_xyz"), 401,
                      "unauthenticated", "unknown API key"));
  EXPECT_FALSE(h_->Get(absl::StrCat("/v1/users/u1?key=", kAppKey), "").j.contains("language"));
  // Writes still need a credential.
  EXPECT_TRUE(IsError(h_->Call("POST", "/v1/events", "", "[]"), 401, "unauthenticated"));
}

TEST_F(ApiPublicTest, StaleSessionCookieReadsAsAnonymous) {
  h_->set_cookie("foryou_session=fy1.not-a-live-session-token");
  Reply feed = h_->Get("/v1/feed?count=2", "");
  Reply video = h_->Get("/v1/videos/v3", "");
  h_->set_cookie("");
  EXPECT_EQ(feed.status, 200) << feed.body;
  EXPECT_EQ(video.status, 200) << video.body;
}

// Last in the file: it uses up the address's logged-out feed tokens.
TEST_F(ApiPublicTest, LoggedOutFeedIsRateLimitedPerAddress) {
  int ok = 0, limited = 0;
  for (int i = 0; i < 12; ++i) {
    Reply r = h_->Get("/v1/feed?count=2", "");
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited;
      EXPECT_FALSE(r.header("Retry-After").empty());
    }
  }
  EXPECT_LE(ok, 6);
  EXPECT_GE(limited, 6);
  // A signed-in feed is not counted against it.
  EXPECT_EQ(h_->Get("/v1/feed?user=u1&count=2").status, 200);
}

}  // namespace
}  // namespace foryou::server
