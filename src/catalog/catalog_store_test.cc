// CatalogStore: create / get / put / duplicates / not found, moderation, the side records
// (creators, sounds, hashtag counts) and indexes a video write maintains, pagination, errors
// that leave the store unchanged, persistence across reopen, corrupt records -> DataLoss, and
// concurrent writers keeping counts exact.
#include "catalog/catalog_store.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalog/record_codec.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace foryou::catalog {
namespace {

class CatalogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/catalog_store_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = CatalogStore::Open(dir_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  // Every key and value in the store, read with RocksDB directly (the store must be closed).
  std::map<std::string, std::string> Dump() {
    store_.reset();
    rocksdb::DB* raw = nullptr;
    EXPECT_TRUE(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir_, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::map<std::string, std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      out[it->key().ToString()] = it->value().ToString();
    it.reset();
    db.reset();
    Reopen();
    return out;
  }
  // Writes raw bytes under each key, bypassing the store.
  void PutRaw(const std::map<std::string, std::string>& records) {
    store_.reset();
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir_, &raw).ok());
    for (const auto& [key, value] : records) {
      ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), key, value).ok());
    }
    delete raw;
    Reopen();
  }

  std::string dir_;
  std::unique_ptr<CatalogStore> store_;
};

User MakeUser(const std::string& id) {
  User u;
  u.id = id;
  u.language = "en";
  u.interests = {"cats"};
  u.created_ms = 1000;
  return u;
}

Video MakeVideo(const std::string& id, const std::string& creator, int64_t upload_ms,
                std::vector<std::string> tags = {}, const std::string& sound = "") {
  Video v;
  v.id = id;
  v.creator = creator;
  v.duration_ms = 15000;
  v.upload_ms = upload_ms;
  v.hashtags = std::move(tags);
  v.sound = sound;
  v.caption = "caption of " + id;
  return v;
}

std::vector<std::string> Ids(const std::vector<Video>& videos) {
  std::vector<std::string> ids;
  for (const Video& v : videos) ids.push_back(v.id);
  return ids;
}

uint64_t TagCount(CatalogStore* store, const std::string& tag) {
  absl::StatusOr<Hashtag> h = store->GetHashtag(tag);
  if (absl::IsNotFound(h.status())) return 0;
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? h->videos : 0;
}

TEST_F(CatalogStoreTest, UserCreateGetPutDuplicateNotFound) {
  ASSERT_TRUE(store_->CreateUser(MakeUser("u1")).ok());
  EXPECT_EQ(store_->GetUser("u1").value(), MakeUser("u1"));
  EXPECT_EQ(store_->num_users(), 1u);

  User other = MakeUser("u1");
  other.language = "fr";
  absl::Status dup = store_->CreateUser(other);
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists) << dup;
  EXPECT_EQ(store_->GetUser("u1")->language, "en");

  absl::StatusOr<User> missing = store_->GetUser("nobody");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "user 'nobody' not found");

  ASSERT_TRUE(store_->PutUser(other).ok());
  EXPECT_EQ(store_->GetUser("u1")->language, "fr");
  ASSERT_TRUE(store_->PutUser(MakeUser("u2")).ok());
  EXPECT_EQ(store_->num_users(), 2u);

  User bad = MakeUser("a b");
  EXPECT_EQ(store_->CreateUser(bad).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->num_users(), 2u);
}

