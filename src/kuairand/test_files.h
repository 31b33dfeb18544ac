// For the replay tests: tiny synthetic KuaiRand files (log header, videos, users, history) that
// the direct replay and the replay through the log both read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace foryou::kuairand::testing {

inline constexpr char kLogHeader[] =
    "user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,is_forward,"
    "is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,comment_stay_time,"
    "is_profile_enter,is_rand,tab\n";
inline constexpr int kUsers = 40, kVideos = 30;
inline constexpr int64_t kStartMs = 1650812741436;  // 2022-04-24 23:05 (+08:00)

inline uint64_t SplitMix(uint64_t* s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// One row per video, then one bad row (a non-numeric author).
inline std::string VideosCsv() {
  std::string out =
      "video_id,author_id,video_type,upload_dt,upload_type,visible_status,video_duration,"
      "server_width,server_height,music_id,music_type,tag\n";
  for (int v = 0; v < kVideos; ++v) {
    absl::StrAppend(&out, v, ",", 900 + v % 5, ",NORMAL,2022-04-1", v % 10, ",ShortImport,0.0,",
                    10000 + 1000 * (v % 20), ".0,720.0,1280.0,", 7000 + v % 4, ",9.0,", v % 3,
                    "\n");
  }
  out += "31,not_an_author,NORMAL,2022-04-10,ShortImport,0.0,1.0,720.0,1280.0,1,9.0,1\n";  // bad
  return out;
}

// One good row per user.
inline std::string UsersCsv() {
  std::vector<std::string> header = {"user_id", "user_active_degree", "is_live_streamer",
                                     "is_video_author", "follow_user_num_range",
                                     "fans_user_num_range", "friend_user_num_range",
                                     "register_days_range"};
  for (int i = 0; i < 18; ++i) header.push_back(absl::StrCat("onehot_feat", i));
  std::string out = absl::StrCat(absl::StrJoin(header, ","), "\n");
  for (int u = 0; u < kUsers; ++u) {
    absl::StrAppend(&out, u, ",", u % 2 ? "full_active" : "high_active", ",0,", u % 2,
                    ",\"[10,50)\",\"[100,1k)\",0,730+");
    for (int i = 0; i < 18; ++i) absl::StrAppend(&out, ",", (u + i) % 4);
    out += "\n";
  }
  return out;
}

// Ten users' histories, then one bad row (a non-numeric id in a sequence).
inline std::string HistoryCsv() {
  std::string out = "user_id,history_len,last_time_ms,watch_seq,like_seq,long_watch_seq\n";
  for (int u = 0; u < 10; ++u) {
    absl::StrAppend(&out, u, ",3,", kStartMs - 3600000, ",", u % kVideos, " ", (u + 3) % kVideos,
                    " ", (u + 6) % kVideos, ",", (u + 3) % kVideos, ",", u % kVideos, "\n");
  }
  out += "11,2,1650000000000,12 x,,\n";  // bad id in a sequence
  return out;
}

}  // namespace foryou::kuairand::testing
