// End-to-end tests of the HTTP API (docs/api.md): an Engine in a temp dir with a tiny model, an
// ApiServer on a free port, and a real HTTP client. Every error path of every route (status code
// and the JSON error body), the main success paths, rate limits, and garbage input.
#include "server/api_server.h"

#include <httplib.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/engine.h"
#include "server/stats_sampler.h"

namespace foryou::server {
namespace {

using nlohmann::json;

constexpr char kAppKey[] = "test_app_key_0123456789";
constexpr char kAdminKey[] = "test_admin_key_0123456789";
constexpr char kOtherAppKey[] = "test_app_key_other_0123456789";

constexpr char kModelConfig[] = R"({"dim": 4, "hidden": [8],
    "features": ["video_id", "author_id", "music_id", "tag", "user_id",
                 "seq.long_view.video", "dense.user_rates"]})";

constexpr int kCreators = 6;
constexpr int kVideos = 60;
constexpr size_t kMaxBody = 64 * 1024;

std::string CreatorOf(int v) { return absl::StrCat("c", v % kCreators); }
std::string SoundOf(int v) { return absl::StrCat("s", v % 5); }
std::vector<std::string> HashtagsOf(int v) {
  static const char* kTags[] = {"dance", "cats", "food", "travel"};
  return {kTags[v % 4], kTags[(v / 4) % 4]};
}

struct Reply {
  int status = 0;  // 0 = no HTTP answer (connection error)
  std::string body;
  json j;  // parsed body (discarded if not JSON)
  httplib::Headers headers;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A running Engine + ApiServer on a fresh temp dir.
class Harness {
 public:
  explicit Harness(ServerOptions options) {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("foryou_api_test_", ::getpid(), "_", counter++);
    std::filesystem::remove_all(dir_);
    EngineOptions eo;
    eo.data_dir = dir_.string();
    eo.model_config_json = kModelConfig;
    eo.fsync = stream::FsyncPolicy::kNever;
    std::ostringstream progress;
    auto engine = Engine::Open(eo, progress);
    if (!engine.ok()) {
      ADD_FAILURE() << engine.status();
      return;
    }
    engine_ = std::move(*engine);
    absl::StatusOr<ApiKeys> keys = ApiKeys::Parse(absl::StrCat(
        R"({"keys": [{"key": ")", kAppKey, R"(", "role": "app", "name": "app"},)",
        R"({"key": ")", kOtherAppKey, R"(", "role": "app", "name": "app2"},)",
        R"({"key": ")", kAdminKey, R"(", "role": "admin", "name": "admin"}]})"));
    if (!keys.ok()) {
      ADD_FAILURE() << keys.status();
      return;
    }
    options.port = 0;
    options.threads = 4;
    // The server installs the loop's sync observer: construct it before the trainer runs.
    server_ = std::make_unique<ApiServer>(
        options, ServerDeps{&engine_->feed(), &engine_->loop(), &engine_->store(), *keys});
    engine_->Start();
    if (absl::Status st = server_->Start(); !st.ok()) {
      ADD_FAILURE() << st;
      return;
    }
  }

