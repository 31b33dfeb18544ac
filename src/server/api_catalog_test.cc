// HTTP API end to end, catalog routes: users, videos, creator / sound / hashtag pages, moderation
// and user settings (PATCH), with the 400 / 404 / 409 answers of malformed or unknown input.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

// ---- 400 ----

TEST_F(ApiServerTest, MalformedBodiesAre400NamingTheField) {
  // Not JSON.
  EXPECT_TRUE(IsError(h_->Post("/v1/users", "{\"id\": "), 400, "invalid_argument", "body"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos", "nope", kAdminKey), 400, "invalid_argument", "body"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/users/u1", "{"), 400, "invalid_argument", "body"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/v1", "]"), 400, "invalid_argument", "body"));
  EXPECT_TRUE(IsError(h_->Post("/v1/events", "{\"events\": ["), 400, "invalid_argument", "body"));
  // Unknown field.
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"nu1","colour":"red"})"), 400,
                      "invalid_argument", "colour"));
  EXPECT_TRUE(
      IsError(h_->Post("/v1/videos", R"({"id":"nv1","creator":"c1","duration_ms":1000,"lenght":3})",
                       kAdminKey),
              400, "invalid_argument", "lenght"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/v1", R"({"creator":"c2"})"), 400, "invalid_argument",
                      "creator"));
  EXPECT_TRUE(
      IsError(h_->Patch("/v1/users/u1", R"({"epoch":3})"), 400, "invalid_argument", "epoch"));
  // Wrong type.
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":5})"), 400, "invalid_argument", "id"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"nu2","interests":"dance"})"), 400,
                      "invalid_argument", "interests"));
  EXPECT_TRUE(IsError(
      h_->Post("/v1/videos", R"({"id":"nv2","creator":"c1","duration_ms":"15000"})", kAdminKey),
      400, "invalid_argument", "duration_ms"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/v1", R"({"moderation":3})"), 400, "invalid_argument",
                      "moderation"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/v1", R"({"moderation":"deleted"})"), 400,
                      "invalid_argument", "moderation"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"(["id","nu3"])"), 400, "invalid_argument"));
  // Bad id characters.
  EXPECT_TRUE(
      IsError(h_->Post("/v1/users", R"({"id":"has space"})"), 400, "invalid_argument", "id"));
  EXPECT_TRUE(IsError(
      h_->Post("/v1/videos", R"({"id":"v\u00e9","creator":"c1","duration_ms":1})", kAdminKey), 400,
      "invalid_argument", "id"));
  EXPECT_TRUE(
      IsError(h_->Post("/v1/videos", R"({"id":"nv3","creator":"c 1","duration_ms":1})", kAdminKey),
              400, "invalid_argument", "creator"));
  // Missing required field: the message names it.
  EXPECT_TRUE(
      IsError(h_->Post("/v1/users", R"({"language":"en"})"), 400, "invalid_argument", "id"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos", R"({"id":"nv4","creator":"c1"})", kAdminKey), 400,
                      "invalid_argument", "duration_ms"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos", R"({"id":"nv5","duration_ms":1000})", kAdminKey), 400,
                      "invalid_argument", "creator"));
  // Out-of-range values.
  EXPECT_TRUE(IsError(
      h_->Post("/v1/videos", R"({"id":"nv6","creator":"c1","duration_ms":3600001})", kAdminKey),
      400, "invalid_argument", "duration_ms"));
  EXPECT_TRUE(
      IsError(h_->Post("/v1/videos", R"({"id":"nv7","creator":"c1","duration_ms":0})", kAdminKey),
              400, "invalid_argument", "duration_ms"));
  // Invalid UTF-8, deep nesting, numbers out of range.
  EXPECT_TRUE(
      IsError(h_->Post("/v1/users", "{\"id\":\"u\xff\xfe\"}"), 400, "invalid_argument", "body"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", "{\"id\":\"nu9\",\"profile\":[\"\xc0\xaf\"]}"), 400,
                      "invalid_argument", "body"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", std::string(20000, '[') + std::string(20000, ']')), 400,
                      "invalid_argument"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"nu9","interests":[["dance"]]})"), 400,
                      "invalid_argument", "interests[0]"));
  EXPECT_TRUE(IsError(
      h_->Post("/v1/videos", R"({"id":"nv8","creator":"c1","duration_ms":1e400})", kAdminKey), 400,
      "invalid_argument", "body"));
  EXPECT_TRUE(IsError(
      h_->Post("/v1/videos", R"({"id":"nv8","creator":"c1","duration_ms":99999999999999999999999})",
               kAdminKey),
      400, "invalid_argument", "duration_ms"));
  EXPECT_TRUE(IsError(
      h_->Post("/v1/videos", R"({"id":"nv8","creator":"c1","duration_ms":18446744073709551615})",
               kAdminKey),
      400, "invalid_argument", "duration_ms"));
  EXPECT_TRUE(
      IsError(h_->Post("/v1/videos", R"({"id":"nv8","creator":"c1","duration_ms":1.5})", kAdminKey),
              400, "invalid_argument", "duration_ms"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"nu9","epoch":4294967296})"), 400,
                      "invalid_argument", "epoch"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"nu9","created_ms":-1})"), 400,
                      "invalid_argument", "created_ms"));
  // Fields the server owns.
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"nu9","profile":[]})"), 400,
                      "invalid_argument", "profile: set by the server"));
  EXPECT_TRUE(IsError(
      h_->Post("/v1/videos", R"({"id":"nv8","creator":"c1","duration_ms":9,"video_type":"AD"})",
               kAdminKey),
      400, "invalid_argument", "video_type: set by the server"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/users/u1", "[]"), 400, "invalid_argument"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/v1", "null"), 400, "invalid_argument"));
  // None of them was created.
  for (const char* id : {"nu1", "nu2", "nu3", "nu9"})
    EXPECT_EQ(h_->Get(absl::StrCat("/v1/users/", id)).status, 404);
  for (int v = 1; v <= 8; ++v) EXPECT_EQ(h_->Get(absl::StrCat("/v1/videos/nv", v)).status, 404);
}

