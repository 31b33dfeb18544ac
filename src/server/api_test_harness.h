// The harness of the HTTP API tests (api_*_test.cc): an Engine in a temp dir with a tiny model,
// an ApiServer on a free port, a real HTTP client, and the checks and builders the tests share.
//
// Example:
//   Harness h(ServerOptions{});
//   ASSERT_TRUE(h.ok());
//   EXPECT_TRUE(IsError(h.Get("/v1/users/nobody"), 404, "not_found", "nobody"));
#pragma once

#include "server/api_server.h"

// httplib.h only after api_server.h (Eigen, through the feed): httplib pulls in <resolv.h>,
// whose `_res` macro breaks Eigen's declarations.
#include <httplib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/engine.h"

namespace foryou::server {

using nlohmann::json;

inline constexpr char kAppKey[] = "test_app_key_0123456789";
inline constexpr char kAdminKey[] = "test_admin_key_0123456789";
inline constexpr char kOtherAppKey[] = "test_app_key_other_0123456789";

inline constexpr char kModelConfig[] = R"({"dim": 4, "hidden": [8],
    "features": ["video_id", "author_id", "music_id", "tag", "user_id",
                 "seq.long_view.video", "dense.user_rates"]})";

inline constexpr int kCreators = 6;
inline constexpr int kVideos = 60;
inline constexpr size_t kMaxBody = 64 * 1024;

inline std::string CreatorOf(int v) { return absl::StrCat("c", v % kCreators); }
inline std::string SoundOf(int v) { return absl::StrCat("s", v % 5); }
inline std::vector<std::string> HashtagsOf(int v) {
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

// A running Engine + ApiServer on a fresh temp dir (removed on destruction). Requests may be
// made from any thread.
class Harness {
 public:
  // `dir`: a data directory to open as it is and keep (a restart); empty = a fresh one, removed
  // on destruction.
  // `engine_options` may change the engine's options before it opens (the uploads' worker).
  explicit Harness(ServerOptions options, std::filesystem::path dir = {},
                   const std::function<void(EngineOptions*)>& engine_options = {}) {
    static int counter = 0;
    keep_dir_ = !dir.empty();
    dir_ = keep_dir_ ? dir
                     : std::filesystem::temp_directory_path() /
                           absl::StrCat("foryou_api_test_", ::getpid(), "_", counter++);
    if (!keep_dir_) std::filesystem::remove_all(dir_);
    EngineOptions eo;
    eo.data_dir = dir_.string();
    eo.model_config_json = kModelConfig;
    eo.fsync = stream::FsyncPolicy::kNever;
    eo.accounts.password = accounts::PasswordLimits::Min();  // fast sign-ups and sign-ins
    // Media jobs run a worker that is not there unless a test provides one: never this binary.
    eo.uploads.pipeline.worker.binary = "/nonexistent/media-worker";
    if (engine_options) engine_options(&eo);
    std::ostringstream progress;
    auto engine = Engine::Open(eo, progress);
    if (!engine.ok()) {
      ADD_FAILURE() << engine.status();
      return;
    }
    engine_ = std::move(*engine);
    absl::StatusOr<ApiKeys> keys = ApiKeys::Parse(
        absl::StrCat(R"({"keys": [{"key": ")", kAppKey, R"(", "role": "app", "name": "app"},)",
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
        options, ServerDeps{&engine_->feed(), &engine_->loop(), &engine_->store(), *keys,
                            &engine_->accounts(), &engine_->social(), &engine_->search(),
                            &engine_->moderation(),
                            [e = engine_.get()](std::string_view video) {
                              return e->SimilarVideos(video);
                            },
                            &engine_->uploads(), &engine_->ads_store(),
                            &engine_->ads_ledger(), &engine_->ads_pacer(),
                            &engine_->ad_stage()});
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
    if (!keep_dir_) std::filesystem::remove_all(dir_, ec);
  }

  // The data directory, left in place by the destructor after keep_dir() (for a restart).
  std::string dir() const { return dir_.string(); }
  void keep_dir() { keep_dir_ = true; }

  bool ok() const { return engine_ && server_ && server_->port() > 0; }
  int port() const { return server_->port(); }
  Engine& engine() { return *engine_; }
  ApiServer& server() { return *server_; }

  // A Cookie header sent with every request ("" = none).
  void set_cookie(std::string cookie) { cookie_ = std::move(cookie); }

  // One request. `key` "" = no key header; a session token ("fy1.") goes as a bearer token.
  // `body` is sent as application/json for POST/PATCH.
  Reply Call(const std::string& method, const std::string& path, const std::string& key = "",
             const std::string& body = "", const char* content_type = "application/json") {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(20, 0);
    client.set_write_timeout(20, 0);
    httplib::Headers headers;
    // A session token goes as a bearer token, a key in X-Api-Key.
    if (key.rfind("fy1.", 0) == 0) {
      headers.emplace("Authorization", "Bearer " + key);
    } else if (!key.empty()) {
      headers.emplace("X-Api-Key", key);
    }
    if (!cookie_.empty()) headers.emplace("Cookie", cookie_);
    auto send = [&]() -> httplib::Result {
      if (method == "POST") return client.Post(path, headers, body, content_type);
      if (method == "PATCH") return client.Patch(path, headers, body, content_type);
      if (method == "PUT") return client.Put(path, headers, body, content_type);
      if (method == "DELETE") return client.Delete(path, headers, body, content_type);
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
  bool keep_dir_ = false;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ApiServer> server_;
  std::string cookie_;
};

// `{"error":{"code":<code>,"message":<... contains message_part ...>}}` with HTTP `status`.
inline ::testing::AssertionResult IsError(const Reply& r, int status, const std::string& code,
                                          const std::string& message_part = "") {
  if (r.status != status) {
    return ::testing::AssertionFailure()
           << "status " << r.status << " != " << status << "; body: " << r.body;
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
    return ::testing::AssertionFailure()
           << "message '" << message << "' lacks '" << message_part << "'";
  }
  return ::testing::AssertionSuccess();
}

inline std::string VideoJson(int v, const std::string& moderation = "approved") {
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

// One event as the JSON of `POST /v1/events`, stamped now; `video` "" = none.
inline std::string Event(const std::string& type, const std::string& user,
                         const std::string& video) {
  json e = {{"type", type}, {"user", user}, {"time_ms", common::WallMs()}};
  if (!video.empty()) e["video"] = video;
  return e.dump();
}

// The value of one series (`name{labels}` exactly as rendered) in Prometheus text; -1 if absent.
inline double MetricValue(const std::string& text, const std::string& series) {
  const std::string prefix = series + " ";
  size_t pos = 0;
  while ((pos = text.find(prefix, pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') return std::stod(text.substr(pos + prefix.size()));
    pos += prefix.size();
  }
  return -1;
}

// The main fixture: one engine and server per test suite, with users u1..u6 and videos v0..v59
// (creator CreatorOf(v), sound SoundOf(v), hashtags HashtagsOf(v)) created through the API. Tests
// run in one process share them and may change them.
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
  void SetUp() override {
    ASSERT_NE(h_, nullptr);
    ASSERT_TRUE(h_->ok());
  }

  static inline Harness* h_ = nullptr;
};

}  // namespace foryou::server
