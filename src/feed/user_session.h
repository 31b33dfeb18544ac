// UserSessions: what the feed remembers about each user between requests, learned from their
// events at once (before the model retrains): the videos already shown (a bounded seen set), the
// recent positive videos (seeds for the similar / same-sound / same-hashtag sources), quick skips,
// "not interested" signals, and the tail of the last feed (so the arrangement rules hold across
// pages). Thread-safe: sharded by user, one mutex per shard; With() runs a function on one
// user's session under its shard lock.
//
// Example:
//   sessions.With("u1", [&](UserSession& s) { s.MarkSeen(video_key, cap); });
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "common/mutex.h"
#include "feed/rules.h"
#include "feed/video_index.h"

namespace foryou::feed {

struct UserSession {
  absl::flat_hash_set<uint64_t> seen;  // video keys shown (served or impressed)
  std::deque<uint64_t> seen_order;     // oldest first, for the bound
  std::deque<uint64_t> positives;      // long views, completions, likes, shares; newest last
  std::deque<uint64_t> likes;          // likes only; newest last
  std::deque<uint64_t> skips;          // quick skips (< model::kPlayedMs); newest last
  NotInterested not_interested;
  std::vector<std::shared_ptr<const VideoEntry>> tail;  // last items served, oldest first
  uint64_t feeds = 0, impressions = 0;

  void MarkSeen(uint64_t video_key, size_t capacity);
  static void PushRecent(std::deque<uint64_t>& list, uint64_t video_key, size_t capacity);
};

class UserSessions {
 public:
  // Runs fn on the session of `user` (created empty if new) under its shard's lock.
  void With(const std::string& user, absl::FunctionRef<void(UserSession&)> fn);
  // Forgets a user's session (refresh); `keep_seen` keeps the seen set.
  void Reset(const std::string& user, bool keep_seen);
  size_t size() const;

 private:
  static constexpr int kShards = 64;
  struct Shard {
    mutable common::Mutex mu;
    absl::flat_hash_map<std::string, UserSession> sessions ABSL_GUARDED_BY(mu);
  };
  Shard& ShardOf(const std::string& user);
  std::array<Shard, kShards> shards_;
};

}  // namespace foryou::feed
