// Ranker: the serving model's predictions blended with the weights, bonus and priors.
#include "feed/ranking.h"

#include <algorithm>
#include <cmath>
#include <future>
#include <limits>
#include <numeric>
#include <thread>

#include "absl/container/inlined_vector.h"
#include "common/status_macros.h"
#include "model/impression.h"

namespace foryou::feed {

SessionEvidence EvidenceOf(absl::Span<const uint64_t> likes, const VideoIndex::Snapshot& index,
                           absl::Span<const std::string> interests, float recency) {
  SessionEvidence evidence;
  if (!likes.empty()) {
    float total = 0, weight = 1;
    for (size_t i = 0; i < likes.size(); ++i, weight *= recency) total += weight;
    weight = 1.0f / total;  // the newest like's share; each older one's is `recency` times less
    for (auto it = likes.rbegin(); it != likes.rend(); ++it, weight *= recency) {
      const VideoEntry* e = index.Find(*it);
      if (e == nullptr) continue;
      for (uint64_t h : e->proto.hashtags) evidence.hashtag_share[h] += weight;
      if (e->proto.sound != 0) evidence.sound_share[e->proto.sound] += weight;
    }
  }
  for (const std::string& interest : interests) {
    float& share = evidence.hashtag_share[AttributeKey(interest)];
    share = std::max(share, 0.5f);
  }
  return evidence;
}

Ranker::Ranker(const FeedOptions& options, const Scorer* scorer,
               const EngagementStats* engagement, WatchNext* watch_next)
    : options_(options), scorer_(scorer), engagement_(engagement), watch_next_(watch_next) {
  const int threads = options_.scoring_threads > 0
                          ? options_.scoring_threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (threads > 1) pool_ = std::make_unique<common::ThreadPool>(threads - 1);
}

absl::Status Ranker::Predict(absl::Span<const model::Impression> impressions, float* probs) const {
  // Chunks of at least kMinChunk: the calling thread scores the first, each idle pool worker one
  // more, and only while no other request is being scored. A split buys latency with CPU (each
  // chunk pays the model's per-call work again, and a hand-off): worth it on idle cores, a loss
  // when other requests want them, so under concurrency every request scores its own batch in
  // one pass. Scorer::Score is thread-safe (per-thread buffers).
  constexpr size_t kMinChunk = 128;
  const size_t n = impressions.size();
  struct Scoring {  // this request, counted while it scores
    explicit Scoring(std::atomic<int>* c) : count(c) { count->fetch_add(1, std::memory_order_relaxed); }
    ~Scoring() { count->fetch_sub(1, std::memory_order_relaxed); }
    std::atomic<int>* count;
  } scoring(&scoring_);
  size_t chunks = 1;
  if (pool_ != nullptr && scoring_.load(std::memory_order_relaxed) == 1) {
    const int idle = pool_->size() - busy_.load(std::memory_order_relaxed);
    chunks = std::max<size_t>(
        1, std::min({static_cast<size_t>(std::max(idle, 0)) + 1,
                     static_cast<size_t>(pool_->size()) + 1, n / kMinChunk}));
  }
  if (chunks == 1) return scorer_->Score(impressions, probs);
  const size_t per = (n + chunks - 1) / chunks;
  absl::InlinedVector<std::future<void>, 4> done;
  absl::InlinedVector<absl::Status, 4> status(chunks);
  for (size_t k = 1; k < chunks; ++k) {
    const size_t begin = std::min(n, k * per), end = std::min(n, begin + per);
    busy_.fetch_add(1, std::memory_order_relaxed);
    done.push_back(pool_->Submit([&, k, begin, end] {
      status[k] = scorer_->Score(impressions.subspan(begin, end - begin),
                                 probs + begin * model::kNumTasks);
      busy_.fetch_sub(1, std::memory_order_relaxed);
    }));
  }
  status[0] = scorer_->Score(impressions.subspan(0, std::min(n, per)), probs);
  for (auto& d : done) d.wait();
  for (const absl::Status& st : status) FORYOU_RETURN_IF_ERROR(st);
  return absl::OkStatus();
}

float Ranker::BonusOf(const Candidate& c, const SessionEvidence& evidence) const {
  auto bonus_of = [&](Source src) { return options_.source_bonus[static_cast<int>(src)]; };
  float bonus = 0;
  if (c.from(Source::kFollowing)) bonus += bonus_of(Source::kFollowing);
  if (c.from(Source::kSimilar)) bonus += bonus_of(Source::kSimilar);
  if (c.from(Source::kChallenge)) bonus += bonus_of(Source::kChallenge);
  if (c.from(Source::kSameSound)) {
    if (auto it = evidence.sound_share.find(c.sound); it != evidence.sound_share.end()) {
      bonus += bonus_of(Source::kSameSound) * it->second;
    }
  }
  if (c.from(Source::kSameHashtag)) {
    float best = 0;
    for (uint64_t h : c.hashtags) {
      if (auto it = evidence.hashtag_share.find(h); it != evidence.hashtag_share.end()) {
        best = std::max(best, it->second);
      }
    }
    bonus += bonus_of(Source::kSameHashtag) * best;
  }
  return bonus;
}

absl::Status Ranker::Rank(std::string_view model_user, const SessionEvidence& evidence,
                          int64_t now_ms, std::string_view surface,
                          std::vector<Candidate>* candidates) const {
  if (surface.empty()) surface = options_.surface;
  if (candidates->empty()) return absl::OkStatus();
  // Per-thread buffers: a request thread ranks one request at a time.
  thread_local std::vector<model::Impression> impressions;
  thread_local std::vector<float> probs;
  impressions.clear();
  // One impression made (the user, time and surface hashed once), the rest copies with the
  // candidate's video key, which is common::VideoKey of its id.
  model::Impression proto =
      model::MakeImpression(model_user, {}, now_ms, surface, options_.utc_offset_minutes);
  for (const Candidate& c : *candidates) {
    proto.video_id = c.video_key;
    impressions.push_back(proto);
  }
  probs.resize(impressions.size() * model::kNumTasks);
  FORYOU_RETURN_IF_ERROR(Predict(impressions, probs.data()));

  // The audience prior log(1 + e) / log(1 + e_max), and the watch-next prior s - s_min with
  // s = engagement_weight x log(1 + e) + WatchNext's score, over the candidates.
  thread_local std::vector<double> crowd;
  thread_local std::vector<float> next;
  crowd.assign(candidates->size(), 0.0);
  next.assign(candidates->size(), 0.0f);
  double crowd_max = 0;
  float next_min = 0;
  // The prior's weight for this user: its own, plus the foreign one by the share of their
  // exposures another recommender chose.
  const float next_weight =
      options_.watch_next_weight + options_.watch_next_foreign_weight * evidence.foreign_share;
  const bool with_next =
      watch_next_ != nullptr && options_.watch_next.enabled && next_weight != 0;
  if (options_.popularity_weight != 0 || with_next) {
    thread_local std::vector<uint64_t> keys;
    keys.clear();
    for (const Candidate& c : *candidates) keys.push_back(c.video_key);
    engagement_->Scores("*", keys, now_ms, crowd.data());
    for (double& e : crowd) {
      e = std::log1p(e);
      crowd_max = std::max(crowd_max, e);
    }
    if (with_next) {
      watch_next_->Scores(model_user, keys, now_ms, next.data());
      next_min = std::numeric_limits<float>::infinity();
      for (size_t i = 0; i < next.size(); ++i) {
        next[i] += options_.engagement_weight * static_cast<float>(crowd[i]);
        next_min = std::min(next_min, next[i]);
      }
    }
  }
  for (size_t i = 0; i < candidates->size(); ++i) {
    Candidate& c = (*candidates)[i];
    float value = 0;
    for (int t = 0; t < model::kNumTasks; ++t) {
      c.probs[t] = probs[i * model::kNumTasks + t];
      value += options_.weights[t] * c.probs[t];
    }
    c.bonus = BonusOf(c, evidence);
    c.popularity = crowd_max > 0
                       ? options_.popularity_weight * static_cast<float>(crowd[i] / crowd_max)
                       : 0.0f;
    // Log-scale: one unit of the watch-next score is ~e times likelier to be watched next.
    if (with_next) {
      c.next_prior = next_weight * (next[i] - next_min);
      c.popularity += c.next_prior;
    }
    c.value = value + c.bonus + c.popularity;
    c.score = c.value;
  }
  // Sorts positions, then moves each candidate once (a candidate is ~140 bytes; a stable sort of
  // the candidates themselves moves each ~log2(n) times).
  thread_local std::vector<uint32_t> order;
  order.resize(candidates->size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return (*candidates)[a].score > (*candidates)[b].score;
  });
  std::vector<Candidate> sorted;
  sorted.reserve(candidates->size());
  for (uint32_t i : order) sorted.push_back(std::move((*candidates)[i]));
  *candidates = std::move(sorted);
  return absl::OkStatus();
}

}  // namespace foryou::feed
