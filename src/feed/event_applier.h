// EventApplier: what the feed learns from the event stream at once, before the model retrains.
// Each accepted event is resolved to its user (the client's id, or the model's identity
// "<id>#<epoch>" read back from the log) and its video in the index, then applied to
//   * the engagement statistics (every event with a known video, in the user's regions);
//   * the watch-next model (impressions, long views, positive actions);
//   * the user's session, if the event belongs to the user's current epoch: seen set, recent
//     positives / likes / quick skips, not-interested counts;
//   * with apply_settings, the user's stored settings (follow, unfollow, hide_creator,
//     hide_sound).
// A long view and a quick skip are counted at the thresholds the joiner labels with
// (model::kLongViewMs, model::kPlayedMs), so the session and the model agree.
//
// Thread-safe: every part it writes is.
//
// Example:
//   EventApplier events(options, &users, &index, &engagement, &watch_next, &sessions);
//   FORYOU_RETURN_IF_ERROR(events.Resolve(&e));  // before the event is logged
//   events.Apply({e}, /*apply_settings=*/true);
#pragma once

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "feed/engagement.h"
#include "feed/feed_options.h"
#include "feed/user_directory.h"
#include "feed/user_session.h"
#include "feed/video_index.h"
#include "feed/watch_next.h"
#include "stream/event.h"

namespace foryou::feed {

class EventApplier {
 public:
  // Every pointer must outlive the applier. Reads watch_next.enabled, recent_capacity and
  // seen_capacity of `options`.
  EventApplier(const FeedOptions& options, UserDirectory* users, const VideoIndex* index,
               EngagementStats* engagement, WatchNext* watch_next, UserSessions* sessions);
  EventApplier(const EventApplier&) = delete;
  EventApplier& operator=(const EventApplier&) = delete;

  // NotFound if the event names an unknown user or video; otherwise rewrites e->user to the
  // model's identity of the user, so the log and the model see a refreshed user as new.
  [[nodiscard]] absl::Status Resolve(stream::Event* e);
  // Applies accepted events in order. Events of unknown users are skipped; events of an epoch
  // before the user's last refresh count for engagement and watch-next, not for the session.
  // With apply_settings, settings events also change the stored user (live events; not when
  // the log is re-read at start).
  void Apply(absl::Span<const stream::Event> events, bool apply_settings);

 private:
  void ApplySettings(const stream::Event& e, const catalog::User& user);
  // `foreign`: an impression another recommender chose (not this feed's request id).
  void ApplyToSession(const stream::Event& e, bool foreign, const VideoEntry& video,
                      UserSession& s) const;

  const bool watch_next_enabled_;
  const size_t recent_capacity_, seen_capacity_;
  const uint64_t seed_;  // FeedOptions::seed: tells this feed's request ids (request_id.h)
  UserDirectory* const users_;
  const VideoIndex* const index_;
  EngagementStats* const engagement_;
  WatchNext* const watch_next_;
  UserSessions* const sessions_;
};

}  // namespace foryou::feed
