// SocialStore over a real RocksDB and a real file event log in a temp dir.
#include "social/social_store.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace foryou::social {
namespace {

using stream::Event;
using stream::EventType;

constexpr int64_t kT0 = 1'700'000'000'000;

// A video's creator: "c<video's last digit>" ("v13" -> "c3").
std::string Creator(std::string_view video) { return "c" + std::string(video.substr(video.size() - 1)); }

Event Ev(EventType type, std::string user, std::string video, int64_t t, std::string creator = "") {
  Event e;
  e.type = type;
  e.user = std::move(user);
  e.video = std::move(video);
  e.creator = std::move(creator);
  e.time_ms = t;
  if (type == EventType::kPlay) e.watch_ms = 1000;
  if (type == EventType::kComment) e.text = "hi";
  return e;
}

class SocialStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("foryou_social_test_", ::getpid(), "_", counter_++);
    std::filesystem::remove_all(dir_);
    OpenLog();
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    log_.reset();
    std::filesystem::remove_all(dir_);
  }
  void OpenLog() {
    stream::LogOptions o;
    o.dir = (dir_ / "log").string();
    o.fsync = stream::FsyncPolicy::kNever;
    auto log = stream::FileEventLog::Open(o);
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
  }
  // Closes and opens the store again: what a restart (or a kill) leaves is what it reads.
  void Reopen() {
    store_.reset();
    auto s = SocialStore::Open((dir_ / "social").string(), Creator);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  // Appends events to the log only (a crash before the store saw them).
  void Append(const std::vector<Event>& events) {
    std::vector<std::string> records(events.size());
    std::vector<std::string_view> views;
    for (size_t i = 0; i < events.size(); ++i) {
      stream::EncodeEvent(events[i], &records[i]);
      views.push_back(records[i]);
    }
    ASSERT_TRUE(log_->Append(views).ok());
  }
  void Log(const std::vector<Event>& events) {
    Append(events);
    ASSERT_TRUE(store_->CatchUp(*log_).ok());
  }
  VideoStats S(const std::string& video) {
    auto s = store_->Stats(video);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : VideoStats{};
  }
  VideoCounts C(const std::string& video) {
    auto c = store_->Counts(video);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : VideoCounts{};
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::unique_ptr<stream::FileEventLog> log_;
  std::unique_ptr<SocialStore> store_;
};

TEST_F(SocialStoreTest, LikesAreStatesAndCountsAreIdempotent) {
  Log({Ev(EventType::kLike, "u1", "v1", kT0), Ev(EventType::kLike, "u1", "v1", kT0 + 1),
       Ev(EventType::kLike, "u2", "v1", kT0 + 2), Ev(EventType::kPlay, "u1", "v1", kT0 + 3),
       Ev(EventType::kPlay, "u2", "v1", kT0 + 4), Ev(EventType::kShare, "u2", "v1", kT0 + 5),
       Ev(EventType::kFavorite, "u1", "v1", kT0 + 6), Ev(EventType::kFavorite, "u1", "v1", kT0 + 7)});
  VideoCounts c = C("v1");
  EXPECT_EQ(c.likes, 2);
  EXPECT_EQ(c.views, 2);
  EXPECT_EQ(c.shares, 1);
  EXPECT_EQ(c.favorites, 1);
  EXPECT_EQ(store_->CountsOf("c1")->likes, 2);  // received by the creator
  EXPECT_TRUE(*store_->Liked("u1", "v1"));
  Log({Ev(EventType::kUnlike, "u1", "v1", kT0 + 8), Ev(EventType::kUnlike, "u1", "v1", kT0 + 9)});
  EXPECT_EQ(C("v1").likes, 1);
  EXPECT_FALSE(*store_->Liked("u1", "v1"));
  EXPECT_EQ(store_->CountsOf("c1")->likes, 1);
  EXPECT_TRUE(store_->LikedVideos("u1", "", 10)->items.empty());
  // A model identity after a refresh is the same user.
  Log({Ev(EventType::kLike, "u2#3", "v1", kT0 + 10)});
  EXPECT_EQ(C("v1").likes, 1);
}

TEST_F(SocialStoreTest, CatchUpAppliesEachLoggedEventOnceAcrossCrashes) {
  Log({Ev(EventType::kLike, "u1", "v1", kT0), Ev(EventType::kPlay, "u1", "v1", kT0 + 1)});
  // A kill between the log append and the store write: the store never saw these.
  Append({Ev(EventType::kLike, "u2", "v1", kT0 + 2), Ev(EventType::kPlay, "u2", "v1", kT0 + 3),
          Ev(EventType::kFollow, "u2", "", kT0 + 4, "c1")});
  EXPECT_EQ(store_->applied_offset(), 2u);
  Reopen();
  EXPECT_EQ(store_->applied_offset(), 2u);
  EXPECT_EQ(C("v1").likes, 1);
  ASSERT_TRUE(store_->CatchUp(*log_).ok());
  EXPECT_EQ(store_->applied_offset(), 5u);
  EXPECT_EQ(C("v1").likes, 2);
  EXPECT_EQ(C("v1").views, 2);
  EXPECT_EQ(store_->CountsOf("c1")->followers, 1);
  // A restart after the write applies nothing twice.
  Reopen();
  ASSERT_TRUE(store_->CatchUp(*log_).ok());
  ASSERT_TRUE(store_->CatchUp(*log_).ok());
  EXPECT_EQ(C("v1").views, 2);
  EXPECT_EQ(store_->CountsOf("c1")->followers, 1);
  EXPECT_EQ(store_->Inbox("c1", "", 10)->items.size(), 3u);  // two likes, one follow
}

TEST_F(SocialStoreTest, CursorPagesCoverEveryItemOnce) {
  std::vector<Event> likes;
  for (int i = 0; i < 25; ++i) likes.push_back(Ev(EventType::kLike, "u1", absl::StrCat("v", i), kT0 + i));
  Log(likes);
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = store_->LikedVideos("u1", cursor, 10);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const Entry& e : page->items) seen.push_back(e.id);
    cursor = page->next_cursor;
    ++pages;
  } while (!cursor.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "v24");  // newest first
  EXPECT_EQ(seen.back(), "v0");
  EXPECT_TRUE(absl::IsInvalidArgument(store_->LikedVideos("u1", "zz", 10).status()));
}