TEST_F(CatalogStoreTest, DeleteUserRemovesOnlyThatUserAndFreesTheId) {
  ASSERT_TRUE(store_->CreateUser(MakeUser("u1")).ok());
  ASSERT_TRUE(store_->CreateUser(MakeUser("u2")).ok());
  ASSERT_TRUE(store_->DeleteUser("u1").ok());
  EXPECT_EQ(store_->GetUser("u1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetUser("u2").ok());
  EXPECT_EQ(store_->num_users(), 1u);
  EXPECT_EQ(store_->DeleteUser("u1").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->num_users(), 1u);

  Reopen();  // the delete is durable and the count is recomputed the same
  EXPECT_EQ(store_->GetUser("u1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->num_users(), 1u);
  User again = MakeUser("u1");
  again.language = "fr";
  ASSERT_TRUE(store_->CreateUser(again).ok());
  EXPECT_EQ(store_->GetUser("u1")->language, "fr");
  EXPECT_EQ(store_->num_users(), 2u);
}

TEST_F(CatalogStoreTest, CreateVideoCreatesCreatorSoundAndCountsHashtags) {
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v1", "c1", 5000, {"cats", "funny"}, "s1")).ok());
  EXPECT_EQ(store_->GetVideo("v1").value(), MakeVideo("v1", "c1", 5000, {"cats", "funny"}, "s1"));
  EXPECT_EQ(store_->GetCreator("c1").value(),
            (Creator{.id = "c1", .name = "c1", .created_ms = 5000}));
  EXPECT_EQ(store_->GetSound("s1").value(), (Sound{.id = "s1", .title = "", .creator = "c1"}));
  EXPECT_EQ(store_->GetHashtag("cats").value(), (Hashtag{.name = "cats", .videos = 1}));
  EXPECT_EQ(TagCount(store_.get(), "funny"), 1u);
  EXPECT_EQ(store_->num_videos(), 1u);

  // An existing creator / sound is kept as it is.
  ASSERT_TRUE(store_->PutCreator({.id = "c2", .name = "Ann", .created_ms = 1}).ok());
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v2", "c2", 6000, {"cats"}, "s1")).ok());
  EXPECT_EQ(store_->GetCreator("c2")->name, "Ann");
  EXPECT_EQ(store_->GetSound("s1")->creator, "c1");
  EXPECT_EQ(TagCount(store_.get(), "cats"), 2u);

  // Original sound: no sound record, no sound index.
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v3", "c3", 7000)).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetSound("").status()));
  EXPECT_EQ(store_->num_videos(), 3u);

  EXPECT_EQ(store_->GetVideo("zz").status().message(), "video 'zz' not found");
  EXPECT_TRUE(absl::IsNotFound(store_->GetCreator("zz").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetSound("zz").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetHashtag("zz").status()));
}

TEST_F(CatalogStoreTest, DuplicateHashtagInOneVideoCountsOnce) {
  Video v = MakeVideo("v1", "c1", 1, {"cats", "cats"});
  ASSERT_TRUE(store_->CreateVideo(v).ok());
  EXPECT_EQ(TagCount(store_.get(), "cats"), 1u);
  EXPECT_EQ(Ids(store_->VideosByHashtag("cats").value()), std::vector<std::string>{"v1"});
  v.hashtags = {};
  ASSERT_TRUE(store_->PutVideo(v).ok());
  EXPECT_EQ(TagCount(store_.get(), "cats"), 0u);
}

TEST_F(CatalogStoreTest, FailedWritesChangeNothing) {
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v1", "c1", 1, {"cats"}, "s1")).ok());
  const auto before = Dump();

  // Duplicate id (with different side records that must not appear).
  EXPECT_EQ(store_->CreateVideo(MakeVideo("v1", "c9", 2, {"dogs"}, "s9")).code(),
            absl::StatusCode::kAlreadyExists);
  // Unknown duet / stitch target.
  Video duet = MakeVideo("v2", "c2", 3, {"cats"}, "s2");
  duet.duet_of = "nope";
  absl::Status s = store_->CreateVideo(duet);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_NE(s.message().find("duet_of"), absl::string_view::npos) << s;
  duet.duet_of = "";
  duet.stitch_of = "nope";
  EXPECT_EQ(store_->PutVideo(duet).code(), absl::StatusCode::kNotFound);
  // Invalid records.
  Video bad = MakeVideo("v3", "c3", 1, {"Cats"});
  s = store_->CreateVideo(bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("hashtags[0]"), absl::string_view::npos) << s;
  EXPECT_EQ(store_->CreateVideo(MakeVideo("v3", "c 3", 1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateVideo(MakeVideo("v3", "c3", 1, {}, "s 3")).code(),
            absl::StatusCode::kInvalidArgument);
  Video self = MakeVideo("v3", "c3", 1);
  self.duet_of = "v3";
  EXPECT_EQ(store_->CreateVideo(self).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::IsNotFound(store_->SetModeration("nope", Moderation::kApproved)));
  EXPECT_EQ(store_->PutCreator({.id = ""}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->PutSound({.id = "s", .creator = "a b"}).code(),
            absl::StatusCode::kInvalidArgument);
  // A batch with one bad record writes none of its records.
  CatalogStore::Batch batch;
  batch.users = {MakeUser("u1")};
  batch.videos = {MakeVideo("v4", "c4", 1, {"cats"}), MakeVideo("v5", "c5", 1, {"#bad"})};
  EXPECT_EQ(store_->Write(batch, true).code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(Dump(), before);
  EXPECT_EQ(store_->num_videos(), 1u);
  EXPECT_EQ(store_->num_users(), 0u);
}

TEST_F(CatalogStoreTest, DuetAndStitchOfKnownVideos) {
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v1", "c1", 1)).ok());
  Video duet = MakeVideo("v2", "c2", 2);
  duet.duet_of = "v1";
  duet.stitch_of = "v1";
  ASSERT_TRUE(store_->CreateVideo(duet).ok());
  EXPECT_EQ(store_->GetVideo("v2")->duet_of, "v1");
}

TEST_F(CatalogStoreTest, DuetsAndStitchesAreListedByTheirOriginal) {
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v1", "c1", 1)).ok());
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v10", "c1", 1)).ok());
  Video duet = MakeVideo("d1", "c2", 5);
  duet.duet_of = "v1";
  Video stitch = MakeVideo("s1", "c3", 7);
  stitch.stitch_of = "v1";
  Video other = MakeVideo("d2", "c2", 9);
  other.duet_of = "v10";  // an id extending v1's must not leak into v1's list
  for (const Video& v : {duet, stitch, other}) ASSERT_TRUE(store_->CreateVideo(v).ok());
  EXPECT_EQ(Ids(store_->VideosByOriginal("v1").value()), (std::vector<std::string>{"s1", "d1"}));
  EXPECT_EQ(Ids(store_->VideosByOriginal("v10").value()), std::vector<std::string>{"d2"});
  EXPECT_TRUE(store_->VideosByOriginal("d1").value().empty());
  // A replaced record moves its key.
  other.duet_of = "v1";
  ASSERT_TRUE(store_->PutVideo(other).ok());
  EXPECT_EQ(Ids(store_->VideosByOriginal("v1").value()),
            (std::vector<std::string>{"d2", "s1", "d1"}));
  EXPECT_TRUE(store_->VideosByOriginal("v10").value().empty());
}

TEST_F(CatalogStoreTest, AStoreWrittenBeforeTheOriginalIndexGetsItAtOpen) {
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v1", "c1", 1)).ok());
  Video duet = MakeVideo("d1", "c2", 5);
  duet.duet_of = "v1";
  Video stitch = MakeVideo("s1", "c3", 7);
  stitch.stitch_of = "v1";
  ASSERT_TRUE(store_->CreateVideo(duet).ok());
  ASSERT_TRUE(store_->CreateVideo(stitch).ok());
  const auto before = Dump();
  ASSERT_TRUE(before.contains(std::string(codec::kOriginalIndexKey)));
  // The store as an older build left it: no by-original keys, no marker.
  store_.reset();
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir_, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    int removed = 0;
    for (const auto& [key, value] : before) {
      if (key.starts_with(codec::kByOriginalPrefix) || key == codec::kOriginalIndexKey) {
        ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), key).ok());
        ++removed;
      }
    }
    EXPECT_EQ(removed, 3);
  }
  Reopen();
  EXPECT_EQ(Ids(store_->VideosByOriginal("v1").value()), (std::vector<std::string>{"s1", "d1"}));
  EXPECT_EQ(Dump(), before);
}

TEST_F(CatalogStoreTest, PutVideoMovesCountsAndIndexes) {
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v1", "c1", 100, {"a", "b"}, "s1")).ok());
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v2", "c1", 200, {"b"}, "s1")).ok());
  EXPECT_EQ(TagCount(store_.get(), "a"), 1u);
  EXPECT_EQ(TagCount(store_.get(), "b"), 2u);

  // v1 changes hashtags, creator, sound and upload time.
  ASSERT_TRUE(store_->PutVideo(MakeVideo("v1", "c2", 300, {"b", "c"}, "s2")).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetHashtag("a").status()));  // no video carries it
  EXPECT_EQ(TagCount(store_.get(), "b"), 2u);
  EXPECT_EQ(TagCount(store_.get(), "c"), 1u);
  EXPECT_EQ(Ids(store_->VideosByCreator("c1").value()), std::vector<std::string>{"v2"});
  EXPECT_EQ(Ids(store_->VideosByCreator("c2").value()), std::vector<std::string>{"v1"});
  EXPECT_EQ(Ids(store_->VideosBySound("s1").value()), std::vector<std::string>{"v2"});
  EXPECT_EQ(Ids(store_->VideosBySound("s2").value()), std::vector<std::string>{"v1"});
  EXPECT_EQ(Ids(store_->VideosByHashtag("b").value()), (std::vector<std::string>{"v1", "v2"}));
  EXPECT_TRUE(store_->VideosByHashtag("a").value().empty());
  EXPECT_EQ(store_->num_videos(), 2u);

  // Putting the same record again changes nothing.
  const auto before = Dump();
  ASSERT_TRUE(store_->PutVideo(store_->GetVideo("v1").value()).ok());
  EXPECT_EQ(Dump(), before);
}

TEST_F(CatalogStoreTest, SetModeration) {
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v1", "c1", 1, {"cats"})).ok());
  EXPECT_EQ(store_->GetVideo("v1")->moderation, Moderation::kPending);
  ASSERT_TRUE(store_->SetModeration("v1", Moderation::kApproved).ok());
  EXPECT_EQ(store_->GetVideo("v1")->moderation, Moderation::kApproved);
  ASSERT_TRUE(store_->SetModeration("v1", Moderation::kRemoved).ok());
  EXPECT_EQ(store_->GetVideo("v1")->moderation, Moderation::kRemoved);
  EXPECT_EQ(TagCount(store_.get(), "cats"), 1u);  // counts do not depend on moderation
  Video v = MakeVideo("v2", "c1", 1);
  v.moderation = static_cast<Moderation>(9);
  EXPECT_EQ(store_->PutVideo(v).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CatalogStoreTest, IndexesListNewestFirstWithLimit) {
  // Same creator, times out of order, a tie at 300 (ordered by id), a negative time.
  for (const auto& [id, t] : std::vector<std::pair<std::string, int64_t>>{
           {"v1", 300}, {"v2", 100}, {"v3", 500}, {"v0", 300}, {"v4", -50}}) {
    ASSERT_TRUE(store_->CreateVideo(MakeVideo(id, "c1", t, {"tag"}, "s1")).ok());
  }
  // Another creator whose id extends c1's must not leak into c1's page.
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("x", "c10", 900, {"tag2"}, "s10")).ok());
  const std::vector<std::string> want = {"v3", "v0", "v1", "v2", "v4"};
  EXPECT_EQ(Ids(store_->VideosByCreator("c1").value()), want);
  EXPECT_EQ(Ids(store_->VideosBySound("s1").value()), want);
  EXPECT_EQ(Ids(store_->VideosByHashtag("tag").value()), want);
  EXPECT_EQ(Ids(store_->VideosByCreator("c1", 2).value()), (std::vector<std::string>{"v3", "v0"}));
  EXPECT_TRUE(store_->VideosByCreator("c").value().empty());
  EXPECT_TRUE(store_->VideosByCreator("nobody").value().empty());
  EXPECT_EQ(store_->VideosByCreator("c1", 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CatalogStoreTest, ForEachHashtagListsEveryTagWithItsCount) {
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v1", "c1", 1, {"funny", "cats"})).ok());
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v2", "c1", 2, {"cats"})).ok());
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v3", "c1", 3, {"dogs"})).ok());
  Video v3 = MakeVideo("v3", "c1", 3, {"cats"});
  ASSERT_TRUE(store_->PutVideo(v3).ok());  // "dogs" loses its last video
  std::vector<Hashtag> tags;
  ASSERT_TRUE(store_->ForEachHashtag([&](const Hashtag& h) { tags.push_back(h); }).ok());
  EXPECT_EQ(tags, (std::vector<Hashtag>{{.name = "cats", .videos = 3},
                                        {.name = "funny", .videos = 1}}));
}

TEST_F(CatalogStoreTest, ListPagesAndForEach) {
  for (const char* id : {"b", "a", "d", "c", "e"}) {
    ASSERT_TRUE(store_->CreateVideo(MakeVideo(id, "c1", 1)).ok());
    ASSERT_TRUE(store_->CreateUser(MakeUser(std::string("u") + id)).ok());
  }
  EXPECT_EQ(Ids(store_->ListVideos("", 2).value()), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Ids(store_->ListVideos("b", 2).value()), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(Ids(store_->ListVideos("d", 2).value()), std::vector<std::string>{"e"});
  EXPECT_TRUE(store_->ListVideos("e", 2).value().empty());
  EXPECT_EQ(Ids(store_->ListVideos("bb", 100).value()), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_EQ(store_->ListVideos("", 0).status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<User> users = store_->ListUsers("ub", 10).value();
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[0].id, "uc");

  std::vector<std::string> seen;
  ASSERT_TRUE(store_->ForEachVideo([&](const Video& v) { seen.push_back(v.id); }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  int users_seen = 0;
  ASSERT_TRUE(store_->ForEachUser([&](const User&) { ++users_seen; }).ok());
  EXPECT_EQ(users_seen, 5);
  // The callback may call back into the store.
  ASSERT_TRUE(store_
                  ->ForEachVideo([&](const Video& v) {
                    EXPECT_TRUE(store_->SetModeration(v.id, Moderation::kApproved).ok());
                  })
                  .ok());
  EXPECT_EQ(store_->GetVideo("e")->moderation, Moderation::kApproved);
}

TEST_F(CatalogStoreTest, BatchWriteUpsertsAndSeesItsOwnRecords) {
  CatalogStore::Batch batch;
  batch.users = {MakeUser("u1"), MakeUser("u2"), MakeUser("u1")};
  batch.creators = {{.id = "c1", .name = "Ann", .created_ms = 7}};
  batch.sounds = {{.id = "s1", .title = "Song", .creator = "c1"}};
  Video duet = MakeVideo("v2", "c1", 2, {"t"});
  duet.duet_of = "v1";  // earlier in the same batch
  batch.videos = {MakeVideo("v1", "c1", 1, {"t"}, "s1"), duet,
                  MakeVideo("v1", "c1", 1, {"t", "u"}, "s1")};
  ASSERT_TRUE(store_->Write(batch, false).ok());
  ASSERT_TRUE(store_->Sync().ok());
  EXPECT_EQ(store_->num_users(), 2u);
  EXPECT_EQ(store_->num_videos(), 2u);
  EXPECT_EQ(TagCount(store_.get(), "t"), 2u);
  EXPECT_EQ(TagCount(store_.get(), "u"), 1u);
  EXPECT_EQ(store_->GetCreator("c1")->name, "Ann");
  EXPECT_EQ(store_->GetSound("s1")->title, "Song");
  EXPECT_EQ(Ids(store_->VideosByHashtag("t").value()), (std::vector<std::string>{"v2", "v1"}));
}

TEST_F(CatalogStoreTest, PersistsAcrossReopen) {
  ASSERT_TRUE(store_->CreateUser(MakeUser("u1")).ok());
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v1", "c1", 1, {"cats"}, "s1")).ok());
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v2", "c1", 2, {"cats"})).ok());
  ASSERT_TRUE(store_->SetModeration("v2", Moderation::kLimited).ok());
  Reopen();
  EXPECT_EQ(store_->num_users(), 1u);
  EXPECT_EQ(store_->num_videos(), 2u);
  EXPECT_EQ(store_->GetUser("u1").value(), MakeUser("u1"));
  EXPECT_EQ(store_->GetVideo("v2")->moderation, Moderation::kLimited);
  EXPECT_EQ(TagCount(store_.get(), "cats"), 2u);
  EXPECT_EQ(Ids(store_->VideosByCreator("c1").value()), (std::vector<std::string>{"v2", "v1"}));
  EXPECT_EQ(store_->CreateVideo(MakeVideo("v1", "c1", 1)).code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(CatalogStoreTest, SecondOpenOfTheSameDirFails) {
  absl::StatusOr<std::unique_ptr<CatalogStore>> second = CatalogStore::Open(dir_);
  EXPECT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  // The first is still fine.
  ASSERT_TRUE(store_->CreateUser(MakeUser("u1")).ok());
}

TEST_F(CatalogStoreTest, OtherFormatVersionIsRefused) {
  std::string v2;
  const uint32_t version = 2;
  v2.append(reinterpret_cast<const char*>(&version), 4);
  store_.reset();
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir_, &raw).ok());
  ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), std::string(codec::kFormatKey), v2).ok());
  delete raw;
  absl::StatusOr<std::unique_ptr<CatalogStore>> s = CatalogStore::Open(dir_);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
  PutRaw({{std::string(codec::kFormatKey), codec::EncodeFormat()}});  // reopens store_
}

TEST_F(CatalogStoreTest, CorruptRecordsAreDataLossNamingTheKey) {
  ASSERT_TRUE(store_->CreateVideo(MakeVideo("v1", "c1", 1, {"cats"})).ok());
  ASSERT_TRUE(store_->CreateUser(MakeUser("u1")).ok());
  PutRaw({{"v/bad", "garbage"},
          {"u/u1", std::string("\x01\x00", 2)},
          {"h/cats", ""},
          {"c/c1", codec::Encode(Creator{.id = "other"})},  // decodes, but names another id
          {codec::IndexKey(codec::kByCreatorPrefix, "c9", 1, "ghost"), ""}});

  absl::Status s = store_->GetVideo("bad").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find("v/bad"), absl::string_view::npos) << s;
  EXPECT_EQ(store_->GetUser("u1").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->GetCreator("c1").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->num_videos(), 2u);  // counted by key at Open
  EXPECT_EQ(store_->ForEachVideo([](const Video&) {}).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->ListUsers("", 10).status().code(), absl::StatusCode::kDataLoss);
  // A write that needs the corrupt count fails and writes nothing.
  EXPECT_EQ(store_->CreateVideo(MakeVideo("v2", "c2", 1, {"cats"})).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::IsNotFound(store_->GetVideo("v2").status()));
  // A write that needs the corrupt video fails too.
  EXPECT_EQ(store_->SetModeration("bad", Moderation::kApproved).code(),
            absl::StatusCode::kDataLoss);
  // Other records are still served.
  EXPECT_TRUE(store_->GetVideo("v1").ok());
  // An index key naming a missing video.
  s = store_->VideosByCreator("c9").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

TEST(RecordCodecTest, EveryTruncationAndTrailingByteFailsToDecode) {
  User u = MakeUser("u1");
  u.profile = {"a", "bb"};
  Video v = MakeVideo("v1", "c1", -7, {"x", "y"}, "s");
  v.moderation = Moderation::kRemoved;
  const std::string ue = codec::Encode(u), ve = codec::Encode(v);
  User u2;
  Video v2;
  ASSERT_TRUE(codec::Decode(ue, "u1", &u2));
  EXPECT_EQ(u2, u);
  ASSERT_TRUE(codec::Decode(ve, "v1", &v2));
  EXPECT_EQ(v2, v);
  EXPECT_FALSE(codec::Decode(ve, "v2", &v2));
  for (size_t n = 0; n < ue.size(); ++n)
    EXPECT_FALSE(codec::Decode(ue.substr(0, n), "u1", &u2)) << n;
  for (size_t n = 0; n < ve.size(); ++n)
    EXPECT_FALSE(codec::Decode(ve.substr(0, n), "v1", &v2)) << n;
  EXPECT_FALSE(codec::Decode(ue + "x", "u1", &u2));
  EXPECT_FALSE(codec::Decode(ve + "x", "v1", &v2));
  std::string bad_version = ve;
  bad_version[0] = 2;
  EXPECT_FALSE(codec::Decode(bad_version, "v1", &v2));
  // A huge list count with no data behind it fails without allocating it.
  std::string huge =
      ue.substr(0, 1 + 8 + 2 + 8 + 2 + 8 + 0 + 8 + 0);  // version, id, language, country, device
  const uint64_t n = ~uint64_t{0};
  huge.append(reinterpret_cast<const char*>(&n), 8);
  EXPECT_FALSE(codec::Decode(huge, "u1", &u2));
}

// Records written before the upload fields existed end after upload_type; they still decode
// (with the defaults), and a video whose upload fields are the defaults is written the old way.
TEST(RecordCodecTest, UploadFieldsAreAnOptionalTailOldRecordsDecode) {
  Video plain = MakeVideo("v1", "c1", 5, {"x"}, "s");
  const std::string old_bytes = codec::Encode(plain);
  Video up = plain;
  up.media_url_360 = "/media/v1/360.mp4";
  up.cover_url = "/media/v1/cover.jpg";
  up.frame_hash = "0123456789abcdef";
  up.allow_stitch = false;
  const std::string ue = codec::Encode(up);
  ASSERT_GT(ue.size(), old_bytes.size());
  EXPECT_EQ(ue.substr(0, old_bytes.size()), old_bytes);
  Video back;
  ASSERT_TRUE(codec::Decode(ue, "v1", &back));
  EXPECT_EQ(back, up);
  ASSERT_TRUE(codec::Decode(old_bytes, "v1", &back));
  EXPECT_EQ(back, plain);
  EXPECT_TRUE(back.allow_duet && back.allow_stitch);
  for (size_t n = old_bytes.size() + 1; n < ue.size(); ++n) {
    EXPECT_FALSE(codec::Decode(ue.substr(0, n), "v1", &back)) << n;
  }
  EXPECT_FALSE(codec::Decode(ue + "x", "v1", &back));
  std::string bad_allow = ue;
  bad_allow.back() = 4;
  EXPECT_FALSE(codec::Decode(bad_allow, "v1", &back));
}

TEST(RecordCodecTest, SoundAudioFieldsAreAnOptionalTailOldRecordsDecode) {
  const Sound plain{.id = "s1", .title = "Song", .creator = "c1"};
  const std::string old_bytes = codec::Encode(plain);
  Sound with_audio = plain;
  with_audio.audio_url = "/media/vu-1/sound.m4a";
  with_audio.original_video = "vu-1";
  const std::string ae = codec::Encode(with_audio);
  ASSERT_GT(ae.size(), old_bytes.size());
  EXPECT_EQ(ae.substr(0, old_bytes.size()), old_bytes);
  Sound back;
  ASSERT_TRUE(codec::Decode(ae, "s1", &back));
  EXPECT_EQ(back, with_audio);
  ASSERT_TRUE(codec::Decode(old_bytes, "s1", &back));
  EXPECT_EQ(back, plain);
  EXPECT_EQ(back.audio_url, "");
  for (size_t n = old_bytes.size() + 1; n < ae.size(); ++n) {
    EXPECT_FALSE(codec::Decode(ae.substr(0, n), "s1", &back)) << n;
  }
  EXPECT_FALSE(codec::Decode(ae + "x", "s1", &back));
}

TEST_F(CatalogStoreTest, ConcurrentWritersKeepCountsExact) {
  constexpr int kThreads = 4, kPerThread = 15;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = absl::StrCat("v", t, "_", i);
        EXPECT_TRUE(store_
                        ->CreateVideo(MakeVideo(id, absl::StrCat("c", i % 3), i,
                                                {"shared", absl::StrCat("t", t)}))
                        .ok());
        EXPECT_TRUE(
            store_->PutUser(MakeUser(absl::StrCat("u", i))).ok());  // same ids across threads
        EXPECT_TRUE(store_->GetVideo(id).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store_->num_videos(), uint64_t{kThreads * kPerThread});
  EXPECT_EQ(store_->num_users(), uint64_t{kPerThread});
  EXPECT_EQ(TagCount(store_.get(), "shared"), uint64_t{kThreads * kPerThread});
  EXPECT_EQ(TagCount(store_.get(), "t2"), uint64_t{kPerThread});
  Reopen();
  EXPECT_EQ(store_->num_users(), uint64_t{kPerThread});
}

TEST_F(CatalogStoreTest, TheListenerHearsEveryCommittedWriteAndNoFailedOne) {
  std::vector<CatalogChange> heard;
  store_->SetListener([&](const CatalogChange& c) { heard.push_back(c); });
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  ASSERT_TRUE(store_->CreateVideo({.id = "v1", .creator = "c1", .hashtags = {"b", "a"},
                                   .sound = "s1", .duration_ms = 1})
                  .ok());
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].videos, std::vector<std::string>{"v1"});
  EXPECT_EQ(heard[0].creators, std::vector<std::string>{"c1"});
  EXPECT_EQ(heard[0].sounds, std::vector<std::string>{"s1"});
  EXPECT_EQ(sorted(heard[0].hashtags), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(store_->SetModeration("v1", Moderation::kRemoved).ok());
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_EQ(heard[1].videos, std::vector<std::string>{"v1"});
  // Refused writes are not heard.
  EXPECT_FALSE(store_->CreateVideo({.id = "v1", .creator = "c1", .duration_ms = 1}).ok());
  EXPECT_FALSE(store_->SetModeration("nope", Moderation::kApproved).ok());
  EXPECT_EQ(heard.size(), 2u);
  ASSERT_TRUE(store_->CreateUser({.id = "u1"}).ok());
  ASSERT_TRUE(store_->DeleteUser("u1").ok());
  ASSERT_EQ(heard.size(), 4u);
  EXPECT_EQ(heard[3].users, std::vector<std::string>{"u1"});
  CatalogStore::Batch batch;
  batch.users.push_back({.id = "u2"});
  batch.videos.push_back({.id = "v2", .creator = "c2", .duration_ms = 1});
  ASSERT_TRUE(store_->Write(batch, /*sync=*/false).ok());
  ASSERT_EQ(heard.size(), 5u);
  EXPECT_EQ(heard[4].users, std::vector<std::string>{"u2"});
  EXPECT_EQ(heard[4].videos, std::vector<std::string>{"v2"});
  store_->SetListener(nullptr);
  ASSERT_TRUE(store_->CreateUser({.id = "u3"}).ok());
  EXPECT_EQ(heard.size(), 5u);
}

}  // namespace
}  // namespace foryou::catalog