  ~Harness() {
    // The trainer calls the server's sync observer: stop it before the server goes away.
    if (engine_) engine_->Stop();
    server_.reset();
    engine_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  bool ok() const { return engine_ && server_ && server_->port() > 0; }
  int port() const { return server_->port(); }
  Engine& engine() { return *engine_; }

  // One request. `key` "" = no key header. `body` is sent as application/json for POST/PATCH.
  Reply Call(const std::string& method, const std::string& path, const std::string& key = "",
             const std::string& body = "", const char* content_type = "application/json") {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(20, 0);
    client.set_write_timeout(20, 0);
    httplib::Headers headers;
    if (!key.empty()) headers.emplace("X-Api-Key", key);
    auto send = [&]() -> httplib::Result {
      if (method == "POST") return client.Post(path, headers, body, content_type);
      if (method == "PATCH") return client.Patch(path, headers, body, content_type);
      if (method == "PUT") return client.Put(path, headers, body, content_type);
      if (method == "DELETE") return client.Delete(path, headers);
      return client.Get(path, headers);
    };
    httplib::Result r = send();
    Reply reply;
    if (!r) return reply;
    reply.status = r->status;
    reply.body = r->body;
    reply.headers = r->headers;
    reply.j = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    return reply;
  }

  Reply Get(const std::string& path, const std::string& key = kAppKey) {
    return Call("GET", path, key);
  }
  Reply Post(const std::string& path, const std::string& body, const std::string& key = kAppKey) {
    return Call("POST", path, key, body);
  }
  Reply Patch(const std::string& path, const std::string& body,
              const std::string& key = kAdminKey) {
    return Call("PATCH", path, key, body);
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ApiServer> server_;
};

// `{"error":{"code":<code>,"message":<... contains message_part ...>}}` with HTTP `status`.
::testing::AssertionResult IsError(const Reply& r, int status, const std::string& code,
                                   const std::string& message_part = "") {
  if (r.status != status) {
    return ::testing::AssertionFailure() << "status " << r.status << " != " << status
                                         << "; body: " << r.body;
  }
  if (r.j.is_discarded() || !r.j.is_object() || !r.j.contains("error") ||
      !r.j["error"].is_object() || !r.j["error"].contains("code") ||
      !r.j["error"]["code"].is_string() || !r.j["error"].contains("message") ||
      !r.j["error"]["message"].is_string()) {
    return ::testing::AssertionFailure() << "not an error body: " << r.body;
  }
  if (r.j["error"]["code"] != code) {
    return ::testing::AssertionFailure() << "code " << r.j["error"]["code"] << " != " << code;
  }
  const std::string message = r.j["error"]["message"];
  if (message.find(message_part) == std::string::npos) {
    return ::testing::AssertionFailure() << "message '" << message << "' lacks '" << message_part
                                         << "'";
  }
  return ::testing::AssertionSuccess();
}

std::string VideoJson(int v, const std::string& moderation = "approved") {
  json j = {{"id", absl::StrCat("v", v)},
            {"creator", CreatorOf(v)},
            {"sound", SoundOf(v)},
            {"hashtags", HashtagsOf(v)},
            {"caption", absl::StrCat("video number ", v)},
            {"duration_ms", 15000 + 1000 * v},
            {"media_url", absl::StrCat("https://cdn.example/v", v, ".mp4")},
            {"moderation", moderation}};
  return j.dump();
}

std::string Event(const std::string& type, const std::string& user, const std::string& video) {
  json e = {{"type", type}, {"user", user}, {"time_ms", common::WallMs()}};
  if (!video.empty()) e["video"] = video;
  return e.dump();
}

// The value of one series (`name{labels}` exactly as rendered) in Prometheus text; -1 if absent.
double MetricValue(const std::string& text, const std::string& series) {
  const std::string prefix = series + " ";
  size_t pos = 0;
  while ((pos = text.find(prefix, pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') return std::stod(text.substr(pos + prefix.size()));
    pos += prefix.size();
  }
  return -1;
}

// Polls /healthz until serving_offset >= target (the trainer absorbs events asynchronously).
bool WaitForServingOffset(Harness& h, uint64_t target) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    Reply r = h.Get("/healthz", "");
    if (r.status == 200 && r.j["serving_offset"].get<uint64_t>() >= target) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// The main fixture: one engine and server for the suite, a catalog created through the API.

class ApiServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options;
    options.max_body_bytes = kMaxBody;
    h_ = new Harness(options);
    ASSERT_TRUE(h_->ok());
    for (const char* user : {"u1", "u2", "u3", "u4", "u5", "u6"}) {
      Reply r = h_->Post("/v1/users", json({{"id", user}, {"interests", {"dance"}}}).dump());
      ASSERT_EQ(r.status, 201) << r.body;
    }
    for (int v = 0; v < kVideos; ++v) {
      Reply r = h_->Post("/v1/videos", VideoJson(v), kAdminKey);
      ASSERT_EQ(r.status, 201) << r.body;
    }
  }
  static void TearDownTestSuite() {
    delete h_;
    h_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(h_, nullptr); ASSERT_TRUE(h_->ok()); }

  static Harness* h_;
};
Harness* ApiServerTest::h_ = nullptr;

// ---- 401 / 403 ----

TEST_F(ApiServerTest, MissingOrUnknownKeyIs401) {
  for (const char* path : {"/v1/feed?user=u1", "/v1/users/u1", "/v1/videos/v1",
                           "/v1/feed/explain?user=u1&video=v1", "/v1/creators/c1"}) {
    EXPECT_TRUE(IsError(h_->Call("GET", path), 401, "unauthenticated", "API key is required"))
        << path;
    EXPECT_TRUE(IsError(h_->Get(path, "not_a_configured_key_xyz"), 401, "unauthenticated",
                        "unknown API key"))
        << path;
  }
  EXPECT_TRUE(IsError(h_->Call("POST", "/v1/events", "", "[]"), 401, "unauthenticated"));
  EXPECT_TRUE(IsError(h_->Call("POST", "/v1/videos", "", VideoJson(999)), 401, "unauthenticated"));
}

TEST_F(ApiServerTest, KeyInAuthorizationHeaderOrQuery) {
  httplib::Client client("127.0.0.1", h_->port());
  auto bearer = client.Get("/v1/users/u1", {{"Authorization", absl::StrCat("Bearer ", kAppKey)}});
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->status, 200) << bearer->body;
  auto wrong = client.Get("/v1/users/u1", {{"Authorization", "Bearer wrong_key_wrong_key"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto basic = client.Get("/v1/users/u1", {{"Authorization", absl::StrCat("Basic ", kAppKey)}});
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 401);  // only the Bearer scheme
  // ?key= (navigator.sendBeacon cannot set headers).
  EXPECT_EQ(h_->Call("GET", absl::StrCat("/v1/users/u1?key=", kAppKey)).status, 200);
  EXPECT_EQ(h_->Call("POST", absl::StrCat("/v1/events?key=", kAppKey), "", "[]").status, 200);
  EXPECT_TRUE(IsError(h_->Call("GET", "/v1/users/u1?key=wrong_key_wrong_key"), 401,
                      "unauthenticated", "unknown API key"));
}

TEST_F(ApiServerTest, AppKeyOnAdminRoutesIs403) {
  EXPECT_TRUE(IsError(h_->Post("/v1/videos", VideoJson(900), kAppKey), 403, "permission_denied",
                      "admin"));
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
  EXPECT_TRUE(IsError(h_->Post("/v1/videos",
                               R"({"id":"nv1","creator":"c1","duration_ms":1000,"lenght":3})",
                               kAdminKey),
                      400, "invalid_argument", "lenght"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/v1", R"({"creator":"c2"})"), 400, "invalid_argument",
                      "creator"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/users/u1", R"({"epoch":3})"), 400, "invalid_argument",
                      "epoch"));
  // Wrong type.
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":5})"), 400, "invalid_argument", "id"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"nu2","interests":"dance"})"), 400,
                      "invalid_argument", "interests"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos",
                               R"({"id":"nv2","creator":"c1","duration_ms":"15000"})", kAdminKey),
                      400, "invalid_argument", "duration_ms"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/v1", R"({"moderation":3})"), 400, "invalid_argument",
                      "moderation"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/v1", R"({"moderation":"deleted"})"), 400,
                      "invalid_argument", "moderation"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"(["id","nu3"])"), 400, "invalid_argument"));
  // Bad id characters.
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"has space"})"), 400, "invalid_argument",
                      "id"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos", R"({"id":"v\u00e9","creator":"c1","duration_ms":1})",
                               kAdminKey),
                      400, "invalid_argument", "id"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos", R"({"id":"nv3","creator":"c 1","duration_ms":1})",
                               kAdminKey),
                      400, "invalid_argument", "creator"));
  // Missing required field: the message names it.
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"language":"en"})"), 400, "invalid_argument",
                      "id"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos", R"({"id":"nv4","creator":"c1"})", kAdminKey), 400,
                      "invalid_argument", "duration_ms"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos", R"({"id":"nv5","duration_ms":1000})", kAdminKey),
                      400, "invalid_argument", "creator"));
  // Out-of-range values.
  EXPECT_TRUE(IsError(h_->Post("/v1/videos",
                               R"({"id":"nv6","creator":"c1","duration_ms":3600001})", kAdminKey),
                      400, "invalid_argument", "duration_ms"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos", R"({"id":"nv7","creator":"c1","duration_ms":0})",
                               kAdminKey),
                      400, "invalid_argument", "duration_ms"));
  // Invalid UTF-8, deep nesting, numbers out of range.
  EXPECT_TRUE(IsError(h_->Post("/v1/users", "{\"id\":\"u\xff\xfe\"}"), 400, "invalid_argument",
                      "body"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", "{\"id\":\"nu9\",\"profile\":[\"\xc0\xaf\"]}"), 400,
                      "invalid_argument", "body"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", std::string(20000, '[') + std::string(20000, ']')),
                      400, "invalid_argument"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"nu9","interests":[["dance"]]})"), 400,
                      "invalid_argument", "interests[0]"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos", R"({"id":"nv8","creator":"c1","duration_ms":1e400})",
                               kAdminKey),
                      400, "invalid_argument", "body"));
  EXPECT_TRUE(IsError(
      h_->Post("/v1/videos", R"({"id":"nv8","creator":"c1","duration_ms":99999999999999999999999})",
               kAdminKey),
      400, "invalid_argument", "duration_ms"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos",
                               R"({"id":"nv8","creator":"c1","duration_ms":18446744073709551615})",
                               kAdminKey),
                      400, "invalid_argument", "duration_ms"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos", R"({"id":"nv8","creator":"c1","duration_ms":1.5})",
                               kAdminKey),
                      400, "invalid_argument", "duration_ms"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"nu9","epoch":4294967296})"), 400,
                      "invalid_argument", "epoch"));
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"nu9","created_ms":-1})"), 400,
                      "invalid_argument", "created_ms"));
  // Fields the server owns.
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"nu9","profile":[]})"), 400,
                      "invalid_argument", "profile: set by the server"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos",
                               R"({"id":"nv8","creator":"c1","duration_ms":9,"video_type":"AD"})",
                               kAdminKey),
                      400, "invalid_argument", "video_type: set by the server"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/users/u1", "[]"), 400, "invalid_argument"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/v1", "null"), 400, "invalid_argument"));
  // None of them was created.
  for (const char* id : {"nu1", "nu2", "nu3", "nu9"}) EXPECT_EQ(h_->Get(absl::StrCat("/v1/users/", id)).status, 404);
  for (int v = 1; v <= 8; ++v) EXPECT_EQ(h_->Get(absl::StrCat("/v1/videos/nv", v)).status, 404);
}

