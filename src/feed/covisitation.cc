// CoVisitation: live and history co-visitation counts per video pair (see the header).
#include "feed/covisitation.h"

#include <algorithm>
#include <utility>

namespace foryou::feed {

CoVisitation::CoVisitation(size_t max_neighbours) : max_neighbours_(max_neighbours) {}

void CoVisitation::AddVideo() { videos_.emplace_back(); }

size_t CoVisitation::MemoryBytes() const {
  using Map = absl::flat_hash_map<uint32_t, Neighbour>;
  size_t bytes = videos_.capacity() * sizeof(Video);
  for (const Video& v : videos_) bytes += v.neighbours.capacity() * (sizeof(Map::slot_type) + 1);
  return bytes;
}

void CoVisitation::AddHistory(absl::Span<const uint32_t> seq, size_t window) {
  for (size_t i = 0; i < seq.size(); ++i) {
    videos_[seq[i]].history_count += 1;
    for (size_t j = i + 1; j < seq.size() && j <= i + window; ++j) {
      if (seq[i] != seq[j]) AddPair(seq[i], seq[j], 0, 1);
    }
  }
}

void CoVisitation::AddLive(const std::deque<uint32_t>& recent, uint32_t v, size_t window) {
  const size_t w = std::min(recent.size(), window);
  for (size_t j = recent.size() - w; j < recent.size(); ++j) {
    if (recent[j] != v) AddPair(recent[j], v, 1, 0);
  }
}

namespace {

// a + b, at most CoVisitation::kMaxCount.
uint16_t CovisSaturatingAdd(uint16_t a, uint16_t b) {
  return static_cast<uint16_t>(std::min<uint32_t>(uint32_t{a} + b, CoVisitation::kMaxCount));
}

}  // namespace

void CoVisitation::AddPair(uint32_t a, uint32_t b, uint16_t live, uint16_t history) {
  for (auto [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
    Video& v = videos_[x];
    if (v.live_only >= max_neighbours_ && NewEntryGrows(v.neighbours) &&
        !v.neighbours.contains(y)) {
      Prune(v);
    }
    auto [it, inserted] = v.neighbours.try_emplace(y);
    Neighbour& nb = it->second;
    if (inserted) {
      ++pairs_;
      if (history == 0) ++v.live_only;
    } else if (nb.history == 0 && history > 0) {
      --v.live_only;
    }
    nb.live = CovisSaturatingAdd(nb.live, live);
    nb.history = CovisSaturatingAdd(nb.history, history);
  }
}

namespace {

// Entries a Swiss table of `capacity` holds before it grows (7/8; capacity 7 holds 6 with 8-wide
// groups: the lower limit is the safe one).
size_t Holds(size_t capacity) { return capacity == 7 ? 6 : capacity - capacity / 8; }

}  // namespace

bool CoVisitation::NewEntryGrows(const absl::flat_hash_map<uint32_t, Neighbour>& table) {
  // Exact only for a table without erased slots (Prune rebuilds it): a table with tombstones
  // grows sooner.
  return table.size() >= Holds(table.capacity());
}

void CoVisitation::Prune(Video& v) {
  // Keeps the max_neighbours strongest live-only entries: drops those at or below the live
  // count just under them (with ties, fewer stay).
  std::vector<uint16_t> counts;
  counts.reserve(v.live_only);
  for (const auto& [k, n] : v.neighbours) {
    if (n.history == 0) counts.push_back(n.live);
  }
  const size_t drop = counts.size() - max_neighbours_;  // live_only >= max_neighbours_
  if (drop == 0) return;
  std::nth_element(counts.begin(), counts.begin() + (drop - 1), counts.end());
  const uint16_t cut = counts[drop - 1];
  // Into a fresh table of the same capacity: erasing in place leaves tombstones, which make a
  // Swiss table grow before it is full.
  absl::flat_hash_map<uint32_t, Neighbour> kept;
  kept.reserve(Holds(v.neighbours.capacity()));
  for (const auto& [k, n] : v.neighbours) {
    if (n.history != 0 || n.live > cut) {
      kept.emplace(k, n);
    } else {
      --pairs_;
      --v.live_only;
    }
  }
  v.neighbours = std::move(kept);
}

}  // namespace foryou::feed
