// WatchNext: how likely is this user to be shown, and to watch, each video next — the
// exposure-aware half of ranking (docs/design/feed.md, "Watch-next prior").
//
// The action model predicts what a user does *once a video is shown*. On a real log most of what a
// user watches next is explained by what is being watched now, what people who watched the same
// videos watched next, and the order users watch things in. WatchNext learns those from the
// stream of impressions and long views, online, in four parts (each in its own file):
//   * AudienceCounters: long views over the last 6 h and 24 h, impressions over the last hour
//     (hourly buckets per video);
//   * CoVisitation: videos shown to the same user within `covis_window` impressions of each
//     other, counted live, plus a static table from the users' watch histories (normalised by
//     the square root of the video's history count);
//   * TwoTower: a sequence model — the user is the mean of the input embeddings of their last
//     `context` shown videos, a video its output embedding and bias; trained with sampled
//     softmax (in-batch targets + uniform negatives, lazy Adam) on every impression in
//     mini-batches, and pre-trained on the watch histories;
//   * ItemItemFitter: an item-item model (ItemItemModel, EASE) over each user's last
//     `item_item_user_items` distinct videos, refitted in closed form every `item_item_refit_ms`
//     of event time (on a background thread when serving) and swapped in whole;
// with RecentViewers keeping each user's recent videos, bounded by max_users.
// Score = a weighted sum of log1p(counter), log1p(co-visitation), the two-tower logit and the
// item-item sum; the weights are options, tuned on warm-up days (docs/design/feed.md). This class
// owns the parts, feeds them the events and blends their scores.
//
// Thread-safe: one reader/writer lock over the parts. Requests score under the shared lock;
// events take it exclusively for a few counter and table updates. A training step (one
// mini-batch) runs on the thread whose event completed the batch: its gradients under the shared
// lock, only the Adam update of the touched rows exclusively.
//
// Example:
//   WatchNext wn(options);
//   wn.AddHistory("42", {v1, v2, v3});             // before serving (optional)
//   wn.Pretrain();
//   wn.Observe("42", video_key, now_ms, WatchNext::kImpression);
//   std::vector<float> s(keys.size());
//   wn.Scores("42", keys, now_ms, s.data());
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/mutex.h"
#include "common/rw_mutex.h"
#include "feed/audience_counters.h"
#include "feed/covisitation.h"
#include "feed/item_item.h"
#include "feed/item_item_fitter.h"
#include "feed/recent_viewers.h"
#include "feed/two_tower.h"
#include "feed/watch_next_options.h"

namespace foryou::feed {

class WatchNext {
 public:
  // kPositive: a like, share, favorite or comment (trains like a long view; not counted).
  // kForeignImpression: an impression another recommender chose (request_id.h): counted like
  // kImpression; learned from with learn_from_foreign_impressions.
  enum Kind { kImpression, kLongView, kPositive, kForeignImpression };
  explicit WatchNext(WatchNextOptions options = {});
  ~WatchNext();  // waits for a background fit
  WatchNext(const WatchNext&) = delete;
  WatchNext& operator=(const WatchNext&) = delete;

  const WatchNextOptions& options() const { return options_; }

  // A user's watch history (oldest first), before serving: seeds their recent list, the history
  // co-visitation table and the pre-training set. `user` is the model's identity ("<id>").
  void AddHistory(std::string_view user, absl::Span<const uint64_t> videos) ABSL_LOCKS_EXCLUDED(mu_);
  // Trains the two-tower model on the histories added (pretrain_epochs passes), then fits the
  // item-item model if it is on. Returns the two-tower's mean training loss of the last pass (0
  // if there was nothing to train on).
  double Pretrain() ABSL_LOCKS_EXCLUDED(mu_, train_mu_);
  // Fits the item-item model now on every user's videos (the caller's thread; requests keep
  // scoring with the previous fit meanwhile) and swaps it in.
  absl::Status FitItemItem() ABSL_LOCKS_EXCLUDED(mu_);

  // One impression (the video was shown to the user) or long view, at time_ms.
  void Observe(std::string_view user, uint64_t video_key, int64_t time_ms, Kind kind)
      ABSL_LOCKS_EXCLUDED(mu_, train_mu_);