// ---- 404 ----

TEST_F(ApiServerTest, UnknownThingsAre404) {
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user=nobody"), 404, "not_found", "nobody"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed/explain?user=nobody&video=v1"), 404, "not_found"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed/explain?user=u1&video=nothing"), 404, "not_found"));
  EXPECT_TRUE(IsError(h_->Get("/v1/users/nobody"), 404, "not_found", "nobody"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/users/nobody", R"({"language":"en"})"), 404, "not_found"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users/nobody/refresh", ""), 404, "not_found"));
  EXPECT_TRUE(IsError(h_->Get("/v1/videos/nothing"), 404, "not_found", "nothing"));
  EXPECT_TRUE(
      IsError(h_->Patch("/v1/videos/nothing", R"({"moderation":"removed"})"), 404, "not_found"));
  EXPECT_TRUE(IsError(h_->Get("/v1/creators/nobody"), 404, "not_found"));
  EXPECT_TRUE(IsError(h_->Get("/v1/sounds/nothing"), 404, "not_found"));
  EXPECT_TRUE(IsError(h_->Get("/v1/hashtags/nothing"), 404, "not_found"));
  // Unknown routes (no key needed to learn that).
  EXPECT_TRUE(IsError(h_->Call("GET", "/v1/nope"), 404, "not_found", "no such route"));
  EXPECT_TRUE(IsError(h_->Get("/v2/feed?user=u1"), 404, "not_found"));
  EXPECT_TRUE(IsError(h_->Call("DELETE", "/v1/videos/v1", kAdminKey), 404, "not_found"));
}

// ---- 409 ----

TEST_F(ApiServerTest, DuplicatesAre409) {
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"u1"})"), 409, "already_exists", "u1"));
  EXPECT_TRUE(
      IsError(h_->Post("/v1/videos", VideoJson(3), kAdminKey), 409, "already_exists", "v3"));
  // The original is untouched.
  EXPECT_EQ(h_->Get("/v1/users/u1").j["interests"], json({"dance"}));
}

// ---- Lists, pages and sign-up hashtags ----

TEST_F(ApiServerTest, CreatorSoundAndHashtagPagesListVideos) {
  Reply c = h_->Get("/v1/creators/c1");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.j["id"], "c1");
  ASSERT_FALSE(c.j["videos"].empty());
  for (const json& v : c.j["videos"]) {
    EXPECT_EQ(v["creator"], "c1");
    EXPECT_TRUE(v["engagement"].is_number());
  }
  Reply s = h_->Get("/v1/sounds/s1?limit=3");
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.j["id"], "s1");
  EXPECT_EQ(s.j["videos"].size(), 3u);
  for (const json& v : s.j["videos"]) EXPECT_EQ(v["sound"], "s1");
  Reply t = h_->Get("/v1/hashtags/cats");
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.j["name"], "cats");
  EXPECT_GT(t.j["videos"].size(), 0u);
  for (const json& v : t.j["videos"]) {
    const std::vector<std::string> tags = v["hashtags"];
    EXPECT_NE(std::find(tags.begin(), tags.end(), "cats"), tags.end());
  }
}

