// CoVisitation: live and history co-visitation counts per video pair (see the header).
#include "feed/covisitation.h"

#include <algorithm>
#include <utility>

namespace foryou::feed {

CoVisitation::CoVisitation(size_t max_neighbours) : max_neighbours_(max_neighbours) {}

void CoVisitation::AddVideo() { videos_.emplace_back(); }

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

void CoVisitation::AddPair(uint32_t a, uint32_t b, float live, float history) {
  for (auto [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
    Video& v = videos_[x];
    auto [it, inserted] = v.neighbours.try_emplace(y);
    Neighbour& nb = it->second;
    if (inserted) {
      ++pairs_;
      if (history == 0) ++v.live_only;
    } else if (nb.history == 0 && history > 0) {
      --v.live_only;
    }
    nb.live += live;
    nb.history += history;
    if (v.live_only > 2 * max_neighbours_) {
      // Drop the live-only entries at or below the median live count (history entries stay).
      std::vector<float> counts;
      counts.reserve(v.live_only);
      for (const auto& [k, n] : v.neighbours) {
        if (n.history == 0) counts.push_back(n.live);
      }
      std::nth_element(counts.begin(), counts.begin() + counts.size() / 2, counts.end());
      const float median = counts[counts.size() / 2];
      for (auto i = v.neighbours.begin(); i != v.neighbours.end();) {
        auto cur = i++;
        if (cur->second.history == 0 && cur->second.live <= median && cur->first != y) {
          v.neighbours.erase(cur);
          --pairs_;
          --v.live_only;
        }
      }
    }
  }
}

}  // namespace foryou::feed