  // The blended score of each of `video_keys` for `user` at now_ms (unknown videos: the
  // counters' zero). out: video_keys.size().
  void Scores(std::string_view user, absl::Span<const uint64_t> video_keys, int64_t now_ms,
              float* out) ABSL_LOCKS_EXCLUDED(mu_);
  // The `n` best videos for the user over every video it knows, best first, skipping those for
  // which `skip(key)` is true.
  template <typename Skip>
  std::vector<uint64_t> Top(std::string_view user, size_t n, int64_t now_ms, Skip skip)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The unweighted parts of a video's score, for research (`replay --feed-hits-parts`).
  struct Parts {
    uint64_t key = 0;
    float long_views_6h = 0, long_views_24h = 0, impressions_1h = 0;  // log1p of the counts
    float sequence = 0;                  // the two-tower logit (with the bias)
    float covis = 0, history_covis = 0;  // the log1p terms of the co-visitation sums
    float item_item = 0;                 // the item-item sum
    float score = 0;                     // the blended score the videos are ranked by
  };
  // The parts of the `n` best videos for the user, best first (skipping those for which
  // `skip(key)` is true), then of `also` if WatchNext knows it and it is not among them.
  std::vector<Parts> TopParts(std::string_view user, size_t n, int64_t now_ms,
                              absl::FunctionRef<bool(uint64_t)> skip, uint64_t also)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Sizes, for /metrics and tests.
  struct Stats {
    size_t videos = 0, users = 0, covis_pairs = 0;
    uint64_t users_forgotten = 0;
    uint64_t train_steps = 0, examples = 0;
    double last_loss = 0;
    uint64_t item_item_fits = 0;
    size_t item_item_videos = 0, item_item_weights = 0;
  };
  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);
  // What the model holds, for /metrics: a pass over every user (not part of stats(), which is
  // read often).
  struct Memory {
    size_t users = 0, recent_entries = 0, item_entries = 0, covis_pairs = 0;
    size_t viewers_bytes = 0, covis_bytes = 0, tower_bytes = 0;
  };
  Memory MemoryUse() const ABSL_LOCKS_EXCLUDED(mu_);

  // Returns once no item-item fit runs in the background (the fit an event started has swapped
  // its model in). For tests and tools: wait for the fit instead of polling.
  void WaitForItemItemFit() { fitter_.Wait(); }

 private:
  using Example = TwoTower::Example;