TEST_F(ApiServerTest, ListsAndGets) {
  Reply users = h_->Get("/v1/users?limit=2", kAdminKey);
  ASSERT_EQ(users.status, 200) << users.body;
  ASSERT_EQ(users.j["users"].size(), 2u);
  EXPECT_EQ(users.j["next"], users.j["users"][1]["id"]);
  Reply more = h_->Get(
      absl::StrCat("/v1/users?limit=1000&after=", users.j["next"].get<std::string>()), kAdminKey);
  ASSERT_EQ(more.status, 200);
  EXPECT_GE(more.j["users"].size(), 3u);
  Reply videos = h_->Get("/v1/videos?limit=1000");
  ASSERT_EQ(videos.status, 200);
  EXPECT_GE(videos.j["videos"].size(), static_cast<size_t>(kVideos));
  Reply v = h_->Get("/v1/videos/v10");
  ASSERT_EQ(v.status, 200);
  EXPECT_EQ(v.j["creator"], CreatorOf(10));
  EXPECT_EQ(v.j["duration_ms"], 25000);
  // Sign-up with an app key, then a settings PATCH with the admin key.
  Reply created =
      h_->Post("/v1/users", R"({"id":"signup1","language":"en","interests":["#Cats"]})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.j["interests"], json({"cats"}));
  Reply patched = h_->Patch("/v1/users/signup1", R"({"keyword_filters":["Spoiler"]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.j["keyword_filters"], json({"spoiler"}));
  EXPECT_EQ(patched.j["language"], "en");
}

TEST_F(ApiServerTest, HashtagsListMostUsedFirstWithTheStoresCounts) {
  // Expected counts from the catalog itself (other tests add videos).
  std::map<std::string, uint64_t> expected;
  Reply videos = h_->Get("/v1/videos?limit=1000");
  ASSERT_EQ(videos.status, 200) << videos.body;
  for (const json& v : videos.j["videos"]) {
    std::set<std::string> tags(v["hashtags"].begin(), v["hashtags"].end());
    for (const std::string& t : tags) ++expected[t];
  }
  Reply r = h_->Get("/v1/hashtags");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.j["hashtags"].is_array());
  ASSERT_EQ(r.j["hashtags"].size(), expected.size()) << r.body;
  uint64_t previous = UINT64_MAX;
  for (const json& t : r.j["hashtags"]) {
    EXPECT_EQ(t["id"], t["name"]);
    EXPECT_EQ(t["videos"].get<uint64_t>(), expected[t["name"].get<std::string>()]) << t;
    EXPECT_LE(t["videos"].get<uint64_t>(), previous) << "not sorted by count: " << r.body;
    previous = t["videos"].get<uint64_t>();
  }
  Reply two = h_->Get("/v1/hashtags?limit=2");
  ASSERT_EQ(two.status, 200);
  ASSERT_EQ(two.j["hashtags"].size(), 2u);
  EXPECT_EQ(two.j["hashtags"][0], r.j["hashtags"][0]);
  EXPECT_TRUE(IsError(h_->Get("/v1/hashtags?limit=0"), 400, "invalid_argument", "limit"));
  EXPECT_TRUE(IsError(h_->Get("/v1/hashtags?limit=1001"), 400, "invalid_argument", "limit"));
  // No key needed: the account sign-up screen lists them before anyone is signed in.
  EXPECT_EQ(h_->Get("/v1/hashtags", "").status, 200);
  EXPECT_EQ(h_->Get("/v1/hashtags", kAdminKey).status, 200);
}

// ---- Moderation and settings ----

TEST_F(ApiServerTest, RemovedVideoLeavesEveryFeed) {
  Reply patch = h_->Patch("/v1/videos/v5", R"({"moderation":"removed"})");
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(patch.j["moderation"], "removed");
  EXPECT_EQ(h_->Get("/v1/videos/v5").j["moderation"], "removed");
  for (const char* user : {"u1", "u2", "u5"}) {
    for (int page = 0; page < 3; ++page) {
      Reply r = h_->Get(absl::StrCat("/v1/feed?user=", user, "&count=12"));
      ASSERT_EQ(r.status, 200) << r.body;
      for (const json& item : r.j["items"]) EXPECT_NE(item["video"], "v5") << user;
    }
  }
  Reply x = h_->Get("/v1/feed/explain?user=u1&video=v5");
  ASSERT_EQ(x.status, 200) << x.body;
  EXPECT_FALSE(x.j["can_serve"].get<bool>());
  EXPECT_NE(x.j["cannot_serve_reason"].get<std::string>().find("moderation"), std::string::npos)
      << x.body;
  // Not on its creator's page either.
  Reply c = h_->Get(absl::StrCat("/v1/creators/", CreatorOf(5)));
  ASSERT_EQ(c.status, 200);
  for (const json& v : c.j["videos"]) EXPECT_NE(v["id"], "v5");
}

TEST_F(ApiServerTest, HiddenCreatorLeavesTheUsersFeed) {
  Reply patch = h_->Patch("/v1/users/u5", R"({"hidden_creators":["c2"]})");
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(patch.j["hidden_creators"], json({"c2"}));
  int items = 0;
  for (int page = 0; page < 3; ++page) {
    Reply r = h_->Get("/v1/feed?user=u5&count=10");
    ASSERT_EQ(r.status, 200) << r.body;
    for (const json& item : r.j["items"]) {
      EXPECT_NE(item["creator"], "c2") << item.dump();
      ++items;
    }
  }
  EXPECT_GT(items, 0);
  // No video of c2 can be served; those not shown before say it is because of the hiding.
  int hidden = 0;
  for (int v = 2; v < kVideos; v += kCreators) {  // CreatorOf(v) == "c2"
    Reply x = h_->Get(absl::StrCat("/v1/feed/explain?user=u5&video=v", v));
    ASSERT_EQ(x.status, 200) << x.body;
    EXPECT_FALSE(x.j["can_serve"].get<bool>()) << x.body;
    hidden += x.j["cannot_serve_reason"] == "you hid this creator";
  }
  EXPECT_GT(hidden, 0);
}

}  // namespace
}  // namespace foryou::server
