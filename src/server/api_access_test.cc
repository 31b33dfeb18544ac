// HTTP API end to end, access and limits: API keys (401 / 403, header or query), rate limits
// (429 with Retry-After), body limits (413), garbage input that must never cause a 5xx, health
// and Prometheus metrics.

#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalog/types.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

// ---- 401 / 403 ----

TEST_F(ApiServerTest, MissingOrUnknownKeyIs401) {
  for (const char* path : {"/v1/feed?user=u1", "/v1/feed/explain?user=u1&video=v1"}) {
    EXPECT_TRUE(IsError(h_->Call("GET", path), 401, "unauthenticated", "API key is required"))
        << path;
  }
  // Public reads (api_public_test.cc) need no key, but an unknown one is refused there too.
  for (const char* path : {"/v1/feed?user=u1", "/v1/users/u1", "/v1/videos/v1",
                           "/v1/feed/explain?user=u1&video=v1", "/v1/creators/c1"}) {
    EXPECT_TRUE(IsError(h_->Get(path, "not_a_configured_key_xyz"), 401, "unauthenticated",
                        "unknown API key"))
        << path;
  }
  EXPECT_EQ(h_->Call("GET", "/v1/users/u1").status, 200);
  EXPECT_EQ(h_->Call("GET", "/v1/videos/v1").status, 200);
  EXPECT_TRUE(IsError(h_->Call("POST", "/v1/events", "", "[]"), 401, "unauthenticated"));
  EXPECT_TRUE(IsError(h_->Call("POST", "/v1/videos", "", VideoJson(999)), 401, "unauthenticated"));
}

