// Accounts over HTTP: sign-up, sign-in, sessions acting only as their user, sign-out, roles,
// the audit log and the sign-in and per-account limits (docs/api.md, "Accounts").
#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

constexpr char kPassword[] = "pass phrase 1";

std::string SignUpBody(const std::string& handle, const std::string& password = kPassword) {
  return json({{"handle", handle}, {"password", password}, {"interests", {"cats", "food"}}}).dump();
}

std::string SignInBody(const std::string& handle, const std::string& password = kPassword) {
  return json({{"handle", handle}, {"password", password}}).dump();
}

// True if `token` (or the harness's cookie, for "") is a signed-in session.
bool SignedIn(Harness& h, const std::string& token) {
  Reply r = h.Get("/v1/auth/me", token);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.j.is_object() && r.j.value("signed_in", false);
}

// Signs `handle` up (201) and returns its token.
std::string SignUp(Harness& h, const std::string& handle) {
  Reply r = h.Post("/v1/auth/signup", SignUpBody(handle), "");
  EXPECT_EQ(r.status, 201) << r.body;
  return r.j.is_object() && r.j.contains("token") ? r.j["token"].get<std::string>() : "";
}

std::string SignIn(Harness& h, const std::string& handle) {
  Reply r = h.Post("/v1/auth/signin", SignInBody(handle), "");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.j.is_object() && r.j.contains("token") ? r.j["token"].get<std::string>() : "";
}

using ApiAccountsTest = ApiServerTest;

