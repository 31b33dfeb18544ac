// KuaiRand-Pure -> catalog. The tables are small (7.6k videos, 27k users), so each is loaded
// whole by src/data's readers, sorted by id (a deterministic store whatever the hash order), and
// written in batches of kBatchRecords with one fsync at the end.
#include "kuairand/catalog_import.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "catalog/catalog_json.h"
#include "common/status_macros.h"
#include "kuairand/display_text.h"

namespace foryou::kuairand {

using catalog::CatalogStore;
using catalog::Creator;
using catalog::Hashtag;
using catalog::Moderation;
using catalog::Sound;
using catalog::User;
using catalog::Video;

namespace {

constexpr size_t kBatchRecords = 1000;

int64_t MidnightUtcMs(uint32_t yyyymmdd) {
  if (yyyymmdd == 0) return 0;
  const absl::CivilDay day(yyyymmdd / 10000, (yyyymmdd / 100) % 100, yyyymmdd % 100);
  return static_cast<int64_t>(day - absl::CivilDay(1970, 1, 1)) * 86400 * 1000;
}

// Whether the store already holds `id` (NotFound -> false; other errors pass through).
template <typename T>
absl::StatusOr<std::optional<T>> Existing(absl::StatusOr<T> got) {
  if (got.ok()) return std::optional<T>(std::move(*got));
  if (absl::IsNotFound(got.status())) return std::optional<T>();
  return got.status();
}

// Accumulates records and writes them ~kBatchRecords at a time, unsynced (Finish syncs).
class BatchWriter {
 public:
  explicit BatchWriter(CatalogStore* store) : store_(store) {}
  absl::Status Add(User u) { return Added(&batch_.users, std::move(u)); }
  absl::Status Add(Creator c) { return Added(&batch_.creators, std::move(c)); }
  absl::Status Add(Sound s) { return Added(&batch_.sounds, std::move(s)); }
  absl::Status Add(Video v) { return Added(&batch_.videos, std::move(v)); }
  absl::Status Flush() {
    if (size_ == 0) return absl::OkStatus();
    FORYOU_RETURN_IF_ERROR(store_->Write(batch_, /*sync=*/false));
    batch_ = CatalogStore::Batch();
    size_ = 0;
    return absl::OkStatus();
  }
  absl::Status Finish() {
    FORYOU_RETURN_IF_ERROR(Flush());
    return store_->Sync();
  }

