// The creator's side over HTTP: the numbers of each video in GET /v1/me/videos and the totals of
// GET /v1/me/stats, from logged events and across a restart; and who may read the media of a
// processed upload (its creator and moderators while it is not shown to everyone). A real Engine
// and server with a stand-in media worker (a shell script following the worker protocol).
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

namespace fs = std::filesystem;

constexpr char kPassword[] = "creator-test-password";

// Writes two renditions and a cover, and reports them.
constexpr char kWorker[] = R"sh(#!/bin/sh
job="$3"; result="$5"
out=$(sed -n 's/.*"out_dir":"\([^"]*\)".*/\1/p' "$job")
printf 'rendition-720-bytes' > "$out/720.mp4"; printf 'r360' > "$out/360.mp4"
printf 'jpeg' > "$out/cover.jpg"
echo '{"duration_ms":4200,"width":1280,"height":720,"video_codec":"h264","audio_codec":"aac","has_audio":true,"mean_luma":96.5,"audio_peak_dbfs":-12.0,"renditions":[{"height":720,"file":"720.mp4"},{"height":360,"file":"360.mp4"}],"cover":"cover.jpg","posters":[],"frame_hashes":["0123456789abcdef","fedcba9876543210"]}' > "$result"
)sh";

struct Got {
  int status = 0;
  std::string body, cache_control;
};

class ApiCreatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    worker_ = (fs::temp_directory_path() /
               absl::StrCat("foryou_creator_worker_", ::getpid(), ".sh")).string();
    std::ofstream(worker_) << kWorker;
    ::chmod(worker_.c_str(), 0755);
    imported_ = fs::temp_directory_path() / absl::StrCat("foryou_creator_media_", ::getpid());
    fs::create_directories(imported_);
    std::ofstream(imported_ / "catalog-clip.mp4") << "imported";
    Start({});
    ASSERT_TRUE(h_->ok());
    for (const char* handle : {"alice", "bob", "mona"}) {
      Reply r = h_->Post("/v1/auth/signup",
                         json({{"handle", handle}, {"password", kPassword},
                               {"interests", {"cats"}}}).dump(), "");
      ASSERT_EQ(r.status, 201) << r.body;
    }
    ASSERT_EQ(h_->Post("/v1/admin/accounts/mona/roles", R"({"roles":["viewer","moderator"]})",
                       kAdminKey).status, 200);
    alice_ = SignIn("alice");
    bob_ = SignIn("bob");
    mona_ = SignIn("mona");
    video_ = PostVideo();
  }
  static void TearDownTestSuite() {
    const std::string dir = h_->dir();  // kept by a restarted harness
    delete h_;
    fs::remove_all(dir);
    h_ = nullptr;
    fs::remove(worker_);
    fs::remove_all(imported_);
  }
  // A server on `dir` ("" = a fresh one).
  static void Start(const fs::path& dir) {
    ServerOptions options;
    options.max_body_bytes = kMaxBody;
    options.media_dir = imported_.string();
    h_ = new Harness(options, dir, [](EngineOptions* eo) {
      eo->uploads.pipeline.worker.binary = worker_;
      eo->uploads.pipeline.worker.wall_ms = 10'000;
    });
  }
  static std::string SignIn(const std::string& handle) {
    Reply r = h_->Post("/v1/auth/signin",
                       json({{"handle", handle}, {"password", kPassword}}).dump(), "");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.j.value("token", "");
  }
  // alice's post of a small file, once processed (10 s at most); its id.
  static std::string PostVideo() {
    const std::string bytes = "a small video file";
    Reply open = h_->Post(
        "/v1/uploads", json({{"size", bytes.size()}, {"type", "video/mp4"}}).dump(), alice_);
    EXPECT_EQ(open.status, 201) << open.body;
    const std::string id = open.j.value("id", "");
    httplib::Client client("127.0.0.1", h_->port());
    httplib::Result put = client.Put(
        "/v1/uploads/" + id,
        {{"Authorization", "Bearer " + alice_},
         {"Content-Range", absl::StrCat("bytes 0-", bytes.size() - 1, "/", bytes.size())}},
        bytes, "application/octet-stream");
    EXPECT_TRUE(put && put->status == 200);
    Reply done = h_->Post("/v1/uploads/" + id + "/complete", R"({"caption":"mine"})", alice_);
    EXPECT_EQ(done.status, 202) << done.body;
    const std::string video = done.j.value("video", "");
    for (int i = 0; i < 1000; ++i) {
      if (Mine(video).value("state", "processing") != "processing") return video;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "video " << video << " still processing";
    return video;
  }
  // alice's video `video` as GET /v1/me/videos lists it ({} if not listed).
  static json Mine(const std::string& video) {
    Reply r = h_->Get("/v1/me/videos", alice_);
    for (const json& v : r.j.value("videos", json::array())) {
      if (v["id"] == video) return v;
    }
    return json::object();
  }
  static void SetModeration(catalog::Moderation m) {
    catalog::Video v = h_->engine().store().GetVideo(video_).value();
    v.moderation = m;
    ASSERT_TRUE(h_->engine().store().PutVideo(v).ok());
  }
  // A GET with the given headers (no key unless given).
  static Got Fetch(const std::string& path, httplib::Headers headers = {}) {
    httplib::Client client("127.0.0.1", h_->port());
    httplib::Result r = client.Get(path, headers);
    if (!r) return {};
    return {r->status, r->body, r->get_header_value("Cache-Control")};
  }
  static httplib::Headers Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }
  static httplib::Headers Cookie(const std::string& token) {
    return {{"Cookie", "theme=dark; foryou_session=" + token}};
  }

  static inline Harness* h_ = nullptr;
  static inline std::string worker_, alice_, bob_, mona_, video_;
  static inline fs::path imported_;
};

