// The upload routes end to end: a real Engine and server, real RocksDB stores and a stand-in
// media worker (a shell script written here that follows the worker protocol): chunks, offsets,
// resuming, limits, completion, processing into the catalog and the media route, a refused input,
// duet permissions, a full disk, and the public list of effects.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>

#include "common/file_util.h"
#include "media/effects.h"
#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

namespace fs = std::filesystem;

constexpr char kPassword[] = "uploads-test-password";

// The stand-in worker: refuses an input starting with "BAD" (exit 2), else writes two renditions,
// a cover and (unless the input starts with "SILENT", or the post borrowed a sound) the clip's
// own sound, and reports them.
constexpr char kWorker[] = R"sh(#!/bin/sh
job="$3"; result="$5"
input=$(sed -n 's/.*"input":"\([^"]*\)".*/\1/p' "$job")
out=$(sed -n 's/.*"out_dir":"\([^"]*\)".*/\1/p' "$job")
if [ "$(head -c 3 "$input")" = BAD ]; then
  echo '{"error":"duration 700 s is over the limit of 600 s"}' > "$result"; exit 2
fi
printf 'rendition-720-bytes' > "$out/720.mp4"; printf 'r360' > "$out/360.mp4"
printf 'jpeg' > "$out/cover.jpg"
sound=''
if [ "$(head -c 6 "$input")" != SILENT ] && grep -q '"sound_input":""' "$job"; then
  printf 'm4a' > "$out/sound.m4a"; sound=',"sound":"sound.m4a"'
fi
echo '{"duration_ms":4200,"width":1280,"height":720,"video_codec":"h264","audio_codec":"aac","has_audio":true,"mean_luma":96.5,"audio_peak_dbfs":-12.0,"renditions":[{"height":720,"file":"720.mp4"},{"height":360,"file":"360.mp4"}],"cover":"cover.jpg","posters":[],"frame_hashes":["0123456789abcdef","fedcba9876543210"]'"$sound"'}' > "$result"
)sh";

class ApiUploadsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    worker_ = (fs::temp_directory_path() / absl::StrCat("foryou_api_worker_", ::getpid(), ".sh"))
                  .string();
    std::ofstream(worker_) << kWorker;
    ::chmod(worker_.c_str(), 0755);
    // Imported media served at /media/ beside the processed uploads (serve --media-dir).
    media_dir_ = (fs::temp_directory_path() / absl::StrCat("foryou_api_media_", ::getpid()))
                     .string();
    fs::create_directories(media_dir_ + "/imported");
    ServerOptions options;
    options.max_body_bytes = kMaxBody;
    options.media_dir = media_dir_;
    h_ = new Harness(options, {}, [](EngineOptions* eo) {
      eo->uploads.pipeline.worker.binary = worker_;
      eo->uploads.pipeline.worker.wall_ms = 10'000;
      eo->uploads.limits.max_bytes = 1 << 20;
    });
    ASSERT_TRUE(h_->ok());
    for (const char* handle : {"alice", "bob"}) {
      Reply r = h_->Post("/v1/auth/signup",
                         json({{"handle", handle}, {"password", kPassword},
                               {"interests", {"cats"}}}).dump(), "");
      ASSERT_EQ(r.status, 201) << r.body;
      (std::string(handle) == "alice" ? alice_ : bob_) = r.j["token"].get<std::string>();
    }
  }
  static void TearDownTestSuite() {
    delete h_;
    h_ = nullptr;
    fs::remove(worker_);
    fs::remove_all(media_dir_);
  }

  // PUT of one chunk with its Content-Range.
  static Reply Put(const std::string& id, uint64_t first, const std::string& bytes, uint64_t size,
                   const std::string& token = alice_) {
    httplib::Client client("127.0.0.1", h_->port());
    httplib::Headers headers = {
        {"Authorization", "Bearer " + token},
        {"Content-Range", absl::StrCat("bytes ", first, "-", first + bytes.size() - 1, "/", size)}};
    httplib::Result r = client.Put("/v1/uploads/" + id, headers, bytes, "application/octet-stream");
    Reply reply;
    if (!r) return reply;
    reply.status = r->status;
    reply.body = r->body;
    reply.j = json::parse(r->body, nullptr, false);
    return reply;
  }
  static std::string Open(uint64_t size, const std::string& token = alice_) {
    Reply r = h_->Post("/v1/uploads", json({{"size", size}, {"type", "video/mp4"}}).dump(), token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.j.is_object() ? r.j.value("id", "") : "";
  }
  // An upload of `bytes`, sent in one chunk and completed with `post`.
  static Reply Post(const std::string& bytes, const json& post = json::object()) {
    const std::string id = Open(bytes.size());
    EXPECT_EQ(Put(id, 0, bytes, bytes.size()).status, 200);
    return h_->Post("/v1/uploads/" + id + "/complete", post.dump(), alice_);
  }
  // alice's video `id` from GET /v1/me/videos once its job has ended (10 s at most).
  static json WhenProcessed(const std::string& id) {
    for (int i = 0; i < 1000; ++i) {
      Reply r = h_->Get("/v1/me/videos", alice_);
      for (const json& v : r.j.value("videos", json::array())) {
        if (v["id"] == id && v["state"] != "processing") return v;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "video " << id << " still processing";
    return json::object();
  }

  static inline Harness* h_ = nullptr;
  // An imported, approved video whose media_url names `media_url` (a file under --media-dir
  // when it starts with /media/imported/, which is written here).
  static void Import(int v, const std::string& media_url) {
    json video = json::parse(VideoJson(v));
    video["media_url"] = media_url;
    ASSERT_EQ(h_->Post("/v1/videos", video.dump(), kAdminKey).status, 201);
    const std::string prefix = "/media/imported/";
    if (media_url.rfind(prefix, 0) == 0) {
      std::ofstream(media_dir_ + "/imported/" + media_url.substr(prefix.size())) << "mp4 bytes";
    }
  }
  static void Approve(const std::string& video) {
    Reply r = h_->Patch("/v1/videos/" + video, R"({"moderation":"approved"})", kAdminKey);
    EXPECT_EQ(r.status, 200) << r.body;
  }
  // Whether a post was left without trace: the upload still open, no video, no job.
  static void ExpectNothingCreated(const std::string& upload) {
    Reply state = h_->Get("/v1/uploads/" + upload, alice_);
    EXPECT_EQ(state.j["state"], "open") << state.body;
    const std::string video = "vu-" + upload.substr(3);
    EXPECT_TRUE(absl::IsNotFound(h_->engine().store().GetVideo(video).status()));
    EXPECT_TRUE(absl::IsNotFound(h_->engine().uploads().queue().JobOfVideo(video).status()));
  }
  // An upload of `bytes`, every byte sent, not completed.
  static std::string Uploaded(const std::string& bytes) {
    const std::string id = Open(bytes.size());
    EXPECT_EQ(Put(id, 0, bytes, bytes.size()).status, 200);
    return id;
  }

  static inline std::string worker_, media_dir_, alice_, bob_;
};

TEST_F(ApiUploadsTest, ChunksWithAWrongOffsetAre409AndAClientResumesFromTheServersOffset) {
  const std::string id = Open(10);
  Reply first = Put(id, 0, "abcd", 10);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.j["received"], 4);
  // A chunk past what the server has: 409 with the offset to continue from.
  Reply skip = Put(id, 6, "ghij", 10);
  EXPECT_TRUE(IsError(skip, 409, "conflict", "has 4 bytes"));
  EXPECT_EQ(skip.j["received"], 4);
  // The answer to the next chunk is "lost": the client asks where the server is, and continues.
  ASSERT_EQ(Put(id, 4, "ef", 10).status, 200);
  Reply state = h_->Get("/v1/uploads/" + id, alice_);
  ASSERT_EQ(state.status, 200) << state.body;
  EXPECT_EQ(state.j["received"], 6);
  EXPECT_EQ(state.j["state"], "open");
  EXPECT_EQ(Put(id, 4, "ef", 10).status, 409);  // the resent chunk is refused, nothing doubled
  Reply last = Put(id, 6, "ghij", 10);
  EXPECT_EQ(last.j["received"], 10);
  EXPECT_EQ(common::ReadFile(h_->engine().uploads().store().FilePath(id)).value(), "abcdefghij");
  // Another account does not see it; a key has no account to own uploads.
  EXPECT_TRUE(IsError(h_->Get("/v1/uploads/" + id, bob_), 404, "not_found"));
  EXPECT_TRUE(IsError(h_->Get("/v1/uploads/" + id, kAppKey), 403, "permission_denied", "signed-in"));
}

TEST_F(ApiUploadsTest, SizeTypeAndRangeLimitsAreRefusedWithClearErrors) {
  auto open = [](json body) { return h_->Post("/v1/uploads", body.dump(), alice_); };
  EXPECT_TRUE(IsError(open({{"size", 2 << 20}, {"type", "video/mp4"}}), 413, "payload_too_large",
                      "over the upload limit"));
  EXPECT_TRUE(IsError(open({{"size", 10}, {"type", "image/png"}}), 400, "invalid_argument", "type"));
  EXPECT_TRUE(IsError(open({{"size", -1}, {"type", "video/mp4"}}), 400, "invalid_argument", "size"));
  EXPECT_TRUE(IsError(open({{"type", "video/mp4"}}), 400, "invalid_argument", "size"));
  const std::string id = Open(10);
  EXPECT_TRUE(IsError(Put(id, 0, "abcd", 11), 400, "invalid_argument", "size 11"));
  EXPECT_TRUE(IsError(Put(id, 8, "abcd", 10), 400, "invalid_argument", "Content-Range"));
  // The largest chunk a client may send is the server's body limit here (below the store's).
  EXPECT_EQ(h_->Get("/v1/uploads/" + id, alice_).j["chunk_bytes"], kMaxBody);
}

TEST_F(ApiUploadsTest, CompletingBeforeEveryByteArrivedIs409) {
  const std::string id = Open(10);
  ASSERT_EQ(Put(id, 0, "abcd", 10).status, 200);
  Reply early = h_->Post("/v1/uploads/" + id + "/complete", "{}", alice_);
  EXPECT_TRUE(IsError(early, 409, "conflict", "4 of 10 bytes"));
  EXPECT_EQ(early.j["received"], 4);
}

TEST_F(ApiUploadsTest, ACompletedUploadIsProcessedIntoAFreshVideoWithItsMedia) {
  Reply done = Post("a small video file",
                    {{"caption", "my first post"}, {"hashtags", {"#Cats", "fun"}},
                     {"allow_stitch", false}, {"challenge", "dancechallenge"}});
  ASSERT_EQ(done.status, 202) << done.body;
  EXPECT_EQ(done.j["state"], "processing");
  const std::string video = done.j["video"];
  json v = WhenProcessed(video);
  EXPECT_EQ(v["state"], "limited") << v.dump();
  EXPECT_EQ(v["reason"], "");
  EXPECT_GT(v["processed_ms"].get<int64_t>(), 0);
  EXPECT_EQ(v["creator"], "alice");
  EXPECT_EQ(v["caption"], "my first post");
  EXPECT_EQ(v["hashtags"], json({"cats", "fun", "dancechallenge"}));
  EXPECT_EQ(v["duration_ms"], 4200);
  EXPECT_EQ(v["allow_stitch"], false);
  EXPECT_EQ(v["frame_hash"], "0123456789abcdef,fedcba9876543210");
  EXPECT_EQ(v["media_url"], "/media/" + video + "/720.mp4");
  EXPECT_EQ(v["media_url_360"], "/media/" + video + "/360.mp4");
  EXPECT_EQ(v["cover_url"], "/media/" + video + "/cover.jpg");
  // The media route serves the rendition with Range.
  httplib::Client client("127.0.0.1", h_->port());
  httplib::Result part = client.Get(v["media_url"].get<std::string>(), {{"Range", "bytes=0-8"}});
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, "rendition");
  // The catalog has it; the job is done.
  EXPECT_EQ(h_->engine().store().GetVideo(video).value().moderation, catalog::Moderation::kLimited);
  EXPECT_EQ(h_->engine().uploads().queue().JobOfVideo(video).value().state,
            uploads::JobState::kDone);
}

