// RecentViewers: what the watch-next model keeps per user — their recent videos (the two-tower
// context and the co-visitation seeds), their distinct videos for the item-item model, their
// two-tower row — bounded: past max_users the least recently active eighth is forgotten, and a
// forgotten user scores as a new one until their next events.
//
// HOW IT WORKS (the bound). Forgetting is a pass over every user (an nth_element of their last
// event times), amortised O(1) per new user since it frees an eighth at once. Users known only
// from watch histories have no last event and go first.
//
// Not thread-safe: WatchNext writes it under its exclusive lock and reads it under its shared
// lock.
//
// Example:
//   RecentViewers viewers(2'000'000);
//   std::vector<uint32_t> freed;
//   viewers.MakeRoom(&freed);                        // before adding a new user
//   RecentViewers::Viewer& v = viewers.Add("u1", {});
//   v.recent.push_back(video);
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "feed/two_tower.h"

namespace foryou::feed {

class RecentViewers {
 public:
  struct Viewer {
    std::deque<uint32_t> recent;  // newest last, at most `context`
    std::vector<uint32_t> items;  // distinct, newest last, at most item_item_user_items
    uint32_t row = TwoTower::kNoUser;
    int64_t last_ms = INT64_MIN;  // the newest event's time (history only: INT64_MIN)
  };

  explicit RecentViewers(size_t max_users);

  // The user, or null if unknown (never seen, or forgotten).
  Viewer* Find(std::string_view user);
  const Viewer* Find(std::string_view user) const;
  // When max_users are kept, forgets the least recently active eighth; appends the two-tower
  // rows they held to *freed (in the order forgotten).
  void MakeRoom(std::vector<uint32_t>* freed);
  // Adds a user not kept yet (call MakeRoom first).
  Viewer& Add(std::string_view user, Viewer viewer);

  // Appends `v` to the viewer's item-item list unless there (dropping the oldest past
  // `capacity`); true if it was added.
  static bool AddItem(Viewer& viewer, uint32_t v, size_t capacity);

  // Every user's item-item list with at least two videos.
  std::vector<std::vector<uint32_t>> ItemSets() const;

  size_t size() const { return users_.size(); }
  // Recent and item-item entries over every user, and an estimate of the heap bytes they and
  // the users' table take.
  struct Memory {
    size_t recent = 0, items = 0, bytes = 0;
  };
  Memory MemoryUse() const;
  uint64_t forgotten() const { return forgotten_; }

 private:
  const size_t max_users_;
  absl::flat_hash_map<std::string, Viewer> users_;
  uint64_t forgotten_ = 0;
};

}  // namespace foryou::feed