TEST_F(ApiServerTest, KeyInAuthorizationHeaderNeverInQuery) {
  httplib::Client client("127.0.0.1", h_->port());
  auto bearer = client.Get("/v1/creators/c1", {{"Authorization", absl::StrCat("Bearer ", kAppKey)}});
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->status, 200) << bearer->body;
  auto wrong = client.Get("/v1/creators/c1", {{"Authorization", "Bearer wrong_key_wrong_key"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto basic = client.Get("/v1/creators/c1", {{"Authorization", absl::StrCat("Basic ", kAppKey)}});
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 401);  // only the Bearer scheme
  // Never from the query string (logs, history and Referer headers keep URLs), on any route.
  EXPECT_TRUE(IsError(h_->Call("GET", absl::StrCat("/v1/feed/explain?user=u1&video=v1&key=",
                                                    kAppKey)),
                      401, "unauthenticated", "API key is required"));
  EXPECT_TRUE(IsError(h_->Call("POST", absl::StrCat("/v1/events?key=", kAppKey), "", "[]"), 401,
                      "unauthenticated"));
  EXPECT_TRUE(IsError(h_->Call("GET", absl::StrCat("/v1/users?key=", kAdminKey)), 401,
                      "unauthenticated"));
  EXPECT_TRUE(IsError(h_->Call("GET", absl::StrCat("/v1/admin/stats?key=", kAdminKey)), 401,
                      "unauthenticated"));
}

TEST_F(ApiServerTest, AppKeyOnAdminRoutesIs403) {
  EXPECT_TRUE(
      IsError(h_->Post("/v1/videos", VideoJson(900), kAppKey), 403, "permission_denied", "admin"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/v1", R"({"moderation":"removed"})", kAppKey), 403,
                      "permission_denied", "admin"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/users/u1", R"({"hidden_creators":["c1"]})", kAppKey), 403,
                      "permission_denied", "admin"));
  EXPECT_TRUE(IsError(h_->Get("/v1/users", kAppKey), 403, "permission_denied", "admin"));
  // Nothing changed.
  EXPECT_EQ(h_->Get("/v1/videos/v1").j["moderation"], "approved");
  EXPECT_EQ(h_->Get("/v1/users/u1").j["hidden_creators"], json::array());
  EXPECT_EQ(h_->Get("/v1/videos/v900").status, 404);
  // The admin key may call app routes too.
  EXPECT_EQ(h_->Get("/v1/users/u1", kAdminKey).status, 200);
}

// ---- Rate limits: a server of its own with tiny limits ----

TEST(ApiServerRateLimitTest, PerKeyAndPerUserLimitsAnswer429WithRetryAfter) {
  ServerOptions options;
  options.key_limit = {.rate_per_s = 1, .burst = 2};
  options.user_limit = {.rate_per_s = 0.01, .burst = 1};
  Harness h(options);
  ASSERT_TRUE(h.ok());
  catalog::User user;
  user.id = "rl";
  ASSERT_TRUE(h.engine().feed().CreateUser(user).ok());
  for (int v = 0; v < 5; ++v) {
    catalog::Video video;
    video.id = absl::StrCat("rv", v);
    video.creator = "rc";
    video.duration_ms = 10000;
    video.upload_ms = common::WallMs();
    video.moderation = catalog::Moderation::kApproved;
    ASSERT_TRUE(h.engine().feed().CreateVideo(video).ok());
  }

  // Per user: the first feed of "rl" passes, the second (the key still has a token) does not.
  Reply first = h.Get("/v1/feed?user=rl&count=2", kAppKey);
  EXPECT_EQ(first.status, 200) << first.body;
  Reply second = h.Get("/v1/feed?user=rl&count=2", kAppKey);
  EXPECT_TRUE(IsError(second, 429, "resource_exhausted", "this user"));
  EXPECT_GE(std::atoi(second.header("Retry-After").c_str()), 1) << second.body;
  // The user's limit is the user's: another key gets the same answer.
  EXPECT_TRUE(
      IsError(h.Get("/v1/feed?user=rl", kOtherAppKey), 429, "resource_exhausted", "this user"));

  // Per key: the key's bucket (burst 2) is empty now.
  Reply third = h.Get("/v1/users/rl", kAppKey);
  EXPECT_TRUE(IsError(third, 429, "resource_exhausted", "this key"));
  EXPECT_GE(std::atoi(third.header("Retry-After").c_str()), 1);
  // Another key is not affected, nor are unauthenticated routes.
  EXPECT_EQ(h.Get("/v1/users/rl", kOtherAppKey).status, 200);
  EXPECT_EQ(h.Get("/healthz", "").status, 200);
  EXPECT_EQ(h.Get("/metrics", "").status, 200);
}

// ---- 413 ----

TEST_F(ApiServerTest, OversizeBodyIs413) {
  const std::string big =
      absl::StrCat(R"({"id":"big","caption":")", std::string(kMaxBody, 'x'), R"("})");
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/v1/users"},
                                                        {"POST", "/v1/videos"},
                                                        {"POST", "/v1/events"},
                                                        {"PATCH", "/v1/videos/v1"},
                                                        {"PATCH", "/v1/users/u1"}}) {
    Reply r = h_->Call(method, path, kAdminKey, big);
    EXPECT_TRUE(IsError(r, 413, "payload_too_large")) << method << " " << path;
  }
  // More than 10000 events in a (small) batch is a 413 too.
  std::string many = "[";
  for (int i = 0; i <= 10000; ++i) absl::StrAppend(&many, i ? "," : "", "{}");
  many += "]";
  ASSERT_LT(many.size(), kMaxBody);
  EXPECT_TRUE(IsError(h_->Post("/v1/events", many), 413, "payload_too_large", "10001"));
  EXPECT_EQ(h_->Get("/healthz", "").status, 200);
}

// ---- Robustness ----