TEST_F(ApiUploadsTest, ARefusedInputLeavesTheVideoOutOfEveryFeedWithTheReasonForItsCreator) {
  Reply done = Post("BAD: ten minutes of video", {{"caption", "too long"}});
  ASSERT_EQ(done.status, 202) << done.body;
  const std::string video = done.j["video"];
  json v = WhenProcessed(video);
  EXPECT_EQ(v["state"], "failed");
  EXPECT_EQ(v["reason"], "worker refused the input: duration 700 s is over the limit of 600 s");
  EXPECT_EQ(v["moderation"], "pending");
  // Pending: not public, and not reachable by anyone without a key or session.
  EXPECT_EQ(h_->Get("/v1/videos/" + video, "").status, 404);
}

TEST_F(ApiUploadsTest, DuetsAndStitchesNeedAnExistingOriginalThatAllowsThem) {
  json original = json::parse(VideoJson(900));
  original["allow_duet"] = false;
  original["media_url"] = "/media/imported/v900.mp4";
  std::ofstream(media_dir_ + "/imported/v900.mp4") << "mp4 bytes";
  ASSERT_EQ(h_->Post("/v1/videos", original.dump(), kAdminKey).status, 201);
  EXPECT_TRUE(IsError(Post("x", {{"duet_of", "v900"}}), 403, "permission_denied",
                      "does not allow duets"));
  EXPECT_TRUE(IsError(Post("x", {{"duet_of", "nope"}}), 400, "invalid_argument", "duet_of"));
  EXPECT_TRUE(IsError(Post("x", {{"sound", "nope"}}), 400, "invalid_argument", "sound"));
  EXPECT_TRUE(IsError(Post("x", {{"effect", "Bad Name"}}), 400, "invalid_argument", "effect"));
  EXPECT_TRUE(IsError(Post("x", {{"caption", std::string(2201, 'c')}}), 400, "invalid_argument",
                      "caption"));
  EXPECT_TRUE(IsError(Post("x", {{"colour", "red"}}), 400, "invalid_argument", "unknown field"));
  Reply stitch = Post("a stitch", {{"stitch_of", "v900"}});
  EXPECT_EQ(stitch.status, 202) << stitch.body;
  EXPECT_EQ(h_->engine().store().GetVideo(stitch.j["video"].get<std::string>()).value().stitch_of,
            "v900");
}

