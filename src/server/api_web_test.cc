// HTTP API end to end, web side: media files with Range requests, the web app and its
// dashboard page (no path escapes their directories), and the dashboard's stats: the
// StatsSampler itself and `GET /v1/admin/stats` over a real server.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "catalog/types.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "model/model_config.h"
#include "nlohmann/json.hpp"
#include "server/api_test_harness.h"
#include "server/stats_sampler.h"

namespace foryou::server {
namespace {

// ---- Files ----

// Media with Range requests, the web app, its dashboard. A server with both directories;
// a secret file next to them that no path may reach.
class ApiServerFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / absl::StrCat("foryou_files_test_", ::getpid());
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
  for (const char* path :
       {"/media/../keys.json", "/media/%2e%2e/keys.json", "/../keys.json", "/media/../../keys.json",
        "/%2e%2e/keys.json", "/media/..%2fkeys.json"}) {
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

// ---- Dashboard stats ----

TEST(StatsSamplerTest, RatesAndExactQuantilesPerInterval) {
  int64_t now = 10'000;
  uint64_t likes = 0;
  StatsSampler sampler(
      {.interval_ms = 1000, .keep = 3},
      [&] {
        StatsTotals t;
        t.events = {{"like", likes}, {"play", 0}};
        t.auc = {{"is_like", 0.75}, {"is_click", std::nan("")}};
        t.rules = {{"seen", likes * 2}};
        return t;
      },
      [&] { return now; });
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
  // No interval ends during the test: it takes every sample itself, with SampleNow().
  options.stats_interval_ms = 3'600'000;
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
  EXPECT_TRUE(
      IsError(h.Get("/v1/admin/stats?since=x", kAdminKey), 400, "invalid_argument", "since"));

  // A busy interval (likes and feeds since the server started: the baseline), then a quiet one
  // (one like, no feed). Samples carry the wall clock in ms: the second waits for the next ms.
  StatsSampler& sampler = h.server().stats_sampler();
  constexpr int kLikes = 5, kFeeds = 3;
  for (int i = 0; i < kLikes; ++i) {
    const std::string batch = absl::StrCat("[", Event("like", "st", absl::StrCat("sv", i)), "]");
    ASSERT_EQ(h.Post("/v1/events", batch).status, 200);
  }
  for (int i = 0; i < kFeeds; ++i) ASSERT_EQ(h.Get("/v1/feed?user=st&count=1").status, 200);
  ASSERT_TRUE(sampler.SampleNow());
  const int64_t first_t = sampler.Samples(0).back()["t_ms"];
  ASSERT_EQ(h.Post("/v1/events", absl::StrCat("[", Event("like", "st", "sv0"), "]")).status, 200);
  while (common::WallMs() <= first_t) std::this_thread::yield();
  ASSERT_TRUE(sampler.SampleNow());

  Reply r = h.Get("/v1/admin/stats", kAdminKey);
  ASSERT_EQ(r.status, 200) << r.body;
  const json& last = r.j;
  EXPECT_EQ(last["interval_ms"], 3'600'000);
  ASSERT_EQ(last["samples"].size(), 2u) << last;
  const json& busy = last["samples"][0];
  EXPECT_EQ(busy["t_ms"], first_t);
  EXPECT_GT(busy["events_per_s"]["like"].get<double>(), 0) << busy;
  EXPECT_GE(busy["events_total_per_s"].get<double>(), busy["events_per_s"]["like"].get<double>())
      << busy;
  EXPECT_EQ(busy["feed_requests"], kFeeds) << busy;
  EXPECT_GT(busy["feed_p50_ms"].get<double>(), 0) << busy;
  EXPECT_GT(busy["feed_p99_ms"].get<double>(), 0) << busy;
  EXPECT_GE(busy["feed_p99_ms"].get<double>(), busy["feed_p50_ms"].get<double>()) << busy;
  const json& quiet = last["samples"][1];
  EXPECT_GT(quiet["events_per_s"]["like"].get<double>(), 0) << quiet;
  EXPECT_EQ(quiet["feed_requests"], 0) << quiet;  // a sample counts its own interval's requests
  EXPECT_TRUE(quiet["feed_p50_ms"].is_null()) << quiet;
  const json& s = last["samples"].back();
  for (const char* key : {"t_ms", "events_total_per_s", "freshness_ms", "table_rows", "table_bytes",
                          "rss_bytes", "feed_requests"}) {
    EXPECT_TRUE(s[key].is_number()) << key << ": " << s;
  }
  EXPECT_GT(s["rss_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(s["auc"].size(), static_cast<size_t>(model::kNumTasks));
  EXPECT_TRUE(s["rules"].contains("seen"));
  EXPECT_TRUE(last["rules"].contains("explore_inserted"));
  // Samples are oldest first; since= gives the newer ones only.
  for (size_t i = 1; i < last["samples"].size(); ++i) {
    EXPECT_GT(last["samples"][i]["t_ms"].get<int64_t>(),
              last["samples"][i - 1]["t_ms"].get<int64_t>());
  }
  Reply newer = h.Get(absl::StrCat("/v1/admin/stats?since=", first_t), kAdminKey);
  ASSERT_EQ(newer.status, 200);
  ASSERT_EQ(newer.j["samples"].size(), 1u) << newer.body;
  EXPECT_EQ(newer.j["samples"][0], quiet);
  for (const json& n : newer.j["samples"]) EXPECT_GT(n["t_ms"].get<int64_t>(), first_t);
  Reply future =
      h.Get(absl::StrCat("/v1/admin/stats?since=", common::WallMs() + 60'000), kAdminKey);
  EXPECT_TRUE(future.j["samples"].empty());
  // Liked videos trend; each entry describes its video.
  ASSERT_TRUE(last["trending"].is_array());
  EXPECT_LE(last["trending"].size(), 10u);
  ASSERT_FALSE(last["trending"].empty()) << last;
  const json& t = last["trending"][0];
  EXPECT_EQ(t["video"].get<std::string>().rfind("sv", 0), 0u) << t;
  EXPECT_EQ(t["creator"], "sc");
  EXPECT_EQ(t["hashtags"], json({"stats"}));
  EXPECT_GT(t["score"].get<double>(), 0);
  // The server keeps the last stats_keep samples.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sampler.SampleNow());
  Reply kept = h.Get("/v1/admin/stats", kAdminKey);
  ASSERT_EQ(kept.status, 200);
  EXPECT_EQ(kept.j["samples"].size(), 4u) << kept.body;
}

}  // namespace
}  // namespace foryou::server