TEST_F(ApiServerTest, BadQueryParametersAre400) {
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user=u1&count=0"), 400, "invalid_argument", "count"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user=u1&count=abc"), 400, "invalid_argument", "count"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user=u1&count=51"), 400, "invalid_argument",
                      "count: must be an integer in [1, 50]"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user=u1&count=-3"), 400, "invalid_argument", "count"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user=u1&count=99999999999999999999"), 400,
                      "invalid_argument", "count"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed"), 400, "invalid_argument", "user: required"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user="), 400, "invalid_argument", "user: required"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed?user=a%20b"), 400, "invalid_argument", "user"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed/explain?user=u1"), 400, "invalid_argument",
                      "video: required"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed/explain?video=v1"), 400, "invalid_argument",
                      "user: required"));
  EXPECT_TRUE(IsError(h_->Get("/v1/users?limit=0", kAdminKey), 400, "invalid_argument", "limit"));
  EXPECT_TRUE(IsError(h_->Get("/v1/users?limit=1001", kAdminKey), 400, "invalid_argument",
                      "limit"));
  EXPECT_TRUE(IsError(h_->Get("/v1/videos?limit=x"), 400, "invalid_argument", "limit"));
  EXPECT_TRUE(IsError(h_->Get("/v1/creators/c1?limit=201"), 400, "invalid_argument", "limit"));
  EXPECT_TRUE(IsError(h_->Get("/v1/hashtags/dance?limit=0"), 400, "invalid_argument", "limit"));
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
  EXPECT_TRUE(IsError(h_->Patch("/v1/videos/nothing", R"({"moderation":"removed"})"), 404,
                      "not_found"));
  EXPECT_TRUE(IsError(h_->Get("/v1/creators/nobody"), 404, "not_found"));
  EXPECT_TRUE(IsError(h_->Get("/v1/sounds/nothing"), 404, "not_found"));
  EXPECT_TRUE(IsError(h_->Get("/v1/hashtags/nothing"), 404, "not_found"));
  // Unknown routes (no key needed to learn that).
  EXPECT_TRUE(IsError(h_->Call("GET", "/v1/nope"), 404, "not_found", "no such route"));
  EXPECT_TRUE(IsError(h_->Get("/v2/feed?user=u1"), 404, "not_found"));
  EXPECT_TRUE(IsError(h_->Call("DELETE", "/v1/users/u1", kAdminKey), 404, "not_found"));
}

