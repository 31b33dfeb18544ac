// HTTP API end to end, feed routes: feed pages, refresh, explain, event batches (accepted,
// rejected, counted, absorbed by the serving model), bad query parameters, concurrent use.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "model/model_config.h"
#include "nlohmann/json.hpp"
#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

// ---- 400 ----

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
  EXPECT_TRUE(
      IsError(h_->Get("/v1/feed/explain?user=u1"), 400, "invalid_argument", "video: required"));
  EXPECT_TRUE(
      IsError(h_->Get("/v1/feed/explain?video=v1"), 400, "invalid_argument", "user: required"));
  EXPECT_TRUE(IsError(h_->Get("/v1/users?limit=0", kAdminKey), 400, "invalid_argument", "limit"));
  EXPECT_TRUE(
      IsError(h_->Get("/v1/users?limit=1001", kAdminKey), 400, "invalid_argument", "limit"));
  EXPECT_TRUE(IsError(h_->Get("/v1/videos?limit=x"), 400, "invalid_argument", "limit"));
  EXPECT_TRUE(IsError(h_->Get("/v1/creators/c1?limit=201"), 400, "invalid_argument", "limit"));
  EXPECT_TRUE(IsError(h_->Get("/v1/hashtags/dance?limit=0"), 400, "invalid_argument", "limit"));
}

// ---- Feed, refresh and explain ----

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

// Each stage of a served feed is timed on /metrics; a refused request times none.
TEST_F(ApiServerTest, FeedStagesAreTimedOnMetrics) {
  const auto count = [&](const std::string& text, const std::string& stage) {
    return MetricValue(text, absl::StrCat("foryou_feed_stage_seconds_count{stage=\"", stage, "\"}"));
  };
  const std::vector<std::string> stages = {"retrieval", "eligibility", "scoring", "rules",
                                           "serialisation"};
  const std::string before = h_->Get("/metrics", "").body;
  ASSERT_EQ(h_->Get("/v1/feed?user=u3&count=10").status, 200);
  ASSERT_EQ(h_->Get("/v1/feed?user=u3&count=5").status, 200);
  EXPECT_EQ(h_->Get("/v1/feed?user=nobody&count=5").status, 404);
  const std::string after = h_->Get("/metrics", "").body;
  for (const std::string& stage : stages) {
    EXPECT_EQ(count(after, stage) - count(before, stage), 2) << stage << "\n" << after;
    EXPECT_GT(MetricValue(after, absl::StrCat("foryou_feed_stage_seconds_sum{stage=\"", stage,
                                              "\"}")),
              0)
        << stage;
  }
}