TEST_F(SocialStoreTest, CommentsRepliesPinsAndDeletes) {
  auto a = store_->AddComment("v1", "u1", "", "first", kT0);
  auto b = store_->AddComment("v1", "u2", "", "second", kT0 + 1);
  ASSERT_TRUE(a.ok() && b.ok());
  auto r = store_->AddComment("v1", "u3", a->id, "reply", kT0 + 2);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::IsInvalidArgument(store_->AddComment("v2", "u3", a->id, "x", kT0).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->AddComment("v1", "u3", "c999", "x", kT0).status()));
  EXPECT_EQ(C("v1").comments, 3);
  auto top = store_->Comments("v1", "", "", 20);
  ASSERT_TRUE(top.ok());
  ASSERT_EQ(top->items.size(), 2u);
  EXPECT_EQ(top->items[0].id, b->id);  // newest first
  EXPECT_EQ(top->items[1].replies, 1);
  ASSERT_TRUE(store_->SetPinned(a->id, true).ok());
  top = store_->Comments("v1", "", "", 20);
  ASSERT_EQ(top->items.size(), 2u);
  EXPECT_EQ(top->items[0].id, a->id);
  EXPECT_TRUE(top->items[0].pinned);
  ASSERT_TRUE(store_->SetPinned(b->id, true).ok());  // unpins a
  EXPECT_FALSE(store_->GetComment(a->id)->pinned);
  EXPECT_EQ(*store_->SetCommentLike(a->id, "u2", true), 1);
  EXPECT_EQ(*store_->SetCommentLike(a->id, "u2", true), 1);
  ASSERT_TRUE(store_->DeleteComment(a->id).ok());
  ASSERT_TRUE(store_->DeleteComment(a->id).ok());
  EXPECT_EQ(C("v1").comments, 2);
  Comment gone = *store_->GetComment(a->id);
  EXPECT_TRUE(gone.deleted);
  EXPECT_EQ(gone.text, "");
  auto replies = store_->Comments("v1", a->id, "", 20);
  ASSERT_EQ(replies->items.size(), 1u);  // the reply stays
  EXPECT_EQ(replies->items[0].text, "reply");
  // Inbox: the creator c1 hears of all three comments; u1 of the reply to theirs.
  EXPECT_EQ(store_->Inbox("u1", "", 10)->items.size(), 1u);
  EXPECT_EQ(store_->Inbox("u1", "", 10)->items[0].type, "reply");
  EXPECT_EQ(*store_->Unread("c1"), 3);
  ASSERT_TRUE(store_->MarkRead("c1").ok());
  EXPECT_EQ(*store_->Unread("c1"), 0);
  Reopen();  // synced writes survive
  EXPECT_EQ(store_->GetComment(r->id)->text, "reply");
  auto c = store_->AddComment("v1", "u1", "", "after", kT0 + 9);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->id, r->id);  // ids are not reused after a restart
}