// ---- 409 ----

TEST_F(ApiServerTest, DuplicatesAre409) {
  EXPECT_TRUE(IsError(h_->Post("/v1/users", R"({"id":"u1"})"), 409, "already_exists", "u1"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos", VideoJson(3), kAdminKey), 409, "already_exists",
                      "v3"));
  // The original is untouched.
  EXPECT_EQ(h_->Get("/v1/users/u1").j["interests"], json({"dance"}));
}

// ---- 413 ----

TEST_F(ApiServerTest, OversizeBodyIs413) {
  const std::string big = absl::StrCat(R"({"id":"big","caption":")", std::string(kMaxBody, 'x'),
                                       R"("})");
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/v1/users"}, {"POST", "/v1/videos"}, {"POST", "/v1/events"},
           {"PATCH", "/v1/videos/v1"}, {"PATCH", "/v1/users/u1"}}) {
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

// ---- Events ----

TEST_F(ApiServerTest, EventBatchAcceptsGoodAndListsBad) {
  const std::string before = h_->Get("/metrics", "").body;
  auto count = [](const std::string& text, const std::string& type) {
    return std::max(0.0, MetricValue(text, absl::StrCat("foryou_events_total{type=\"", type, "\"}")));
  };
  const std::string batch = absl::StrCat(
      R"({"events":[)",
      Event("like", "u2", "v1"), ",",                       // 0 good
      Event("poke", "u2", "v1"), ",",                       // 1 bad type
      Event("like", "u2", ""), ",",                         // 2 missing video
      Event("like", "ghost", "v1"), ",",                    // 3 unknown user
      Event("like", "u2", "no_such_video"), ",",            // 4 unknown video
      Event("share", "u2", "v2"), ",",                      // 5 good
      R"({"type":"play","user":"u2","time_ms":)", common::WallMs(),
      R"(,"video":"v2","watch_ms":9000,"completed":true})", ",",  // 6 good
      R"({"type":"like","user":"u2","time_ms":1000,"video":"v1"})", ",",  // 7 too old
      R"({"type":"like","user":"u2","time_ms":)", common::WallMs(), R"(,"video":"v1","x":1})",
      "]}");                                                // 8 unknown field
  Reply r = h_->Post("/v1/events", batch);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["accepted"], 3);
  ASSERT_TRUE(r.j["offset"].is_number_unsigned()) << r.body;
  std::map<int, std::string> rejected;
  for (const json& x : r.j["rejected"]) rejected[x["index"].get<int>()] = x["error"];
  ASSERT_EQ(rejected.size(), 6u) << r.body;
  EXPECT_NE(rejected[1].find("type"), std::string::npos) << rejected[1];
  EXPECT_NE(rejected[2].find("video: required for like"), std::string::npos) << rejected[2];
  EXPECT_NE(rejected[3].find("ghost"), std::string::npos) << rejected[3];
  EXPECT_NE(rejected[4].find("no_such_video"), std::string::npos) << rejected[4];
  EXPECT_NE(rejected[7].find("time_ms"), std::string::npos) << rejected[7];
  EXPECT_NE(rejected[8].find("x: unknown field"), std::string::npos) << rejected[8];

  // Accepted events are counted on /metrics ...
  Reply m = h_->Get("/metrics", "");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(count(m.body, "like") - count(before, "like"), 1) << m.body;
  EXPECT_EQ(count(m.body, "share") - count(before, "share"), 1);
  EXPECT_EQ(count(m.body, "play") - count(before, "play"), 1);
  EXPECT_EQ(MetricValue(m.body, "foryou_events_rejected_total") -
                MetricValue(before, "foryou_events_rejected_total"),
            6);
  // ... and absorbed by the serving model.
  const uint64_t end = r.j["offset"].get<uint64_t>() + 3;
  EXPECT_TRUE(WaitForServingOffset(*h_, end)) << "serving_offset never reached " << end;
  EXPECT_GE(h_->Get("/healthz", "").j["log_end_offset"].get<uint64_t>(), end);
}

TEST_F(ApiServerTest, AllBadBatchIs400AndEmptyBatchIs200) {
  Reply r = h_->Post("/v1/events", absl::StrCat("[", Event("like", "ghost", "v1"), ",",
                                                 Event("nope", "u1", "v1"), "]"));
  EXPECT_TRUE(IsError(r, 400, "invalid_argument", "no event was accepted"));
  EXPECT_EQ(r.j["accepted"], 0);
  ASSERT_EQ(r.j["rejected"].size(), 2u);
  std::set<int> indexes;
  for (const json& x : r.j["rejected"]) indexes.insert(x["index"].get<int>());
  EXPECT_EQ(indexes, (std::set<int>{0, 1}));

  Reply empty = h_->Post("/v1/events", R"({"events":[]})");
  EXPECT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.j["accepted"], 0);
  EXPECT_EQ(empty.j["rejected"], json::array());
  EXPECT_EQ(h_->Post("/v1/events", "[]").status, 200);

  // Whole-body problems.
  EXPECT_TRUE(IsError(h_->Post("/v1/events", R"({"evnts":[]})"), 400, "invalid_argument",
                      "evnts"));
  EXPECT_TRUE(IsError(h_->Post("/v1/events", R"({"events":{}})"), 400, "invalid_argument",
                      "events"));
  EXPECT_TRUE(IsError(h_->Post("/v1/events", "42"), 400, "invalid_argument", "body"));
}