TEST_F(ApiCreatorTest, EachVideoCarriesItsNumbersFromTheEventsAndTheySurviveARestart) {
  SetModeration(catalog::Moderation::kApproved);  // comments are taken on approved videos
  const int64_t now = common::WallMs();
  auto shown = [&](const std::string& user, const std::string& surface) {
    json e = {{"type", "impression"}, {"user", user}, {"time_ms", now}, {"video", video_},
              {"request_id", "r1"}, {"position", 0}};
    if (!surface.empty()) e["surface"] = surface;
    return e;
  };
  // Events of signed-up users (the ingest refuses unknown ones).
  json events = {shown("bob", "foryou"), shown("mona", "foryou"), shown("bob", "hashtag"),
                 shown("mona", "following"), shown("bob", "sound"), shown("mona", "tv"),
                 shown("bob", ""),
                 {{"type", "play"}, {"user", "bob"}, {"time_ms", now}, {"video", video_},
                  {"watch_ms", 4000}},
                 {{"type", "skip"}, {"user", "mona"}, {"time_ms", now}, {"video", video_},
                  {"watch_ms", 300}},
                 {{"type", "like"}, {"user", "bob"}, {"time_ms", now}, {"video", video_}},
                 {{"type", "share"}, {"user", "mona"}, {"time_ms", now}, {"video", video_}},
                 {{"type", "follow"}, {"user", "bob"}, {"time_ms", now}, {"video", video_},
                  {"creator", "alice"}},
                 {{"type", "follow"}, {"user", "mona"}, {"time_ms", now}, {"creator", "alice"}}};
  Reply sent = h_->Post("/v1/events", json({{"events", events}}).dump(), kAppKey);
  ASSERT_EQ(sent.status, 200) << sent.body;
  ASSERT_EQ(sent.j["accepted"], events.size()) << sent.body;
  ASSERT_EQ(h_->Post("/v1/videos/" + video_ + "/comments", R"({"user":"bob","text":"first"})",
                     bob_).status,
            201);
  const json want = {{"views", 7}, {"watch_ms", 4300}, {"likes", 1}, {"shares", 1},
                     {"comments", 1}, {"followers_gained", 1},
                     {"sources", {{"foryou", 2}, {"following", 1}, {"sound", 1}, {"hashtag", 1},
                                  {"profile", 0}, {"challenge", 0}, {"search", 0}, {"other", 2}}}};
  EXPECT_EQ(Mine(video_)["stats"], want);
  Reply totals = h_->Get("/v1/me/stats", alice_);
  ASSERT_EQ(totals.status, 200) << totals.body;
  EXPECT_EQ(totals.j["videos"], 1);
  EXPECT_EQ(totals.j["followers"], 2);
  EXPECT_EQ(totals.j["stats"], want);
  EXPECT_TRUE(IsError(h_->Get("/v1/me/stats", kAppKey), 400, "invalid_argument", "session"));

  // A restart applies nothing twice and loses nothing (the store and the log are on disk).
  h_->keep_dir();
  const std::string dir = h_->dir();
  delete h_;
  Start(dir);
  ASSERT_TRUE(h_->ok());
  EXPECT_EQ(Mine(video_)["stats"], want);
  EXPECT_EQ(h_->Get("/v1/me/stats", alice_).j["stats"], want);
}

