// UserSessions: per-user feed memory, sharded (see the header).
#include "feed/user_session.h"

#include <cmath>

#include "absl/hash/hash.h"

namespace foryou::feed {

void UserSession::MarkSeen(uint64_t video_key, size_t capacity) {
  if (!seen.insert(video_key).second) return;
  seen_order.push_back(video_key);
  while (seen_order.size() > capacity) {
    seen.erase(seen_order.front());
    seen_order.pop_front();
  }
}

void UserSession::CountExposures(bool foreign, float n) {
  // n impressions at once: every earlier count decays by keep^n, the new ones sum to
  // 1 + keep + ... + keep^(n-1) = (1 - keep^n) / (1 - keep).
  constexpr float kKeep = 1.0f - 1.0f / kExposureWindow;
  const float decay = std::pow(kKeep, n);
  own_exposures *= decay;
  foreign_exposures *= decay;
  (foreign ? foreign_exposures : own_exposures) += (1.0f - decay) / (1.0f - kKeep);
}

void UserSession::PushRecent(std::deque<uint64_t>& list, uint64_t video_key, size_t capacity) {
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (*it == video_key) {
      list.erase(it);
      break;
    }
  }
  list.push_back(video_key);
  while (list.size() > capacity) list.pop_front();
}

void UserSession::RecordServed(ServedItem item) {
  served.push_back(std::move(item));
  while (served.size() > kServedRecords) served.pop_front();
}

const ServedItem* UserSession::FindServed(uint64_t video_key, std::string_view request_id) const {
  for (auto it = served.rbegin(); it != served.rend(); ++it) {
    if (it->video_key == video_key && (request_id.empty() || it->request_id == request_id)) {
      return &*it;
    }
  }
  return nullptr;
}

UserSessions::Shard& UserSessions::ShardOf(const std::string& user) {
  return shards_[absl::Hash<std::string>{}(user) % kShards];
}

void UserSessions::With(const std::string& user, absl::FunctionRef<void(UserSession&)> fn) {
  Shard& shard = ShardOf(user);
  common::MutexLock lock(&shard.mu);
  fn(shard.sessions[user]);
}

void UserSessions::Reset(const std::string& user, bool keep_seen) {
  Shard& shard = ShardOf(user);
  common::MutexLock lock(&shard.mu);
  auto it = shard.sessions.find(user);
  if (it == shard.sessions.end()) return;
  UserSession fresh;
  if (keep_seen) {
    fresh.seen = std::move(it->second.seen);
    fresh.seen_order = std::move(it->second.seen_order);
    fresh.served = std::move(it->second.served);
  }
  it->second = std::move(fresh);
}

void UserSessions::Erase(const std::string& user) {
  Shard& shard = ShardOf(user);
  common::MutexLock lock(&shard.mu);
  shard.sessions.erase(user);
}

size_t UserSessions::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    common::MutexLock lock(&s.mu);
    n += s.sessions.size();
  }
  return n;
}

}  // namespace foryou::feed