// ---- Success paths ----

TEST_F(ApiServerTest, FeedPagesHaveScoresAndNeverRepeat) {
  std::set<std::string> served;
  for (int page = 0; page < 3; ++page) {
    Reply r = h_->Get("/v1/feed?user=u3&count=10");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.j["request_id"].is_string());
    EXPECT_FALSE(r.j["request_id"].get<std::string>().empty());
    EXPECT_EQ(r.j["user"], "u3");
    EXPECT_EQ(r.j["model_user"], "u3");
    EXPECT_GT(r.j["candidates"].get<int>(), 0);
    ASSERT_EQ(r.j["items"].size(), 10u) << "page " << page << ": " << r.body;
    for (const json& item : r.j["items"]) {
      const std::string video = item["video"];
      EXPECT_TRUE(served.insert(video).second) << video << " repeated on page " << page;
      EXPECT_TRUE(item["score"].is_number());
      for (const char* task : {"is_click", "long_view", "is_like", "watch_ratio"}) {
        EXPECT_TRUE(item["parts"][task].is_number()) << task << ": " << item.dump();
        EXPECT_TRUE(item["probs"][task].is_number()) << task << ": " << item.dump();
        const double p = item["probs"][task];
        EXPECT_GE(p, 0.0);
        EXPECT_LE(p, 1.0);
      }
      double sum = 0;  // value = the sum of its parts
      for (const auto& [name, part] : item["parts"].items()) sum += part.get<double>();
      EXPECT_NEAR(sum, item["value"].get<double>(), 1e-3) << item.dump();
      EXPECT_TRUE(item["sources"].is_array());
      EXPECT_FALSE(item["sources"].empty()) << item.dump();
      EXPECT_TRUE(item["reason"].is_string());
      EXPECT_FALSE(item["reason"].get<std::string>().empty());
      EXPECT_TRUE(item["creator"].is_string());
      EXPECT_EQ(item["media_url"], absl::StrCat("https://cdn.example/", video, ".mp4"));
    }
  }
  EXPECT_EQ(served.size(), 30u);
  Reply by_default = h_->Get("/v1/feed?user=u3");
  ASSERT_EQ(by_default.status, 200);
  EXPECT_EQ(by_default.j["items"].size(), 10u);  // count defaults to 10
  for (const json& item : by_default.j["items"]) EXPECT_FALSE(served.count(item["video"]));
}

TEST_F(ApiServerTest, RefreshStartsANewModelUser) {
  Reply r = h_->Post("/v1/users/u4/refresh", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["user"], "u4");
  EXPECT_EQ(r.j["epoch"], 1);
  EXPECT_EQ(r.j["model_user"], "u4#1");
  EXPECT_EQ(h_->Get("/v1/users/u4").j["epoch"], 1);
  Reply feed = h_->Get("/v1/feed?user=u4&count=3");
  ASSERT_EQ(feed.status, 200) << feed.body;
  EXPECT_EQ(feed.j["model_user"], "u4#1");
}

