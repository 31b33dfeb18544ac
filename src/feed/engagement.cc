// EngagementStats: decayed per-region engagement and raw per-video counts (see the header).
#include "feed/engagement.h"

#include <algorithm>
#include <cmath>

namespace foryou::feed {

using stream::EventType;

double VideoCounts::EngagementRate() const {
  // Beta(1, 9) prior: a video with no data sits at 0.1, and a handful of lucky views cannot
  // make it graduate.
  const double good = static_cast<double>(completions + likes + shares);
  return (good + 1.0) / (static_cast<double>(impressions) + 10.0);
}

double TrendingWeight(EventType type) {
  switch (type) {
    case EventType::kPlay: return 1.0;
    case EventType::kLike: return 3.0;
    case EventType::kShare: return 5.0;
    case EventType::kComment: return 3.0;
    case EventType::kFavorite: return 3.0;
    case EventType::kFollow: return 4.0;
    case EventType::kNotInterested: return -3.0;
    case EventType::kReport: return -5.0;
    default: return 0.0;
  }
}

EngagementStats::EngagementStats(EngagementOptions options) : options_(options) {}

double EngagementStats::DecayTo(const Decayed& d, int64_t now_ms) const {
  const double dt = static_cast<double>(now_ms - d.time_ms);
  if (dt <= 0) return d.value;
  return d.value * std::exp2(-dt / static_cast<double>(options_.half_life_ms));
}

void EngagementStats::Observe(const stream::Event& e, uint64_t video_key,
                              absl::Span<const std::string> regions) {
  if (video_key == 0) return;
  const EventType type = e.type;
  const int64_t time_ms = e.time_ms;
  common::MutexLock lock(&mu_);
  ++events_;
  VideoCounts& c = counts_[video_key];
  switch (type) {
    case EventType::kImpression: ++c.impressions; break;
    case EventType::kPlay:
      ++c.plays;
      if (e.completed) ++c.completions;
      break;
    case EventType::kLike: ++c.likes; break;
    case EventType::kShare: ++c.shares; break;
    case EventType::kComment: ++c.comments; break;
    case EventType::kFollow: ++c.follows; break;
    case EventType::kNotInterested: ++c.not_interested; break;
    default: break;
  }
  const double w = TrendingWeight(type);
  if (w == 0) return;
  for (const std::string& r : regions) {
    Decayed& d = regions_[r].scores[video_key];
    // Keep the value as of the newer time (events may arrive slightly out of order).
    if (time_ms >= d.time_ms) {
      d.value = DecayTo(d, time_ms) + w;
      d.time_ms = time_ms;
    } else {
      d.value += w * std::exp2(-static_cast<double>(d.time_ms - time_ms) /
                               static_cast<double>(options_.half_life_ms));
    }
  }
}

std::vector<uint64_t> EngagementStats::Trending(const std::string& region, int n, int64_t now_ms) {
  common::MutexLock lock(&mu_);
  auto it = regions_.find(region);
  if (it == regions_.end()) return {};
  Region& r = it->second;
  if (r.top_ms < 0 || now_ms - r.top_ms >= options_.trending_refresh_ms || now_ms < r.top_ms) {
    std::vector<std::pair<double, uint64_t>> scored;
    scored.reserve(r.scores.size());
    for (const auto& [video, d] : r.scores) {
      const double s = DecayTo(d, now_ms);
      if (s > 0) scored.emplace_back(s, video);
    }
    const size_t keep = std::min<size_t>(scored.size(), options_.trending_size);
    std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(),
                      [](const auto& a, const auto& b) {
                        return a.first != b.first ? a.first > b.first : a.second < b.second;
                      });
    r.top.clear();
    for (size_t i = 0; i < keep; ++i) r.top.push_back(scored[i].second);
    r.top_ms = now_ms;
  }
  std::vector<uint64_t> out(r.top.begin(),
                            r.top.begin() + std::min<size_t>(r.top.size(), std::max(n, 0)));
  return out;
}

double EngagementStats::Score(const std::string& region, uint64_t video_key, int64_t now_ms) const {
  double score = 0;
  Scores(region, absl::MakeConstSpan(&video_key, 1), now_ms, &score);
  return score;
}

void EngagementStats::Scores(const std::string& region, absl::Span<const uint64_t> video_keys,
                             int64_t now_ms, double* out) const {
  common::MutexLock lock(&mu_);
  auto it = regions_.find(region);
  for (size_t i = 0; i < video_keys.size(); ++i) {
    out[i] = 0;
    if (it == regions_.end()) continue;
    if (auto v = it->second.scores.find(video_keys[i]); v != it->second.scores.end()) {
      out[i] = DecayTo(v->second, now_ms);
    }
  }
}

VideoCounts EngagementStats::Counts(uint64_t video_key) const {
  common::MutexLock lock(&mu_);
  auto it = counts_.find(video_key);
  return it == counts_.end() ? VideoCounts{} : it->second;
}

uint64_t EngagementStats::events() const {
  common::MutexLock lock(&mu_);
  return events_;
}

}  // namespace foryou::feed
