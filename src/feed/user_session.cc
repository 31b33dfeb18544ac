// UserSessions: per-user feed memory, sharded (see the header).
#include "feed/user_session.h"

#include <algorithm>
#include <cmath>

#include "absl/hash/hash.h"

namespace foryou::feed {

bool SeenVideos::Add(uint64_t key, size_t capacity) {
  if (contains(key)) return false;
  fingerprints_.push_back(SeenFingerprint(key));
  while (fingerprints_.size() > capacity) fingerprints_.pop_front();
  return true;
}

void SeenVideos::DropOldest(size_t n) {
  fingerprints_.erase(fingerprints_.begin(),
                      fingerprints_.begin() +
                          static_cast<ptrdiff_t>(std::min(n, fingerprints_.size())));
  if (fingerprints_.empty()) fingerprints_.shrink_to_fit();
}

bool SeenVideos::contains(uint64_t key) const {
  // Newest first: a video is most often checked again soon after it was shown.
  const uint32_t f = SeenFingerprint(key);
  return std::find(fingerprints_.rbegin(), fingerprints_.rend(), f) != fingerprints_.rend();
}

SeenSet SeenVideos::ToSet() const {
  SeenSet set;
  set.reserve(fingerprints_.size());
  for (uint32_t f : fingerprints_) set.InsertFingerprint(f);
  return set;
}

void UserSession::MarkSeen(uint64_t video_key, size_t capacity) { seen.Add(video_key, capacity); }

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
  ++served_recorded;
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

namespace {

// The session holding the record of a shard's served_order entry, or null if it was dropped.
UserSession* KeptOwner(absl::flat_hash_map<std::string, UserSession>& sessions,
                       const std::pair<std::string, uint64_t>& entry) {
  auto it = sessions.find(entry.first);
  if (it == sessions.end()) return nullptr;
  UserSession& o = it->second;
  return entry.second >= o.served_recorded - o.served.size() ? &o : nullptr;
}

}  // namespace

UserSessions::UserSessions(size_t max_served_records, size_t max_sessions, size_t max_seen_keys)
    : shard_served_max_(std::max<size_t>(1, max_served_records / kShards)),
      shard_sessions_max_(std::max<size_t>(1, max_sessions / kShards)),
      shard_seen_max_(std::max<size_t>(16, max_seen_keys / kShards)) {}

UserSessions::Shard& UserSessions::ShardOf(const std::string& user) {
  return shards_[absl::Hash<std::string>{}(user) % kShards];
}

void UserSessions::With(const std::string& user, absl::FunctionRef<void(UserSession&)> fn) {
  Shard& shard = ShardOf(user);
  common::MutexLock lock(&shard.mu);
  UserSession* found = FindLive(shard, user);
  if (found == nullptr && shard.deleted.contains(user)) {
    UserSession discarded;
    fn(discarded);
    return;
  }
  UserSession& s = found != nullptr ? *found : shard.sessions[user];
  s.last_used = ++shard.uses;
  const uint64_t recorded_before = s.served_recorded;
  const size_t kept_before = s.served.size();
  const size_t seen_before = s.seen.size();
  fn(s);
  shard.served_kept += s.served.size();
  shard.served_kept -= kept_before;
  shard.seen_kept += s.seen.size();
  shard.seen_kept -= seen_before;
  if (s.served_recorded != recorded_before) TrackServed(shard, user, s, recorded_before);
  // After the last use of `s`: parking moves sessions. `s` is the most recent, so it stays.
  if (shard.sessions.size() > shard_sessions_max_) ParkIdle(shard);
  if (shard.seen_kept > shard_seen_max_) TrimSeen(shard);
}

UserSession* UserSessions::FindLive(Shard& shard, const std::string& user) {
  if (auto it = shard.sessions.find(user); it != shard.sessions.end()) return &it->second;
  auto p = shard.parked.find(user);
  if (p == shard.parked.end()) return nullptr;
  UserSession& s = shard.sessions[user];
  s.seen.Assign(p->second.seen.begin(), p->second.seen.end());
  s.not_interested = std::move(p->second.not_interested);
  s.served_recorded = p->second.served_recorded;
  s.last_used = p->second.last_used;
  shard.parked.erase(p);
  return &s;
}

void UserSessions::ParkIdle(Shard& shard) {
  // The `park` least recently used (uses are distinct): down to 15/16 of the share, so the
  // scan runs once per share/16 new sessions.
  const size_t keep = shard_sessions_max_ - shard_sessions_max_ / 16;
  const size_t park = shard.sessions.size() - keep;
  std::vector<uint64_t> uses;
  uses.reserve(shard.sessions.size());
  for (const auto& [user, s] : shard.sessions) uses.push_back(s.last_used);
  std::nth_element(uses.begin(), uses.begin() + (park - 1), uses.end());
  const uint64_t cut = uses[park - 1];
  for (auto it = shard.sessions.begin(); it != shard.sessions.end();) {
    UserSession& s = it->second;
    if (s.last_used > cut) {
      ++it;
      continue;
    }
    shard.served_kept -= s.served.size();
    ParkedSession& p = shard.parked[it->first];
    p.seen.assign(s.seen.fingerprints().begin(), s.seen.fingerprints().end());
    p.not_interested = std::move(s.not_interested);
    p.served_recorded = s.served_recorded;
    p.last_used = s.last_used;
    shard.sessions.erase(it++);
  }
}

// HOW THE SEEN SETS KEEP THEIR BUDGET
// Every session's seen set counts towards its shard's share of max_seen_keys (seen_kept, kept
// in step by With, Reset and Drop). Past the share, the sessions are taken least recently used
// first (live and parked alike; the one just used comes last) and lose their oldest keys until
// the shard holds 15/16 of its share, so a trim runs once per share/16 keys seen. The holders
// are sorted on each trim: a shard holds 1/64 of the sessions.
void UserSessions::TrimSeen(Shard& shard) {
  const size_t target = shard_seen_max_ - shard_seen_max_ / 16;
  struct Holder {
    uint64_t used;
    SeenVideos* live;
    std::vector<uint32_t>* parked;
  };
  std::vector<Holder> holders;
  for (auto& [user, s] : shard.sessions) {
    if (!s.seen.empty()) holders.push_back({s.last_used, &s.seen, nullptr});
  }
  for (auto& [user, p] : shard.parked) {
    if (!p.seen.empty()) holders.push_back({p.last_used, nullptr, &p.seen});
  }
  std::sort(holders.begin(), holders.end(),
            [](const Holder& a, const Holder& b) { return a.used < b.used; });
  for (const Holder& h : holders) {
    if (shard.seen_kept <= target) break;
    const size_t excess = shard.seen_kept - target;
    if (h.live != nullptr) {
      const size_t n = std::min(excess, h.live->size());
      h.live->DropOldest(n);
      shard.seen_kept -= n;
    } else {
      const size_t n = std::min(excess, h.parked->size());
      h.parked->erase(h.parked->begin(), h.parked->begin() + static_cast<ptrdiff_t>(n));
      if (h.parked->empty()) h.parked->shrink_to_fit();
      shard.seen_kept -= n;
    }
  }
}

void UserSessions::TrackServed(Shard& shard, const std::string& user, const UserSession& s,
                               uint64_t recorded_before) {
  // Only the records still kept need an entry (fn may have appended past the per-user bound).
  const uint64_t first_kept = s.served_recorded - s.served.size();
  for (uint64_t n = std::max(recorded_before, first_kept); n < s.served_recorded; ++n) {
    shard.served_order.emplace_back(user, n);
  }
  // The oldest entry whose record is still kept is that user's oldest record.
  while (shard.served_kept > shard_served_max_ && !shard.served_order.empty()) {
    UserSession* o = KeptOwner(shard.sessions, shard.served_order.front());
    shard.served_order.pop_front();
    if (o == nullptr) continue;
    o->served.pop_front();
    --shard.served_kept;
  }
  // Entries of records the per-user bound or a reset dropped: pruned once they are half.
  if (shard.served_order.size() > 2 * std::max(shard.served_kept, shard_served_max_)) {
    std::deque<std::pair<std::string, uint64_t>> live;
    for (auto& e : shard.served_order) {
      if (KeptOwner(shard.sessions, e) != nullptr) live.push_back(std::move(e));
    }
    shard.served_order = std::move(live);
  }
}

void UserSessions::Reset(const std::string& user, bool keep_seen) {
  Shard& shard = ShardOf(user);
  common::MutexLock lock(&shard.mu);
  UserSession* live = FindLive(shard, user);
  if (live == nullptr) return;
  UserSession fresh;
  if (!keep_seen) {
    shard.served_kept -= live->served.size();
    shard.seen_kept -= live->seen.size();
  }
  if (keep_seen) {
    fresh.seen = std::move(live->seen);
    fresh.served = std::move(live->served);
  }
  fresh.served_recorded = live->served_recorded;  // keeps the shard's entries in step
  fresh.last_used = live->last_used;
  *live = std::move(fresh);
}

void UserSessions::Erase(const std::string& user) {
  Shard& shard = ShardOf(user);
  common::MutexLock lock(&shard.mu);
  Drop(shard, user);
  shard.deleted.insert(user);
}

void UserSessions::Forget(const std::string& user) {
  Shard& shard = ShardOf(user);
  common::MutexLock lock(&shard.mu);
  Drop(shard, user);
}

void UserSessions::Undelete(const std::string& user) {
  Shard& shard = ShardOf(user);
  common::MutexLock lock(&shard.mu);
  shard.deleted.erase(user);
}

void UserSessions::Drop(Shard& shard, const std::string& user) {
  bool was_parked = false;
  if (auto p = shard.parked.find(user); p != shard.parked.end()) {
    shard.seen_kept -= p->second.seen.size();
    shard.parked.erase(p);
    was_parked = true;
  }
  auto it = shard.sessions.find(user);
  if (it != shard.sessions.end()) {
    shard.served_kept -= it->second.served.size();
    shard.seen_kept -= it->second.seen.size();
    shard.sessions.erase(it);
  } else if (!was_parked) {
    return;
  }
  // A session made later for the same id starts its record numbers at 0 again: the old entries
  // must not be taken for its records. Deletions are rare; the shard's queue is short.
  std::erase_if(shard.served_order, [&](const auto& e) { return e.first == user; });
}

size_t UserSessions::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    common::MutexLock lock(&s.mu);
    n += s.sessions.size() + s.parked.size();
  }
  return n;
}