TEST_F(ApiServerTest, ExplainGivesSourcesContributionsAndSentences) {
  // u6 is never served a feed by any test, so v7 is eligible for it.
  Reply r = h_->Get("/v1/feed/explain?user=u6&video=v7");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["user"], "u6");
  EXPECT_EQ(r.j["video"], "v7");
  EXPECT_TRUE(r.j["sources"].is_array());
  EXPECT_TRUE(r.j["source_reasons"].is_array());
  EXPECT_TRUE(r.j["eligible"].get<bool>()) << r.body;
  EXPECT_TRUE(r.j["score"].is_number());
  ASSERT_TRUE(r.j["contributions"].is_array());
  EXPECT_FALSE(r.j["contributions"].empty());
  for (const json& c : r.j["contributions"]) {
    EXPECT_TRUE(c["task"].is_string());
    EXPECT_TRUE(c["value"].is_number());
  }
  ASSERT_TRUE(r.j["explanation"].is_array());
  ASSERT_FALSE(r.j["explanation"].empty());
  for (const json& s : r.j["explanation"]) EXPECT_FALSE(s.get<std::string>().empty());
  EXPECT_TRUE(r.j["probs"]["is_click"].is_number());
}

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
  EXPECT_FALSE(x.j["eligible"].get<bool>());
  EXPECT_FALSE(x.j["ineligible_reason"].get<std::string>().empty());
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
  Reply x = h_->Get("/v1/feed/explain?user=u5&video=v2");  // v2's creator is c2
  ASSERT_EQ(x.status, 200) << x.body;
  EXPECT_FALSE(x.j["eligible"].get<bool>());
}

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
  Reply more = h_->Get(absl::StrCat("/v1/users?limit=1000&after=", users.j["next"].get<std::string>()),
                       kAdminKey);
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
  Reply created = h_->Post("/v1/users", R"({"id":"signup1","language":"en","interests":["#Cats"]})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.j["interests"], json({"cats"}));
  Reply patched = h_->Patch("/v1/users/signup1", R"({"keyword_filters":["Spoiler"]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.j["keyword_filters"], json({"spoiler"}));
  EXPECT_EQ(patched.j["language"], "en");
}

TEST_F(ApiServerTest, HealthAndMetrics) {
  Reply health = h_->Call("GET", "/healthz");
  ASSERT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.j["status"], "ok");
  EXPECT_TRUE(health.j["serving_offset"].is_number());
  EXPECT_GE(health.j["videos"].get<int>(), kVideos);
  EXPECT_GE(health.j["users"].get<int>(), 5);
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

// ---- Robustness ----

TEST_F(ApiServerTest, GarbageNeverCausesA5xx) {
  std::mt19937 rng(7);
  auto random_bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xFF);
    return s;
  };
  const std::vector<std::pair<std::string, std::string>> writes = {
      {"POST", "/v1/users"},         {"POST", "/v1/videos"},
      {"POST", "/v1/events"},        {"POST", "/v1/users/u1/refresh"},
      {"PATCH", "/v1/users/u2"},     {"PATCH", "/v1/videos/v9"}};
  std::vector<std::string> bodies;
  for (size_t n : {1, 7, 100, 5000}) bodies.push_back(random_bytes(n));
  bodies.push_back(R"({"id":"bad\xff\xfe","creator":"c1","duration_ms":1})");  // invalid UTF-8
  bodies.push_back("{\"events\":[{\"type\":\"comment\",\"user\":\"u1\",\"time_ms\":1,"
                   "\"video\":\"v1\",\"text\":\"\xc0\xaf\"}]}");
  bodies.push_back(std::string(30000, '[') + std::string(30000, ']'));  // deep nesting
  bodies.push_back(std::string(30000, '{'));
  bodies.push_back(R"({"id":"n1","creator":"c1","duration_ms":1e400})");
  bodies.push_back(R"({"id":"n1","creator":"c1","duration_ms":99999999999999999999999})");
  bodies.push_back(R"({"id":"n1","creator":"c1","duration_ms":-1,"upload_ms":-9223372036854775809})");
  bodies.push_back(R"({"id":"n1","epoch":18446744073709551616,"created_ms":1.5})");
  bodies.push_back(R"([{"type":"play","user":"u1","time_ms":9223372036854775807,"video":"v1","watch_ms":-1}])");
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
        absl::StrCat("/v1/hashtags/", long_id), absl::StrCat("/v1/feed?user=", std::string(20000, 'b')),
        std::string("/v1/feed?user=%ff%fe%00"), std::string("/v1/users/%ff%00x"),
        std::string("/v1/creators/%C0%AF")}) {
    Reply r = h_->Get(path);
    EXPECT_GT(r.status, 0) << path.substr(0, 60);
    EXPECT_LT(r.status, 500) << path.substr(0, 60) << ": " << r.body;
    if (r.status >= 400) {
      EXPECT_TRUE(r.j.contains("error")) << r.body;
    }
  }
  EXPECT_TRUE(IsError(h_->Get(absl::StrCat("/v1/feed?user=", std::string(20000, 'b'))), 414,
                      "bad_request"));  // httplib's URI limit (8 KiB)
  // Bad content types and methods.
  EXPECT_LT(h_->Call("POST", "/v1/users", kAppKey, R"({"id":"ct1"})", "text/plain").status, 500);
  EXPECT_LT(h_->Call("PUT", "/v1/users/u1", kAdminKey, "{}").status, 500);
  // Still healthy.
  Reply health = h_->Get("/healthz", "");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.j["status"], "ok");
}

TEST_F(ApiServerTest, ConcurrentFeedsAndEventsAllSucceed) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      const std::string user = absl::StrCat("u", 1 + t % 2);
      for (int i = 0; i < 10; ++i) {
        Reply f = h_->Get(absl::StrCat("/v1/feed?user=", user, "&count=3"));
        if (f.status != 200) ++failures;
        Reply e = h_->Post("/v1/events", absl::StrCat("[", Event("like", user, absl::StrCat("v", 10 + i)), "]"));
        if (e.status != 200) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---------------------------------------------------------------------------------------------
// Rate limits: a server of its own with tiny limits.

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
  EXPECT_TRUE(IsError(h.Get("/v1/feed?user=rl", kOtherAppKey), 429, "resource_exhausted",
                      "this user"));

  // Per key: the key's bucket (burst 2) is empty now.
  Reply third = h.Get("/v1/users/rl", kAppKey);
  EXPECT_TRUE(IsError(third, 429, "resource_exhausted", "this key"));
  EXPECT_GE(std::atoi(third.header("Retry-After").c_str()), 1);
  // Another key is not affected, nor are unauthenticated routes.
  EXPECT_EQ(h.Get("/v1/users/rl", kOtherAppKey).status, 200);
  EXPECT_EQ(h.Get("/healthz", "").status, 200);
  EXPECT_EQ(h.Get("/metrics", "").status, 200);
}

// ---------------------------------------------------------------------------------------------
// Sign-up hashtags.

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
  EXPECT_TRUE(IsError(h_->Get("/v1/hashtags", ""), 401, "unauthenticated"));
  EXPECT_EQ(h_->Get("/v1/hashtags", kAdminKey).status, 200);
}

// ---------------------------------------------------------------------------------------------
// Files: media with Range requests, the web app, its dashboard. A server with both directories;
// a secret file next to them that no path may reach.

class ApiServerFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            absl::StrCat("foryou_files_test_", ::getpid());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "media");
    std::filesystem::create_directories(root_ / "web");
    for (int i = 0; i < 1000; ++i) clip_.push_back(static_cast<char>((i * 7 + i / 256) & 0xFF));
    Write("media/clip.webm", clip_);
    Write("keys.json", "SECRET");
    Write("web/index.html", "<html>player</html>");
    Write("web/dashboard.html", "<html>dashboard</html>");
    Write("web/app.js", "console.log(1)");
    ServerOptions options;
    options.media_dir = (root_ / "media").string();
    options.static_dir = (root_ / "web").string();
    h_ = std::make_unique<Harness>(options);
  }
  void TearDown() override {
    h_.reset();
    std::filesystem::remove_all(root_);
  }
  void Write(const std::string& rel, const std::string& bytes) {
    std::ofstream(root_ / rel, std::ios::binary) << bytes;
  }
  // GET without a key, optionally with a Range header.
  httplib::Result Fetch(const std::string& path, const std::string& range = "") {
    httplib::Client client("127.0.0.1", h_->port());
    httplib::Headers headers;
    if (!range.empty()) headers.emplace("Range", range);
    return client.Get(path, headers);
  }

  std::filesystem::path root_;
  std::string clip_;
  std::unique_ptr<Harness> h_;
};

