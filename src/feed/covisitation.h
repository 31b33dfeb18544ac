// CoVisitation: which videos are watched near each other — the co-visitation part of the
// watch-next score. Two videos learned by the same user within `window` events of each other
// are a pair; each video keeps its neighbours with two counts: `live` (from the event stream)
// and `history` (from the users' watch histories loaded before serving), plus how often it
// appears in the histories (the history term is normalised by its square root).
//
// HOW IT WORKS (memory bound). History pairs are few and fixed; live pairs grow with traffic.
// A video's neighbours are a hash table that grows by doubling and never shrinks, so the bound
// is on its capacity: when a new partner would make the table grow while it already holds
// max_neighbours live-only neighbours, the live-only ones at or below the max_neighbours-th
// strongest live count are dropped first (history neighbours always stay). Each video keeps
// its strongest max_neighbours live partners and more until its table is full again, in the
// smallest table that holds max_neighbours plus its history partners (a table holding 2 x
// max_neighbours, the bound before, is twice the bytes: ~27 KB a video at 512, filled only
// after minutes of traffic). A slot is 9 bytes with 16-bit counts: ~9 KB a video at 512.
//
// Not thread-safe: WatchNext writes it under its exclusive lock and reads it under its shared
// lock.
//
// Example:
//   CoVisitation covis(512);
//   covis.AddVideo(); covis.AddVideo();                  // videos 0 and 1
//   covis.AddHistory({0, 1}, /*window=*/10);
//   for (const auto& [other, n] : covis.NeighboursOf(0)) score[other] += n.history;
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"

namespace foryou::feed {

class CoVisitation {
 public:
  // Counts saturate at 65,535 (the strongest partners stay the strongest; the score takes
  // log1p of them). Two 16-bit counts make a table slot 8 bytes (9 with its control byte),
  // where two floats made it 12 (13).
  struct Neighbour {
    uint16_t live = 0, history = 0;
  };
  static constexpr uint16_t kMaxCount = UINT16_MAX;

  explicit CoVisitation(size_t max_neighbours);

  // Adds video size() with no neighbours.
  void AddVideo();
  size_t size() const { return videos_.size(); }

  // A watch history (video indexes, oldest first): counts each appearance, and a history pair
  // for every two different videos at most `window` apart.
  void AddHistory(absl::Span<const uint32_t> history, size_t window);
  // A live event of video `v` after the user's `recent` videos (oldest first): a live pair with
  // each of the last `window` of them other than `v`.
  void AddLive(const std::deque<uint32_t>& recent, uint32_t v, size_t window);

  const absl::flat_hash_map<uint32_t, Neighbour>& NeighboursOf(uint32_t v) const {
    return videos_[v].neighbours;
  }
  // How often video `v` appears in the watch histories.
  float history_count(uint32_t v) const { return videos_[v].history_count; }
  // Neighbour entries over every video (each pair counts twice).
  size_t pairs() const { return pairs_; }
  // Estimated heap bytes: every video's neighbour table at its capacity.
  size_t MemoryBytes() const;

 private:
  struct Video {
    float history_count = 0;
    absl::flat_hash_map<uint32_t, Neighbour> neighbours;
    size_t live_only = 0;  // neighbours without a history count (the ones pruning may drop)
  };
  void AddPair(uint32_t a, uint32_t b, uint16_t live, uint16_t history);
  // Whether inserting one more entry makes the table grow (rehash into twice the capacity).
  static bool NewEntryGrows(const absl::flat_hash_map<uint32_t, Neighbour>& table);
  // Drops the weakest live-only neighbours of `v`, keeping about max_neighbours_.
  void Prune(Video& v);

  const size_t max_neighbours_;
  std::vector<Video> videos_;
  size_t pairs_ = 0;
};

}  // namespace foryou::feed