  // The index of a video, added to every part if new.
  uint32_t IndexOf(uint64_t key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The user's state, added if new (first forgetting the least recently active eighth when
  // max_users are kept).
  RecentViewers::Viewer& UserOf(std::string_view user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // To the user's item-item list (while the item-item model is on).
  void AddItem(RecentViewers::Viewer& viewer, uint32_t v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts the event and, when it is one the model learns from, updates co-visitation and the
  // user's recent list and queues an example; true if an example was queued.
  bool Record(std::string_view user, uint64_t video_key, int64_t time_ms, Kind kind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether an event at time_ms starts a new refit period, or the pairs learned have doubled
  // since the last fit.
  bool FitDue(int64_t time_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // One scoring request's state: the user's query vector, co-visitation and item-item sums.
  struct Request {
    std::shared_ptr<const std::vector<float>> popular;
    std::vector<uint32_t> recent, touched;
    std::vector<float> q;
    // Per-thread, by video index; `mark` flags the touched entries.
    std::vector<float>*live = nullptr, *hist = nullptr, *item = nullptr;
    std::vector<uint8_t>* mark = nullptr;
  };
  void Prepare(std::string_view user, int64_t now_ms, Request* r) ABSL_SHARED_LOCKS_REQUIRED(mu_);
  float CovisTerm(const Request& r, uint32_t i) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  static void Finish(Request* r);  // clears the per-thread sums
  // Score of every video (dense, by index) for the user: out has one entry per video.
  void ScoreAll(std::string_view user, int64_t now_ms, std::vector<float>* out)
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // One sampled-softmax step over `examples` (takes the locks itself); returns the mean loss.
  double TrainStep(absl::Span<const Example> examples, int negatives)
      ABSL_LOCKS_EXCLUDED(mu_, train_mu_);

  const WatchNextOptions options_;
  // Exclusive: events, history, the Adam update. Shared: scoring, gradient computation.
  mutable common::RwMutex mu_;
  std::vector<uint64_t> keys_ ABSL_GUARDED_BY(mu_);  // video index -> key
  absl::flat_hash_map<uint64_t, uint32_t> index_ ABSL_GUARDED_BY(mu_);  // key -> index
  AudienceCounters counters_ ABSL_GUARDED_BY(mu_);
  CoVisitation covis_ ABSL_GUARDED_BY(mu_);
  TwoTower tower_ ABSL_GUARDED_BY(mu_);
  RecentViewers viewers_ ABSL_GUARDED_BY(mu_);
  std::vector<Example> pending_ ABSL_GUARDED_BY(mu_);  // the next online training batch
  uint64_t train_steps_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t examples_ ABSL_GUARDED_BY(mu_) = 0;
  double last_loss_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t fit_period_ ABSL_GUARDED_BY(mu_) = INT64_MIN;  // refit period of the last event
  uint64_t items_added_ ABSL_GUARDED_BY(mu_) = 0;  // (user, video) pairs ever learned
  std::atomic<uint64_t> items_at_fit_{0};          // items_added_ when the last fit began

  common::Mutex train_mu_;  // one training step at a time
  std::mt19937_64 train_rng_ ABSL_GUARDED_BY(train_mu_);  // negatives, shuffles

  // Last: destroyed first, so a background fit finishes while the parts it reads still exist.
  ItemItemFitter fitter_;
};

template <typename Skip>
std::vector<uint64_t> WatchNext::Top(std::string_view user, size_t n, int64_t now_ms, Skip skip) {
  thread_local std::vector<float> all;
  thread_local std::vector<uint32_t> order;
  std::vector<uint64_t> top;
  common::ReaderLock lock(&mu_);
  ScoreAll(user, now_ms, &all);
  // Best first over a shortlist of the 2n + 16 best (then the whole catalog, if skips ate it):
  // skip() is called only for videos that could make the list. The shortlist is picked in one
  // pass with a heap whose top is its worst member: most videos cost one comparison.
  auto better = [&](uint32_t a, uint32_t b) { return all[a] != all[b] ? all[a] > all[b] : a < b; };
  const size_t shortlist = std::min(all.size(), 2 * n + 16);
  order.clear();
  for (uint32_t i = 0; i < all.size(); ++i) {
    if (order.size() < shortlist) {
      order.push_back(i);
      if (order.size() == shortlist) std::make_heap(order.begin(), order.end(), better);
    } else if (shortlist > 0 && better(i, order.front())) {
      std::pop_heap(order.begin(), order.end(), better);
      order.back() = i;
      std::push_heap(order.begin(), order.end(), better);
    }
  }
  std::sort(order.begin(), order.end(), better);
  size_t i = 0;
  for (; i < order.size() && top.size() < n; ++i) {
    const uint64_t key = keys_[order[i]];
    if (!skip(key)) top.push_back(key);
  }
  if (top.size() < n && order.size() < all.size()) {
    // The shortlist ran out (a user who has seen most of the best): the next best, a window at
    // a time (each twice the last), never sorting more of the catalog than the skips need.
    order.resize(all.size());
    std::iota(order.begin(), order.end(), 0u);
    const auto at = [&](size_t k) { return order.begin() + static_cast<std::ptrdiff_t>(k); };
    std::nth_element(order.begin(), at(i), order.end(), better);  // the shortlist, in front
    size_t window = i;
    while (i < order.size() && top.size() < n) {
      window = std::min(order.size() - i, std::max(2 * window, 2 * (n - top.size()) + 16));
      if (i + window < order.size()) std::nth_element(at(i), at(i + window), order.end(), better);
      std::sort(at(i), at(i + window), better);
      for (const size_t end = i + window; i < end && top.size() < n; ++i) {
        const uint64_t key = keys_[order[i]];
        if (!skip(key)) top.push_back(key);
      }
    }
  }
  return top;
}

}  // namespace foryou::feed