TEST_F(ApiServerFilesTest, MediaAnswersWholeFilesAndRanges) {
  ASSERT_TRUE(h_->ok());
  httplib::Result full = Fetch("/media/clip.webm");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status, 200);
  EXPECT_EQ(full->body, clip_);
  EXPECT_EQ(full->get_header_value("Content-Type"), "video/webm");
  EXPECT_EQ(full->get_header_value("Accept-Ranges"), "bytes");

  httplib::Result head = Fetch("/media/clip.webm", "bytes=0-99");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 206);
  EXPECT_EQ(head->body, clip_.substr(0, 100));
  EXPECT_EQ(head->get_header_value("Content-Range"), "bytes 0-99/1000");
  EXPECT_EQ(head->get_header_value("Content-Type"), "video/webm");

  httplib::Result tail = Fetch("/media/clip.webm", "bytes=900-");
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->status, 206);
  EXPECT_EQ(tail->body, clip_.substr(900));
  EXPECT_EQ(tail->get_header_value("Content-Range"), "bytes 900-999/1000");

  httplib::Result past_end = Fetch("/media/clip.webm", "bytes=5000-");
  ASSERT_TRUE(past_end);
  EXPECT_EQ(past_end->status, 416);

  httplib::Result missing = Fetch("/media/nope.webm");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(ApiServerFilesTest, NoPathLeavesTheDirectories) {
  ASSERT_TRUE(h_->ok());
  for (const char* path : {"/media/../keys.json", "/media/%2e%2e/keys.json", "/../keys.json",
                           "/media/../../keys.json", "/%2e%2e/keys.json",
                           "/media/..%2fkeys.json"}) {
    httplib::Result r = Fetch(path);
    ASSERT_TRUE(r) << path;
    EXPECT_NE(r->status, 200) << path;
    EXPECT_EQ(r->body.find("SECRET"), std::string::npos) << path;
  }
}

