// UserSessions: what the feed remembers about each user between requests, learned from their
// events at once (before the model retrains): the videos already shown (a bounded seen set), the
// recent positive videos (seeds for the similar / same-sound / same-hashtag sources), quick skips,
// "not interested" signals, and the tail of the last feed (so the arrangement rules hold across
// pages), and the last items served as they were served (for explanations). Thread-safe: sharded
// by user, one mutex per shard; With() runs a function on one user's session under its shard lock.
//
// The served records are bounded twice: kServedRecords per user, and `max_served_records` in all
// (~700 B each): past it, the records served longest ago, whoever they were served to, are
// dropped first (each shard keeps its records in serving order and holds 1/kShards of the total;
// entries of records the per-user bound dropped are pruned when they are half of the order).
// Without the total bound every user ever served holds up to ~90 KB for good.
//
// The live sessions are bounded too: past `max_sessions` (each shard holding 1/kShards of it),
// the least recently used 1/16 of a shard's sessions are parked. A parked session keeps what the
// feed promises the person: the seen set (in seen order, 4 bytes a video, so a seen video is
// still never shown again) and the "not interested" counts; its recent positives, likes, skips,
// last page's tail, exposure counts and served records go. The next With() brings it back.
//
// The seen sets share one budget, `max_seen_keys` over all users (each shard 1/kShards of it):
// past it, the sessions used longest ago, live or parked, lose their seen keys first, oldest
// first, down to 15/16 of the share. A seen set thus holds the user's last seen_capacity
// videos for as long as the user is among the recently active ones the budget holds; with N
// users active at once each keeps about max_seen_keys / N.
//
// Example:
//   sessions.With("u1", [&](UserSession& s) { s.MarkSeen(video_key, cap); });
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "feed/seen_set.h"
#include "absl/functional/function_ref.h"
#include "common/mutex.h"
#include "feed/rules.h"
#include "feed/video_index.h"
#include "model/model_config.h"

namespace foryou::feed {

// One item as it was served: where it was found, every part of its score, the reasons shown.
// What `GET /v1/feed/explain` describes for a video on the user's screen.
struct ServedItem {
  uint64_t video_key = 0;
  std::string request_id;  // "" for a video not served (an explanation of it as scored now)
  int position = -1;
  int64_t served_ms = 0;
  uint32_t sources = 0;  // SourceBit()s
  std::array<float, model::kNumTasks> probs{};
  float bonus = 0, popularity = 0, next_prior = 0, value = 0, penalty = 0;
  float fresh_lift = 0, interest_lift = 0, score = 0;
  std::string reason;                       // the short "why" shown with the item
  std::vector<std::string> source_reasons;  // one per source, in Source order
};

// The last served items kept per user for explanations: more than a player holds ahead of and
// behind the video on screen (each like or follow fetches a new page), at ~700 bytes each with
// their reasons (~90 KB per user at most).
inline constexpr size_t kServedRecords = 128;

// The videos shown to one user, in the order first shown, at most `capacity` (the oldest go
// first). 4 bytes a video: the keys' fingerprints alone (seen_set.h), no hash table beside them
// (one took ~14 bytes more a key, and seen sets grow for as long as their users keep scrolling,
// up to seen_capacity). Lookups scan the fingerprints, newest first: a page checks its ~10
// videos against at most seen_capacity of them; a request that checks many candidates takes
// ToSet() once.
class SeenVideos {
 public:
  // Adds `key` unless already there, then drops the oldest past `capacity`; true if added.
  bool Add(uint64_t key, size_t capacity);
  bool contains(uint64_t key) const;
  size_t size() const { return fingerprints_.size(); }
  bool empty() const { return fingerprints_.empty(); }
  // SeenFingerprint of each video, oldest first.
  const std::deque<uint32_t>& fingerprints() const { return fingerprints_; }
  // Replaces the fingerprints (oldest first, distinct).
  template <typename It>
  void Assign(It begin, It end) {
    fingerprints_.assign(begin, end);
  }
  // Drops the `n` oldest videos (all of them if there are fewer).
  void DropOldest(size_t n);
  SeenSet ToSet() const;

 private:
  std::deque<uint32_t> fingerprints_;
};

struct UserSession {
  SeenVideos seen;                     // video keys shown (served or impressed)
  std::deque<uint64_t> positives;      // long views, completions, likes, shares; newest last
  std::deque<uint64_t> likes;          // likes only; newest last
  std::deque<uint64_t> skips;          // quick skips (< model::kPlayedMs); newest last
  NotInterested not_interested;
  std::vector<std::shared_ptr<const VideoEntry>> tail;  // last items served, oldest first
  uint64_t feeds = 0, impressions = 0;
  // The user's recent impressions by who chose them: this feed (its own request ids) or another
  // recommender (any other id: an imported log). Each count decays by 1 - 1/kExposureWindow per
  // impression, so they describe the last ~kExposureWindow.
  float own_exposures = 0, foreign_exposures = 0;
  static constexpr float kExposureWindow = 20;
  // Counts n impressions (n = 1: one event; a history: its length) chosen by this feed or not.
  void CountExposures(bool foreign, float n = 1);
  // foreign / (own + foreign); 0 before any impression.
  float foreign_share() const {
    const float n = own_exposures + foreign_exposures;
    return n > 0 ? foreign_exposures / n : 0.0f;
  }
  std::deque<ServedItem> served;  // the last kServedRecords items served, oldest first
  // Records ever appended to `served`: the oldest kept is number served_recorded - served.size().
  uint64_t served_recorded = 0;