TEST_F(SocialStoreTest, DeletingAUserFixesTheOtherSidesCounts) {
  Log({Ev(EventType::kFollow, "u1", "", kT0, "c1"), Ev(EventType::kFollow, "u2", "", kT0, "c1"),
       Ev(EventType::kFollow, "c1", "", kT0, "u1"), Ev(EventType::kLike, "u1", "v1", kT0),
       Ev(EventType::kFavorite, "u1", "v1", kT0)});
  auto cm = store_->AddComment("v1", "u1", "", "mine", kT0);
  ASSERT_TRUE(cm.ok());
  ASSERT_TRUE(store_->UpdateProfile("u1", "Una", "hi", std::string("\x89PNG"), "image/png").ok());
  ASSERT_TRUE(store_->DeleteUser("u1").ok());
  EXPECT_EQ(store_->CountsOf("c1")->followers, 1);
  EXPECT_EQ(store_->CountsOf("c1")->following, 0);
  EXPECT_EQ(store_->CountsOf("c1")->likes, 0);
  EXPECT_EQ(C("v1").likes, 0);
  EXPECT_EQ(C("v1").favorites, 0);
  EXPECT_EQ(C("v1").comments, 0);
  EXPECT_TRUE(store_->GetComment(cm->id)->deleted);
  EXPECT_EQ(store_->GetProfile("u1")->name, "");
  EXPECT_TRUE(absl::IsNotFound(store_->Avatar("u1").status()));
  EXPECT_TRUE(store_->Followers("c1", "", 10)->items.size() == 1);
  EXPECT_TRUE(store_->Following("c1", "", 10)->items.empty());
  EXPECT_TRUE(store_->CommentsBy("u1")->empty());
}

// An impression of `video` on `surface`.
Event Shown(std::string user, std::string video, std::string surface, int64_t t) {
  Event e = Ev(EventType::kImpression, std::move(user), std::move(video), t);
  e.request_id = "r1";
  e.surface = std::move(surface);
  return e;
}

// Every field of a video's numbers, from a log that exercises it.
std::vector<Event> NumbersLog() {
  Event skip = Ev(EventType::kSkip, "u3", "v1", kT0 + 9);
  skip.watch_ms = 350;
  Event play = Ev(EventType::kPlay, "u2", "v1", kT0 + 8);
  play.watch_ms = 4200;
  Event from_video = Ev(EventType::kFollow, "u2", "v1", kT0 + 12, "c1");
  Event refreshed = Ev(EventType::kFollow, "u3#2", "v1", kT0 + 13, "c1");  // a model identity
  return {Shown("u1", "v1", "foryou", kT0), Shown("u2", "v1", "foryou", kT0 + 1),
          Shown("u3", "v1", "search", kT0 + 2), Shown("u4", "v1", "profile", kT0 + 3),
          Shown("u5", "v1", "challenge", kT0 + 4), Shown("u6", "v1", "tv-banner", kT0 + 5),
          Shown("u7", "v1", "", kT0 + 6), Shown("u1", "v2", "sound", kT0 + 7),
          Ev(EventType::kPlay, "u1", "v1", kT0 + 7), play, skip,
          Ev(EventType::kLike, "u1", "v1", kT0 + 10), Ev(EventType::kLike, "u1", "v1", kT0 + 10),
          Ev(EventType::kShare, "u2", "v1", kT0 + 11), from_video, refreshed,
          // Not gained by v1: a follow without a video, one of another creator, one of oneself.
          Ev(EventType::kFollow, "u4", "", kT0 + 14, "c1"),
          Ev(EventType::kFollow, "u5", "v1", kT0 + 15, "c2"),
          Ev(EventType::kFollow, "c1", "v1", kT0 + 16, "c1")};
}

void ExpectNumbers(const VideoStats& s) {
  EXPECT_EQ(s.views, 7);  // impressions of v1 (v2's not among them)
  EXPECT_EQ(s.watch_ms, 1000 + 4200 + 350);
  EXPECT_EQ(s.likes, 1);
  EXPECT_EQ(s.shares, 1);
  EXPECT_EQ(s.comments, 1);
  EXPECT_EQ(s.followers_gained, 2);
  const int64_t want[kNumSurfaces] = {2, 0, 0, 0, 1, 1, 1, 2};  // kSurfaces order
  for (int i = 0; i < kNumSurfaces; ++i) EXPECT_EQ(s.sources[i], want[i]) << kSurfaces[i];
}

