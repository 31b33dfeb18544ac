// The fresh-upload slot (see the header).
#include "feed/fresh_slot.h"

#include <algorithm>

namespace foryou::feed {

void PlaceFreshUpload(const FreshPoolOptions& options, const EngagementStats& engagement,
                      int count, int64_t now_ms, std::mt19937_64& rng,
                      std::vector<Candidate>* ranked) {
  if (options.slots_per_page <= 0 || ranked->empty()) return;
  // The least-exposed video in its test goes first (ties at random), so the pool's exposure
  // spreads over every new upload rather than over the one the model happens to like.
  Candidate* best = nullptr;
  uint64_t best_impressions = 0, ties = 0;
  for (Candidate& c : *ranked) {
    // A video the viewer said "not interested" to (its creator, sound or hashtag) is not lifted.
    if (!c.from(Source::kFresh) || c.penalty > 0) continue;
    const VideoCounts counts = engagement.Counts(c.video_key);
    if (FreshStateOf(*c.video, counts, options, now_ms) != FreshState::kTesting) continue;
    if (best == nullptr || counts.impressions < best_impressions) {
      best = &c;
      best_impressions = counts.impressions;
      ties = 1;
    } else if (counts.impressions == best_impressions && rng() % ++ties == 0) {
      best = &c;  // reservoir sampling over the tied ones
    }
  }
  if (best == nullptr) return;
  const size_t slot = rng() % static_cast<size_t>(std::min<int>(count, ranked->size()));
  const float target = (*ranked)[slot].score;
  if (best->score <= target) {
    best->fresh_lift += target + 1e-3f - best->score;
    best->score = target + 1e-3f;
  }
  std::stable_sort(ranked->begin(), ranked->end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
}

}  // namespace foryou::feed