TEST_F(ApiUploadsTest, AFullDiskIs507AndTheChunkIsNotRecorded) {
  ::signal(SIGXFSZ, SIG_IGN);
  const std::string id = Open(4096);
  ASSERT_EQ(Put(id, 0, std::string(1000, 'a'), 4096).status, 200);
  rlimit lim;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &lim), 0);
  const rlim_t unlimited = lim.rlim_cur;
  lim.rlim_cur = 1500;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  Reply full = Put(id, 1000, std::string(1000, 'b'), 4096);
  lim.rlim_cur = unlimited;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  EXPECT_TRUE(IsError(full, 507, "insufficient_storage", "disk is full"));
  EXPECT_EQ(h_->Get("/v1/uploads/" + id, alice_).j["received"], 1000);
  EXPECT_EQ(Put(id, 1000, std::string(1000, 'b'), 4096).j["received"], 2000);
}

TEST_F(ApiUploadsTest, AProcessedUploadGetsItsOwnSoundThatALaterPostUses) {
  Reply first = Post("a clip with its own audio", {{"caption", "original"}});
  ASSERT_EQ(first.status, 202) << first.body;
  const std::string video = first.j["video"];
  const std::string sound = "so-" + video.substr(3);
  json v = WhenProcessed(video);
  EXPECT_EQ(v["reason"], "") << v.dump();
  EXPECT_EQ(v["sound"], sound) << v.dump();
  Approve(video);  // the stand-in's frame hashes repeat: duplicate checks may hold it pending
  // The sound page (public) has its audio and names the video it came from.
  Reply page = h_->Get("/v1/sounds/" + sound, "");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.j["title"], "original sound - alice");
  EXPECT_EQ(page.j["creator"], "alice");
  EXPECT_EQ(page.j["audio_url"], "/media/" + video + "/sound.m4a");
  EXPECT_EQ(page.j["original_video"], video);
  ASSERT_TRUE(page.j["original"].is_object()) << page.body;
  EXPECT_EQ(page.j["original"]["video"]["id"], video);
  EXPECT_EQ(page.j["original"]["creator"]["id"], "alice");
  httplib::Client client("127.0.0.1", h_->port());
  httplib::Result audio = client.Get(page.j["audio_url"].get<std::string>());
  ASSERT_TRUE(audio);
  EXPECT_EQ(audio->status, 200);

  // "Use this sound": the job gets the sound's file; the post keeps that sound, not one of its own.
  Reply second = Post("another clip", {{"sound", sound}});
  ASSERT_EQ(second.status, 202) << second.body;
  const std::string reuse = second.j["video"];
  EXPECT_EQ(h_->engine().uploads().queue().JobOfVideo(reuse).value().spec.sound_input,
            h_->dir() + "/media/" + video + "/sound.m4a");
  json r = WhenProcessed(reuse);
  EXPECT_EQ(r["reason"], "") << r.dump();
  EXPECT_EQ(r["sound"], sound);
  EXPECT_TRUE(absl::IsNotFound(h_->engine().store().GetSound("so-" + reuse.substr(3)).status()));

  // Once its video is removed the sound is not offered any more.
  ASSERT_EQ(h_->Patch("/v1/videos/" + video, R"({"moderation":"removed"})", kAdminKey).status, 200);
  const std::string upload = Uploaded("a third clip");
  Reply gone =
      h_->Post("/v1/uploads/" + upload + "/complete", json({{"sound", sound}}).dump(), alice_);
  EXPECT_TRUE(IsError(gone, 400, "invalid_argument", "sound: no sound '" + sound + "'"))
      << gone.body;
  ExpectNothingCreated(upload);
}