TEST_F(ApiServerFilesTest, WebAppIndexAndDashboard) {
  ASSERT_TRUE(h_->ok());
  httplib::Result index = Fetch("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->body, "<html>player</html>");
  EXPECT_EQ(index->get_header_value("Content-Type").rfind("text/html", 0), 0u);
  for (const char* path : {"/dashboard", "/dashboard/"}) {
    httplib::Result d = Fetch(path);
    ASSERT_TRUE(d) << path;
    EXPECT_EQ(d->status, 200) << path;
    EXPECT_EQ(d->body, "<html>dashboard</html>") << path;
    EXPECT_EQ(d->get_header_value("Content-Type").rfind("text/html", 0), 0u) << path;
  }
  httplib::Result js = Fetch("/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->body, "console.log(1)");
  // The API is still the API under the static mount.
  EXPECT_EQ(h_->Get("/healthz", "").status, 200);
}

TEST(ApiServerNoFilesTest, NoDirectoriesNoFileRoutes) {
  Harness h(ServerOptions{});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Get("/dashboard", "").status, 404);
  EXPECT_EQ(h.Get("/media/clip.webm", "").status, 404);
}

// ---------------------------------------------------------------------------------------------
// Dashboard stats.

TEST(StatsSamplerTest, RatesAndExactQuantilesPerInterval) {
  int64_t now = 10'000;
  uint64_t likes = 0;
  StatsSampler sampler({.interval_ms = 1000, .keep = 3}, [&] {
    StatsTotals t;
    t.events = {{"like", likes}, {"play", 0}};
    t.auc = {{"is_like", 0.75}, {"is_click", std::nan("")}};
    t.rules = {{"seen", likes * 2}};
    return t;
  }, [&] { return now; });
  EXPECT_FALSE(sampler.SampleNow());  // the baseline
  likes = 30;
  now += 2000;
  for (int i = 100; i >= 1; --i) sampler.RecordFeedLatency(i);  // 1..100 ms
  ASSERT_TRUE(sampler.SampleNow());
  json samples = sampler.Samples(0);
  ASSERT_EQ(samples.size(), 1u);
  const json& s = samples[0];
  EXPECT_EQ(s["t_ms"], 12'000);
  EXPECT_DOUBLE_EQ(s["events_per_s"]["like"].get<double>(), 15.0);
  EXPECT_DOUBLE_EQ(s["events_per_s"]["play"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s["events_total_per_s"].get<double>(), 15.0);
  EXPECT_EQ(s["feed_requests"], 100);
  EXPECT_DOUBLE_EQ(s["feed_p50_ms"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(s["feed_p99_ms"].get<double>(), 99.0);
  EXPECT_DOUBLE_EQ(s["auc"]["is_like"].get<double>(), 0.75);
  EXPECT_TRUE(s["auc"]["is_click"].is_null());
  EXPECT_EQ(s["rules"]["seen"], 60);
  EXPECT_GT(s["rss_bytes"].get<uint64_t>(), 0u);

  // The next interval has no requests: no quantiles; the latencies were consumed.
  now += 1000;
  ASSERT_TRUE(sampler.SampleNow());
  EXPECT_EQ(sampler.Samples(12'000).size(), 1u);
  const json second = sampler.Samples(12'000)[0];
  EXPECT_EQ(second["feed_requests"], 0);
  EXPECT_TRUE(second["feed_p50_ms"].is_null());
  EXPECT_TRUE(second["feed_p99_ms"].is_null());
  EXPECT_DOUBLE_EQ(second["events_per_s"]["like"].get<double>(), 0.0);

  // The ring keeps the last 3, oldest first.
  for (int i = 0; i < 3; ++i) {
    now += 1000;
    ASSERT_TRUE(sampler.SampleNow());
  }
  samples = sampler.Samples(0);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0]["t_ms"], 14'000);
  EXPECT_EQ(samples[2]["t_ms"], 16'000);

  EXPECT_DOUBLE_EQ(StatsSampler::ExactQuantile({7}, 0.99), 7);
  EXPECT_DOUBLE_EQ(StatsSampler::ExactQuantile({1, 2, 3, 4}, 0.5), 2);
  EXPECT_DOUBLE_EQ(StatsSampler::ExactQuantile({1, 2, 3, 4}, 0.99), 4);
}

TEST(ApiServerStatsTest, SamplesEventRatesFeedLatencyAndTrending) {
  ServerOptions options;
  options.stats_interval_ms = 50;
  options.stats_keep = 4;
  Harness h(options);
  ASSERT_TRUE(h.ok());
  catalog::User user;
  user.id = "st";
  ASSERT_TRUE(h.engine().feed().CreateUser(user).ok());
  for (int v = 0; v < 5; ++v) {
    catalog::Video video;
    video.id = absl::StrCat("sv", v);
    video.creator = "sc";
    video.caption = absl::StrCat("stats video ", v);
    video.hashtags = {"stats"};
    video.duration_ms = 10000;
    video.upload_ms = common::WallMs();
    video.moderation = catalog::Moderation::kApproved;
    ASSERT_TRUE(h.engine().feed().CreateVideo(video).ok());
  }

  EXPECT_TRUE(IsError(h.Get("/v1/admin/stats", ""), 401, "unauthenticated"));
  EXPECT_TRUE(IsError(h.Get("/v1/admin/stats", kAppKey), 403, "permission_denied", "admin"));
  EXPECT_TRUE(IsError(h.Get("/v1/admin/stats?since=x", kAdminKey), 400, "invalid_argument",
                      "since"));

  // Keep traffic going until one sample has seen both likes and feeds.
  bool saw_likes = false, saw_feeds = false;
  json last;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (int i = 0; !(saw_likes && saw_feeds) && std::chrono::steady_clock::now() < deadline; ++i) {
    ASSERT_EQ(h.Post("/v1/events", absl::StrCat("[", Event("like", "st", absl::StrCat("sv", i % 5)),
                                                 "]")).status, 200);
    ASSERT_EQ(h.Get("/v1/feed?user=st&count=1").status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    Reply r = h.Get("/v1/admin/stats", kAdminKey);
    ASSERT_EQ(r.status, 200) << r.body;
    last = r.j;
    for (const json& s : r.j["samples"]) {
      if (s["events_per_s"]["like"].get<double>() > 0) saw_likes = true;
      if (s["feed_requests"].get<uint64_t>() > 0) {
        saw_feeds = true;
        EXPECT_GT(s["feed_p99_ms"].get<double>(), 0) << s;
        EXPECT_GE(s["feed_p99_ms"].get<double>(), s["feed_p50_ms"].get<double>()) << s;
      }
    }
  }
  EXPECT_TRUE(saw_likes) << last;
  EXPECT_TRUE(saw_feeds) << last;
  EXPECT_EQ(last["interval_ms"], 50);
  ASSERT_FALSE(last["samples"].empty());
  EXPECT_LE(last["samples"].size(), 4u);
  const json& s = last["samples"].back();
  for (const char* key : {"t_ms", "events_total_per_s", "freshness_ms", "table_rows",
                          "table_bytes", "rss_bytes", "feed_requests"}) {
    EXPECT_TRUE(s[key].is_number()) << key << ": " << s;
  }
  EXPECT_GT(s["rss_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(s["auc"].size(), static_cast<size_t>(model::kNumTasks));
  EXPECT_TRUE(s["rules"].contains("seen"));
  EXPECT_TRUE(last["rules"].contains("explore_inserted"));
  // Samples are oldest first; since= gives the newer ones only.
  const int64_t first_t = last["samples"][0]["t_ms"];
  for (size_t i = 1; i < last["samples"].size(); ++i) {
    EXPECT_GT(last["samples"][i]["t_ms"].get<int64_t>(),
              last["samples"][i - 1]["t_ms"].get<int64_t>());
  }
  Reply newer = h.Get(absl::StrCat("/v1/admin/stats?since=", first_t), kAdminKey);
  ASSERT_EQ(newer.status, 200);
  for (const json& n : newer.j["samples"]) EXPECT_GT(n["t_ms"].get<int64_t>(), first_t);
  Reply future =
      h.Get(absl::StrCat("/v1/admin/stats?since=", common::WallMs() + 60'000), kAdminKey);
  EXPECT_TRUE(future.j["samples"].empty());
  // Liked videos trend; each entry describes its video.
  ASSERT_TRUE(last["trending"].is_array());
  EXPECT_LE(last["trending"].size(), 10u);
  Reply trending = h.Get("/v1/admin/stats", kAdminKey);
  ASSERT_FALSE(trending.j["trending"].empty()) << trending.body;
  const json& t = trending.j["trending"][0];
  EXPECT_EQ(t["video"].get<std::string>().rfind("sv", 0), 0u) << t;
  EXPECT_EQ(t["creator"], "sc");
  EXPECT_EQ(t["hashtags"], json({"stats"}));
  EXPECT_GT(t["score"].get<double>(), 0);
}

}  // namespace
}  // namespace foryou::server