// /metrics sizes what the server holds per user: a page served adds its videos to the seen
// keys, and every memory gauge is there with its bytes estimate.
TEST_F(ApiServerTest, MemoryGaugesFollowTheSessions) {
  const std::string before = h_->Get("/metrics", "").body;
  Reply page = h_->Get("/v1/feed?user=u2&count=4");
  ASSERT_EQ(page.status, 200) << page.body;
  const double shown = static_cast<double>(page.j["items"].size());
  ASSERT_GT(shown, 0);
  const std::string after = h_->Get("/metrics", "").body;
  EXPECT_EQ(MetricValue(after, "foryou_sessions_seen_keys") -
                MetricValue(before, "foryou_sessions_seen_keys"),
            shown)
      << after;
  EXPECT_GE(MetricValue(after, "foryou_sessions_seen_bytes"),
            8 * MetricValue(after, "foryou_sessions_seen_keys"));
  EXPECT_GE(MetricValue(after, "foryou_sessions_live"), 1);
  EXPECT_GE(MetricValue(after, "foryou_sessions_bytes"),
            MetricValue(after, "foryou_sessions_seen_bytes") +
                MetricValue(after, "foryou_sessions_served_bytes"));
  for (const char* name :
       {"foryou_sessions_parked", "foryou_sessions_recent_entries", "foryou_sessions_served_records",
        "foryou_sessions_served_order", "foryou_sessions_not_interested", "foryou_behaviour_users",
        "foryou_behaviour_list_entries", "foryou_behaviour_counters",
        "foryou_behaviour_pair_counters", "foryou_behaviour_bytes", "foryou_join_pending",
        "foryou_join_bytes", "foryou_join_late_store_readers_bytes",
        "foryou_watch_next_recent_entries", "foryou_watch_next_item_entries",
        "foryou_watch_next_users_bytes", "foryou_watch_next_covis_bytes",
        "foryou_watch_next_tower_bytes", "foryou_malloc_free_bytes", "foryou_malloc_mmap_bytes",
        "foryou_rocksdb_memtable_bytes", "foryou_rocksdb_block_cache_bytes"}) {
    EXPECT_GE(MetricValue(after, name), 0) << name << " missing from /metrics";
  }
  // The process-wide gauges see the heap and the threads of the server the test runs.
  EXPECT_GT(MetricValue(after, "foryou_malloc_in_use_bytes"), 1 << 20);
  EXPECT_GE(MetricValue(after, "foryou_process_threads"), 2);
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

TEST_F(ApiServerTest, ExplainGivesSourcesPartsAndSentences) {
  // u6 is never served a feed by any test, so v7 is not served and is eligible for it.
  Reply r = h_->Get("/v1/feed/explain?user=u6&video=v7");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["user"], "u6");
  EXPECT_EQ(r.j["video"], "v7");
  EXPECT_EQ(r.j["served"], false) << r.body;
  EXPECT_FALSE(r.j.contains("request_id")) << r.body;
  EXPECT_TRUE(r.j["can_serve"].get<bool>()) << r.body;
  EXPECT_EQ(r.j["cannot_serve_reason"], "");
  EXPECT_TRUE(r.j["score"].is_number());
  // One reason per source (a video no source proposes has neither).
  ASSERT_TRUE(r.j["sources"].is_array());
  ASSERT_TRUE(r.j["source_reasons"].is_array());
  ASSERT_EQ(r.j["source_reasons"].size(), r.j["sources"].size()) << r.body;
  for (const json& s : r.j["sources"]) EXPECT_FALSE(s.get<std::string>().empty()) << r.body;
  for (const json& s : r.j["source_reasons"]) EXPECT_FALSE(s.get<std::string>().empty());
  // One part per task and the audience prior, largest first.
  ASSERT_TRUE(r.j["parts"].is_array());
  std::set<std::string> names;
  double previous = INFINITY;
  for (const json& c : r.j["parts"]) {
    ASSERT_TRUE(c["name"].is_string());
    ASSERT_TRUE(c["value"].is_number());
    names.insert(c["name"].get<std::string>());
    EXPECT_LE(std::fabs(c["value"].get<double>()), previous) << r.body;
    previous = std::fabs(c["value"].get<double>());
  }
  for (const char* task : model::kTaskNames) EXPECT_TRUE(names.count(task)) << task;
  EXPECT_TRUE(names.count("popularity")) << r.body;
  // Sentences: first the sources' reasons, then the parts; the last says it could be served.
  ASSERT_TRUE(r.j["explanation"].is_array());
  ASSERT_GE(r.j["explanation"].size(), 3u) << r.body;
  for (const json& s : r.j["explanation"]) EXPECT_FALSE(s.get<std::string>().empty());
  const std::string first = r.j["explanation"][0];
  for (const json& reason : r.j["source_reasons"]) {
    EXPECT_NE(first.find(reason.get<std::string>()), std::string::npos) << first;
  }
  EXPECT_EQ(r.j["explanation"].back(), "The feed could show it to you.");
  EXPECT_TRUE(r.j["probs"]["is_click"].is_number());
  // A request id that did not serve the video.
  EXPECT_TRUE(IsError(h_->Get("/v1/feed/explain?user=u6&video=v7&request_id=r1-000000"), 404,
                      "not_found", "was not served in request"));
  EXPECT_TRUE(IsError(h_->Get("/v1/feed/explain?user=u6&video=v7&request_id="), 400,
                      "invalid_argument", "request_id"));
}

// A new user has watched nothing: no reason may speak of what they watched, liked, follow or
// usually watch.
TEST_F(ApiServerTest, ReasonsOfANewUsersFirstPageAreTrue) {
  ASSERT_EQ(h_->Post("/v1/users", R"({"id":"newbie"})").status, 201);
  // Others watch and like: the watch-next source and trending have something to offer.
  std::string batch = "[";
  for (int i = 0; i < 20; ++i) {
    if (i > 0) batch += ",";
    batch += Event("like", "u2", absl::StrCat("v", 20 + i));
  }
  batch += "]";
  ASSERT_EQ(h_->Post("/v1/events", batch).status, 200);
  Reply r = h_->Get("/v1/feed?user=newbie&count=10");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_FALSE(r.j["items"].empty());
  for (const json& item : r.j["items"]) {
    const std::string reason = item["reason"];
    for (const char* untrue : {"what you watched", "you usually watch", "you liked",
                               "you enjoyed", "whom you follow"}) {
      EXPECT_EQ(reason.find(untrue), std::string::npos) << reason << ": " << item.dump();
    }
  }
}

