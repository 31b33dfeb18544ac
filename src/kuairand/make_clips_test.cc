// scripts/make_clips.sh, the demo's clip maker: a clip lasts the requested length and has its
// cover beside it (checked with ffprobe), and --kuairand makes exactly the clips whose
// media_url the import assigns (KuaiRandMediaUrl), each as long as KuaiRandClipSeconds says.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "kuairand/catalog_import.h"
#include "kuairand/readers.h"
#include "kuairand/real_log_slice.h"

namespace foryou::kuairand {
namespace {

const std::string kScript = std::string(FORYOU_SOURCE_DIR) + "/scripts/make_clips.sh";

// Runs `command` with sh; returns its stdout, and its exit status in *code.
std::string Shell(const std::string& command, int* code) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    *code = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  *code = pclose(p);
  return out;
}

// The duration of a media file in seconds, from ffprobe (-1 if it cannot tell).
double Seconds(const std::string& path) {
  int code = 0;
  const std::string out =
      Shell("ffprobe -v error -show_entries format=duration -of csv=p=0 '" + path + "'", &code);
  double secs = -1;
  if (code != 0 || !absl::SimpleAtod(absl::StripAsciiWhitespace(out), &secs)) return -1;
  return secs;
}

// "WxH" of the first video stream of `path` (a clip or an image).
std::string Size(const std::string& path) {
  int code = 0;
  const std::string out = Shell(
      "ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=s=x:p=0 '" +
          path + "'",
      &code);
  return std::string(absl::StripAsciiWhitespace(out));
}

bool IsJpeg(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[3] = {0, 0, 0};
  in.read(reinterpret_cast<char*>(magic), 3);
  return in.gcount() == 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF;
}

class MakeClipsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/make_clips_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(MakeClipsTest, ClipHasTheRequestedLengthAndACover) {
  int code = 0;
  Shell(absl::StrCat("JOBS=1 bash '", kScript, "' --seconds 3 '", dir_, "/media' demo_a 2>&1"),
      &code);
  ASSERT_EQ(code, 0);
  const std::string clip = dir_ + "/media/demo_a.webm", cover = dir_ + "/media/demo_a.jpg";
  EXPECT_NEAR(Seconds(clip), 3.0, 0.1);
  EXPECT_EQ(Size(clip), "270x480");
  ASSERT_TRUE(IsJpeg(cover)) << cover;
  EXPECT_EQ(Size(cover), "270x480");
  // Existing clips are kept; a bad length is refused.
  const auto written = std::filesystem::last_write_time(clip);
  Shell(absl::StrCat("bash '", kScript, "' --seconds 3 '", dir_, "/media' demo_a 2>&1"), &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(std::filesystem::last_write_time(clip), written);
  Shell(absl::StrCat("bash '", kScript, "' --seconds 0 '", dir_, "/media' demo_b 2>&1"), &code);
  EXPECT_NE(code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/media/demo_b.webm"));
}

// A video's clip is its topic's, as long as its duration rounded to 5 s (5..15 s).
TEST_F(MakeClipsTest, KuaiRandClipsFollowTheVideoDurations) {
  const std::string csv = dir_ + "/video_features_basic_pure.csv";
  std::ofstream(csv)
      << "video_id,author_id,video_type,upload_dt,upload_type,visible_status,video_duration,"
         "server_width,server_height,music_id,music_type,tag\n"
         "0,7,NORMAL,2022-04-10,Web,0.0,9400.0,720.0,1280.0,1,9.0,39\n"            // 10 s
         "1,7,NORMAL,2022-04-10,PictureSet,0.0,,720.0,1280.0,1,9.0,\"39,68\"\n"    // 5 s
         "2,8,NORMAL,2022-04-10,Web,0.0,61000.0,720.0,1280.0,1,9.0,\n";            // 15 s
  int code = 0;
  Shell(absl::StrCat("bash '", kScript, "' --kuairand '", dir_, "/media' '", dir_, "' 2>&1"),
      &code);
  ASSERT_EQ(code, 0);
  absl::flat_hash_map<uint64_t, KuaiRandVideo> rows;
  ASSERT_TRUE(LoadKuaiRandVideos(csv, &rows).ok());
  ASSERT_EQ(rows.size(), 3u);
  std::set<std::string> urls;
  for (const auto& [id, row] : rows) {
    catalog::Video v;
    ASSERT_TRUE(KuaiRandVideoRecord(id, row, &v));
    urls.insert(v.media_url);
    const std::string clip = dir_ + v.media_url;  // "/media/<name>.webm"
    EXPECT_NEAR(Seconds(clip), KuaiRandClipSeconds(row.duration_ms), 0.1) << v.media_url;
    const std::string cover = clip.substr(0, clip.size() - 5) + ".jpg";
    EXPECT_TRUE(IsJpeg(cover)) << cover;
  }
  EXPECT_EQ(urls, (std::set<std::string>{"/media/topic39_10s.webm", "/media/topic39_5s.webm",
                                         "/media/untagged_15s.webm"}));
}

// On the shipped table, the script's list is exactly the set of clips the import refers to.
TEST(MakeClipsListTest, MatchesTheImportOnTheShippedTable) {
  int code = 0;
  const std::string out = Shell(absl::StrCat("bash '", kScript, "' --kuairand --list '",
                                           FORYOU_SOURCE_DIR, "/demo/kuairand'"),
                              &code);
  ASSERT_EQ(code, 0);
  std::set<std::string> listed;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    listed.insert(absl::StrCat("/media/", line, ".webm"));
  }
  absl::flat_hash_map<uint64_t, KuaiRandVideo> rows;
  ASSERT_TRUE(LoadKuaiRandVideos(testing::DemoData("video_features_basic_pure.csv.zst"), &rows)
                  .ok());
  std::set<std::string> used;
  for (const auto& [id, row] : rows) {
    catalog::Video v;
    if (KuaiRandVideoRecord(id, row, &v)) used.insert(v.media_url);
  }
  EXPECT_EQ(listed, used);
  EXPECT_GT(used.size(), 40u);  // every topic has at least one clip
}

}  // namespace
}  // namespace foryou::kuairand
