// FeedService end to end over a real Engine (catalog in RocksDB, real-time loop, serving model):
// every feed rule over thousands of generated feeds, cold start, adaptation within a session,
// not-interested, refresh, explain, the fresh-upload pool and moderation.
#include "feed/feed_service.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "server/engine.h"
#include "common/id_key.h"
#include "model/impression.h"

namespace foryou::feed {
namespace {

constexpr const char* kTinyModel = R"({"dim": 4, "hidden": [8],
    "features": ["video_id", "user_id", "seq.long_view.video", "dense.user_rates"]})";
constexpr int kCategories = 8, kCreators = 40, kSounds = 30, kVideos = 600;

class FeedServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("feed_service_test_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    server::EngineOptions o;
    o.data_dir = dir_.string();
    o.model_config_json = kTinyModel;
    o.fsync = stream::FsyncPolicy::kNever;
    o.snapshot_interval_ms = 3600'000;
    o.feed.min_candidates = 200;
    auto engine = server::Engine::Open(o, std::cerr);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    now_ = common::WallMs();
    std::mt19937_64 rng(7);
    for (int v = 0; v < kVideos; ++v) {
      catalog::Video video;
      video.id = absl::StrCat("v", v);
      video.creator = absl::StrCat("c", v % kCreators);
      video.sound = v % 5 == 0 ? "" : absl::StrCat("s", rng() % kSounds);
      video.hashtags = {absl::StrCat("cat", (v / 3) % kCategories), absl::StrCat("t", rng() % 50)};
      video.caption = v % 50 == 7 ? "a SPOILER inside" : absl::StrCat("video ", v);
      video.duration_ms = 15'000;
      // Mostly old uploads; every 20th is fresh.
      video.upload_ms = v % 20 == 0 ? now_ - 3600'000 : now_ - 30LL * 86'400'000 - v;
      video.moderation = v % 37 == 1   ? catalog::Moderation::kPending
                         : v % 41 == 2 ? catalog::Moderation::kRemoved
                         : v % 43 == 3 ? catalog::Moderation::kLimited
                                       : catalog::Moderation::kApproved;
      ASSERT_TRUE(feed().CreateVideo(video).ok());
    }
    // Some engagement so trending has an order.
    std::vector<stream::Event> events;
    for (int i = 0; i < 2000; ++i) {
      stream::Event e;
      e.type = i % 3 == 0 ? stream::EventType::kLike : stream::EventType::kPlay;
      e.user = "warm";
      e.video = absl::StrCat("v", (i * 7) % 200);
      e.time_ms = now_ - 60'000;
      e.watch_ms = 20'000;
      events.push_back(e);
    }
    ASSERT_TRUE(feed().CreateUser(User("warm")).ok());
    feed().Observe(events);
    ASSERT_TRUE(feed().RefreshEmbeddings().ok());
  }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }

  static catalog::User User(const std::string& id) {
    catalog::User u;
    u.id = id;
    u.country = "US";
    u.language = "en";
    return u;
  }
  FeedService& feed() { return engine_->feed(); }

  stream::Event Action(stream::EventType type, const std::string& user, const std::string& video) {
    stream::Event e;
    e.type = type;
    e.user = user;
    e.video = video;
    e.time_ms = now_;
    e.watch_ms = type == stream::EventType::kPlay ? 20'000 : 1'000;
    e.completed = type == stream::EventType::kPlay;
    return e;
  }

  UserFilters FiltersOf(const catalog::User& u) {
    UserFilters f;
    for (const auto& c : u.hidden_creators) f.hidden_creators.insert(AttributeKey(c));
    for (const auto& s : u.hidden_sounds) f.hidden_sounds.insert(AttributeKey(s));
    for (const auto& h : u.hashtag_filters) f.hashtag_filters.insert(AttributeKey(h));
    for (const auto& k : u.keyword_filters) f.keywords.push_back(k);
    return f;
  }

  std::filesystem::path dir_;
  std::unique_ptr<server::Engine> engine_;
  int64_t now_ = 0;
};