TEST_F(ApiAccountsTest, SignUpCreatesTheFeedUserAndSignsIn) {
  // The sign-up screen lists the interests before anyone is signed in.
  Reply tags = h_->Get("/v1/hashtags?limit=5", "");
  ASSERT_EQ(tags.status, 200) << tags.body;
  EXPECT_FALSE(tags.j["hashtags"].empty());
  Reply r = h_->Post("/v1/auth/signup", SignUpBody("alice"), "");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.j["user"], "alice");
  EXPECT_EQ(r.j["roles"], json({"viewer"}));
  const std::string token = r.j["token"];
  EXPECT_EQ(token.rfind("fy1.", 0), 0u);
  const std::string cookie = r.header("Set-Cookie");
  EXPECT_NE(cookie.find("foryou_session=" + token + ";"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  // The catalog user, interests included, as POST /v1/users makes it.
  Reply user = h_->Get("/v1/users/alice", kAdminKey);
  ASSERT_EQ(user.status, 200) << user.body;
  EXPECT_EQ(user.j["interests"], json({"cats", "food"}));
  // The token works as a bearer token and as the cookie.
  Reply me = h_->Get("/v1/auth/me", token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.j["signed_in"], true);
  EXPECT_EQ(me.j["handle"], "alice");
  h_->set_cookie("theme=dark; foryou_session=" + token);
  EXPECT_TRUE(SignedIn(*h_, ""));
  EXPECT_EQ(h_->Get("/v1/feed?user=alice&count=3", "").status, 200);
  h_->set_cookie("");
  EXPECT_FALSE(SignedIn(*h_, ""));
  EXPECT_FALSE(SignedIn(*h_, kAppKey));  // a key is not a session
  // Sign in again with the password.
  Reply in = h_->Post("/v1/auth/signin", SignInBody("alice"), "");
  ASSERT_EQ(in.status, 200) << in.body;
  EXPECT_NE(in.j["token"], token);
  EXPECT_TRUE(IsError(h_->Post("/v1/auth/signin", SignInBody("alice", "pass phrase 2"), ""), 401,
                      "unauthenticated", "wrong handle or password"));
  EXPECT_TRUE(IsError(h_->Post("/v1/auth/signin", SignInBody("nobody"), ""), 401,
                      "unauthenticated", "wrong handle or password"));
}

TEST_F(ApiAccountsTest, SignUpErrorsAreClearAndChangeNothing) {
  ASSERT_EQ(h_->Post("/v1/users", R"({"id":"olduser"})").status, 201);  // no account
  const uint64_t users = h_->engine().store().num_users();
  EXPECT_TRUE(IsError(h_->Post("/v1/auth/signup", SignUpBody("Bad Handle"), ""), 400,
                      "invalid_argument", "handle: must be 3 to 32"));
  EXPECT_TRUE(IsError(h_->Post("/v1/auth/signup", SignUpBody("ab"), ""), 400, "invalid_argument",
                      "handle"));
  EXPECT_TRUE(IsError(h_->Post("/v1/auth/signup", SignUpBody("carol", "short"), ""), 400,
                      "invalid_argument", "password: must be 8 to 128"));
  EXPECT_TRUE(IsError(h_->Post("/v1/auth/signup", R"({"handle":"carol"})", ""), 400,
                      "invalid_argument", "password: required"));
  EXPECT_TRUE(IsError(h_->Post("/v1/auth/signup", "{", ""), 400, "invalid_argument", "JSON"));
  json with_id = json::parse(SignUpBody("carol"));
  with_id["id"] = "other";
  EXPECT_TRUE(IsError(h_->Post("/v1/auth/signup", with_id.dump(), ""), 400, "invalid_argument",
                      "the handle is the user id"));
  // A catalog user without an account: its id is taken.
  EXPECT_TRUE(IsError(h_->Post("/v1/auth/signup", SignUpBody("olduser"), ""), 409,
                      "already_exists"));
  EXPECT_EQ(h_->engine().store().num_users(), users);
  SignUp(*h_, "carol");
  EXPECT_TRUE(IsError(h_->Post("/v1/auth/signup", SignUpBody("carol"), ""), 409, "already_exists",
                      "carol"));
  EXPECT_EQ(h_->engine().store().num_users(), users + 1);
}

TEST_F(ApiAccountsTest, SessionActsOnlyAsItsUser) {
  const std::string token = SignUp(*h_, "dave");
  EXPECT_EQ(h_->Get("/v1/feed?user=dave&count=3", token).status, 200);
  EXPECT_EQ(h_->Get("/v1/users/dave", token).status, 200);
  EXPECT_EQ(h_->Post("/v1/users/dave/refresh", "", token).status, 200);
  for (const std::string path : {"/v1/feed?user=u1&count=3", "/v1/feed/explain?user=u1&video=v1"}) {
    EXPECT_TRUE(IsError(h_->Get(path, token), 403, "permission_denied", "'dave'")) << path;
  }
  // Another user's record is a public read: without its private fields.
  Reply other = h_->Get("/v1/users/u1", token);
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_FALSE(other.j.contains("interests")) << other.body;
  EXPECT_TRUE(h_->Get("/v1/users/dave", token).j.contains("interests"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users/u1/refresh", "", token), 403, "permission_denied"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"mallory"})", token), 403,
                      "permission_denied", "signup"));
  // Events: one event of another user refuses the whole batch; nothing reaches the log.
  const uint64_t end = h_->engine().loop().log().EndOffset();
  const std::string mixed = absl::StrCat("[", Event("like", "dave", "v1"), ",",
                                         Event("like", "u1", "v2"), "]");
  EXPECT_TRUE(IsError(h_->Post("/v1/events", mixed, token), 403, "permission_denied"));
  EXPECT_EQ(h_->engine().loop().log().EndOffset(), end);
  Reply own = h_->Post("/v1/events", absl::StrCat("[", Event("like", "dave", "v1"), "]"), token);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.j["accepted"], 1);
  // The app key (trusted servers) still acts for any user; a session cannot use admin routes.
  EXPECT_EQ(h_->Get("/v1/feed?user=u1&count=3").status, 200);
  EXPECT_EQ(h_->Post("/v1/events", absl::StrCat("[", Event("like", "u1", "v2"), "]")).status, 200);
  EXPECT_TRUE(IsError(h_->Get("/v1/users", token), 403, "permission_denied", "admin role"));
}

TEST_F(ApiAccountsTest, BadTokensAreRefused) {
  const std::string token = SignUp(*h_, "erin");
  std::string tampered = token;
  tampered[6] = tampered[6] == 'A' ? 'B' : 'A';
  const std::string feed = "/v1/feed?user=erin&count=3";
  EXPECT_EQ(h_->Get(feed, token).status, 200);
  EXPECT_TRUE(IsError(h_->Get(feed, tampered), 401, "unauthenticated"));
  EXPECT_TRUE(IsError(h_->Get(feed, "fy1.garbage"), 401, "unauthenticated", "malformed"));
  EXPECT_FALSE(SignedIn(*h_, tampered));
  // Never from the query string.
  EXPECT_TRUE(IsError(h_->Get(feed + "&key=" + token, ""), 401, "unauthenticated"));
  Reply query = h_->Get("/v1/auth/me?key=" + token, "");
  EXPECT_EQ(query.j["signed_in"], false) << query.body;
  // Session routes need a session, not a key.
  EXPECT_TRUE(IsError(h_->Post("/v1/auth/refresh", "", kAppKey), 400, "invalid_argument",
                      "session token"));
}