TEST_F(SocialStoreTest, CreatorNumbersCountEachFieldAndImpressionsBySurface) {
  EXPECT_EQ(SurfaceIndex("foryou"), 0);
  EXPECT_EQ(SurfaceIndex("search"), 6);
  EXPECT_EQ(SurfaceIndex("FORYOU"), kNumSurfaces - 1);
  EXPECT_EQ(SurfaceIndex(""), kNumSurfaces - 1);
  ASSERT_TRUE(store_->AddComment("v1", "u3", "", "nice", kT0).ok());
  Log(NumbersLog());
  ExpectNumbers(S("v1"));
  const VideoStats v2 = S("v2");
  EXPECT_EQ(v2.views, 1);
  EXPECT_EQ(v2.sources[SurfaceIndex("sound")], 1);
  EXPECT_EQ(S("never-shown").views, 0);
}

TEST_F(SocialStoreTest, CreatorNumbersSurviveRestartsAndCrashesWithoutDoubling) {
  ASSERT_TRUE(store_->AddComment("v1", "u3", "", "nice", kT0).ok());
  const std::vector<Event> events = NumbersLog();
  const size_t half = events.size() / 2;
  Log(std::vector<Event>(events.begin(), events.begin() + half));
  // A kill between the log append and the store write: the store never saw the rest.
  Append(std::vector<Event>(events.begin() + half, events.end()));
  Reopen();
  ASSERT_TRUE(store_->CatchUp(*log_).ok());
  ExpectNumbers(S("v1"));
  Reopen();
  ASSERT_TRUE(store_->CatchUp(*log_).ok());
  ASSERT_TRUE(store_->CatchUp(*log_).ok());
  ExpectNumbers(S("v1"));
}

TEST_F(SocialStoreTest, AStoreWrittenBeforeTheCreatorNumbersRebuildsThemFromTheLog) {
  ASSERT_TRUE(store_->AddComment("v1", "u3", "", "nice", kT0).ok());
  Log(NumbersLog());
  store_.reset();
  {
    // What a store of the build before the numbers holds: the same keys without `soff`, `vs`.
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), (dir_ / "social").string(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), "soff").ok());
    for (const char* video : {"v1", "v2"}) {
      ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), std::string("vs") + '\0' + video).ok());
    }
  }
  Reopen();
  EXPECT_EQ(S("v1").views, 0);
  ASSERT_TRUE(store_->CatchUp(*log_).ok());
  ExpectNumbers(S("v1"));  // likes, shares and followers not applied a second time
  EXPECT_EQ(C("v1").likes, 1);
  EXPECT_EQ(store_->CountsOf("c1")->followers, 3);
  EXPECT_EQ(store_->Inbox("c1", "", 10)->items.size(), 5u);  // a comment, a like, three follows
}

TEST_F(SocialStoreTest, CreatorNumbersAreOneFixedRecordPerVideo) {
  std::vector<Event> events;
  for (int i = 0; i < 300; ++i) {
    const std::string user = absl::StrCat("u", i);
    events.push_back(Shown(user, "v1", absl::StrCat("surface", i), kT0 + i));
    events.push_back(Ev(EventType::kPlay, user, "v1", kT0 + i));
    events.push_back(Ev(EventType::kShare, user, "v1", kT0 + i));
  }
  Log(events);
  EXPECT_EQ(S("v1").views, 300);
  EXPECT_EQ(S("v1").sources[kNumSurfaces - 1], 300);
  store_.reset();
  // Every key naming the video: its counts and its numbers, not a key per viewer or surface.
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), (dir_ / "social").string(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  std::vector<std::string> keys;
  size_t stats_bytes = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    if (key.find("v1") == std::string::npos) continue;
    keys.push_back(key);
    if (key == std::string("vs") + '\0' + "v1") stats_bytes = it->value().size();
  }
  EXPECT_EQ(keys, (std::vector<std::string>{std::string("vc") + '\0' + "v1",
                                            std::string("vs") + '\0' + "v1"}));
  EXPECT_EQ(stats_bytes, 8u * (3 + kNumSurfaces));
}

TEST(UserOfLoggedTest, StripsOnlyAnEpochSuffix) {
  EXPECT_EQ(UserOfLogged("u1#2"), "u1");
  EXPECT_EQ(UserOfLogged("u1"), "u1");
  EXPECT_EQ(UserOfLogged("a#b"), "a#b");
}

}  // namespace
}  // namespace foryou::social
