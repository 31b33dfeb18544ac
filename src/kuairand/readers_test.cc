#include "kuairand/readers.h"

#include <filesystem>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "kuairand/real_log_slice.h"

namespace foryou::kuairand {
namespace {

std::string Write(const std::string& name, const std::string& contents) {
  auto dir = std::filesystem::temp_directory_path() / ("foryou_kuairand_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  EXPECT_TRUE(common::WriteFileAtomically(path, contents).ok());
  return path;
}

using testing::DemoData;

constexpr char kHeader[] =
    "user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,is_forward,"
    "is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,comment_stay_time,"
    "is_profile_enter,is_rand,tab\n";

TEST(KuaiRandLogReaderTest, ParsesGoodRowsAndCountsBadOnes) {
  const std::string path = Write(
      "log.csv", std::string(kHeader) +
                     "712,5239,20220425,0,1650812741436,1,0,0,0,0,0,1,61802,49866,0,0,0,0,1\n"
                     "x,5239,20220425,0,1650812741436,1,0,0,0,0,0,1,61802,49866,0,0,0,0,1\n"
                     "13,6831,20220425,1230,1650812934945,1,1,0,0,1,0,0,1184,11933.0,0,0,0,1,4\n"
                     "14,6831,20220425\n"
                     "15,6831,20220425,0,1650812934945,2,0,0,0,0,0,0,1184,11933,0,0,0,0,1\n");
  auto r = KuaiRandLogReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status();
  KuaiRandImpression m;
  ASSERT_TRUE(*(*r)->Next(&m));
  EXPECT_EQ(m.user_id, 712u);
  EXPECT_EQ(m.time_ms, 1650812741436);
  EXPECT_EQ(m.long_view, 1);
  EXPECT_EQ(m.play_time_ms, 61802u);
  ASSERT_TRUE(*(*r)->Next(&m));
  EXPECT_EQ(m.user_id, 13u);
  EXPECT_EQ(m.hourmin, 1230u);
  EXPECT_EQ(m.is_like, 1);
  EXPECT_EQ(m.is_forward, 1);
  EXPECT_EQ(m.is_rand, 1);
  EXPECT_EQ(m.tab, 4u);
  EXPECT_EQ(m.duration_ms, 11933u);  // written as a float
  EXPECT_FALSE(*(*r)->Next(&m));
  EXPECT_EQ((*r)->rows(), 2u);
  EXPECT_EQ((*r)->bad_rows(), 3u);  // non-numeric id, short row, label 2
  EXPECT_NE((*r)->first_bad_reason().find("record 3"), std::string::npos) << (*r)->first_bad_reason();
}

TEST(KuaiRandLogReaderTest, MissingColumnIsNamed) {
  auto r = KuaiRandLogReader::Open(Write("nolabel.csv", "user_id,video_id\n1,2\n"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("time_ms"), std::string::npos) << r.status();
}

TEST(KuaiRandTablesTest, LoadsVideosAndUsers) {
  absl::flat_hash_map<uint64_t, KuaiRandVideo> videos;
  auto v = LoadKuaiRandVideos(
      Write("videos.csv",
            "video_id,author_id,video_type,upload_dt,upload_type,visible_status,video_duration,"
            "server_width,server_height,music_id,music_type,tag\n"
            "0,7349781,NORMAL,2022-04-10,LongImport,0.0,87433.0,720.0,1280.0,9155697141,9.0,39\n"
            "1,bad,NORMAL,2022-04-10,LongImport,0.0,87433.0,720.0,1280.0,1,9.0,39\n"
            "2,5,AD,,ShortImport,0.0,,720.0,1280.0,,9.0,\n"),
      &videos);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->rows, 2u);
  EXPECT_EQ(v->bad_rows, 1u);
  EXPECT_EQ(videos[0].music_id, 9155697141u);
  EXPECT_EQ(videos[0].upload_date, 20220410u);
  EXPECT_EQ(videos[0].duration_ms, 87433u);
  EXPECT_EQ(videos[0].tag, "39");
  EXPECT_EQ(videos[2].music_id, 0u);
  EXPECT_EQ(videos[2].upload_date, 0u);

  absl::flat_hash_map<uint64_t, KuaiRandUser> users;
  std::string header = "user_id,user_active_degree";
  for (const char* f : kUserFields) {
    header.push_back(',');
    header.append(f);
  }
  std::string row = "7,full_active";
  for (size_t i = 0; i < std::size(kUserFields); ++i) {
    row.push_back(',');
    row.append(std::to_string(i));
  }
  auto u = LoadKuaiRandUsers(Write("users.csv", header + "\n" + row + "\n"), &users);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(users[7].active_degree, "full_active");
  EXPECT_EQ(users[7].fields.size(), std::size(kUserFields));
  EXPECT_EQ(users[7].fields[2], "2");
}

TEST(KuaiRandRealDataTest, ReadsTheSharedWeek) {
  const std::string log = DemoData("log_standard_20220425_20220430.csv.zst");
  ASSERT_TRUE(std::filesystem::exists(log)) << log << " is missing from the checkout";
  auto r = KuaiRandLogReader::Open(log);
  ASSERT_TRUE(r.ok()) << r.status();
  KuaiRandImpression m;
  int64_t last_time = 0;
  uint64_t clicks = 0, out_of_order = 0;
  while (*(*r)->Next(&m)) {
    out_of_order += m.time_ms < last_time;
    last_time = m.time_ms;
    clicks += m.is_click;
  }
  EXPECT_EQ((*r)->rows(), 94784u);
  EXPECT_EQ((*r)->bad_rows(), 0u) << (*r)->first_bad_reason();
  EXPECT_EQ(out_of_order, 0u);  // the README promises time order
  EXPECT_NEAR(static_cast<double>(clicks) / 94784, 0.438, 0.01);

  absl::flat_hash_map<uint64_t, KuaiRandVideo> videos;
  auto v = LoadKuaiRandVideos(DemoData("video_features_basic_pure.csv.zst"), &videos);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->rows, 7583u);
  absl::flat_hash_map<uint64_t, KuaiRandUser> users;
  auto u = LoadKuaiRandUsers(DemoData("user_features_pure.csv.zst"), &users);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->rows, 27285u);
}

}  // namespace
}  // namespace foryou::kuairand