int CountCategory(const FeedPage& page, const std::string& tag) {
  int n = 0;
  for (const FeedItem& item : page.items) n += item.entry->video.hashtags[0] == tag;
  return n;
}

TEST_F(FeedServiceTest, EveryRuleHoldsOverThousandsOfFeeds) {
  std::mt19937_64 rng(11);
  constexpr int kUsers = 40, kPages = 50;
  int feeds = 0, items = 0;
  for (int u = 0; u < kUsers; ++u) {
    catalog::User user = User(absl::StrCat("u", u));
    if (u % 4 == 0) user.hidden_creators = {absl::StrCat("c", u % kCreators)};
    if (u % 5 == 0) user.hidden_sounds = {absl::StrCat("s", u % kSounds)};
    if (u % 6 == 0) user.keyword_filters = {"spoiler"};
    if (u % 7 == 0) user.hashtag_filters = {absl::StrCat("cat", u % kCategories)};
    if (u % 3 == 0) user.interests = {absl::StrCat("cat", (u + 1) % kCategories)};
    ASSERT_TRUE(feed().CreateUser(user).ok());
    std::vector<Candidate> previous;
    SeenSet seen;
    for (int p = 0; p < kPages; ++p) {
      auto page = feed().Feed(user.id, 10, now_);
      ASSERT_TRUE(page.ok()) << page.status();
      std::vector<Candidate> got;
      for (const FeedItem& item : page->items) got.push_back(item.candidate);
      // The first 20 pages are full; later ones may run out of eligible videos.
      if (p < 20) {
        EXPECT_EQ(got.size(), 10u) << "user " << u << " page " << p;
      }
      std::vector<std::string> violations =
          CheckFeed(got, previous, feed().options().rules, FiltersOf(user), seen);
      ASSERT_TRUE(violations.empty()) << "user " << u << " page " << p << ": " << violations[0];
      for (const Candidate& c : got) {
        seen.insert(c.video_key);
        ASSERT_NE(c.video->moderation, catalog::Moderation::kPending);
        ASSERT_NE(c.video->moderation, catalog::Moderation::kRemoved);
        if (c.video->moderation == catalog::Moderation::kLimited) {
          ASSERT_TRUE(c.from(Source::kFresh));
        }
      }
      previous.insert(previous.end(), got.begin(), got.end());
      if (previous.size() > 10) previous.erase(previous.begin(), previous.end() - 10);
      // React: like one, skip the rest, sometimes "not interested".
      std::vector<stream::Event> events;
      for (size_t i = 0; i < got.size(); ++i) {
        const std::string& vid = got[i].video->id;
        events.push_back(Action(stream::EventType::kImpression, user.id, vid));
        events.push_back(Action(i == 0 ? stream::EventType::kPlay : stream::EventType::kSkip, user.id, vid));
        if (i == 0 && rng() % 2) events.push_back(Action(stream::EventType::kLike, user.id, vid));
        if (i == 1 && rng() % 5 == 0) events.push_back(Action(stream::EventType::kNotInterested, user.id, vid));
      }
      feed().Observe(events);
      ++feeds;
      items += static_cast<int>(got.size());
    }
  }
  EXPECT_EQ(feeds, kUsers * kPages);
  EXPECT_GT(items, kUsers * 20 * 10);
  const RuleStats stats = feed().rule_stats();
  // The rules had work to do (a test where nothing ever collides proves little).
  EXPECT_GT(stats.seen, 0u);
  EXPECT_GT(stats.moderation, 0u);
  EXPECT_GT(stats.hidden_creator, 0u);
  EXPECT_GT(stats.creator_spacing + stats.sound_spacing + stats.category_run, 0u);
  EXPECT_GT(stats.explore_inserted, 0u);
}