TEST_F(ApiUploadsTest, AClipWithoutAudioGetsNoSound) {
  Reply done = Post("SILENT clip");
  ASSERT_EQ(done.status, 202) << done.body;
  const std::string video = done.j["video"];
  json v = WhenProcessed(video);
  EXPECT_EQ(v["reason"], "") << v.dump();
  EXPECT_GT(v["processed_ms"].get<int64_t>(), 0);
  EXPECT_EQ(v["sound"], "");
  EXPECT_TRUE(absl::IsNotFound(h_->engine().store().GetSound("so-" + video.substr(3)).status()));
}

TEST_F(ApiUploadsTest, ASoundWithoutAudioIsRefusedAndNothingIsCreated) {
  Import(910, "https://cdn.example/v910.mp4");  // creates its sound, a name without audio
  const std::string sound = h_->engine().store().GetVideo("v910").value().sound;
  ASSERT_FALSE(sound.empty());
  const std::string upload = Uploaded("a clip");
  Reply r =
      h_->Post("/v1/uploads/" + upload + "/complete", json({{"sound", sound}}).dump(), alice_);
  EXPECT_TRUE(IsError(r, 400, "invalid_argument",
                      absl::StrCat("sound: sound '", sound, "' has no audio to use")))
      << r.body;
  ExpectNothingCreated(upload);
  // A duet or a stitch keeps its own audio.
  Import(911, "/media/imported/v911.mp4");
  Reply both = h_->Post("/v1/uploads/" + upload + "/complete",
                        json({{"sound", sound}, {"duet_of", "v911"}}).dump(), alice_);
  EXPECT_TRUE(IsError(both, 400, "invalid_argument", "sound: a duet or a stitch")) << both.body;
  ExpectNothingCreated(upload);
}

