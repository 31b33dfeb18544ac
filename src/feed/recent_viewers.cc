// RecentViewers: per-user watch-next state with a bound on users (see the header).
#include "feed/recent_viewers.h"

#include <algorithm>
#include <utility>

namespace foryou::feed {

RecentViewers::RecentViewers(size_t max_users) : max_users_(std::max<size_t>(1, max_users)) {}

RecentViewers::Viewer* RecentViewers::Find(std::string_view user) {
  auto it = users_.find(absl::string_view(user.data(), user.size()));
  return it == users_.end() ? nullptr : &it->second;
}

const RecentViewers::Viewer* RecentViewers::Find(std::string_view user) const {
  auto it = users_.find(absl::string_view(user.data(), user.size()));
  return it == users_.end() ? nullptr : &it->second;
}

void RecentViewers::MakeRoom(std::vector<uint32_t>* freed) {
  if (users_.size() < max_users_) return;
  // The eighth with the oldest last event.
  std::vector<int64_t> times;
  times.reserve(users_.size());
  for (const auto& [key, viewer] : users_) times.push_back(viewer.last_ms);
  const size_t forget = std::max<size_t>(1, users_.size() / 8);
  std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(forget - 1),
                   times.end());
  const int64_t cutoff = times[forget - 1];
  size_t forgotten = 0;
  for (auto i = users_.begin(); i != users_.end() && forgotten < forget;) {
    auto cur = i++;
    if (cur->second.last_ms > cutoff) continue;
    if (cur->second.row != TwoTower::kNoUser) freed->push_back(cur->second.row);
    users_.erase(cur);
    ++forgotten;
  }
  forgotten_ += forgotten;
}

RecentViewers::Viewer& RecentViewers::Add(std::string_view user, Viewer viewer) {
  return users_.emplace(std::string(user), std::move(viewer)).first->second;
}

bool RecentViewers::AddItem(Viewer& viewer, uint32_t v, size_t capacity) {
  std::vector<uint32_t>& items = viewer.items;
  if (std::find(items.begin(), items.end(), v) != items.end()) return false;
  items.push_back(v);
  if (items.size() > capacity) items.erase(items.begin());
  return true;
}

std::vector<std::vector<uint32_t>> RecentViewers::ItemSets() const {
  std::vector<std::vector<uint32_t>> sets;
  sets.reserve(users_.size());
  for (const auto& [user, viewer] : users_) {
    if (viewer.items.size() > 1) sets.push_back(viewer.items);
  }
  return sets;
}

RecentViewers::Memory RecentViewers::MemoryUse() const {
  using Map = absl::flat_hash_map<std::string, Viewer>;
  Memory m;
  m.bytes = users_.capacity() * (sizeof(Map::slot_type) + 1);
  for (const auto& [user, v] : users_) {
    m.recent += v.recent.size();
    m.items += v.items.size();
    // A deque allocates 512-byte blocks (libstdc++) and a small map of them.
    m.bytes += (user.capacity() > 15 ? user.capacity() + 1 : 0) +
               (v.recent.size() / 128 + 1) * 512 + 64 + v.items.capacity() * sizeof(uint32_t);
  }
  return m;
}

}  // namespace foryou::feed
