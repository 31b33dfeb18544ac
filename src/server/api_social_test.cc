// The social routes over HTTP (docs/api.md, "Social"): counts from events, comments, profiles,
// follows and the Following feed, the inbox, account deletion and a restart on the same data.
#include <set>

#include "server/api_test_harness.h"

#include "absl/strings/escaping.h"

namespace foryou::server {
namespace {

using ApiSocialTest = ApiServerTest;

// An event stamped `ago_ms` before now; `creator` for follows.
json Ev(const std::string& type, const std::string& user, const std::string& video,
        int64_t ago_ms = 0, const std::string& creator = "") {
  json e = {{"type", type}, {"user", user}, {"time_ms", common::WallMs() - ago_ms}};
  if (!video.empty()) e["video"] = video;
  if (!creator.empty()) e["creator"] = creator;
  if (type == "play") e["watch_ms"] = 3000;
  return e;
}

void Send(Harness& h, const std::vector<json>& events, const std::string& key = kAppKey) {
  Reply r = h.Post("/v1/events", json({{"events", json(events)}}).dump(), key);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["accepted"], events.size()) << r.body;
}

json Comment(Harness& h, const std::string& video, const std::string& user,
             const std::string& text, const std::string& parent = "",
             const std::string& key = kAppKey) {
  json body = {{"user", user}, {"text", text}};
  if (!parent.empty()) body["parent"] = parent;
  Reply r = h.Post("/v1/videos/" + video + "/comments", body.dump(), key);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.j;
}

std::string SignUp(Harness& h, const std::string& handle) {
  Reply r = h.Post("/v1/auth/signup",
                   json({{"handle", handle}, {"password", "pass phrase 1"}}).dump(), "");
  EXPECT_EQ(r.status, 201) << r.body;
  return r.j.value("token", "");
}

std::string User(const std::string& u) { return json({{"user", u}}).dump(); }

TEST_F(ApiSocialTest, CountsComeFromEventsAndLikesCountOnce) {
  Send(*h_, {Ev("like", "u1", "v1"), Ev("like", "u1", "v1"), Ev("like", "u2", "v1"),
             Ev("play", "u1", "v1"), Ev("share", "u2", "v1"), Ev("favorite", "u1", "v1"),
             Ev("favorite", "u1", "v1")});
  Reply r = h_->Get("/v1/videos/v1", "");  // public: no key
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["counts"], json({{"likes", 2}, {"comments", 0}, {"shares", 1}, {"views", 1},
                                 {"favorites", 1}}));
  Send(*h_, {Ev("unlike", "u2", "v1"), Ev("unlike", "u2", "v1")});
  EXPECT_EQ(h_->Get("/v1/videos/v1", "").j["counts"]["likes"], 1);
  Reply liked = h_->Get("/v1/users/u1/liked", "");
  ASSERT_EQ(liked.status, 200) << liked.body;
  ASSERT_EQ(liked.j["videos"].size(), 1u);
  EXPECT_EQ(liked.j["videos"][0]["id"], "v1");
  EXPECT_TRUE(liked.j["next_cursor"].is_null());
  EXPECT_TRUE(IsError(h_->Get("/v1/users/u1/favorites", ""), 403, "permission_denied"));
  EXPECT_EQ(h_->Get("/v1/users/u1/favorites").j["videos"].size(), 1u);  // the app key
  // Feed items carry counts and the requesting user's state.
  Reply feed = h_->Get("/v1/feed?user=u1&count=10");
  ASSERT_EQ(feed.status, 200) << feed.body;
  ASSERT_FALSE(feed.j["items"].empty());
  for (const json& item : feed.j["items"]) {
    EXPECT_TRUE(item["counts"].is_object()) << item;
    EXPECT_TRUE(item["liked"].is_boolean() && item["favorited"].is_boolean() &&
                item["following"].is_boolean())
        << item;
  }
  // A pending video stays hidden from the public.
  ASSERT_EQ(h_->Post("/v1/videos", VideoJson(100, "pending"), kAdminKey).status, 201);
  EXPECT_TRUE(IsError(h_->Get("/v1/videos/v100", ""), 404, "not_found"));
}