TEST_F(FeedServiceTest, ColdStartUsesInterestsThenAdaptsWithinTheSession) {
  catalog::User user = User("new");
  user.interests = {"cat2"};
  ASSERT_TRUE(feed().CreateUser(user).ok());
  auto first = feed().Feed("new", 10, now_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_GE(CountCategory(*first, "cat2"), 1) << "a picked interest shows up at once";
  bool trending = false;
  for (const FeedItem& item : first->items) trending |= item.candidate.from(Source::kTrending);
  EXPECT_TRUE(trending);
  // The user likes three cat5 videos: the next page leans to cat5 (same-hashtag / similar
  // sources, from the session, before any retraining).
  const int before = CountCategory(*first, "cat5");
  std::vector<stream::Event> events;
  for (const std::string v : {"v15", "v16", "v17"}) {  // (v / 3) % 8 == 5 -> cat5
    events.push_back(Action(stream::EventType::kImpression, "new", v));
    events.push_back(Action(stream::EventType::kPlay, "new", v));
    events.push_back(Action(stream::EventType::kLike, "new", v));
  }
  feed().Observe(events);
  auto next = feed().Feed("new", 10, now_);
  ASSERT_TRUE(next.ok());
  EXPECT_GE(CountCategory(*next, "cat5"), 2);
  EXPECT_GT(CountCategory(*next, "cat5"), before);
}

// Interests picked at sign-up lead a new user's first page (at least half of it), whether the
// interest is a video's category or a later hashtag, and the exploration share stays.
TEST_F(FeedServiceTest, ANewUsersFirstPageIsLedByThePickedInterests) {
  for (const std::vector<std::string>& interests :
       {std::vector<std::string>{"t43", "t9"}, std::vector<std::string>{"t21"}}) {
    catalog::User user = User(absl::StrCat("picker-", interests[0]));
    user.interests = interests;
    ASSERT_TRUE(feed().CreateUser(user).ok());
    auto page = feed().Feed(user.id, 10, now_);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_EQ(page->items.size(), 10u);
    int picked = 0, explore = 0;
    std::string got;
    for (const FeedItem& item : page->items) {
      const auto& tags = item.entry->video.hashtags;
      bool match = false;
      for (const std::string& interest : interests) {
        match |= std::find(tags.begin(), tags.end(), interest) != tags.end();
      }
      picked += match;
      explore += item.candidate.from(Source::kExplore);
      absl::StrAppend(&got, item.entry->video.id, "(", tags[0], " ", tags[1], ") ");
    }
    EXPECT_GE(picked, 5) << interests[0] << ": " << got;
    EXPECT_GE(explore, 1) << "the exploration share stays: " << got;
  }
}

// Every reason shown is true for the user: one who has watched, liked and followed nothing is
// never told about what they watched, liked, follow or usually watch.
TEST_F(FeedServiceTest, ReasonsAreTrueForAUserWhoHasWatchedNothing) {
  ASSERT_TRUE(feed().CreateUser(User("blank")).ok());
  auto page = feed().Feed("blank", 10, now_);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 10u);
  for (const FeedItem& item : page->items) {
    for (const char* untrue : {"what you watched", "you usually watch", "you liked",
                               "you enjoyed", "whom you follow", "your interests"}) {
      EXPECT_EQ(item.reason.find(untrue), std::string::npos)
          << item.entry->video.id << ": " << item.reason;
    }
  }
}

TEST_F(FeedServiceTest, NotInterestedLowersCreatorSoundAndHashtagsAtOnce) {
  ASSERT_TRUE(feed().CreateUser(User("ni")).ok());
  auto before = feed().Explain("ni", "v80", now_);  // creator c0
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->penalty, 0.0f);
  feed().Observe({Action(stream::EventType::kNotInterested, "ni", "v40")});  // creator c0 too
  auto after = feed().Explain("ni", "v80", now_);
  ASSERT_TRUE(after.ok());
  EXPECT_GE(after->penalty, feed().options().rules.not_interested_creator);
  EXPECT_LT(after->score, before->score);
  bool says = false;
  for (const std::string& s : after->sentences) {
    says |= s.find("Lowered because you said not interested") != std::string::npos;
  }
  EXPECT_TRUE(says);
}

