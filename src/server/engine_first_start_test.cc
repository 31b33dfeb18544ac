// The Engine's first start under SIGKILL: a child process seeds a fresh data directory (catalog
// import, upload-time shift, events replayed through the real-time loop) and kills itself in
// the middle; the next start must redo the seeding from scratch, so the catalog, the time shift
// and the seeded log are exactly those of one uninterrupted start.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "server/engine.h"
#include "server/seeder.h"

namespace foryou::server {
namespace {

namespace fs = std::filesystem;

constexpr char kModelConfig[] = R"({"dim": 4, "hidden": [8],
    "features": ["video_id", "author_id", "user_id", "seq.long_view.video"]})";
constexpr int kUsers = 40, kVideos = 60, kViews = 300, kBatchEvents = 50;
constexpr int64_t kUploadMs = 1'600'000'000'000;     // 2020-09-13: far enough back that a second
constexpr int64_t kFirstViewMs = 1'650'000'000'000;  // shift lands years in the future

// Imports kUsers users and kVideos videos (one synced batch of users, then videos in batches
// of 10) and replays kViews views (impression + play) in batches of kBatchEvents events.
// Kills its own process (SIGKILL) before video batch `kill_at_video_batch` or event batch
// `kill_at_event_batch` (-1 = never).
class KillingSeeder : public Seeder {
 public:
  KillingSeeder(int kill_at_video_batch, int kill_at_event_batch, bool events = true)
      : kill_at_video_batch_(kill_at_video_batch),
        kill_at_event_batch_(kill_at_event_batch),
        events_(events) {}

  absl::StatusOr<Imported> ImportCatalog(int64_t, catalog::CatalogStore* store,
                                         std::ostream&) override {
    catalog::CatalogStore::Batch users;
    for (int u = 0; u < kUsers; ++u) users.users.push_back({.id = absl::StrCat("u", u)});
    for (int c = 0; c < 5; ++c) users.creators.push_back({.id = absl::StrCat("c", c)});
    FORYOU_RETURN_IF_ERROR(store->Write(users, /*sync=*/true));
    for (int b = 0; b * 10 < kVideos; ++b) {
      if (b == kill_at_video_batch_) ::raise(SIGKILL);
      catalog::CatalogStore::Batch videos;
      for (int v = b * 10; v < (b + 1) * 10; ++v) {
        catalog::Video video;
        video.id = absl::StrCat("v", v);
        video.creator = absl::StrCat("c", v % 5);
        video.hashtags = {"cats"};
        video.duration_ms = 15'000;
        video.upload_ms = kUploadMs;
        video.moderation = catalog::Moderation::kApproved;
        videos.videos.push_back(video);
      }
      FORYOU_RETURN_IF_ERROR(store->Write(videos, /*sync=*/true));
    }
    return Imported{.videos = kVideos, .users = kUsers};
  }

  bool has_events() const override { return events_; }
  absl::StatusOr<int64_t> LastEventMs() override { return kFirstViewMs + (kViews - 1) * 1000; }

  absl::Status ReplayEvents(int64_t shift_ms, int64_t, const model::Catalog&, const Ingest& ingest,
                            uint64_t* rows) override {
    std::vector<stream::Event> batch;
    int batches = 0;
    *rows = 0;
    for (int i = 0; i < kViews; ++i) {
      stream::Event imp;
      imp.type = stream::EventType::kImpression;
      imp.user = absl::StrCat("u", i % kUsers);
      imp.video = absl::StrCat("v", i % kVideos);
      imp.request_id = absl::StrCat("r", i);
      imp.time_ms = kFirstViewMs + i * 1000 + shift_ms;
      stream::Event play = imp;
      play.type = stream::EventType::kPlay;
      play.watch_ms = 5'000;
      batch.push_back(imp);
      batch.push_back(play);
      ++*rows;
      if (batch.size() >= kBatchEvents) {
        if (batches++ == kill_at_event_batch_) ::raise(SIGKILL);
        FORYOU_RETURN_IF_ERROR(ingest(batch));
        batch.clear();
      }
    }
    return batch.empty() ? absl::OkStatus() : ingest(batch);
  }

 private:
  const int kill_at_video_batch_, kill_at_event_batch_;
  const bool events_;
};

class EngineFirstStartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/engine_first_start_" + std::to_string(::getpid());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  EngineOptions Options(std::shared_ptr<Seeder> seeder) const {
    EngineOptions o;
    o.data_dir = dir_;
    o.model_config_json = kModelConfig;
    o.seeder = std::move(seeder);
    return o;
  }

  // Starts an Engine with a KillingSeeder in a child process, which must die of SIGKILL.
  void StartAndDie(int kill_at_video_batch, int kill_at_event_batch) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::ostringstream progress;
      auto e = Engine::Open(
          Options(std::make_shared<KillingSeeder>(kill_at_video_batch, kill_at_event_batch)),
          progress);
      ::_exit(e.ok() ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child was to be killed while seeding, status " << status;
  }

  // Uploads moved once, by the shift that makes the last view a minute before a start between
  // `before` and `after`.
  void ExpectShiftedOnce(Engine& e, int64_t before, int64_t after) {
    const int64_t last = kFirstViewMs + (kViews - 1) * 1000;
    const int64_t min_shift = before - 60'000 - last, max_shift = after - 60'000 - last;
    int videos = 0;
    ASSERT_TRUE(e.store()
                    .ForEachVideo([&](const catalog::Video& v) {
                      ++videos;
                      EXPECT_GE(v.upload_ms - kUploadMs, min_shift) << v.id;
                      EXPECT_LE(v.upload_ms - kUploadMs, max_shift) << v.id;
                    })
                    .ok());
    EXPECT_EQ(videos, kVideos);
  }

  std::string dir_;
};

TEST_F(EngineFirstStartTest, AStartKilledWhileSeedingIsRedoneFromScratch) {
  StartAndDie(/*kill_at_video_batch=*/3, -1);  // half the videos imported
  StartAndDie(-1, /*kill_at_event_batch=*/4);  // catalog shifted, 200 of 600 events logged

  std::ostringstream progress;
  const int64_t before = common::WallMs();
  auto engine = Engine::Open(Options(std::make_shared<KillingSeeder>(-1, -1)), progress);
  ASSERT_TRUE(engine.ok()) << engine.status();
  const int64_t after = common::WallMs();
  Engine& e = **engine;
  EXPECT_FALSE(fs::exists(dir_ + "/" + kSeedingMarker));
  EXPECT_EQ(e.store().num_users(), static_cast<uint64_t>(kUsers));
  EXPECT_EQ(e.store().num_videos(), static_cast<uint64_t>(kVideos));
  EXPECT_EQ(e.report().seeded_events, 2u * kViews);
  EXPECT_EQ(e.loop().log().EndOffset(), 2u * kViews);
  ExpectShiftedOnce(e, before, after);
  e.Stop();
  engine->reset();

  // A clean restart seeds nothing more.
  auto again = Engine::Open(Options(std::make_shared<KillingSeeder>(-1, -1)), progress);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->report().seeded_events, 0u);
  EXPECT_EQ((*again)->loop().log().EndOffset(), 2u * kViews);
}

TEST_F(EngineFirstStartTest, AShiftAppliedToAnEarlierCatalogIsUndoneBeforeTheRedo) {
  std::ostringstream progress;
  {
    // A catalog imported by an earlier, complete start without events.
    auto engine = Engine::Open(Options(std::make_shared<KillingSeeder>(-1, -1, false)), progress);
    ASSERT_TRUE(engine.ok()) << engine.status();
  }
  // Its log removed: the next start with events seeds into that catalog.
  for (const char* sub : {"/log", "/snapshots", "/late"}) fs::remove_all(dir_ + sub);
  StartAndDie(-1, /*kill_at_event_batch=*/2);  // shifted that catalog, then died
  const int64_t before = common::WallMs();
  auto engine = Engine::Open(Options(std::make_shared<KillingSeeder>(-1, -1)), progress);
  ASSERT_TRUE(engine.ok()) << engine.status();
  ExpectShiftedOnce(**engine, before, common::WallMs());
  EXPECT_EQ((*engine)->loop().log().EndOffset(), 2u * kViews);
}

TEST_F(EngineFirstStartTest, AnInterruptedFirstStartWithoutSeedDataIsRefused) {
  StartAndDie(-1, /*kill_at_event_batch=*/2);
  std::ostringstream progress;
  auto engine = Engine::Open(Options(nullptr), progress);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(engine.status().message().find(kSeedingMarker), absl::string_view::npos);
}

}  // namespace
}  // namespace foryou::server