TEST_F(ApiSocialTest, CommentsRepliesLikesPinsAndDeletes) {
  // v7: creator c1.
  json top = Comment(*h_, "v7", "u1", "nice cat");
  json reply = Comment(*h_, "v7", "u2", "agreed", top["id"]);
  json other = Comment(*h_, "v7", "u3", "second");
  EXPECT_EQ(reply["parent"], top["id"]);
  Reply list = h_->Get("/v1/videos/v7/comments", "");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.j["comments"].size(), 2u);
  EXPECT_EQ(list.j["comments"][0]["id"], other["id"]);  // newest first
  EXPECT_EQ(list.j["comments"][1]["replies"], 1);
  Reply replies = h_->Get("/v1/videos/v7/comments?parent=" + top["id"].get<std::string>(), "");
  ASSERT_EQ(replies.j["comments"].size(), 1u);
  EXPECT_EQ(replies.j["comments"][0]["text"], "agreed");

  const std::string cid = top["id"];
  Reply like = h_->Post("/v1/comments/" + cid + "/like", User("u3"));
  ASSERT_EQ(like.status, 200) << like.body;
  EXPECT_EQ(like.j, json({{"likes", 1}, {"liked", true}}));
  EXPECT_EQ(h_->Post("/v1/comments/" + cid + "/like", User("u3")).j["likes"], 1);
  EXPECT_EQ(h_->Get("/v1/videos/v7/comments?user=u3").j["comments"][1]["liked"], true);

  EXPECT_TRUE(IsError(h_->Post("/v1/comments/" + cid + "/pin", User("u2")), 403,
                      "permission_denied", "creator"));
  ASSERT_EQ(h_->Post("/v1/comments/" + cid + "/pin", User("c1")).status, 200);
  list = h_->Get("/v1/videos/v7/comments", "");
  EXPECT_EQ(list.j["comments"][0]["id"], cid);
  EXPECT_EQ(list.j["comments"][0]["pinned"], true);
  ASSERT_EQ(h_->Post("/v1/comments/" + other["id"].get<std::string>() + "/pin", User("c1")).status, 200);
  list = h_->Get("/v1/videos/v7/comments", "");
  EXPECT_EQ(list.j["comments"][0]["id"], other["id"]);  // at most one pinned
  EXPECT_EQ(list.j["comments"][1]["pinned"], false);

  EXPECT_TRUE(IsError(h_->Call("DELETE", "/v1/comments/" + cid, kAppKey, User("u3")), 403,
                      "permission_denied"));
  Reply del = h_->Call("DELETE", "/v1/comments/" + cid, kAppKey, User("u1"));
  ASSERT_EQ(del.status, 200) << del.body;
  list = h_->Get("/v1/videos/v7/comments", "");
  EXPECT_EQ(list.j["comments"][1]["deleted"], true);
  EXPECT_EQ(list.j["comments"][1]["text"], "");
  EXPECT_EQ(h_->Get("/v1/videos/v7/comments?parent=" + cid, "").j["comments"].size(), 1u);
  EXPECT_EQ(h_->Get("/v1/videos/v7", "").j["counts"]["comments"], 2);

  EXPECT_TRUE(IsError(h_->Post("/v1/videos/v7/comments",
                               json({{"user", "u1"}, {"text", "Buy Followers here"}}).dump()),
                      400, "invalid_argument", "banned term"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos/v7/comments", json({{"user", "u1"}, {"text", ""}}).dump()),
                      400, "invalid_argument", "text"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos/v7/comments", json({{"text", "hi"}}).dump(), ""), 401,
                      "unauthenticated"));
  EXPECT_EQ(h_->Post("/v1/comments/" + reply["id"].get<std::string>() + "/report",
                     json({{"user", "u4"}, {"reason", "spam"}}).dump()).status, 202);
  // Paging: two pages of one cover both comments.
  Reply p1 = h_->Get("/v1/videos/v7/comments?count=1", "");
  ASSERT_TRUE(p1.j["next_cursor"].is_string()) << p1.body;
  Reply p2 = h_->Get("/v1/videos/v7/comments?count=1&cursor=" + p1.j["next_cursor"].get<std::string>(), "");
  ASSERT_EQ(p2.j["comments"].size(), 1u) << p2.body;
  EXPECT_NE(p2.j["comments"][0]["id"], p1.j["comments"][0]["id"]);
}