TEST_F(FeedServiceTest, HiddenCreatorFromAnEventNeverAppears) {
  ASSERT_TRUE(feed().CreateUser(User("h")).ok());
  stream::Event hide;
  hide.type = stream::EventType::kHideCreator;
  hide.user = "h";
  hide.creator = "c3";
  hide.time_ms = now_;
  feed().Observe({hide});
  auto u = feed().GetUser("h");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ((*u)->hidden_creators, std::vector<std::string>{"c3"});
  for (int p = 0; p < 20; ++p) {
    auto page = feed().Feed("h", 10, now_);
    ASSERT_TRUE(page.ok());
    for (const FeedItem& item : page->items) ASSERT_NE(item.entry->video.creator, "c3");
  }
}

TEST_F(FeedServiceTest, RefreshStartsOverKeepingFiltersAndSeen) {
  catalog::User user = User("r");
  user.hidden_creators = {"c1"};
  ASSERT_TRUE(feed().CreateUser(user).ok());
  auto page = feed().Feed("r", 10, now_);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->model_user, "r");
  feed().Observe({Action(stream::EventType::kLike, "r", "v10"),
                  Action(stream::EventType::kNotInterested, "r", "v11")});
  EXPECT_FALSE(feed().SessionOf("r").likes.empty());
  ASSERT_TRUE(feed().Refresh("r").ok());
  const UserSession s = feed().SessionOf("r");
  EXPECT_TRUE(s.likes.empty());
  EXPECT_TRUE(s.not_interested.creators.empty());
  EXPECT_EQ(s.seen.size(), page->items.size()) << "the seen set survives a refresh";
  auto again = feed().Feed("r", 10, now_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->model_user, "r#1");
  for (const FeedItem& item : again->items) {
    EXPECT_NE(item.entry->video.creator, "c1");
    for (const FeedItem& old : page->items) EXPECT_NE(item.entry->video.id, old.entry->video.id);
  }
  // Events resolved for the log carry the new identity.
  stream::Event e = Action(stream::EventType::kLike, "r", "v12");
  ASSERT_TRUE(feed().ResolveEvent(&e).ok());
  EXPECT_EQ(e.user, "r#1");
  EXPECT_TRUE(absl::IsNotFound(feed().Refresh("nobody")));
}

// The records of the last write of a store (what another process's write brings).
struct CapturedChangelog : catalog::ChangelogWriter {
  absl::Status Append(const std::vector<catalog::ChangelogRecord>& r) override {
    records = r;
    return absl::OkStatus();
  }
  std::vector<catalog::ChangelogRecord> records;
};

// Another process's write of a user, applied from the catalog changelog, replaces the cached
// user (settings, deletion) as a local write does; the engine's listener carries it.
TEST_F(FeedServiceTest, AReplicatedUserWriteReplacesTheCachedUser) {
  ASSERT_TRUE(feed().CreateUser(User("rep")).ok());
  ASSERT_TRUE(feed().GetUser("rep").ok());  // cached
  catalog::User changed = User("rep");
  changed.hidden_creators = {"c1"};
  CapturedChangelog other;
  auto from = catalog::CatalogStore::Open((dir_ / "other").string());
  ASSERT_TRUE(from.ok());
  (*from)->SetChangelog(&other);
  ASSERT_TRUE((*from)->PutUser(changed).ok());
  ASSERT_TRUE(engine_->store().ApplyChangelog(other.records, "p1").ok());
  auto u = feed().GetUser("rep");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ((*u)->hidden_creators, std::vector<std::string>{"c1"});

  ASSERT_TRUE(engine_->store()
                  .ApplyChangelog({{.key = "u/rep", .value = "", .deleted = true}}, "p2")
                  .ok());
  EXPECT_TRUE(absl::IsNotFound(feed().GetUser("rep").status()));
}