TEST_F(ApiServerTest, GarbageNeverCausesA5xx) {
  std::mt19937 rng(7);
  auto random_bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xFF);
    return s;
  };
  const std::vector<std::pair<std::string, std::string>> writes = {
      {"POST", "/v1/users"},     {"POST", "/v1/videos"},
      {"POST", "/v1/events"},    {"POST", "/v1/users/u1/refresh"},
      {"PATCH", "/v1/users/u2"}, {"PATCH", "/v1/videos/v9"}};
  std::vector<std::string> bodies;
  for (size_t n : {1, 7, 100, 5000}) bodies.push_back(random_bytes(n));
  bodies.push_back(R"({"id":"bad\xff\xfe","creator":"c1","duration_ms":1})");  // invalid UTF-8
  bodies.push_back(
      "{\"events\":[{\"type\":\"comment\",\"user\":\"u1\",\"time_ms\":1,"
      "\"video\":\"v1\",\"text\":\"\xc0\xaf\"}]}");
  bodies.push_back(std::string(30000, '[') + std::string(30000, ']'));  // deep nesting
  bodies.push_back(std::string(30000, '{'));
  bodies.push_back(R"({"id":"n1","creator":"c1","duration_ms":1e400})");
  bodies.push_back(R"({"id":"n1","creator":"c1","duration_ms":99999999999999999999999})");
  bodies.push_back(
      R"({"id":"n1","creator":"c1","duration_ms":-1,"upload_ms":-9223372036854775809})");
  bodies.push_back(R"({"id":"n1","epoch":18446744073709551616,"created_ms":1.5})");
  bodies.push_back(
      R"([{"type":"play","user":"u1","time_ms":9223372036854775807,"video":"v1","watch_ms":-1}])");
  bodies.push_back(R"({"events":[[],null,1,"x",{"type":null}]})");
  bodies.push_back(R"({"hidden_creators":[[["c1"]]],"interests":[null]})");
  bodies.push_back("null");
  bodies.push_back("");
  for (const auto& [method, path] : writes) {
    for (const std::string& body : bodies) {
      Reply r = h_->Call(method, path, kAdminKey, body);
      EXPECT_GT(r.status, 0) << method << " " << path;
      EXPECT_LT(r.status, 500) << method << " " << path << ": " << r.body;
      if (r.status >= 400) {
        EXPECT_TRUE(r.j.contains("error")) << r.body;
      }
    }
  }
  // Extremely long query parameters and paths.
  const std::string long_id(7000, 'a');
  for (const std::string& path :
       {absl::StrCat("/v1/feed?user=", long_id), absl::StrCat("/v1/feed?user=u1&count=", long_id),
        absl::StrCat("/v1/feed/explain?user=u1&video=", long_id),
        absl::StrCat("/v1/users/", long_id), absl::StrCat("/v1/videos?after=", long_id),
        absl::StrCat("/v1/hashtags/", long_id),
        absl::StrCat("/v1/feed?user=", std::string(20000, 'b')),
        std::string("/v1/feed?user=%ff%fe%00"), std::string("/v1/users/%ff%00x"),
        std::string("/v1/creators/%C0%AF")}) {
    Reply r = h_->Get(path);
    EXPECT_GT(r.status, 0) << path.substr(0, 60);
    EXPECT_LT(r.status, 500) << path.substr(0, 60) << ": " << r.body;
    if (r.status >= 400) {
      EXPECT_TRUE(r.j.contains("error")) << r.body;
    }
  }
  EXPECT_TRUE(IsError(h_->Get(absl::StrCat("/v1/feed?user=", std::string(20000, 'b'))), 431,
                      "header_too_large"));  // request line + headers: 16 KiB
  // Bad content types and methods.
  EXPECT_LT(h_->Call("POST", "/v1/users", kAppKey, R"({"id":"ct1"})", "text/plain").status, 500);
  EXPECT_LT(h_->Call("PUT", "/v1/users/u1", kAdminKey, "{}").status, 500);
  // Still healthy.
  Reply health = h_->Get("/healthz", "");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.j["status"], "ok");
}

// ---- Health and metrics ----

TEST_F(ApiServerTest, HealthAndMetrics) {
  Reply health = h_->Call("GET", "/healthz");
  ASSERT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.j["status"], "ok");
  EXPECT_TRUE(health.j["serving_offset"].is_number());
  EXPECT_GE(health.j["videos"].get<int>(), kVideos);
  EXPECT_GE(health.j["users"].get<int>(), 6);  // the suite's u1..u6
  h_->Get("/v1/feed?user=u1&count=2");
  Reply metrics = h_->Call("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.header("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(metrics.body.find("# TYPE foryou_http_request_seconds histogram"), std::string::npos);
  EXPECT_NE(metrics.body.find("foryou_http_request_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics.body.find("foryou_online_auc_is_click"), std::string::npos);
  EXPECT_NE(metrics.body.find(R"(foryou_http_requests_total{route="/v1/feed",code="200"})"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("foryou_catalog_videos"), std::string::npos);
}

}  // namespace
}  // namespace foryou::server
