// Hashtag challenges in the feed, over a real Engine (catalog in RocksDB, real-time loop,
// serving model): the challenge source's share of a page stays within its quota, every feed
// rule still holds for its entries, an ended challenge stops contributing, and the reason names
// the challenge.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "feed/challenge_source.h"
#include "feed/feed_service.h"
#include "gtest/gtest.h"
#include "server/engine.h"

namespace foryou::feed {
namespace {

constexpr const char* kTinyModel = R"({"dim": 4, "hidden": [8],
    "features": ["video_id", "user_id", "seq.long_view.video", "dense.user_rates"]})";
// Small: each video is one synced catalog write.
constexpr int kVideos = 80, kEntries = 24;

class ChallengeFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("challenge_feed_test_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    server::EngineOptions o;
    o.data_dir = dir_.string();
    o.model_config_json = kTinyModel;
    o.fsync = stream::FsyncPolicy::kNever;
    o.snapshot_interval_ms = 3600'000;
    o.feed.min_candidates = 100;
    // Entries outrank everything else: without the quota they would fill the page.
    o.feed.source_bonus[static_cast<int>(Source::kChallenge)] = 10;
    o.feed.challenges.max_per_10 = max_per_10_;
    auto engine = server::Engine::Open(o, std::cerr);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    now_ = common::WallMs();
    for (int v = 0; v < kVideos; ++v) {
      catalog::Video video;
      video.id = absl::StrCat("v", v);
      video.creator = absl::StrCat("c", v % 50);
      video.sound = absl::StrCat("s", v % 30);
      video.hashtags = {absl::StrCat("cat", (v / 3) % 8)};
      video.duration_ms = 15'000;
      video.upload_ms = now_ - 30LL * 86'400'000 - v;
      video.moderation = catalog::Moderation::kApproved;
      ASSERT_TRUE(feed().CreateVideo(video).ok());
    }
    // The entries: one creator each, half of them sharing a sound; a few not approved.
    for (int v = 0; v < kEntries; ++v) {
      catalog::Video video;
      video.id = absl::StrCat("d", v);
      video.creator = absl::StrCat("dancer", v);
      video.sound = v % 2 == 0 ? "dance_sound" : "";
      video.hashtags = {"fun", "dance"};
      video.duration_ms = 15'000;
      video.upload_ms = now_ - 20LL * 86'400'000 - v;  // past the fresh pool's age
      video.moderation = v % 10 == 3   ? catalog::Moderation::kPending
                         : v % 10 == 7 ? catalog::Moderation::kRemoved
                                       : catalog::Moderation::kApproved;
      ASSERT_TRUE(feed().CreateVideo(video).ok());
    }
    catalog::User user;
    user.id = "u1";
    user.country = "US";
    user.hidden_creators = {"dancer0"};
    ASSERT_TRUE(feed().CreateUser(user).ok());
    catalog::Challenge c{.name = "dance",
                         .title = "Dance off",
                         .start_ms = now_ - 3600'000,
                         .end_ms = now_ + 3600'000};
    ASSERT_TRUE(feed().CreateChallenge(c).ok());
  }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  FeedService& feed() { return engine_->feed(); }

  // Items of `page` the challenge source found.
  static int FromChallenge(const FeedPage& page) {
    int n = 0;
    for (const FeedItem& item : page.items) n += item.candidate.from(Source::kChallenge);
    return n;
  }

  int max_per_10_ = 1;
  std::filesystem::path dir_;
  std::unique_ptr<server::Engine> engine_;
  int64_t now_ = 0;
};