TEST_F(ApiAccountsTest, RefreshSignOutAndSignOutEverywhere) {
  const std::string first = SignUp(*h_, "frank");
  const std::string second = SignIn(*h_, "frank");
  // Refresh: a new token; the old one is signed out.
  Reply refreshed = h_->Post("/v1/auth/refresh", "", first);
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  const std::string third = refreshed.j["token"];
  EXPECT_NE(refreshed.header("Set-Cookie").find(third), std::string::npos);
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user=frank&count=1", first), 401, "unauthenticated",
                      "signed out"));
  EXPECT_TRUE(SignedIn(*h_, third));
  // Sign out: that session only; the cookie is cleared.
  Reply out = h_->Post("/v1/auth/signout", "", third);
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_NE(out.header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_FALSE(SignedIn(*h_, third));
  EXPECT_TRUE(SignedIn(*h_, second));
  // Everywhere: every token so far, including on the feed.
  const std::string fourth = SignIn(*h_, "frank");
  ASSERT_EQ(h_->Post("/v1/auth/signout-all", "", second).status, 200);
  EXPECT_FALSE(SignedIn(*h_, second));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user=frank&count=3", fourth), 401, "unauthenticated",
                      "everywhere"));
  EXPECT_TRUE(SignedIn(*h_, SignIn(*h_, "frank")));
}

TEST_F(ApiAccountsTest, RolesGrantedByAnAdminAndAudited) {
  const std::string grace = SignUp(*h_, "grace");
  const std::string heidi = SignUp(*h_, "heidi");
  const std::string roles_path = "/v1/admin/accounts/grace/roles";
  // Only an admin grants roles.
  EXPECT_TRUE(IsError(h_->Post(roles_path, R"({"roles":["admin"]})", kAppKey), 403,
                      "permission_denied"));
  EXPECT_TRUE(IsError(h_->Post(roles_path, R"({"roles":["admin"]})", grace), 403,
                      "permission_denied", "viewer"));
  EXPECT_TRUE(IsError(h_->Post(roles_path, R"({"roles":["root"]})", kAdminKey), 400,
                      "invalid_argument", "roles"));
  EXPECT_TRUE(IsError(h_->Post("/v1/admin/accounts/nobody/roles", R"({"roles":[]})", kAdminKey),
                      404, "not_found"));
  // A moderator changes moderation, nothing else, and no admin route.
  Reply granted = h_->Post(roles_path, R"({"roles":["viewer","moderator"]})", kAdminKey);
  ASSERT_EQ(granted.status, 200) << granted.body;
  EXPECT_EQ(granted.j["roles"], json({"viewer", "moderator"}));
  EXPECT_EQ(h_->Patch("/v1/videos/v7", R"({"moderation":"removed"})", grace).status, 200);
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/v7", R"({"caption":"x"})", grace), 403,
                      "permission_denied", "moderation"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/v7", R"({"moderation":"approved"})", heidi), 403,
                      "permission_denied", "moderator"));
  EXPECT_TRUE(IsError(h_->Get("/v1/users", grace), 403, "permission_denied"));
  // An admin account may do what the admin key does, granting roles included.
  ASSERT_EQ(h_->Post(roles_path, R"({"roles":["admin"]})", kAdminKey).status, 200);
  EXPECT_EQ(h_->Get("/v1/users", grace).status, 200);
  EXPECT_EQ(h_->Patch("/v1/videos/v7", R"({"moderation":"approved"})", grace).status, 200);
  ASSERT_EQ(h_->Post("/v1/admin/accounts/heidi/roles", R"({"roles":["advertiser"]})", grace).status,
            200);

  // The audit log, newest first: who, what, target, outcome, from where.
  Reply page = h_->Get("/v1/admin/audit?limit=3", kAdminKey);
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(page.j["records"].size(), 3u) << page.body;
  const json& last = page.j["records"][0];
  EXPECT_EQ(last["who"], "account:grace");
  EXPECT_EQ(last["route"], "/v1/admin/accounts/ID/roles");
  EXPECT_EQ(last["target"], "heidi");
  EXPECT_EQ(last["status"], 200);
  EXPECT_EQ(last["from"], "127.0.0.1");
  EXPECT_GT(last["t_ms"].get<int64_t>(), 0);
  EXPECT_EQ(page.j["records"][1]["route"], "/v1/videos/ID");
  EXPECT_EQ(page.j["records"][1]["target"], "v7");
  EXPECT_EQ(page.j["records"][2]["route"], "/v1/users");
  // The next page goes on from `next`, down to the first grant and the refused attempts.
  std::vector<json> all(page.j["records"].begin(), page.j["records"].end());
  uint64_t next = page.j["next"];
  while (next != 0) {
    Reply more = h_->Get(absl::StrCat("/v1/admin/audit?limit=4&before=", next), kAdminKey);
    ASSERT_EQ(more.status, 200) << more.body;
    for (const json& r : more.j["records"]) {
      EXPECT_LT(r["seq"].get<uint64_t>(), next);
      all.push_back(r);
    }
    next = more.j["next"];
  }
  auto count = [&](const std::string& who, const std::string& target, int status) {
    int n = 0;
    for (const json& r : all) {
      n += r["who"] == who && r["target"] == target && r["status"] == status;
    }
    return n;
  };
  EXPECT_GE(count("key:admin", "grace", 200), 2);  // the two grants
  EXPECT_GE(count("key:app", "grace", 403), 1);    // refusals are recorded too
  EXPECT_GE(count("account:grace", "grace", 403), 1);
  EXPECT_GE(count("account:heidi", "v7", 403), 1);
  EXPECT_TRUE(IsError(h_->Get("/v1/admin/audit", heidi), 403,
                      "permission_denied"));
  EXPECT_TRUE(IsError(h_->Get("/v1/admin/audit?before=x", kAdminKey), 400, "invalid_argument"));
}

