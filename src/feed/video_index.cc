// VideoIndex: copy-on-write snapshots of the catalog's videos (see the header).
#include "feed/video_index.h"

#include <algorithm>

#include "common/id_key.h"
#include "model/impression.h"

namespace foryou::feed {

model::VideoInfo ToVideoInfo(const catalog::Video& v) {
  model::VideoInfo info;
  info.author_id = common::UserKey(v.creator);
  info.music_id = v.sound.empty() ? 0 : common::VideoKey(v.sound);
  info.tag = v.hashtags.empty() ? 0 : common::VideoKey(v.hashtags[0]);
  info.video_type = v.video_type.empty() ? 0 : model::ValueId(v.video_type);
  info.upload_type = v.upload_type.empty() ? 0 : model::ValueId(v.upload_type);
  info.upload_day = v.upload_ms > 0 ? static_cast<int32_t>(v.upload_ms / 86'400'000) : -1;
  info.duration_ms = v.duration_ms;
  return info;
}

namespace {

std::shared_ptr<const VideoEntry> MakeEntry(const catalog::Video& v) {
  auto e = std::make_shared<VideoEntry>();
  e->video = v;
  Candidate& c = e->proto;
  c.video = &e->video;
  c.video_key = common::VideoKey(v.id);
  c.creator = AttributeKey(v.creator);
  c.sound = AttributeKey(v.sound);
  c.category = v.hashtags.empty() ? 0 : AttributeKey(v.hashtags[0]);
  for (const std::string& h : v.hashtags) c.hashtags.push_back(AttributeKey(h));
  e->info = ToVideoInfo(v);
  return e;
}

}  // namespace

const VideoEntry* VideoIndex::Snapshot::Find(uint64_t video_key) const {
  auto it = by_key.find(video_key);
  return it == by_key.end() ? nullptr : all[it->second].get();
}

VideoIndex::VideoIndex() : snapshot_(Make({})) {}

std::shared_ptr<VideoIndex::Snapshot> VideoIndex::Make(
    std::vector<std::shared_ptr<const VideoEntry>> all) {
  auto s = std::make_shared<Snapshot>();
  // Newest first everywhere: the lists below are built in this order.
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a->video.upload_ms > b->video.upload_ms;
  });
  s->all = std::move(all);
  s->by_key.reserve(s->all.size());
  for (uint32_t i = 0; i < s->all.size(); ++i) {
    const VideoEntry& e = *s->all[i];
    s->by_key[e.proto.video_key] = i;
    s->by_creator[e.proto.creator].push_back(i);
    if (e.proto.sound != 0) s->by_sound[e.proto.sound].push_back(i);
    for (uint64_t h : e.proto.hashtags) s->by_hashtag[h].push_back(i);
    const catalog::Moderation m = e.video.moderation;
    if (m == catalog::Moderation::kApproved || m == catalog::Moderation::kLimited) {
      s->servable.push_back(i);
    }
  }
  return s;
}

void VideoIndex::Build(const std::vector<catalog::Video>& videos) {
  std::vector<std::shared_ptr<const VideoEntry>> all;
  all.reserve(videos.size());
  for (const catalog::Video& v : videos) all.push_back(MakeEntry(v));
  auto next = Make(std::move(all));
  common::MutexLock lock(&mu_);
  snapshot_ = std::move(next);
}

void VideoIndex::Upsert(const catalog::Video& video) {
  common::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<const VideoEntry>> all = snapshot_->all;
  auto entry = MakeEntry(video);
  if (auto it = snapshot_->by_key.find(entry->proto.video_key); it != snapshot_->by_key.end()) {
    all[it->second] = std::move(entry);
  } else {
    all.push_back(std::move(entry));
  }
  snapshot_ = Make(std::move(all));
}

std::shared_ptr<const VideoIndex::Snapshot> VideoIndex::snapshot() const {
  common::MutexLock lock(&mu_);
  return snapshot_;
}

}  // namespace foryou::feed