// Explain describes the item as it was served: its sources, every part of its score (adding up
// to the score), in words, and separately whether it could be served again.
TEST_F(ApiServerTest, ExplainDescribesTheServedItem) {
  ASSERT_EQ(h_->Post("/v1/users", R"({"id":"viewer","interests":["food"]})").status, 201);
  Reply page = h_->Get("/v1/feed?user=viewer&count=10");
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(page.j["items"].size(), 10u) << page.body;
  for (const json& item : page.j["items"]) {
    const std::string video = item["video"];
    Reply x = h_->Get(absl::StrCat("/v1/feed/explain?user=viewer&video=", video));
    ASSERT_EQ(x.status, 200) << x.body;
    EXPECT_EQ(x.j["served"], true) << x.body;
    EXPECT_EQ(x.j["request_id"], page.j["request_id"]) << x.body;
    EXPECT_EQ(x.j["position"], item["position"]) << x.body;
    EXPECT_EQ(x.j["sources"], item["sources"]) << x.body;
    EXPECT_EQ(x.j["reason"], item["reason"]) << x.body;
    EXPECT_NEAR(x.j["score"].get<double>(), item["score"].get<double>(), 1e-4) << x.body;
    // Every part, adding up to the served score; the audience prior among them.
    ASSERT_TRUE(x.j["parts"].is_array()) << x.body;
    double sum = 0;
    std::map<std::string, double> parts;
    for (const json& part : x.j["parts"]) {
      ASSERT_TRUE(part["value"].is_number()) << x.body;
      ASSERT_TRUE(part["label"].is_string()) << x.body;
      EXPECT_FALSE(part["label"].get<std::string>().empty()) << x.body;
      sum += part["value"].get<double>();
      parts[part["name"].get<std::string>()] = part["value"].get<double>();
    }
    EXPECT_NEAR(sum, x.j["score"].get<double>(), 1e-3) << x.body;
    ASSERT_TRUE(parts.count("popularity")) << x.body;
    EXPECT_NEAR(parts["popularity"], item["parts"]["popularity"].get<double>(), 1e-4);
    EXPECT_NEAR(parts["source_bonus"], item["parts"]["source_bonus"].get<double>(), 1e-4);
    EXPECT_NEAR(parts["is_like"], item["parts"]["is_like"].get<double>(), 1e-4);
    // Shown once: it cannot be served again, said apart from why it was served.
    EXPECT_EQ(x.j["can_serve"], false) << x.body;
    EXPECT_EQ(x.j["cannot_serve_reason"], "already shown to you") << x.body;
    // Words a viewer understands: no internal task names, no "0%" next to a non-zero part.
    ASSERT_TRUE(x.j["explanation"].is_array());
    for (const json& s : x.j["explanation"]) {
      const std::string line = s;
      for (const char* task : model::kTaskNames) {
        EXPECT_EQ(line.find(task), std::string::npos) << line;
      }
      EXPECT_EQ(line.find(" 0%"), std::string::npos) << line;
      EXPECT_EQ(line.find("It will not be shown"), std::string::npos) << line;
    }
    for (const json& part : x.j["parts"]) {
      const std::string label = part["label"];
      for (const char* task : model::kTaskNames) {
        EXPECT_EQ(label.find(task), std::string::npos) << label;
      }
    }
  }
  // A video not served to the user: described as it would be scored now, still adding up.
  std::set<std::string> shown;
  for (const json& item : page.j["items"]) shown.insert(item["video"].get<std::string>());
  std::string other = "v0";
  for (int v = 0; shown.count(other); ++v) other = absl::StrCat("v", v);
  Reply x = h_->Get(absl::StrCat("/v1/feed/explain?user=viewer&video=", other));
  ASSERT_EQ(x.status, 200) << x.body;
  EXPECT_EQ(x.j["served"], false) << x.body;
  EXPECT_EQ(x.j["can_serve"], true) << x.body;
  double sum = 0;
  for (const json& part : x.j["parts"]) sum += part["value"].get<double>();
  EXPECT_NEAR(sum, x.j["score"].get<double>(), 1e-3) << x.body;
}