// Limits: a harness of its own, with small buckets.
TEST(ApiAccountsLimitTest, SignInLimitedPerHandleAndPerAddressAccountsPerAccount) {
  ServerOptions options;
  options.signin_handle_limit = {.rate_per_s = 0.001, .burst = 3};
  options.signin_address_limit = {.rate_per_s = 0.001, .burst = 8};
  options.account_limit = {.rate_per_s = 0.001, .burst = 4};
  Harness h(options);
  ASSERT_TRUE(h.ok());
  const std::string ivan = SignUp(h, "ivan");  // address: 1
  SignUp(h, "judy");                           // 2
  for (int i = 0; i < 3; ++i) {                // 5: wrong passwords, per handle: 3
    EXPECT_EQ(h.Post("/v1/auth/signin", SignInBody("ivan", "wrong password"), "").status, 401);
  }
  Reply limited = h.Post("/v1/auth/signin", SignInBody("ivan"), "");  // 6
  EXPECT_TRUE(IsError(limited, 429, "resource_exhausted", "this handle"));
  EXPECT_GE(std::stoi(limited.header("Retry-After")), 1);
  // Another handle is not limited by ivan's attempts, until the address runs out.
  EXPECT_EQ(h.Post("/v1/auth/signin", SignInBody("judy"), "").status, 200);  // 7
  EXPECT_EQ(h.Post("/v1/auth/signin", SignInBody("judy"), "").status, 200);  // 8
  EXPECT_TRUE(IsError(h.Post("/v1/auth/signin", SignInBody("judy"), ""), 429, "resource_exhausted",
                      "this address"));
  EXPECT_TRUE(IsError(h.Post("/v1/auth/signup", SignUpBody("kate"), ""), 429,
                      "resource_exhausted"));
  // Requests per account: ivan's token runs out, the app key is not affected.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(h.Get("/v1/feed?user=ivan&count=1", ivan).status, 200);
  Reply busy = h.Get("/v1/feed?user=ivan&count=3", ivan);
  EXPECT_TRUE(IsError(busy, 429, "resource_exhausted", "this account"));
  EXPECT_FALSE(busy.header("Retry-After").empty());
  EXPECT_EQ(h.Get("/v1/feed?user=ivan&count=3").status, 200);
}

}  // namespace
}  // namespace foryou::server