  uint64_t last_used = 0;  // the shard's use counter at the last With()

  void MarkSeen(uint64_t video_key, size_t capacity);
  void RecordServed(ServedItem item);
  // The latest serving of `video_key` (in request `request_id` when not empty); null if none.
  const ServedItem* FindServed(uint64_t video_key, std::string_view request_id) const;
  static void PushRecent(std::deque<uint64_t>& list, uint64_t video_key, size_t capacity);
};

// Served records kept across all users by default: ~180 MB (`foryou_sessions_served_bytes`
// under the soak bench).
inline constexpr size_t kDefaultMaxServedRecords = 262'144;
// Live sessions kept by default before the least recently used are parked.
inline constexpr size_t kDefaultMaxSessions = 65'536;
// Seen-set keys kept by default over all users (4 bytes each: 2 MB).
inline constexpr size_t kDefaultMaxSeenKeys = 524'288;

// What the sessions hold, for /metrics: entry counts and an estimate of their heap bytes
// (containers' capacity, not the allocator's overhead).
struct SessionMemory {
  size_t live = 0, parked = 0;
  size_t seen_keys = 0;         // seen-set keys, live and parked sessions
  size_t recent_entries = 0;    // positives, likes, skips and last page tails
  size_t served_records = 0;    // ServedItems kept
  size_t served_order = 0;      // the shards' (user, record) entries
  size_t not_interested = 0;    // "not interested" counts (creators, sounds, hashtags)
  size_t bytes = 0;             // all of the above with the maps' keys and slots
  size_t seen_bytes = 0;        // the seen sets alone (part of bytes)
  size_t served_bytes = 0;      // the served records and their entries (part of bytes)
};

// What a parked session keeps (see UserSessions).
struct ParkedSession {
  std::vector<uint32_t> seen;  // SeenFingerprint of each video, oldest first
  NotInterested not_interested;
  uint64_t served_recorded = 0;  // so the shard's served entries never match later records
  uint64_t last_used = 0;        // the shard's use counter at the session's last With()
};

class UserSessions {
 public:
  explicit UserSessions(size_t max_served_records = kDefaultMaxServedRecords,
                        size_t max_sessions = kDefaultMaxSessions,
                        size_t max_seen_keys = kDefaultMaxSeenKeys);

  // Runs fn on the session of `user` (created empty if new) under its shard's lock; records fn
  // appends to its `served` count towards max_served_records. For an id marked deleted (Erase)
  // that has no session, fn runs on an empty session that is then thrown away: a request that
  // read the user before the deletion cannot bring the session back.
  void With(const std::string& user, absl::FunctionRef<void(UserSession&)> fn);
  // Forgets a user's session (refresh); `keep_seen` keeps the seen set and the served items.
  void Reset(const std::string& user, bool keep_seen);
  // Drops a user's session entirely (the account was deleted): seen set, not-interested
  // signals, served items; and marks the id deleted until Undelete.
  void Erase(const std::string& user);
  // Drops a user's session without the mark (a deletion replayed from the log at start).
  void Forget(const std::string& user);
  // The id is a user again (created after a deletion): With creates its session again.
  void Undelete(const std::string& user);
  // Sessions, live and parked.
  size_t size() const;
  // Live sessions (at most about max_sessions).
  size_t live() const;
  // Served records kept, all users.
  size_t served_records() const;
  // Sizes and estimated bytes of everything kept (one pass over every shard under its lock).
  SessionMemory Memory() const;

 private:
  static constexpr int kShards = 64;
  struct Shard {
    mutable common::Mutex mu;
    absl::flat_hash_map<std::string, UserSession> sessions ABSL_GUARDED_BY(mu);
    // (user, record number) per record appended, in serving order; an entry whose record the
    // per-user bound or a reset already dropped is skipped when it reaches the front.
    std::deque<std::pair<std::string, uint64_t>> served_order ABSL_GUARDED_BY(mu);
    size_t served_kept ABSL_GUARDED_BY(mu) = 0;  // records in this shard's sessions
    // Ids deleted in this process and not created again (one entry per deletion).
    absl::flat_hash_set<std::string> deleted ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<std::string, ParkedSession> parked ABSL_GUARDED_BY(mu);
    uint64_t uses ABSL_GUARDED_BY(mu) = 0;
    size_t seen_kept ABSL_GUARDED_BY(mu) = 0;  // seen keys in this shard, live and parked
  };
  void Drop(Shard& shard, const std::string& user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  Shard& ShardOf(const std::string& user);
  // The live session of `user`, brought back from parked if it was; null if neither.
  static UserSession* FindLive(Shard& shard, const std::string& user)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Parks the shard's least recently used sessions once it holds more than its share.
  void ParkIdle(Shard& shard) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Drops the seen keys of the shard's least recently used sessions, oldest first, once the
  // shard holds more than its share of max_seen_keys.
  void TrimSeen(Shard& shard) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Appends the entries of the records fn added, then drops the shard's oldest past its share.
  void TrackServed(Shard& shard, const std::string& user, const UserSession& s,
                   uint64_t recorded_before) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  const size_t shard_served_max_;
  const size_t shard_sessions_max_;
  const size_t shard_seen_max_;
  std::array<Shard, kShards> shards_;
};

}  // namespace foryou::feed