// `POST /v1/users/ID/refresh` with no body and no Content-Length (curl -X POST) is a valid
// request: answered at once, not after the read timeout with a 400.
TEST_F(ApiServerTest, RefreshWithoutABodyIsAccepted) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  timeval timeout{15, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(h_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string request = absl::StrCat("POST /v1/users/u5/refresh HTTP/1.1\r\n",
                                           "Host: 127.0.0.1\r\nX-Api-Key: ", kAppKey, "\r\n\r\n");
  ASSERT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  const auto start = std::chrono::steady_clock::now();
  std::string reply;
  char buf[4096];
  // The whole answer: headers, then the JSON body (ends with '}').
  while (reply.find("\r\n\r\n") == std::string::npos || reply.back() != '}') {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_NE(reply.find(R"("model_user":"u5#)"), std::string::npos) << reply;
  EXPECT_LT(waited, std::chrono::seconds(5)) << "answered only after the read timeout";
  // A refresh with a JSON body still works.
  EXPECT_EQ(h_->Post("/v1/users/u5/refresh", "{}").status, 200);
  EXPECT_TRUE(IsError(h_->Post("/v1/users/nobody/refresh", ""), 404, "not_found"));
}

// ---- Events ----

TEST_F(ApiServerTest, EventBatchAcceptsGoodAndListsBad) {
  const std::string before = h_->Get("/metrics", "").body;
  auto count = [](const std::string& text, const std::string& type) {
    return std::max(0.0,
                    MetricValue(text, absl::StrCat("foryou_events_total{type=\"", type, "\"}")));
  };
  const std::string batch = absl::StrCat(
      R"({"events":[)", Event("like", "u2", "v1"), ",",  // 0 good
      Event("poke", "u2", "v1"), ",",                    // 1 bad type
      Event("like", "u2", ""), ",",                      // 2 missing video
      Event("like", "ghost", "v1"), ",",                 // 3 unknown user
      Event("like", "u2", "no_such_video"), ",",         // 4 unknown video
      Event("share", "u2", "v2"), ",",                   // 5 good
      R"({"type":"play","user":"u2","time_ms":)", common::WallMs(),
      R"(,"video":"v2","watch_ms":9000,"completed":true})", ",",          // 6 good
      R"({"type":"like","user":"u2","time_ms":1000,"video":"v1"})", ",",  // 7 too old
      R"({"type":"like","user":"u2","time_ms":)", common::WallMs(), R"(,"video":"v1","x":1})",
      "]}");  // 8 unknown field
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
  // ... and absorbed by the serving model (the timeout only bounds a failure), as /healthz says.
  const uint64_t end = r.j["offset"].get<uint64_t>() + 3;
  EXPECT_TRUE(h_->engine().loop().WaitForServing(end, /*timeout_ms=*/30'000))
      << "serving_offset never reached " << end;
  Reply health = h_->Get("/healthz", "");
  EXPECT_GE(health.j["serving_offset"].get<uint64_t>(), end);
  EXPECT_GE(health.j["log_end_offset"].get<uint64_t>(), end);
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
  EXPECT_TRUE(IsError(h_->Post("/v1/events", R"({"evnts":[]})"), 400, "invalid_argument", "evnts"));
  EXPECT_TRUE(
      IsError(h_->Post("/v1/events", R"({"events":{}})"), 400, "invalid_argument", "events"));
  EXPECT_TRUE(IsError(h_->Post("/v1/events", "42"), 400, "invalid_argument", "body"));
}

// ---- Concurrency ----

TEST_F(ApiServerTest, ConcurrentFeedsAndEventsAllSucceed) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      const std::string user = absl::StrCat("u", 1 + t % 2);
      for (int i = 0; i < 10; ++i) {
        Reply f = h_->Get(absl::StrCat("/v1/feed?user=", user, "&count=3"));
        if (f.status != 200) ++failures;
        Reply e = h_->Post("/v1/events",
                           absl::StrCat("[", Event("like", user, absl::StrCat("v", 10 + i)), "]"));
        if (e.status != 200) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace foryou::server