 private:
  template <typename T>
  absl::Status Added(std::vector<T>* list, T record) {
    list->push_back(std::move(record));
    return ++size_ >= kBatchRecords ? Flush() : absl::OkStatus();
  }
  CatalogStore* store_;
  CatalogStore::Batch batch_;
  size_t size_ = 0;
};

absl::Status ImportVideos(const std::string& path, BatchWriter* out, CatalogStore* store,
                          ImportStats* stats) {
  absl::flat_hash_map<uint64_t, kuairand::KuaiRandVideo> rows;
  FORYOU_ASSIGN_OR_RETURN(kuairand::TableLoad load, kuairand::LoadKuaiRandVideos(path, &rows));
  stats->bad_rows += load.bad_rows;
  std::vector<Video> videos;
  videos.reserve(rows.size());
  for (const auto& [id, row] : rows) {
    Video v;
    if (!KuaiRandVideoRecord(id, row, &v)) {
      ++stats->bad_rows;
      continue;
    }
    videos.push_back(std::move(v));
  }
  // Oldest first (ties by numeric id): a creator dates from its first upload, a sound belongs
  // to the creator of the first video using it.
  std::sort(videos.begin(), videos.end(), [](const Video& a, const Video& b) {
    if (a.upload_ms != b.upload_ms) return a.upload_ms < b.upload_ms;
    return a.id.size() != b.id.size() ? a.id.size() < b.id.size() : a.id < b.id;
  });
  std::map<std::string, Creator> creators;
  std::map<std::string, Sound> sounds;
  absl::flat_hash_set<std::string> hashtags;
  for (const Video& v : videos) {
    // Both ids are decimal (KuaiRandVideoRecord writes them from numbers).
    uint64_t author = 0, music = 0;
    (void)absl::SimpleAtoi(v.creator, &author);
    creators.try_emplace(v.creator, Creator{.id = v.creator,
                                            .name = GeneratedCreatorName(author),
                                            .created_ms = v.upload_ms});
    if (!v.sound.empty() && absl::SimpleAtoi(v.sound, &music)) {
      sounds.try_emplace(v.sound, Sound{.id = v.sound,
                                        .title = GeneratedSoundTitle(music),
                                        .creator = v.creator});
    }
    hashtags.insert(v.hashtags.begin(), v.hashtags.end());
  }
  stats->creators += creators.size();
  stats->sounds += sounds.size();
  stats->hashtags += hashtags.size();

  for (auto& [id, c] : creators) {
    FORYOU_ASSIGN_OR_RETURN(std::optional<Creator> old, Existing(store->GetCreator(id)));
    if (!old.has_value()) FORYOU_RETURN_IF_ERROR(out->Add(std::move(c)));
  }
  for (auto& [id, s] : sounds) {
    FORYOU_ASSIGN_OR_RETURN(std::optional<Sound> old, Existing(store->GetSound(id)));
    if (!old.has_value()) FORYOU_RETURN_IF_ERROR(out->Add(std::move(s)));
  }
  // Creators and sounds go first so that no video write creates a default one.
  FORYOU_RETURN_IF_ERROR(out->Flush());
  for (Video& v : videos) {
    FORYOU_ASSIGN_OR_RETURN(std::optional<Video> old, Existing(store->GetVideo(v.id)));
    if (old.has_value()) {
      v.moderation = old->moderation;
      if (!old->media_url.empty()) v.media_url = old->media_url;
    }
    FORYOU_RETURN_IF_ERROR(out->Add(std::move(v)));
    ++stats->videos;
  }
  return absl::OkStatus();
}

absl::Status ImportUsers(const std::string& path, int64_t now_ms, BatchWriter* out,
                         CatalogStore* store, ImportStats* stats) {
  absl::flat_hash_map<uint64_t, kuairand::KuaiRandUser> rows;
  FORYOU_ASSIGN_OR_RETURN(kuairand::TableLoad load, kuairand::LoadKuaiRandUsers(path, &rows));
  stats->bad_rows += load.bad_rows;
  std::vector<uint64_t> ids;
  ids.reserve(rows.size());
  for (const auto& [id, row] : rows) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (uint64_t id : ids) {
    kuairand::KuaiRandUser& row = rows[id];
    std::vector<std::string> profile;
    profile.reserve(1 + row.fields.size());
    profile.push_back(std::move(row.active_degree));
    for (std::string& f : row.fields) profile.push_back(std::move(f));

    const std::string user_id = absl::StrCat(id);
    FORYOU_ASSIGN_OR_RETURN(std::optional<User> old, Existing(store->GetUser(user_id)));
    User u;
    if (old.has_value()) {
      u = std::move(*old);
    } else {
      u.id = user_id;
      u.language = "zh";
      u.country = "CN";
      u.created_ms = now_ms;
    }
    u.profile = std::move(profile);
    FORYOU_RETURN_IF_ERROR(out->Add(std::move(u)));
    ++stats->users;
  }
  return absl::OkStatus();
}

}  // namespace

std::string KuaiRandSoundId(uint64_t music_id) {
  return music_id == 0 ? std::string() : absl::StrCat(music_id);
}

uint32_t KuaiRandClipSeconds(uint32_t duration_ms) {
  if (duration_ms == 0) return kClipStepSeconds;
  const uint64_t steps =
      (uint64_t{duration_ms} + kClipStepSeconds * 500) / (kClipStepSeconds * 1000);
  return static_cast<uint32_t>(
      std::clamp<uint64_t>(steps * kClipStepSeconds, kClipStepSeconds, kClipCapSeconds));
}

std::string KuaiRandMediaUrl(const std::vector<std::string>& hashtags, uint32_t duration_ms) {
  return absl::StrCat("/media/", hashtags.empty() ? std::string("untagged") : hashtags[0], "_",
                      KuaiRandClipSeconds(duration_ms), "s.webm");
}

bool KuaiRandHashtags(std::string_view tag_field, std::vector<std::string>* out) {
  out->clear();
  for (absl::string_view t :
       absl::StrSplit(absl::string_view(tag_field.data(), tag_field.size()), ',')) {
    t = absl::StripAsciiWhitespace(t);
    if (t.empty()) continue;
    const std::string name = absl::StrCat("topic", t);
    absl::StatusOr<std::string> canonical = catalog::NormalizeHashtag("tag", name);
    if (!canonical.ok()) return false;
    if (std::find(out->begin(), out->end(), *canonical) == out->end()) out->push_back(*canonical);
  }
  return true;
}

bool KuaiRandVideoRecord(uint64_t video_id, const kuairand::KuaiRandVideo& row, Video* out) {
  Video v;
  v.id = absl::StrCat(video_id);
  v.creator = absl::StrCat(row.author_id);
  if (!KuaiRandHashtags(row.tag, &v.hashtags)) return false;
  v.caption = GeneratedCaption(v.hashtags, row.duration_ms, row.upload_date);
  v.sound = KuaiRandSoundId(row.music_id);
  v.duration_ms = row.duration_ms;  // 0 = unknown (picture posts have none)
  v.upload_ms = MidnightUtcMs(row.upload_date);
  v.media_url = KuaiRandMediaUrl(v.hashtags, v.duration_ms);
  v.moderation = Moderation::kApproved;
  v.video_type = row.video_type;
  v.upload_type = row.upload_type;
  *out = std::move(v);
  return true;
}

absl::StatusOr<ImportStats> ImportKuaiRand(const std::string& videos_csv,
                                           const std::string& users_csv, int64_t now_ms,
                                           CatalogStore* store) {
  ImportStats stats;
  BatchWriter out(store);
  if (!videos_csv.empty()) FORYOU_RETURN_IF_ERROR(ImportVideos(videos_csv, &out, store, &stats));
  if (!users_csv.empty()) {
    FORYOU_RETURN_IF_ERROR(ImportUsers(users_csv, now_ms, &out, store, &stats));
  }
  FORYOU_RETURN_IF_ERROR(out.Finish());
  return stats;
}

}  // namespace foryou::kuairand
