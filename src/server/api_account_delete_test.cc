// A user's data over HTTP (docs/api.md, "Your data"): the export holds their events and what
// they derive and nothing of anyone else; deleting the account removes it, the catalog user,
// the feed session and the user_id embedding rows, asks for the password again, and a session
// cannot delete anyone else. The deletion survives a restart (a deletion marker in the log).
#include "common/id_key.h"
#include "embedding/feature_id.h"
#include "model/features.h"
#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

constexpr char kPassword[] = "pass phrase 1";

std::string SignUp(Harness& h, const std::string& handle) {
  Reply r = h.Post("/v1/auth/signup",
                   json({{"handle", handle}, {"password", kPassword}, {"interests", {"cats"}}})
                       .dump(),
                   "");
  EXPECT_EQ(r.status, 201) << r.body;
  return r.j.is_object() && r.j.contains("token") ? r.j["token"].get<std::string>() : "";
}

Reply SignIn(Harness& h, const std::string& handle) {
  return h.Post("/v1/auth/signin", json({{"handle", handle}, {"password", kPassword}}).dump(), "");
}

Reply DeleteMe(Harness& h, const std::string& token, const std::string& password) {
  return h.Call("DELETE", "/v1/me", token, json({{"password", password}}).dump());
}

std::string Action(const std::string& type, const std::string& user, const json& fields) {
  json e = {{"type", type}, {"user", user}, {"time_ms", common::WallMs()}};
  e.update(fields);
  return e.dump();
}

// The serving replica's user_id row of `model_user`.
bool HasUserRow(Harness& h, const std::string& model_user) {
  const uint32_t slot = model::FindFeature("user_id")->slot;
  uint32_t count = 0, seen = 0;
  return h.engine().loop().serving().table().GetRowMeta(
      embedding::HashFeature(slot, common::UserKey(model_user)), &count, &seen);
}

using ApiAccountDeleteTest = ApiServerTest;