TEST_F(FeedServiceTest, ExplainNamesSourcesScoresAndIneligibility) {
  catalog::User user = User("x");
  user.interests = {"cat1"};
  ASSERT_TRUE(feed().CreateUser(user).ok());
  auto page = feed().Feed("x", 5, now_);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->items.empty());
  auto x = feed().Explain("x", "v0", now_);  // v0: fresh upload
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_FALSE(x->served);
  EXPECT_TRUE(x->can_serve);
  // Every task and the audience prior, largest first, adding up to the score.
  ASSERT_GE(x->parts.size(), static_cast<size_t>(model::kNumTasks) + 1);
  double sum = 0;
  for (size_t i = 0; i < x->parts.size(); ++i) {
    sum += x->parts[i].value;
    if (i > 0) {
      EXPECT_GE(std::fabs(x->parts[i - 1].value), std::fabs(x->parts[i].value));
    }
  }
  EXPECT_NEAR(sum, x->score, 1e-4);
  EXPECT_GE(x->sentences.size(), 3u);
  // A served video is described as served, and is now "seen"; a removed one is out by
  // moderation.
  const FeedItem& first = page->items[0];
  auto served = feed().Explain("x", first.entry->video.id, now_);
  ASSERT_TRUE(served.ok());
  EXPECT_TRUE(served->served);
  EXPECT_EQ(served->request_id, page->request_id);
  EXPECT_EQ(served->position, 0);
  EXPECT_EQ(served->reason, first.reason);
  EXPECT_FLOAT_EQ(served->score, first.candidate.score);
  EXPECT_FALSE(served->can_serve);
  EXPECT_EQ(served->cannot_serve_reason, "already shown to you");
  auto in_request = feed().Explain("x", first.entry->video.id, now_, page->request_id);
  ASSERT_TRUE(in_request.ok());
  EXPECT_EQ(in_request->position, 0);
  // A request id with a video never shown to the user is refused.
  std::string never = "v5";
  for (int v = 6; std::any_of(page->items.begin(), page->items.end(),
                              [&](const FeedItem& item) { return item.entry->video.id == never; });
       ++v) {
    never = absl::StrCat("v", v);
  }
  EXPECT_TRUE(absl::IsNotFound(feed().Explain("x", never, now_, page->request_id).status()));
  // Once more pages have pushed its record out, it is described as it scores now, saying so.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(feed().Feed("x", 50, now_).ok());
  auto gone = feed().Explain("x", first.entry->video.id, now_, page->request_id);
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_FALSE(gone->served);
  EXPECT_FALSE(gone->can_serve);
  ASSERT_FALSE(gone->sentences.empty());
  EXPECT_NE(gone->sentences[0].find("no longer kept"), std::string::npos) << gone->sentences[0];
  auto removed = feed().Explain("x", "v2", now_);  // 2 % 41 == 2 -> removed
  ASSERT_TRUE(removed.ok());
  EXPECT_FALSE(removed->can_serve);
  EXPECT_NE(removed->cannot_serve_reason.find("moderation"), std::string::npos);
  EXPECT_TRUE(absl::IsNotFound(feed().Explain("x", "no-such-video", now_).status()));
  EXPECT_TRUE(absl::IsNotFound(feed().Explain("nobody", "v0", now_).status()));
}