TEST_F(ApiSocialTest, ASessionActsOnlyAsItsUserAndEditsItsProfile) {
  const std::string sam = SignUp(*h_, "sam");
  EXPECT_TRUE(IsError(h_->Post("/v1/videos/v2/comments", json({{"user", "u1"}, {"text", "x"}}).dump(), sam),
                      403, "permission_denied"));
  EXPECT_TRUE(IsError(h_->Get("/v1/inbox?user=u1", sam), 403, "permission_denied"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed/following?user=u1", sam), 403, "permission_denied"));
  json c = Comment(*h_, "v2", "sam", "hello", "", sam);
  EXPECT_TRUE(IsError(h_->Post("/v1/comments/" + c["id"].get<std::string>() + "/like", User("u1"), sam),
                      403, "permission_denied"));
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + "pixels";
  Reply p = h_->Patch("/v1/me/profile",
                      json({{"name", "Sam S"}, {"bio", "hi there"},
                            {"avatar", "data:image/png;base64," + absl::Base64Escape(png)}}).dump(),
                      sam);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.j["name"], "Sam S");
  EXPECT_TRUE(IsError(h_->Patch("/v1/me/profile", json({{"avatar", "data:image/png;base64,aGVsbG8="}}).dump(), sam),
                      400, "invalid_argument", "avatar"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/me/profile", json({{"name", ""}}).dump(), sam), 400,
                      "invalid_argument", "name"));
  Reply pub = h_->Get("/v1/users/sam", "");
  ASSERT_EQ(pub.status, 200) << pub.body;
  EXPECT_EQ(pub.j["bio"], "hi there");
  EXPECT_FALSE(pub.j.contains("interests"));  // private fields only for the user themself
  EXPECT_TRUE(h_->Get("/v1/users/sam", sam).j.contains("interests"));
  Reply avatar = h_->Get(pub.j["avatar"].get<std::string>(), "");
  ASSERT_EQ(avatar.status, 200);
  EXPECT_EQ(avatar.body, png);
  EXPECT_EQ(avatar.header("Content-Type"), "image/png");
}

TEST_F(ApiSocialTest, FollowsAndTheFollowingFeedNewestFirstNeverShownTwice) {
  Send(*h_, {Ev("follow", "u3", "", 0, "c2"), Ev("follow", "u3", "", 0, "c4"),
             Ev("follow", "u3", "", 0, "c4")});
  EXPECT_EQ(h_->Get("/v1/users/c4/followers", "").j["users"], json::parse(R"([{"id":"u3","name":"u3","avatar":null}])"));
  EXPECT_EQ(h_->Get("/v1/users/u3/following", "").j["users"].size(), 2u);
  EXPECT_EQ(h_->Get("/v1/users/u3", "").j["counts"]["following"], 2);
  // v2 (c2) removed: never in the feed.
  ASSERT_EQ(h_->Patch("/v1/videos/v2", json({{"moderation", "removed"}}).dump()).status, 200);
  std::set<std::string> shown;
  Reply fy = h_->Get("/v1/feed?user=u3&count=10");
  ASSERT_EQ(fy.status, 200) << fy.body;
  for (const json& item : fy.j["items"]) shown.insert(item["video"].get<std::string>());
  std::set<std::string> expected;  // approved videos of c2 and c4 not shown by For You
  for (int v = 0; v < kVideos; ++v) {
    const std::string id = absl::StrCat("v", v);
    if ((CreatorOf(v) == "c2" || CreatorOf(v) == "c4") && v != 2 && !shown.contains(id)) {
      expected.insert(id);
    }
  }
  std::set<std::string> got;
  for (int page = 0; page < 10; ++page) {
    Reply r = h_->Get("/v1/feed/following?user=u3&count=4");
    ASSERT_EQ(r.status, 200) << r.body;
    if (r.j["items"].empty()) break;
    int64_t last = INT64_MAX;
    for (const json& item : r.j["items"]) {
      const std::string id = item["video"];
      EXPECT_TRUE(expected.contains(id)) << id;
      EXPECT_TRUE(got.insert(id).second) << id << " shown twice";
      const int64_t upload = item["upload_ms"];
      EXPECT_LE(upload, last);
      last = upload;
      EXPECT_TRUE(item["following"].get<bool>());
    }
  }
  EXPECT_EQ(got, expected);
  Reply none = h_->Get("/v1/feed/following?user=u5");
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_TRUE(none.j["items"].empty());
  Send(*h_, {Ev("unfollow", "u3", "", 0, "c4")});
  EXPECT_EQ(h_->Get("/v1/users/c4", "").status, 404);  // c4 is a creator, not a user
  EXPECT_TRUE(h_->Get("/v1/users/c4/followers", "").j["users"].empty());
}

TEST_F(ApiSocialTest, InboxGetsALikeAndAFollowAndMarksRead) {
  // v5: creator c5.
  Send(*h_, {Ev("like", "u4", "v5", 2000), Ev("follow", "u4", "", 1000, "c5")});
  Reply r = h_->Get("/v1/inbox?user=c5");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["items"].size(), 2u) << r.body;
  EXPECT_EQ(r.j["items"][0]["type"], "follow");  // newest first
  EXPECT_EQ(r.j["items"][1]["type"], "like");
  EXPECT_EQ(r.j["items"][1]["video"], "v5");
  EXPECT_EQ(r.j["items"][1]["actor"], "u4");
  EXPECT_EQ(r.j["unread"], 2);
  ASSERT_EQ(h_->Post("/v1/inbox/read", User("c5")).status, 200);
  EXPECT_EQ(h_->Get("/v1/inbox?user=c5").j["unread"], 0);
}

