// KuaiRand import: the column mapping on a small fixture (plain and .zst), bad rows counted,
// idempotency (a second import leaves every byte of the store as it was, and keeps moderation
// decisions and user settings), and the real KuaiRand-Pure tables when present.
#include "kuairand/catalog_import.h"

#include <unistd.h>
#include <zstd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "kuairand/display_text.h"
#include "kuairand/real_log_slice.h"
#include "rocksdb/db.h"

namespace foryou::kuairand {
namespace {

using catalog::CatalogStore;
using catalog::Creator;
using catalog::Moderation;
using catalog::Sound;
using catalog::User;
using catalog::Video;
using catalog::Hashtag;


constexpr int64_t kNow = 1700000000000;
constexpr int64_t kApr10 = 1649548800000;  // 2022-04-10T00:00:00Z

constexpr char kVideos[] =
    "video_id,author_id,video_type,upload_dt,upload_type,visible_status,video_duration,"
    "server_width,server_height,music_id,music_type,tag\n"
    "0,7349781,NORMAL,2022-04-10,LongImport,0.0,87433.0,720.0,1280.0,9155697141,9.0,39\n"
    "1,2103883,NORMAL,2022-04-11,Kmovie,0.0,218066.0,720.0,1280.0,6355810746,9.0,\"39,68\"\n"
    "2,7349781,AD,2022-04-09,Web,0.0,,720.0,1440.0,0,,\n"  // no duration, no music, no tag
    "3,2103883,NORMAL,2022-04-12,PictureSet,0.0,5000.0,720.0,1280.0,6355810746,4.0,68\n"
    "x,1,NORMAL,2022-04-12,Web,0.0,5000.0,720.0,1280.0,1,4.0,1\n"     // bad: id
    "4,1,NORMAL,2022-04-12,Web,0.0,5000.0,720.0,1280.0,1,4.0\n"       // bad: width
    "5,9,NORMAL,2022-04-12,Web,0.0,5000.0,720.0,1280.0,1,4.0,a b\n";  // bad: tag

std::string UsersCsv() {
  std::string out =
      "user_id,user_active_degree,is_lowactive_period,is_live_streamer,is_video_author,"
      "follow_user_num,follow_user_num_range,fans_user_num,fans_user_num_range,friend_user_num,"
      "friend_user_num_range,register_days,register_days_range";
  for (int i = 0; i < 18; ++i) absl::StrAppend(&out, ",onehot_feat", i);
  out += "\n";
  for (int u : {0, 1, 2}) {
    absl::StrAppend(&out, u, ",full_active,0,", u,
                    ",1,514,500+,150,\"[100,1k)\",34,\"[30,60)\",799,730+");
    for (int i = 0; i < 18; ++i) absl::StrAppend(&out, ",", (u + i) % 5);
    out += "\n";
  }
  out += "nope,full_active\n";  // bad
  return out;
}

class KuaiRandImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/kuairand_import_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    videos_ = dir_ + "/videos.csv";
    users_ = dir_ + "/users.csv";
    Write(videos_, kVideos);
    Write(users_, UsersCsv());
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  static void Write(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  }
  void Reopen() {
    store_.reset();
    store_ = CatalogStore::Open(dir_ + "/db").value();
  }
  std::map<std::string, std::string> Dump() {
    store_.reset();
    rocksdb::DB* raw = nullptr;
    EXPECT_TRUE(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir_ + "/db", &raw).ok());
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