TEST_F(FeedServiceTest, FreshUploadsGetAFirstExposureAndModerationChangesApplyAtOnce) {
  catalog::Video fresh;
  fresh.id = "brand-new";
  fresh.creator = "newcomer";
  fresh.hashtags = {"cat7"};
  fresh.duration_ms = 10'000;
  fresh.upload_ms = now_;
  fresh.moderation = catalog::Moderation::kApproved;
  ASSERT_TRUE(feed().CreateVideo(fresh).ok());
  // 31 uploads are in their test (every 20th of the fixture's, and this one); each page carries
  // one, least exposed first, so 60 pages (with their impressions) reach every one of them.
  int shown = 0, pages_with_fresh = 0;
  for (int u = 0; u < 60; ++u) {
    const std::string id = absl::StrCat("f", u);
    ASSERT_TRUE(feed().CreateUser(User(id)).ok());
    auto page = feed().Feed(id, 10, now_);
    ASSERT_TRUE(page.ok());
    int fresh_items = 0;
    std::vector<stream::Event> impressions;
    for (const FeedItem& item : page->items) {
      shown += item.entry->video.id == "brand-new";
      fresh_items += item.entry->video.upload_ms > now_ - 2 * 3600'000;
      impressions.push_back(Action(stream::EventType::kImpression, id, item.entry->video.id));
    }
    pages_with_fresh += fresh_items > 0;
    feed().Observe(impressions);
  }
  EXPECT_GT(shown, 0) << "the test pool shows a new upload within 60 pages";
  EXPECT_EQ(pages_with_fresh, 60) << "every page carries a test-pool video";
  auto x = feed().Explain("f0", "brand-new", now_);
  ASSERT_TRUE(x.ok());
  EXPECT_NE(std::find(x->sources.begin(), x->sources.end(), "fresh"), x->sources.end());
  // Removing it takes effect on the next request.
  fresh.moderation = catalog::Moderation::kRemoved;
  ASSERT_TRUE(feed().UpdateVideo(fresh).ok());
  for (int u = 0; u < 60; ++u) {
    auto page = feed().Feed(absl::StrCat("f", u), 10, now_);
    ASSERT_TRUE(page.ok());
    for (const FeedItem& item : page->items) ASSERT_NE(item.entry->video.id, "brand-new");
  }
}

TEST_F(FeedServiceTest, BadRequestsAreRefusedAndChangeNothing) {
  ASSERT_TRUE(feed().CreateUser(User("b")).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(feed().Feed("b", 0, now_).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(feed().Feed("b", 51, now_).status()));
  EXPECT_TRUE(absl::IsNotFound(feed().Feed("nobody", 10, now_).status()));
  EXPECT_TRUE(absl::IsAlreadyExists(feed().CreateUser(User("b"))));
  EXPECT_EQ(feed().SessionOf("b").feeds, 0u);
  stream::Event e = Action(stream::EventType::kLike, "b", "no-such-video");
  EXPECT_TRUE(absl::IsNotFound(feed().ResolveEvent(&e)));
  e = Action(stream::EventType::kLike, "nobody", "v1");
  EXPECT_TRUE(absl::IsNotFound(feed().ResolveEvent(&e)));
  catalog::Video unknown;
  unknown.id = "never-created";
  unknown.creator = "c";
  unknown.duration_ms = 1;
  EXPECT_TRUE(absl::IsNotFound(feed().UpdateVideo(unknown)));
  EXPECT_EQ(feed().index()->Find(common::VideoKey("never-created")), nullptr);
}

// Many users watch v300 to the end and then v301: a user who just watched v300 is offered v301
// by the watch-next source, and with the watch-next prior on it ranks near the top.
TEST_F(FeedServiceTest, WatchNextOffersWhatOthersWatchedNext) {
  std::vector<stream::Event> events;
  for (int u = 0; u < 30; ++u) {
    const std::string user = absl::StrCat("w", u);
    ASSERT_TRUE(feed().CreateUser(User(user)).ok());
    for (const char* v : {"v300", "v301"}) events.push_back(Action(stream::EventType::kPlay, user, v));
  }
  ASSERT_TRUE(feed().CreateUser(User("me")).ok());
  events.push_back(Action(stream::EventType::kPlay, "me", "v300"));
  feed().Observe(events);
  absl::StatusOr<FeedPage> page = feed().Feed("me", 50, now_, /*record=*/false);
  ASSERT_TRUE(page.ok()) << page.status();
  const uint64_t target = common::VideoKey("v301");
  EXPECT_NE(std::find(page->retrieved.begin(), page->retrieved.end(), target), page->retrieved.end());
  absl::StatusOr<Explanation> x = feed().Explain("me", "v301", now_);
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_NE(std::find(x->sources.begin(), x->sources.end(), "watch_next"), x->sources.end());
  EXPECT_GT(feed().watch_next().stats().covis_pairs, 0u);
}

}  // namespace
}  // namespace foryou::feed
