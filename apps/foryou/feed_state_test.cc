// The feed state of two processes on one event topic (librdkafka's mock cluster): each applies
// the events the other ingested (seen set, "not interested", engagement), its own exactly once,
// and a process started from a snapshot rebuilds it from the events before the snapshot's
// position too (docs/design/kafka_roles.md, "Feed state"). Engines as `serve --kafka` wires them.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/id_key.h"
#include "gtest/gtest.h"
#include "kafka/kafka_event_source.h"
#include "kafka/mock_cluster.h"
#include "server/engine.h"
#include "stream/event.h"

namespace foryou::app {
namespace {

namespace fs = std::filesystem;

constexpr char kTopic[] = "events";
constexpr char kTinyModel[] = R"({"dim": 4, "hidden": [8],
    "features": ["video_id", "user_id", "seq.long_view.video"]})";
constexpr int kVideos = 30;

class FeedStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / absl::StrCat("feed_state_test_", ::getpid());
    fs::remove_all(dir_);
    auto cluster = kafka::MockKafkaCluster::Start(1);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(cluster_->CreateTopic(kTopic, 2).ok());
    a_ = OpenEngine("a");
    b_ = OpenEngine("b");
    ASSERT_TRUE(a_ && b_);
    a_->loop().Start();
    b_->loop().Start();
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    fs::remove_all(dir_);
  }

  // An Engine on the topic (as UseKafkaEventStream wires `serve --kafka`) with the same catalog
  // as the other: user u1, videos v0..v29 by creators c0..c9.
  // A catalog already in the data directory (a restart, a copied one) is kept.
  std::unique_ptr<server::Engine> OpenEngine(const std::string& name,
                                             const std::string& snapshot_dir = "") {
    server::EngineOptions o;
    o.data_dir = (dir_ / name).string();
    o.snapshot_dir = snapshot_dir;
    o.model_config_json = kTinyModel;
    o.fsync = stream::FsyncPolicy::kNever;
    o.snapshot_interval_ms = 3600'000;
    kafka::KafkaLogOptions log;
    log.bootstrap = cluster_->bootstrap();
    log.topic = kTopic;
    auto sink = kafka::KafkaEventSink::Open(log);
    EXPECT_TRUE(sink.ok()) << sink.status();
    if (!sink.ok()) return nullptr;
    o.event_sink = std::move(*sink);
    kafka::KafkaReaderOptions reader;
    reader.bootstrap = log.bootstrap;
    reader.topic = kTopic;
    reader.config = {{"fetch.wait.max.ms", "10"}};
    o.event_source = [reader](std::string_view position)
        -> absl::StatusOr<std::unique_ptr<stream::EventSource>> {
      auto source = kafka::KafkaEventSource::Open(reader, position);
      if (!source.ok()) return source.status();
      return std::unique_ptr<stream::EventSource>(std::move(*source));
    };
    auto engine = server::Engine::Open(o, std::cerr);
    EXPECT_TRUE(engine.ok()) << engine.status();
    if (!engine.ok()) return nullptr;
    if ((*engine)->store().num_videos() > 0) return std::move(*engine);
    const int64_t now = common::WallMs();
    for (int v = 0; v < kVideos; ++v) {
      catalog::Video video;
      video.id = absl::StrCat("v", v);
      video.creator = absl::StrCat("c", v % 10);
      video.hashtags = {absl::StrCat("tag", v % 4)};
      video.duration_ms = 15'000;
      video.upload_ms = now - 30LL * 86'400'000 - v;
      video.moderation = catalog::Moderation::kApproved;
      EXPECT_TRUE((*engine)->feed().CreateVideo(video).ok());
    }
    EXPECT_TRUE((*engine)->feed().CreateUser({.id = "u1", .country = "US"}).ok());
    return std::move(*engine);
  }

  // What POST /v1/events does with an accepted batch: resolve, append (acknowledged once in
  // the topic), then apply to this process's feed at once.
  static void Ingest(server::Engine& engine, const std::vector<stream::Event>& events) {
    std::vector<stream::Event> resolved = events;
    for (stream::Event& e : resolved) ASSERT_TRUE(engine.feed().ResolveEvent(&e).ok());
    const int64_t now = common::WallMs();
    ASSERT_TRUE(engine.loop().Ingest(resolved, now).ok());
    engine.feed().Observe(events);
  }

  static stream::Event Event(stream::EventType type, const std::string& video) {
    stream::Event e{.type = type, .user = "u1", .time_ms = common::WallMs(),
                    .request_id = "elsewhere", .video = video};
    if (type == stream::EventType::kImpression) e.surface = "foryou";
    return e;
  }

  // Polls `done` until it holds or `ms` passed; returns the time it took, or -1.
  static int64_t Within(int64_t ms, const std::function<bool()>& done) {
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::milliseconds(ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - start)
        .count();
  }

  static uint64_t CreatorOf(server::Engine& engine, const std::string& video) {
    const auto index = engine.feed().index();
    const feed::VideoEntry* entry = index->Find(common::VideoKey(video));
    return entry == nullptr ? 0 : entry->proto.creator;
  }
  static int NotInterestedIn(server::Engine& engine, const std::string& video) {
    const feed::UserSession s = engine.feed().SessionOf("u1");
    auto it = s.not_interested.creators.find(CreatorOf(engine, video));
    return it == s.not_interested.creators.end() ? 0 : it->second;
  }
  // Both loops have read every record of the topic (`n` in all).
  void ReadAll(uint64_t n) {
    ASSERT_GE(Within(5000,
                     [&] {
                       return a_->loop().stats().events_read >= n &&
                              b_->loop().stats().events_read >= n;
                     }),
              0);
  }

  fs::path dir_;
  std::unique_ptr<kafka::MockKafkaCluster> cluster_;
  std::unique_ptr<server::Engine> a_, b_;
};

