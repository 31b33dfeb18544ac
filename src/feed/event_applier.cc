// EventApplier: events -> engagement, watch-next, sessions and settings (see the header).
#include "feed/event_applier.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/id_key.h"
#include "common/status_macros.h"
#include "feed/request_id.h"
#include "model/impression.h"

namespace foryou::feed {

using stream::EventType;

EventApplier::EventApplier(const FeedOptions& options, UserDirectory* users,
                           const VideoIndex* index, EngagementStats* engagement,
                           WatchNext* watch_next, UserSessions* sessions)
    : watch_next_enabled_(options.watch_next.enabled),
      recent_capacity_(options.recent_capacity),
      seen_capacity_(options.seen_capacity),
      seed_(options.seed),
      users_(users),
      index_(index),
      engagement_(engagement),
      watch_next_(watch_next),
      sessions_(sessions) {}

absl::Status EventApplier::Resolve(stream::Event* e) {
  FORYOU_ASSIGN_OR_RETURN(auto user, users_->Get(e->user));
  if (!e->video.empty()) {
    auto index = index_->snapshot();
    if (index->Find(common::VideoKey(e->video)) == nullptr) {
      return absl::NotFoundError(absl::StrCat("video: '", e->video, "' not found"));
    }
  }
  e->user = ModelUserOf(*user);
  return absl::OkStatus();
}

void EventApplier::Apply(absl::Span<const stream::Event> events, bool apply_settings) {
  auto index = index_->snapshot();
  for (const stream::Event& e : events) {
    absl::StatusOr<std::shared_ptr<const catalog::User>> user = users_->Get(e.user);
    bool current = true;  // the event belongs to the user's current epoch
    if (!user.ok()) {
      // The model's identity "<id>#<epoch>" (events read back from the log).
      const size_t hash = e.user.rfind('#');
      if (hash == std::string::npos) continue;
      user = users_->Get(std::string_view(e.user).substr(0, hash));
      if (!user.ok()) continue;
      current = ModelUserOf(**user) == e.user;
    } else {
      // Live events name the user as the client knows it; in the log a bare id is epoch 0.
      current = apply_settings || (*user)->epoch == 0;
    }
    const VideoEntry* video = e.video.empty() ? nullptr : index->Find(common::VideoKey(e.video));
    // Who chose an impression: this feed (its request ids) or another recommender.
    const bool foreign =
        e.type == EventType::kImpression && !IsOwnRequestId(e.request_id, seed_);
    if (video != nullptr) {
      engagement_->Observe(e, video->proto.video_key, RegionsOf(**user));
      if (watch_next_enabled_) {
        const std::string& who = current ? ModelUserOf(**user) : e.user;
        const uint64_t key = video->proto.video_key;
        if (e.type == EventType::kImpression) {
          watch_next_->Observe(who, key, e.time_ms,
                               foreign ? WatchNext::kForeignImpression : WatchNext::kImpression);
        } else if ((e.type == EventType::kPlay || e.type == EventType::kSkip) &&
                   (e.completed || e.watch_ms >= model::kLongViewMs)) {
          watch_next_->Observe(who, key, e.time_ms, WatchNext::kLongView);
        } else if (e.type == EventType::kLike || e.type == EventType::kShare ||
                   e.type == EventType::kFavorite || e.type == EventType::kComment) {
          watch_next_->Observe(who, key, e.time_ms, WatchNext::kPositive);
        }
      }
    }
    if (!current) continue;
    if (apply_settings) ApplySettings(e, **user);
    if (video == nullptr) continue;
    sessions_->With((*user)->id, [&](UserSession& s) { ApplyToSession(e, foreign, *video, s); });
  }
}

void EventApplier::ApplySettings(const stream::Event& e, const catalog::User& user) {
  if (e.type != EventType::kFollow && e.type != EventType::kUnfollow &&
      e.type != EventType::kHideCreator && e.type != EventType::kHideSound) {
    return;
  }
  auto add = [](std::vector<std::string>& list, const std::string& v) {
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
  };
  // Best effort: the event itself is already durable in the log.
  users_->Modify(user.id, [&](catalog::User* u) {
          if (e.type == EventType::kFollow) add(u->following, e.creator);
          if (e.type == EventType::kUnfollow) std::erase(u->following, e.creator);
          if (e.type == EventType::kHideCreator) add(u->hidden_creators, e.creator);
          if (e.type == EventType::kHideSound) add(u->hidden_sounds, e.sound);
          return absl::OkStatus();
        })
      .IgnoreError();
}

void EventApplier::ApplyToSession(const stream::Event& e, bool foreign, const VideoEntry& video,
                                  UserSession& s) const {
  const uint64_t key = video.proto.video_key;
  const size_t cap = recent_capacity_;
  switch (e.type) {
    case EventType::kImpression: {
      s.MarkSeen(key, seen_capacity_);
      ++s.impressions;
      s.CountExposures(foreign);
      break;
    }
    case EventType::kPlay:
      if (e.completed || e.watch_ms >= model::kLongViewMs || e.replays > 0) {
        UserSession::PushRecent(s.positives, key, cap);
      }
      break;
    case EventType::kSkip:
      if (e.watch_ms < model::kPlayedMs) UserSession::PushRecent(s.skips, key, cap);
      break;
    case EventType::kLike:
      UserSession::PushRecent(s.positives, key, cap);
      UserSession::PushRecent(s.likes, key, cap);
      break;
    case EventType::kShare:
    case EventType::kFavorite:
    case EventType::kComment:
      UserSession::PushRecent(s.positives, key, cap);
      break;
    case EventType::kNotInterested:
    case EventType::kReport: {
      const Candidate& c = video.proto;
      ++s.not_interested.creators[c.creator];
      if (c.sound != 0) ++s.not_interested.sounds[c.sound];
      for (uint64_t h : c.hashtags) ++s.not_interested.hashtags[h];
      std::erase(s.positives, key);
      std::erase(s.likes, key);
      break;
    }
    default:
      break;
  }
}

}  // namespace foryou::feed