size_t UserSessions::live() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    common::MutexLock lock(&s.mu);
    n += s.sessions.size();
  }
  return n;
}

size_t UserSessions::served_records() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    common::MutexLock lock(&s.mu);
    for (const auto& [user, session] : s.sessions) n += session.served.size();
  }
  return n;
}

namespace {

// Heap bytes of a string beyond the object itself (short strings live inside it).
size_t HeapBytes(const std::string& str) {
  return str.capacity() > std::string().capacity() ? str.capacity() + 1 : 0;
}
// A deque allocates blocks of 512 bytes (libstdc++) and a map of block pointers.
template <typename T>
size_t DequeBytes(const std::deque<T>& d) {
  constexpr size_t kBlock = std::max<size_t>(512, sizeof(T));
  const size_t per_block = kBlock / sizeof(T);
  const size_t blocks = d.size() / per_block + 1;
  return blocks * (kBlock + sizeof(void*)) + 8 * sizeof(void*);
}
// A Swiss table: one slot and one control byte per unit of capacity.
template <typename Map>
size_t TableBytes(const Map& m) {
  return m.capacity() == 0 ? 0 : m.capacity() * (sizeof(typename Map::slot_type) + 1) + 16;
}
size_t NotInterestedBytes(const NotInterested& n) {
  return TableBytes(n.creators) + TableBytes(n.sounds) + TableBytes(n.hashtags);
}
size_t ServedBytes(const ServedItem& item) {
  size_t b = sizeof(ServedItem) + HeapBytes(item.request_id) + HeapBytes(item.reason) +
             item.source_reasons.capacity() * sizeof(std::string);
  for (const std::string& r : item.source_reasons) b += HeapBytes(r);
  return b;
}

}  // namespace