TEST_F(ApiCreatorTest, MediaOfAVideoNotShownIsOnlyForItsCreatorAndModerators) {
  const std::string file = "/media/" + video_ + "/720.mp4";
  const Got missing = Fetch("/media/" + video_ + "/none.mp4");
  ASSERT_EQ(missing.status, 404);
  for (catalog::Moderation m : {catalog::Moderation::kPending, catalog::Moderation::kRemoved}) {
    SetModeration(m);
    SCOPED_TRACE(std::string(catalog::ModerationName(m)));
    // Anyone else: the answer to a missing file, so the video's existence does not show.
    const Got anonymous = Fetch(file);
    EXPECT_EQ(anonymous.status, 404);
    EXPECT_EQ(anonymous.body, missing.body);
    EXPECT_EQ(Fetch(file, Bearer(bob_)).status, 404);
    EXPECT_EQ(Fetch(file, Cookie(bob_)).status, 404);
    EXPECT_EQ(Fetch(file, {{"X-Api-Key", kAppKey}}).status, 404);
    EXPECT_EQ(Fetch(file, Bearer("fy1.not-a-token")).status, 404);
    EXPECT_EQ(Fetch("/media/" + video_ + "/cover.jpg").status, 404);
    // The creator (token or cookie, as the browser sends it) and moderators.
    const Got mine = Fetch(file, Cookie(alice_));
    EXPECT_EQ(mine.status, 200);
    EXPECT_EQ(mine.body, "rendition-720-bytes");
    EXPECT_EQ(mine.cache_control, "private, no-store");
    EXPECT_EQ(Fetch(file, Bearer(alice_)).status, 200);
    EXPECT_EQ(Fetch(file, Cookie(mona_)).status, 200);
    EXPECT_EQ(Fetch(file, {{"X-Api-Key", kAdminKey}}).status, 200);
    // Range still works for them.
    httplib::Headers range = Cookie(alice_);
    range.emplace("Range", "bytes=0-8");
    const Got part = Fetch(file, range);
    EXPECT_EQ(part.status, 206);
    EXPECT_EQ(part.body, "rendition");
  }
  for (catalog::Moderation m : {catalog::Moderation::kApproved, catalog::Moderation::kLimited}) {
    SetModeration(m);
    SCOPED_TRACE(std::string(catalog::ModerationName(m)));
    const Got shown = Fetch(file);
    EXPECT_EQ(shown.status, 200);
    EXPECT_EQ(shown.cache_control, "public, max-age=3600");
    const Got part = Fetch(file, {{"Range", "bytes=10-12"}});
    EXPECT_EQ(part.status, 206);
    EXPECT_EQ(part.body, "720");
    EXPECT_EQ(Fetch(file, Bearer(bob_)).status, 200);
  }
  // Files of --media-dir (the imported catalog) stay public.
  const Got imported = Fetch("/media/catalog-clip.mp4");
  EXPECT_EQ(imported.status, 200);
  EXPECT_EQ(imported.body, "imported");
}

}  // namespace
}  // namespace foryou::server