TEST_F(ChallengeFeedTest, AtMostOneItemPerPageOfTenAndEveryRuleHolds) {
  int total = 0;
  absl::flat_hash_set<std::string> shown;
  std::vector<Candidate> previous;
  for (int p = 0; p < 6; ++p) {
    auto page = feed().Feed("u1", 10, now_);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_EQ(page->items.size(), 10u);
    const int n = FromChallenge(*page);
    EXPECT_LE(n, 1) << "page " << p;
    total += n;
    std::vector<Candidate> got;
    for (const FeedItem& item : page->items) {
      const catalog::Video& v = item.entry->video;
      EXPECT_TRUE(shown.insert(v.id).second) << v.id << " shown twice";  // seen
      EXPECT_EQ(v.moderation, catalog::Moderation::kApproved) << v.id;
      EXPECT_NE(v.creator, "dancer0");  // hidden creator
      got.push_back(item.candidate);
    }
    // Creator / sound spacing and category runs, across the page boundary.
    const std::vector<std::string> violations =
        CheckFeed(got, previous, feed().options().rules, {}, {});
    EXPECT_TRUE(violations.empty()) << "page " << p << ": " << violations[0];
    previous = got;
  }
  // Every page took its one entry (they outrank everything): the quota is what held them back.
  EXPECT_EQ(total, 6);
}

class ChallengeFeedShareTest : public ChallengeFeedTest {
 protected:
  ChallengeFeedShareTest() { max_per_10_ = 3; }
};

TEST_F(ChallengeFeedShareTest, TheQuotaIsAConfigKey) {
  auto page = feed().Feed("u1", 10, now_);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(FromChallenge(*page), 3);
  auto half = feed().Feed("u1", 5, now_);
  ASSERT_TRUE(half.ok()) << half.status();
  EXPECT_EQ(FromChallenge(*half), 2);  // ceil(5 x 3 / 10)
}

TEST_F(ChallengeFeedTest, AnEndedChallengeStopsContributing) {
  auto during = feed().Feed("u1", 10, now_);
  ASSERT_TRUE(during.ok());
  EXPECT_EQ(FromChallenge(*during), 1);
  // Past end_ms: the same challenge, a later clock.
  for (int p = 0; p < 3; ++p) {
    auto after = feed().Feed("u1", 10, now_ + 2 * 3600'000);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(FromChallenge(*after), 0) << "page " << p;
  }
  // Ended by an edit: end_ms moved before now.
  auto c = engine_->store().GetChallenge("dance");
  ASSERT_TRUE(c.ok());
  c->end_ms = now_ - 1;
  ASSERT_TRUE(feed().UpdateChallenge(*c).ok());
  EXPECT_TRUE(feed().ActiveChallenges(now_)->empty());
  for (int p = 0; p < 3; ++p) {
    auto after = feed().Feed("u1", 10, now_);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(FromChallenge(*after), 0) << "page " << p;
  }
}

TEST_F(ChallengeFeedTest, TheReasonAndTheExplanationNameTheChallenge) {
  auto page = feed().Feed("u1", 10, now_);
  ASSERT_TRUE(page.ok());
  const FeedItem* entry = nullptr;
  for (const FeedItem& item : page->items) {
    if (item.candidate.from(Source::kChallenge)) entry = &item;
  }
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->reason, "an entry in the #dance challenge");
  auto x = feed().Explain("u1", entry->entry->video.id, now_, page->request_id);
  ASSERT_TRUE(x.ok()) << x.status();
  ASSERT_EQ(x->sources.size(), x->source_reasons.size());
  const auto at = std::find(x->sources.begin(), x->sources.end(), "challenge");
  ASSERT_NE(at, x->sources.end());
  EXPECT_EQ(x->source_reasons[at - x->sources.begin()], "an entry in the #dance challenge");
  EXPECT_EQ(x->reason, "an entry in the #dance challenge");
}

TEST_F(ChallengeFeedTest, ChallengesSurviveARestart) {
  engine_.reset();
  server::EngineOptions o;
  o.data_dir = dir_.string();
  o.model_config_json = kTinyModel;
  o.fsync = stream::FsyncPolicy::kNever;
  auto engine = server::Engine::Open(o, std::cerr);
  ASSERT_TRUE(engine.ok()) << engine.status();
  engine_ = std::move(*engine);
  ASSERT_EQ(feed().ActiveChallenges(now_)->size(), 1u);
  EXPECT_EQ(feed().Challenges()->at(0).title, "Dance off");
}

}  // namespace
}  // namespace foryou::feed