SessionMemory UserSessions::Memory() const {
  SessionMemory m;
  for (const Shard& shard : shards_) {
    common::MutexLock lock(&shard.mu);
    m.live += shard.sessions.size();
    m.parked += shard.parked.size();
    m.served_order += shard.served_order.size();
    size_t served_bytes = DequeBytes(shard.served_order);
    for (const auto& entry : shard.served_order) served_bytes += HeapBytes(entry.first);
    size_t seen_bytes = 0, other = TableBytes(shard.sessions) + TableBytes(shard.parked) +
                                   TableBytes(shard.deleted);
    for (const auto& [user, s] : shard.sessions) {
      m.seen_keys += s.seen.size();
      m.recent_entries += s.positives.size() + s.likes.size() + s.skips.size() + s.tail.size();
      m.served_records += s.served.size();
      m.not_interested += s.not_interested.creators.size() + s.not_interested.sounds.size() +
                          s.not_interested.hashtags.size();
      seen_bytes += DequeBytes(s.seen.fingerprints());
      served_bytes += DequeBytes(s.served);
      for (const ServedItem& item : s.served) served_bytes += ServedBytes(item);
      other += HeapBytes(user) + DequeBytes(s.positives) + DequeBytes(s.likes) +
               DequeBytes(s.skips) + s.tail.capacity() * sizeof(s.tail[0]) +
               NotInterestedBytes(s.not_interested);
    }
    for (const auto& [user, p] : shard.parked) {
      m.seen_keys += p.seen.size();
      m.not_interested += p.not_interested.creators.size() + p.not_interested.sounds.size() +
                          p.not_interested.hashtags.size();
      seen_bytes += p.seen.capacity() * sizeof(uint32_t);
      other += HeapBytes(user) + NotInterestedBytes(p.not_interested);
    }
    m.seen_bytes += seen_bytes;
    m.served_bytes += served_bytes;
    m.bytes += seen_bytes + served_bytes + other;
  }
  return m;
}

}  // namespace foryou::feed