  std::string dir_, videos_, users_;
  std::unique_ptr<CatalogStore> store_;
};

TEST_F(KuaiRandImportTest, MapsEveryColumn) {
  ImportStats stats = ImportKuaiRand(videos_, users_, kNow, store_.get()).value();
  EXPECT_EQ(stats.videos, 4u);
  EXPECT_EQ(stats.users, 3u);
  EXPECT_EQ(stats.creators, 2u);
  EXPECT_EQ(stats.sounds, 2u);
  EXPECT_EQ(stats.hashtags, 2u);
  EXPECT_EQ(stats.bad_rows, 4u);
  EXPECT_EQ(store_->num_videos(), 4u);
  EXPECT_EQ(store_->num_users(), 3u);

  Video v1 = store_->GetVideo("1").value();
  EXPECT_EQ(v1.creator, "2103883");
  EXPECT_EQ(v1.hashtags, (std::vector<std::string>{"topic39", "topic68"}));
  EXPECT_EQ(v1.sound, "6355810746");
  EXPECT_EQ(v1.duration_ms, 218066u);
  EXPECT_EQ(v1.upload_ms, kApr10 + 86400000);
  EXPECT_EQ(v1.moderation, Moderation::kApproved);
  // Built from the row and marked as generated (the data set has no text).
  EXPECT_EQ(v1.caption,
            "Topic 39 (also Topic 68) · 3:38 · posted 11 Apr 2022"
            " (generated caption; KuaiRand has no text)");
  EXPECT_EQ(v1.video_type, "NORMAL");
  EXPECT_EQ(v1.upload_type, "Kmovie");
  EXPECT_EQ(v1.media_url, "/media/topic39_15s.webm");  // the category's clip, at the cap

  Video v2 = store_->GetVideo("2").value();
  EXPECT_TRUE(v2.sound.empty());
  EXPECT_TRUE(v2.hashtags.empty());
  EXPECT_EQ(v2.duration_ms, 0u);
  EXPECT_EQ(v2.caption, "Untagged · length not given · posted 9 Apr 2022"
                        " (generated caption; KuaiRand has no text)");
  EXPECT_EQ(v2.video_type, "AD");
  EXPECT_EQ(v2.media_url, "/media/untagged_5s.webm");  // unknown length: 5 s
  EXPECT_EQ(store_->GetVideo("3")->media_url, "/media/topic68_5s.webm");

  // The creator dates from its first upload; a sound belongs to its first user.
  // Names are generated from the ids and say so (display_text.h).
  EXPECT_EQ(store_->GetCreator("7349781").value(),
            (Creator{.id = "7349781",
                     .name = GeneratedCreatorName(7349781),
                     .created_ms = kApr10 - 86400000}));
  EXPECT_TRUE(absl::EndsWith(store_->GetCreator("7349781")->name, "(generated name)"));
  EXPECT_EQ(store_->GetSound("6355810746").value(),
            (Sound{.id = "6355810746",
                   .title = GeneratedSoundTitle(6355810746),
                   .creator = "2103883"}));
  EXPECT_TRUE(absl::EndsWith(store_->GetSound("6355810746")->title, "(generated title)"));
  EXPECT_EQ(store_->GetHashtag("topic39")->videos, 2u);
  EXPECT_EQ(store_->GetHashtag("topic68")->videos, 2u);
  std::vector<Video> by_sound = store_->VideosBySound("6355810746").value();
  ASSERT_EQ(by_sound.size(), 2u);
  EXPECT_EQ(by_sound[0].id, "3");  // newest first

  User u1 = store_->GetUser("1").value();
  EXPECT_EQ(u1.language, "zh");
  EXPECT_EQ(u1.country, "CN");
  EXPECT_EQ(u1.device, "");
  EXPECT_EQ(u1.created_ms, kNow);
  // user_active_degree, then kuairand::kUserFields (model::ProfileField order).
  ASSERT_EQ(u1.profile.size(), 25u);
  EXPECT_EQ(u1.profile[0], "full_active");
  EXPECT_EQ(u1.profile[1], "1");         // is_live_streamer
  EXPECT_EQ(u1.profile[3], "500+");      // follow_user_num_range
  EXPECT_EQ(u1.profile[4], "[100,1k)");  // fans_user_num_range
  EXPECT_EQ(u1.profile[7], "1");         // onehot_feat0 = (1 + 0) % 5
  EXPECT_EQ(u1.profile[24], "3");        // onehot_feat17 = (1 + 17) % 5
}

TEST_F(KuaiRandImportTest, SecondImportChangesNothing) {
  ASSERT_TRUE(ImportKuaiRand(videos_, users_, kNow, store_.get()).ok());
  const auto first = Dump();
  ImportStats again = ImportKuaiRand(videos_, users_, kNow + 999, store_.get()).value();
  EXPECT_EQ(again.videos, 4u);
  EXPECT_EQ(Dump(), first);
  EXPECT_EQ(store_->GetHashtag("topic39")->videos, 2u);
  EXPECT_EQ(store_->num_videos(), 4u);
}

TEST_F(KuaiRandImportTest, ReimportKeepsPlatformDecisions) {
  ASSERT_TRUE(ImportKuaiRand(videos_, users_, kNow, store_.get()).ok());
  ASSERT_TRUE(store_->SetModeration("0", Moderation::kRemoved).ok());
  User u = store_->GetUser("2").value();
  u.keyword_filters = {"spoiler"};
  u.epoch = 4;
  ASSERT_TRUE(store_->PutUser(u).ok());
  ASSERT_TRUE(store_->PutCreator({.id = "7349781", .name = "Renamed", .created_ms = 1}).ok());
  // A platform media_url survives; an emptied one gets the demo clip again.
  Video v1 = store_->GetVideo("1").value();
  v1.media_url = "https://cdn.example/1.mp4";
  ASSERT_TRUE(store_->PutVideo(v1).ok());
  Video v3 = store_->GetVideo("3").value();
  const std::string demo_url = v3.media_url;
  v3.media_url = "";
  ASSERT_TRUE(store_->PutVideo(v3).ok());
  ASSERT_TRUE(ImportKuaiRand(videos_, users_, kNow, store_.get()).ok());
  EXPECT_EQ(store_->GetVideo("1")->media_url, "https://cdn.example/1.mp4");
  EXPECT_EQ(store_->GetVideo("3")->media_url, demo_url);
  EXPECT_EQ(store_->GetVideo("0")->moderation, Moderation::kRemoved);
  EXPECT_EQ(store_->GetUser("2").value(), u);
  EXPECT_EQ(store_->GetCreator("7349781")->name, "Renamed");
}

TEST_F(KuaiRandImportTest, ReadsZstdAndSkipsAnEmptyPath) {
  std::string compressed(ZSTD_compressBound(sizeof(kVideos)), '\0');
  const size_t n =
      ZSTD_compress(compressed.data(), compressed.size(), kVideos, sizeof(kVideos) - 1, 3);
  ASSERT_FALSE(ZSTD_isError(n));
  compressed.resize(n);
  Write(dir_ + "/videos.csv.zst", compressed);
  ImportStats stats = ImportKuaiRand(dir_ + "/videos.csv.zst", "", kNow, store_.get()).value();
  EXPECT_EQ(stats.videos, 4u);
  EXPECT_EQ(stats.users, 0u);
  EXPECT_EQ(store_->num_users(), 0u);
}

TEST_F(KuaiRandImportTest, MissingFileOrColumnIsAnError) {
  EXPECT_TRUE(
      absl::IsNotFound(ImportKuaiRand(dir_ + "/nope.csv", "", kNow, store_.get()).status()));
  Write(dir_ + "/odd.csv", "video_id,author_id\n1,2\n");
  absl::Status s = ImportKuaiRand(dir_ + "/odd.csv", "", kNow, store_.get()).status();
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_NE(s.message().find("music_id"), absl::string_view::npos) << s;
  EXPECT_EQ(store_->num_videos(), 0u);
}

TEST(KuaiRandMappingTest, Hashtags) {
  std::vector<std::string> tags;
  ASSERT_TRUE(KuaiRandHashtags("39, 68,39,", &tags));
  EXPECT_EQ(tags, (std::vector<std::string>{"topic39", "topic68"}));
  ASSERT_TRUE(KuaiRandHashtags("", &tags));
  EXPECT_TRUE(tags.empty());
  EXPECT_FALSE(KuaiRandHashtags("a#b", &tags));
  EXPECT_EQ(KuaiRandSoundId(0), "");
  EXPECT_EQ(KuaiRandSoundId(42), "42");
}

// Clip lengths follow the durations in 5 s steps, at least 5 s, at most the 15 s cap.
TEST(KuaiRandMappingTest, ClipSeconds) {
  EXPECT_EQ(KuaiRandClipSeconds(0), 5u);  // unknown
  EXPECT_EQ(KuaiRandClipSeconds(1200), 5u);
  EXPECT_EQ(KuaiRandClipSeconds(7499), 5u);
  EXPECT_EQ(KuaiRandClipSeconds(7500), 10u);
  EXPECT_EQ(KuaiRandClipSeconds(12499), 10u);
  EXPECT_EQ(KuaiRandClipSeconds(12500), 15u);
  EXPECT_EQ(KuaiRandClipSeconds(87433), kClipCapSeconds);
  EXPECT_EQ(KuaiRandClipSeconds(UINT32_MAX), kClipCapSeconds);
  EXPECT_EQ(KuaiRandMediaUrl({"topic3", "topic9"}, 9000), "/media/topic3_10s.webm");
  EXPECT_EQ(KuaiRandMediaUrl({}, 0), "/media/untagged_5s.webm");
}

// The real KuaiRand-Pure tables shipped in demo/kuairand/.
TEST(KuaiRandRealImportTest, ImportsKuaiRandPure) {
  const std::string videos = testing::DemoData("video_features_basic_pure.csv.zst");
  const std::string users = testing::DemoData("user_features_pure.csv.zst");
  ASSERT_TRUE(std::filesystem::exists(videos) && std::filesystem::exists(users))
      << "demo/kuairand/ is missing the KuaiRand tables";
  const std::string dir = absl::StrCat(::testing::TempDir(), "/kuairand_real_", getpid());
  std::filesystem::remove_all(dir);
  {
    auto store = CatalogStore::Open(dir).value();
    const auto start = std::chrono::steady_clock::now();
    ImportStats stats = ImportKuaiRand(videos, users, kNow, store.get()).value();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "kuairand import videos=" << stats.videos << " users=" << stats.users
              << " creators=" << stats.creators << " sounds=" << stats.sounds
              << " hashtags=" << stats.hashtags << " bad_rows=" << stats.bad_rows
              << " secs=" << secs << "\n";
    EXPECT_EQ(stats.videos, 7583u);
    EXPECT_EQ(stats.users, 27285u);
    EXPECT_EQ(stats.creators, 6510u);
    EXPECT_EQ(stats.sounds, 7201u);
    EXPECT_EQ(stats.hashtags, 46u);
    EXPECT_EQ(stats.bad_rows, 0u);
    EXPECT_EQ(store->num_videos(), 7583u);
    EXPECT_EQ(store->num_users(), 27285u);
    EXPECT_EQ(store->GetHashtag("topic39")->videos, 1446u);
    Video v0 = store->GetVideo("0").value();
    EXPECT_EQ(v0.creator, "7349781");
    EXPECT_EQ(v0.sound, "9155697141");
    EXPECT_EQ(v0.duration_ms, 87433u);
    EXPECT_EQ(v0.upload_ms, kApr10);
    EXPECT_EQ(store->GetUser("0")->profile.size(), 25u);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace foryou::kuairand