TEST_F(ApiSocialTest, DeletingAnAccountRemovesItsSocialData) {
  const std::string dana = SignUp(*h_, "dana");
  Send(*h_, {Ev("like", "dana", "v9"), Ev("follow", "dana", "", 0, "c3")});
  json c = Comment(*h_, "v9", "dana", "bye", "", dana);
  const int64_t likes = h_->Get("/v1/videos/v9", "").j["counts"]["likes"];
  Reply exported = h_->Get("/v1/users/dana/export", kAdminKey);
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_EQ(exported.j["social"]["comments"].size(), 1u);
  EXPECT_EQ(exported.j["social"]["likes"][0]["video"], "v9");
  EXPECT_EQ(exported.j["social"]["following"][0]["creator"], "c3");
  ASSERT_EQ(h_->Call("DELETE", "/v1/users/dana", kAdminKey).status, 200);
  EXPECT_EQ(h_->Get("/v1/videos/v9", "").j["counts"]["likes"], likes - 1);
  EXPECT_TRUE(h_->Get("/v1/users/c3/followers", "").j["users"].empty());
  Reply list = h_->Get("/v1/videos/v9/comments", "");
  ASSERT_EQ(list.j["comments"].size(), 1u);
  EXPECT_EQ(list.j["comments"][0]["deleted"], true);
  EXPECT_EQ(list.j["comments"][0]["text"], "");
}

TEST(ApiSocialRestartTest, EverythingSurvivesARestart) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    absl::StrCat("foryou_social_restart_", ::getpid());
  std::filesystem::remove_all(dir);
  json before;
  {
    Harness h(ServerOptions{}, dir);
    ASSERT_TRUE(h.ok());
    ASSERT_EQ(h.Post("/v1/users", json({{"id", "u1"}}).dump()).status, 201);
    ASSERT_EQ(h.Post("/v1/users", json({{"id", "c0"}}).dump()).status, 201);
    for (int v = 0; v < 3; ++v) ASSERT_EQ(h.Post("/v1/videos", VideoJson(v * 6), kAdminKey).status, 201);
    Send(h, {Ev("like", "u1", "v0"), Ev("play", "u1", "v0"), Ev("follow", "u1", "", 0, "c0")});
    Comment(h, "v0", "u1", "kept");
    before = {h.Get("/v1/videos/v0", "").j["counts"], h.Get("/v1/users/c0", "").j["counts"],
              h.Get("/v1/videos/v0/comments", "").j, h.Get("/v1/inbox?user=c0").j};
  }
  Harness h(ServerOptions{}, dir);
  ASSERT_TRUE(h.ok());
  json after = {h.Get("/v1/videos/v0", "").j["counts"], h.Get("/v1/users/c0", "").j["counts"],
                h.Get("/v1/videos/v0/comments", "").j, h.Get("/v1/inbox?user=c0").j};
  EXPECT_EQ(after, before);
  EXPECT_EQ(before[0]["likes"], 1);
  EXPECT_EQ(before[1]["followers"], 1);
  EXPECT_EQ(before[2]["comments"].size(), 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace foryou::server
