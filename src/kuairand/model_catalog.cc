#include "kuairand/model_catalog.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "common/status_macros.h"
#include "data/csv_reader.h"

namespace foryou::kuairand {

int32_t KuaiRandDay(uint32_t yyyymmdd) {
  if (yyyymmdd == 0) return -1;
  const absl::CivilDay day(yyyymmdd / 10000, (yyyymmdd / 100) % 100, yyyymmdd % 100);
  return static_cast<int32_t>(day - absl::CivilDay(1970, 1, 1));
}

model::Impression KuaiRandToImpression(const kuairand::KuaiRandImpression& r) {
  model::Impression imp;
  imp.user_id = r.user_id;
  imp.video_id = r.video_id;
  imp.time_ms = r.time_ms;
  imp.day = KuaiRandDay(r.date);
  const absl::CivilDay civil(r.date / 10000, (r.date / 100) % 100, r.date % 100);
  imp.weekday = static_cast<uint8_t>(absl::GetWeekday(civil));
  imp.hour = static_cast<uint8_t>(std::min<uint32_t>(r.hourmin / 100, 23));
  imp.tab = r.tab;
  imp.duration_ms = r.duration_ms;
  auto& y = imp.labels;
  y[model::kClick] = r.is_click;
  y[model::kLongView] = r.long_view;
  y[model::kLike] = r.is_like;
  y[model::kFollow] = r.is_follow;
  y[model::kComment] = r.is_comment;
  y[model::kShare] = r.is_forward;
  y[model::kHate] = r.is_hate;
  y[model::kWatchRatio] =
      r.duration_ms == 0
          ? 0.0f
          : std::min(1.0f, static_cast<float>(r.play_time_ms) / static_cast<float>(r.duration_ms));
  return imp;
}

absl::StatusOr<std::shared_ptr<model::Catalog>> LoadKuaiRandCatalog(const std::string& videos_path,
                                                                    const std::string& users_path,
                                                                    uint64_t* bad_rows) {
  absl::flat_hash_map<uint64_t, kuairand::KuaiRandVideo> videos;
  absl::flat_hash_map<uint64_t, kuairand::KuaiRandUser> users;
  FORYOU_ASSIGN_OR_RETURN(kuairand::TableLoad vl, kuairand::LoadKuaiRandVideos(videos_path, &videos));
  FORYOU_ASSIGN_OR_RETURN(kuairand::TableLoad ul, kuairand::LoadKuaiRandUsers(users_path, &users));
  *bad_rows += vl.bad_rows + ul.bad_rows;
  auto catalog = std::make_shared<model::Catalog>();
  for (const auto& [id, v] : videos) {
    model::VideoInfo& info = catalog->videos[id];
    info.author_id = v.author_id;
    info.music_id = v.music_id;
    info.tag = model::ValueId(v.tag);
    info.video_type = model::ValueId(v.video_type);
    info.upload_type = model::ValueId(v.upload_type);
    info.upload_day = KuaiRandDay(v.upload_date);
    info.duration_ms = v.duration_ms;
  }
  for (const auto& [id, u] : users) {
    model::UserInfo& info = catalog->users[id];
    // The order of config/model.json's profile_fields: active_degree, then kUserFields.
    info.profile[0] = model::ValueId(u.active_degree);
    for (size_t i = 0; i < u.fields.size() && i + 1 < model::kProfileValues; ++i) {
      info.profile[i + 1] = model::ValueId(u.fields[i]);
    }
  }
  return catalog;
}

absl::Status LoadKuaiRandHistory(const std::string& path, model::FeatureExtractor* fx,
                                 uint64_t* bad_rows) {
  return ReadKuaiRandHistory(
      path,
      [fx](uint64_t user, int64_t time_ms, const std::vector<uint64_t>& watch,
           const std::vector<uint64_t>& likes, const std::vector<uint64_t>& long_watch) {
        fx->AddHistory(user, watch, likes, long_watch, time_ms);
      },
      bad_rows);
}

absl::Status ReadKuaiRandHistory(const std::string& path, const KuaiRandHistoryRow& fn,
                                 uint64_t* bad_rows) {
  FORYOU_ASSIGN_OR_RETURN(auto csv, data::CsvReader::Open(path));
  int col[5];
  const char* names[5] = {"user_id", "last_time_ms", "watch_seq", "like_seq", "long_watch_seq"};
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<int> c = csv->Column(names[i]);
    if (!c.ok())
      return absl::NotFoundError(
          absl::StrCat(path, ": not a KuaiRand history file: column ", names[i], " missing"));
    col[i] = *c;
  }
  std::vector<std::string_view> f;
  std::vector<uint64_t> seqs[3];
  while (true) {
    FORYOU_ASSIGN_OR_RETURN(bool more, csv->Next(&f));
    if (!more) break;
    uint64_t user = 0;
    int64_t time_ms = 0;
    bool ok = f.size() > static_cast<size_t>(*std::max_element(col, col + 5)) &&
              absl::SimpleAtoi(absl::string_view(f[col[0]].data(), f[col[0]].size()), &user) &&
              absl::SimpleAtoi(absl::string_view(f[col[1]].data(), f[col[1]].size()), &time_ms);
    for (int s = 0; ok && s < 3; ++s) {
      seqs[s].clear();
      for (absl::string_view id :
           absl::StrSplit(absl::string_view(f[col[2 + s]].data(), f[col[2 + s]].size()), ' ',
                          absl::SkipEmpty())) {
        uint64_t v;
        if (!absl::SimpleAtoi(id, &v)) {
          ok = false;
          break;
        }
        seqs[s].push_back(v);
      }
    }
    if (!ok) {
      ++*bad_rows;
      continue;
    }
    fn(user, time_ms, seqs[0], seqs[1], seqs[2]);
  }
  return absl::OkStatus();
}

}  // namespace foryou::kuairand