TEST_F(FeedStateTest, EventsIngestedByOneProcessReachTheOthersFeedWithinASecond) {
  const uint64_t v3 = common::VideoKey("v3");
  Ingest(*a_, {Event(stream::EventType::kImpression, "v3"),
               Event(stream::EventType::kNotInterested, "v7")});
  const int64_t ms = Within(1000, [&] {
    return b_->feed().ShownVideos("u1").contains(v3) && NotInterestedIn(*b_, "v7") == 1;
  });
  EXPECT_GE(ms, 0) << "the other process's seen set and not-interested did not follow";
  std::cerr << "feed state on the other process after " << ms << " ms\n";

  // The video seen through A is never served by B.
  for (int page = 0; page < 2; ++page) {
    auto served = b_->feed().Feed("u1", 10, common::WallMs());
    ASSERT_TRUE(served.ok()) << served.status();
    EXPECT_FALSE(served->items.empty());
    for (const feed::FeedItem& item : served->items) {
      EXPECT_NE(item.candidate.video_key, v3) << "page " << page;
    }
  }

  // The other way, then once both read everything: each event counted once in each process.
  Ingest(*b_, {Event(stream::EventType::kNotInterested, "v11")});
  EXPECT_GE(Within(1000, [&] { return NotInterestedIn(*a_, "v11") == 1; }), 0);
  ReadAll(3);
  for (server::Engine* e : {a_.get(), b_.get()}) {
    EXPECT_EQ(NotInterestedIn(*e, "v7"), 1);
    EXPECT_EQ(NotInterestedIn(*e, "v11"), 1);
    EXPECT_EQ(e->feed().SessionOf("u1").impressions, 1u);
    EXPECT_EQ(e->feed().engagement().events(), 3u);
    EXPECT_EQ(e->feed().engagement().Counts(v3).impressions, 1u);
  }
}

TEST_F(FeedStateTest, AProcessStartedFromASnapshotRebuildsTheFeedStateBeforeItsPosition) {
  // Before the snapshot: ten impressions (v0..v9) and a "not interested" in v7, through A.
  std::vector<stream::Event> before;
  for (int v = 0; v < 10; ++v) {
    before.push_back(Event(stream::EventType::kImpression, absl::StrCat("v", v)));
  }
  before.push_back(Event(stream::EventType::kNotInterested, "v7"));
  Ingest(*a_, before);
  ReadAll(before.size());
  a_->loop().Stop();
  ASSERT_TRUE(a_->loop().Snapshot().ok());
  const uint64_t position = a_->loop().ledger().events;
  ASSERT_EQ(position, before.size());
  // After it: one more impression (v10), through B; the restarted A reads it from the topic.
  Ingest(*b_, {Event(stream::EventType::kImpression, "v10")});
  a_.reset();
  // A new process on a copy of A's catalog, started from A's snapshot (as a new replica from
  // the trainer's), and A itself restarted.
  fs::create_directories(dir_ / "c");
  fs::copy(dir_ / "a" / "catalog", dir_ / "c" / "catalog", fs::copy_options::recursive);
  std::unique_ptr<server::Engine> c = OpenEngine("c", (dir_ / "a" / "snapshots").string());
  a_ = OpenEngine("a");
  ASSERT_TRUE(a_ && c);
  for (server::Engine* e : {a_.get(), c.get()}) {
    ASSERT_EQ(e->loop().restored_offset(), position);
    e->loop().Start();
  }
  ASSERT_GE(Within(5000,
                   [&] {
                     return a_->loop().stats().events_read >= 1 &&
                            c->loop().stats().events_read >= 1;
                   }),
            0);
  const uint64_t c7 = CreatorOf(*c, "v7");
  for (server::Engine* e : {a_.get(), c.get()}) {
    // Every event once: the ones before the position from the rebuild, v10 from the loop.
    EXPECT_EQ(e->feed().SessionOf("u1").impressions, 11u);
    EXPECT_EQ(e->feed().engagement().events(), 12u);
    EXPECT_EQ(NotInterestedIn(*e, "v7"), 1);
    const feed::SeenSet seen = e->feed().ShownVideos("u1");
    for (int v = 0; v <= 10; ++v) EXPECT_TRUE(seen.contains(common::VideoKey(absl::StrCat("v", v))));
    // None of them is served again, and a video of v7's creator carries the penalty.
    for (int page = 0; page < 2; ++page) {
      auto served = e->feed().Feed("u1", 9, common::WallMs());
      ASSERT_TRUE(served.ok()) << served.status();
      EXPECT_FALSE(served->items.empty());
      for (const feed::FeedItem& item : served->items) {
        for (int v = 0; v <= 10; ++v) {
          EXPECT_NE(item.candidate.video_key, common::VideoKey(absl::StrCat("v", v)))
              << "page " << page;
        }
        if (item.candidate.creator == c7) {
          EXPECT_GT(item.candidate.penalty, 0.0f);
        }
      }
    }
  }
}

}  // namespace
}  // namespace foryou::app