TEST_F(ApiAccountDeleteTest, ExportHoldsTheUsersEventsAndLikesAndNothingOfAnother) {
  const std::string alice = SignUp(*h_, "alice");
  const std::string bob = SignUp(*h_, "bob");
  const std::string mine = absl::StrCat(
      "[", Action("like", "alice", {{"video", "v1"}}), ",",
      Action("like", "alice", {{"video", "v2"}}), ",", Action("unlike", "alice", {{"video", "v2"}}),
      ",", Action("comment", "alice", {{"video", "v3"}, {"text", "so good"}}), ",",
      Action("follow", "alice", {{"creator", "c1"}}), "]");
  ASSERT_EQ(h_->Post("/v1/events", mine, alice).status, 200);
  const std::string theirs =
      absl::StrCat("[", Action("like", "bob", {{"video", "v44"}}), ",",
                   Action("comment", "bob", {{"video", "v44"}, {"text", "words of bob"}}), "]");
  ASSERT_EQ(h_->Post("/v1/events", theirs, bob).status, 200);
  // After a refresh the log names the user "alice#1": still hers.
  ASSERT_EQ(h_->Post("/v1/users/alice/refresh", "", alice).status, 200);
  const std::string after = absl::StrCat("[", Action("like", "alice", {{"video", "v5"}}), "]");
  ASSERT_EQ(h_->Post("/v1/events", after, alice).status, 200);

  Reply r = h_->Get("/v1/me/export", alice);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Disposition"), "attachment; filename=\"foryou-alice.json\"");
  EXPECT_EQ(r.j["user"]["id"], "alice");
  EXPECT_EQ(r.j["account"]["handle"], "alice");
  EXPECT_EQ(r.j["account"]["roles"], json::array({"viewer"}));
  ASSERT_EQ(r.j["events"].size(), 6u) << r.body;
  for (const json& e : r.j["events"]) EXPECT_EQ(e["user"], "alice") << e;
  EXPECT_EQ(r.j["likes"].size(), 2u) << r.body;
  EXPECT_EQ(r.j["likes"][0]["video"], "v1");
  EXPECT_EQ(r.j["likes"][1]["video"], "v5");
  ASSERT_EQ(r.j["comments"].size(), 1u);
  EXPECT_EQ(r.j["comments"][0]["text"], "so good");
  ASSERT_EQ(r.j["follows"].size(), 1u);
  EXPECT_EQ(r.j["follows"][0]["creator"], "c1");
  // Nothing of bob's, and never the password hash.
  EXPECT_EQ(r.body.find("bob"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("v44"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("argon2"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("password"), std::string::npos) << r.body;

  // Keys name the user in the path, admin keys only; a session cannot export another user.
  Reply admin = h_->Get("/v1/users/bob/export", kAdminKey);
  ASSERT_EQ(admin.status, 200) << admin.body;
  EXPECT_EQ(admin.j["events"].size(), 2u);
  EXPECT_EQ(admin.j["likes"][0]["video"], "v44");
  EXPECT_TRUE(IsError(h_->Get("/v1/users/bob/export", alice), 403, "permission_denied"));
  EXPECT_TRUE(IsError(h_->Get("/v1/users/bob/export", kAppKey), 403, "permission_denied"));
  EXPECT_TRUE(IsError(h_->Get("/v1/me/export", kAppKey), 400, "invalid_argument"));
  EXPECT_TRUE(IsError(h_->Get("/v1/users/nobody/export", kAdminKey), 404, "not_found"));
}

TEST_F(ApiAccountDeleteTest, DeleteRemovesAccountCatalogUserSessionAndEmbeddingRows) {
  const std::string token = SignUp(*h_, "carol");
  // A view the trainer learns from gives carol a user_id row.
  Reply page = h_->Get("/v1/feed?user=carol&count=3", token);
  ASSERT_EQ(page.status, 200) << page.body;
  const std::string video = page.j["items"][0]["video"];
  const std::string events = absl::StrCat(
      "[", Action("impression", "carol", {{"video", video}, {"request_id", page.j["request_id"]},
                                          {"position", 0}, {"surface", "foryou"}}),
      ",", Action("play", "carol", {{"video", video}, {"watch_ms", 9000}, {"completed", true}}),
      ",", Action("like", "carol", {{"video", video}}), "]");
  Reply posted = h_->Post("/v1/events", events, token);
  ASSERT_EQ(posted.status, 200) << posted.body;
  const uint64_t end = posted.j["offset"].get<uint64_t>() + 3;
  ASSERT_TRUE(h_->engine().loop().WaitForServing(end, /*timeout_ms=*/30'000));
  ASSERT_TRUE(HasUserRow(*h_, "carol"));
  ASSERT_FALSE(h_->engine().feed().SessionOf("carol").seen.empty());

  // The password again, right, in the body; keys use the path form.
  EXPECT_TRUE(IsError(DeleteMe(*h_, token, "not the password"), 401, "unauthenticated",
                      "wrong password"));
  EXPECT_TRUE(IsError(h_->Call("DELETE", "/v1/me", token, "{}"), 400, "invalid_argument",
                      "password"));
  EXPECT_TRUE(IsError(DeleteMe(*h_, kAppKey, kPassword), 400, "invalid_argument"));
  EXPECT_EQ(SignIn(*h_, "carol").status, 200);  // refused requests changed nothing
  EXPECT_EQ(h_->Get("/v1/users/carol", kAdminKey).status, 200);
  EXPECT_TRUE(HasUserRow(*h_, "carol"));

  Reply del = DeleteMe(*h_, token, kPassword);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.j["deleted"], "carol");
  EXPECT_EQ(del.j["account"], true);
  EXPECT_EQ(del.j["catalog_user"], true);
  EXPECT_EQ(del.j["embedding_rows"], 1);
  EXPECT_NE(del.header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_FALSE(HasUserRow(*h_, "carol"));
  EXPECT_TRUE(IsError(h_->Get("/v1/users/carol", kAdminKey), 404, "not_found"));
  EXPECT_TRUE(IsError(SignIn(*h_, "carol"), 401, "unauthenticated"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user=carol&count=3", token), 401, "unauthenticated"));
  // The next sync does not bring the row back to the replica.
  Reply later =
      h_->Post("/v1/events", absl::StrCat("[", Action("like", "u1", {{"video", "v1"}}), "]"));
  ASSERT_EQ(later.status, 200);
  ASSERT_TRUE(h_->engine().loop().WaitForServing(later.j["offset"].get<uint64_t>() + 1, 30'000));
  EXPECT_FALSE(HasUserRow(*h_, "carol"));

  // The handle is free again: a new user, starting cold; the old token is not theirs.
  const std::string again = SignUp(*h_, "carol");
  EXPECT_TRUE(h_->engine().feed().SessionOf("carol").seen.empty());
  EXPECT_FALSE(HasUserRow(*h_, "carol"));
  EXPECT_EQ(h_->Get("/v1/feed?user=carol&count=3", again).status, 200);
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user=carol&count=3", token), 401, "unauthenticated"));
}

TEST_F(ApiAccountDeleteTest, ATokenCannotDeleteAnotherUser) {
  const std::string dave = SignUp(*h_, "dave");
  SignUp(*h_, "erin");
  EXPECT_TRUE(IsError(h_->Call("DELETE", "/v1/users/erin", dave), 403, "permission_denied"));
  EXPECT_TRUE(IsError(h_->Call("DELETE", "/v1/users/erin", kAppKey), 403, "permission_denied"));
  EXPECT_EQ(SignIn(*h_, "erin").status, 200);
  EXPECT_EQ(h_->Get("/v1/users/erin", kAdminKey).status, 200);
  // DELETE /v1/me deletes only the session's own user, whatever the body says.
  Reply own = h_->Call("DELETE", "/v1/me", dave,
                       json({{"password", kPassword}, {"user", "erin"}}).dump());
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.j["deleted"], "dave");
  EXPECT_EQ(SignIn(*h_, "erin").status, 200);

  // An admin may; the deletion is audited; a second one finds nothing.
  Reply admin = h_->Call("DELETE", "/v1/users/erin", kAdminKey);
  ASSERT_EQ(admin.status, 200) << admin.body;
  EXPECT_EQ(admin.j["account"], true);
  EXPECT_TRUE(IsError(SignIn(*h_, "erin"), 401, "unauthenticated"));
  EXPECT_TRUE(IsError(h_->Call("DELETE", "/v1/users/erin", kAdminKey), 404, "not_found"));
  Reply audit = h_->Get("/v1/admin/audit?limit=5", kAdminKey);
  ASSERT_EQ(audit.status, 200);
  bool found = false;
  for (const json& rec : audit.j["records"]) {
    found |= rec["route"] == "/v1/users/ID" && rec["target"] == "erin" && rec["status"] == 200;
  }
  EXPECT_TRUE(found) << audit.body;
  // A catalog user without an account (created with a key) is deleted the same way.
  Reply keyed = h_->Call("DELETE", "/v1/users/u6", kAdminKey);
  ASSERT_EQ(keyed.status, 200) << keyed.body;
  EXPECT_EQ(keyed.j["account"], false);
  EXPECT_EQ(keyed.j["catalog_user"], true);
}

// Deletion is durable and final: a handle deleted, signed up again, and then a restart (a
// snapshot from before the deletion restored, the whole log replayed into the feed) gives the
// new account nothing of the old one: no seen video, no user_id row, no event in the export.
TEST(ApiAccountDeleteRestartTest, ANewAccountOfADeletedHandleGetsNothingBackAfterARestart) {
  std::string dir;
  {
    Harness h{ServerOptions{}};
    ASSERT_TRUE(h.ok());
    for (int v = 0; v < 10; ++v) ASSERT_EQ(h.Post("/v1/videos", VideoJson(v), kAdminKey).status, 201);
    const std::string token = SignUp(h, "frank");
    Reply page = h.Get("/v1/feed?user=frank&count=3", token);
    ASSERT_EQ(page.status, 200) << page.body;
    const std::string video = page.j["items"][0]["video"];
    const std::string events = absl::StrCat(
        "[", Action("impression", "frank", {{"video", video}, {"request_id", page.j["request_id"]},
                                            {"position", 0}, {"surface", "foryou"}}),
        ",", Action("play", "frank", {{"video", video}, {"watch_ms", 9000}, {"completed", true}}),
        ",", Action("like", "frank", {{"video", video}}), "]");
    Reply posted = h.Post("/v1/events", events, token);
    ASSERT_EQ(posted.status, 200) << posted.body;
    ASSERT_TRUE(h.engine().loop().WaitForServing(posted.j["offset"].get<uint64_t>() + 3, 30'000));
    ASSERT_TRUE(HasUserRow(h, "frank"));
    // A snapshot holding frank's row, from before the deletion.
    h.engine().loop().Stop();
    ASSERT_TRUE(h.engine().loop().Snapshot().ok());
    h.engine().loop().Start();

    ASSERT_EQ(DeleteMe(h, token, kPassword).status, 200);
    SignUp(h, "frank");
    EXPECT_TRUE(h.engine().feed().SessionOf("frank").seen.empty());
    dir = h.dir();
    h.keep_dir();
  }
  Harness h{ServerOptions{}, dir};
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(h.engine().loop().WaitForServing(h.engine().loop().log().EndOffset(), 30'000));
  EXPECT_GT(h.engine().loop().stats().user_deletions, 0u);
  EXPECT_TRUE(h.engine().feed().SessionOf("frank").seen.empty());
  EXPECT_FALSE(HasUserRow(h, "frank"));
  Reply r = h.Get("/v1/users/frank/export", kAdminKey);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["account"]["handle"], "frank");
  EXPECT_EQ(r.j["events"].size(), 0u) << r.body;
  EXPECT_EQ(r.j["likes"].size(), 0u) << r.body;
}

}  // namespace
}  // namespace foryou::server