TEST_F(ApiUploadsTest, AnUnknownEffectIsRefusedAndNothingIsCreated) {
  // The server's list of effects is the worker's (media::Effects()).
  const std::string upload = Uploaded("a clip");
  Reply r =
      h_->Post("/v1/uploads/" + upload + "/complete", json({{"effect", "nope"}}).dump(), alice_);
  EXPECT_TRUE(IsError(r, 400, "invalid_argument", "effect: no effect named 'nope'")) << r.body;
  ExpectNothingCreated(upload);
  ASSERT_FALSE(media::Effects().empty());
  Reply known = h_->Post("/v1/uploads/" + upload + "/complete",
                         json({{"effect", media::Effects().front().name}}).dump(), alice_);
  EXPECT_EQ(known.status, 202) << known.body;
}

TEST_F(ApiUploadsTest, ADuetOfAnImportedVideoUsesItsMediaDirFileAndCreditsIt) {
  Import(920, "/media/imported/v920.mp4");
  Import(921, "https://cdn.example/v921.mp4");  // no file this server has
  Import(922, "/media/imported/../v920.mp4");   // not a plain path under /media/
  for (const auto& [field, id, what] :
       {std::tuple{"duet_of", "v921", "duet"}, std::tuple{"stitch_of", "v921", "stitch"},
        std::tuple{"duet_of", "v922", "duet"}}) {
    const std::string upload = Uploaded("a reply");
    Reply r = h_->Post("/v1/uploads/" + upload + "/complete", json({{field, id}}).dump(), alice_);
    EXPECT_TRUE(IsError(r, 409, "conflict",
                        absl::StrCat(field, ": video '", id, "' has no media to ", what)))
        << r.body;
    ExpectNothingCreated(upload);
  }
  Reply duet = Post("a duet", {{"duet_of", "v920"}});
  ASSERT_EQ(duet.status, 202) << duet.body;
  const std::string video = duet.j["video"];
  const uploads::Job job = h_->engine().uploads().queue().JobOfVideo(video).value();
  EXPECT_EQ(job.spec.duet_input, media_dir_ + "/imported/v920.mp4");
  EXPECT_EQ(job.spec.lane, uploads::Lane::kLong);
  EXPECT_EQ(WhenProcessed(video)["reason"], "");
  Approve(video);  // the stand-in's frame hashes repeat: duplicate checks may hold it pending
  // The original's page counts its live duets and stitches.
  Reply page = h_->Get("/v1/videos/v920", kAppKey);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.j["duets"], 1);
  EXPECT_EQ(page.j["stitches"], 0);
  EXPECT_EQ(h_->Get("/v1/videos/" + video, alice_).j["duet_of"], "v920");
}

TEST_F(ApiUploadsTest, EffectsArePublicInThePickersOrderWithTheirTitles) {
  Reply r = h_->Get("/v1/effects", "");
  ASSERT_EQ(r.status, 200) << r.body;
  const json& list = r.j["effects"];
  ASSERT_EQ(list.size(), media::Effects().size());
  for (size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i], json({{"name", media::Effects()[i].name},
                             {"title", media::Effects()[i].title}}));
  }
  EXPECT_EQ(list[0]["name"], "vivid");
  EXPECT_EQ(list[0]["title"], "Vivid colours");
}

}  // namespace
}  // namespace foryou::server
