// WatchNext: how likely is this user to be shown, and to watch, each video next — the
// exposure-aware half of ranking (docs/design/feed.md, "Watch-next prior").
//
// The action model predicts what a user does *once a video is shown*. On a real log most of what a
// user watches next is explained by what is being watched now, what people who watched the same
// videos watched next, and the order users watch things in. WatchNext learns those three from the
// stream of impressions and long views, online:
//   * audience counters: long views over the last 6 h and 24 h, impressions over the last hour
//     (hourly buckets per video);
//   * co-visitation: videos shown to the same user within `covis_window` impressions of each
//     other, counted live, plus a static table from the users' watch histories (normalised by
//     the square root of the video's history count);
//   * a sequence two-tower model: the user is the mean of the input embeddings of their last
//     `context` shown videos, a video its output embedding and bias; trained with sampled
//     softmax (in-batch targets + uniform negatives, lazy Adam) on every impression in
//     mini-batches, and pre-trained on the watch histories;
//   * an item-item model (ItemItemModel, EASE) over each user's last `item_item_user_items`
//     distinct videos, refitted in closed form every `item_item_refit_ms` of event time (on a
//     background thread when serving) and swapped in whole.
// Score = a weighted sum of log1p(counter), log1p(co-visitation), the two-tower logit and the
// item-item sum; the weights are options, tuned on warm-up days (docs/design/feed.md).
//
// Thread-safe: a shared mutex. Requests score under the shared lock; events take it exclusively
// for a few counter and table updates. A training step (one mini-batch) runs on the thread whose
// event completed the batch: its gradients under the shared lock, only the Adam update of the
// touched rows exclusively.
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
#include <deque>
#include <memory>
#include <mutex>
#include <numeric>
#include <shared_mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "feed/item_item.h"

namespace foryou::feed {

struct WatchNextOptions {
  bool enabled = true;
  int dim = 48;              // two-tower embedding size
  int context = 20;          // recent shown videos forming the user (two-tower and co-visitation)
  bool user_embedding = false;  // the user tower adds a learned per-user vector to the mean
  float context_decay = 1.0f;   // the j-th newest context video weighs decay^j in the mean
  // What co-visitation, the recent list and the two-tower learn from: every impression, or only
  // long views and positive actions. Impressions imitate whatever chose the exposures; on our own
  // traffic that is our own feed, a feedback loop (docs/design/feed.md).
  bool learn_from_impressions = false;
  int covis_window = 10;     // impressions apart that still count as co-visited
  int history_tail = 30;     // newest history videos per user the two-tower pre-trains on
  int batch = 256;           // examples per online training step
  int negatives = 512;       // uniform negatives per step (shared by the batch)
  int pretrain_batch = 1024;
  int pretrain_negatives = 1024;
  int pretrain_epochs = 2;
  float learning_rate = 3e-3f;
  size_t max_neighbours = 512;  // live co-visitation entries kept per video (smallest dropped)
  int64_t counters_refresh_ms = 1000;
  // Blend weights (log1p of counts; the two-tower logit as is).
  float w_long_views_6h = 1.0f, w_long_views_24h = 0.5f, w_impressions_1h = 0.3f;
  float w_covis = 1.5f, w_history_covis = 1.5f, w_sequence = 2.0f;
  // The item-item model: off (not fitted, no memory) while its weight is 0.
  float w_item_item = 0.0f;
  ItemItemOptions item_item;
  int item_item_user_items = 100;                 // distinct videos kept per user for it
  int64_t item_item_refit_ms = 6 * 3'600'000LL;   // event time between fits (0: only FitItemItem)
  // Also fit whenever the (user, video) pairs learned have doubled since the last fit, from this
  // many on: a server that starts without histories gets a first model within minutes, not at
  // its first period boundary. 0: only the periods (item_item_refit_ms 0 turns both off).
  uint64_t item_item_growth_fit = 1000;
  bool item_item_background = true;               // fit on a background thread (false: inline)
  // Users kept (recent list, item-item list, embedding row). Past it the least recently active
  // eighth is forgotten: a forgotten user scores as a new one until their next events.
  size_t max_users = 2'000'000;
  uint64_t seed = 7;
};

class WatchNext {
 public:
  // kPositive: a like, share, favorite or comment (trains like a long view; not counted).
  enum Kind { kImpression, kLongView, kPositive };
  explicit WatchNext(WatchNextOptions options = {});
  ~WatchNext();  // waits for a background fit
  WatchNext(const WatchNext&) = delete;
  WatchNext& operator=(const WatchNext&) = delete;

  const WatchNextOptions& options() const { return options_; }

  // A user's watch history (oldest first), before serving: seeds their recent list, the history
  // co-visitation table and the pre-training set. `user` is the model's identity ("<id>").
  void AddHistory(std::string_view user, absl::Span<const uint64_t> videos);
  // Trains the two-tower model on the histories added (pretrain_epochs passes), then fits the
  // item-item model if it is on. Returns the two-tower's mean training loss of the last pass (0
  // if there was nothing to train on).
  double Pretrain();
  // Fits the item-item model now on every user's videos (the caller's thread; requests keep
  // scoring with the previous fit meanwhile) and swaps it in.
  absl::Status FitItemItem();

  // One impression (the video was shown to the user) or long view, at time_ms.
  void Observe(std::string_view user, uint64_t video_key, int64_t time_ms, Kind kind);

  // The blended score of each of `video_keys` for `user` at now_ms (unknown videos: the
  // counters' zero). out: video_keys.size().
  void Scores(std::string_view user, absl::Span<const uint64_t> video_keys, int64_t now_ms,
              float* out);
  // The `n` best videos for the user over every video it knows, best first, skipping those for
  // which `skip(key)` is true.
  template <typename Skip>
  std::vector<uint64_t> Top(std::string_view user, size_t n, int64_t now_ms, Skip skip);

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
                              absl::FunctionRef<bool(uint64_t)> skip, uint64_t also);

  // Sizes, for /metrics and tests.
  struct Stats {
    size_t videos = 0, users = 0, covis_pairs = 0;
    uint64_t users_forgotten = 0;
    uint64_t train_steps = 0, examples = 0;
    double last_loss = 0;
    uint64_t item_item_fits = 0;
    size_t item_item_videos = 0, item_item_weights = 0;
  };
  Stats stats() const;

 private:
  static constexpr uint32_t kNoUser = UINT32_MAX;
  struct Example {
    std::vector<uint32_t> context;
    uint32_t target;
    uint32_t user = kNoUser;  // row of the user's embedding (user_embedding on)
  };
  struct UserState {
    std::deque<uint32_t> recent;  // newest last, at most `context`
    std::vector<uint32_t> items;  // distinct, newest last, at most item_item_user_items
    uint32_t row = kNoUser;
    int64_t last_ms = INT64_MIN;  // the newest event's time (history only: INT64_MIN)
  };
  struct Neighbour {
    float live = 0, history = 0;
  };
  struct VideoState {
    uint64_t key = 0;
    // Hourly buckets (ring of kBuckets, indexed by hour % kBuckets) and the hour each holds.
    std::vector<uint32_t> impressions, long_views;
    std::vector<int64_t> hour;
    float history_count = 0;
    absl::flat_hash_map<uint32_t, Neighbour> neighbours;
    size_t live_only = 0;  // neighbours without a history count (the ones pruning may drop)
  };
  static constexpr int kBuckets = 26;

  uint32_t IndexOf(uint64_t key);                       // adds the video if new (mu_ held)
  // Adds the user if new, first forgetting the least recently active eighth when max_users are
  // kept (mu_ exclusive).
  UserState& UserOf(std::string_view user);
  void ForgetLeastRecentUsers();  // (mu_ exclusive)
  void AddPair(uint32_t a, uint32_t b, float live, float history);
  void Count(VideoState& v, int64_t time_ms, Kind kind);
  double WindowSum(const VideoState& v, const std::vector<uint32_t>& counts, int64_t now_ms,
                   int64_t window_ms) const;
  // The counters' part of the score per video, recomputed at most once per counters_refresh_ms
  // (mu_ shared or exclusive). May be shorter than videos_ (newer videos: 0).
  std::shared_ptr<const std::vector<float>> Popular(int64_t now_ms);
  // One scoring request's state: the user's query vector, co-visitation and item-item sums.
  struct Request {
    std::shared_ptr<const std::vector<float>> popular;
    std::vector<uint32_t> recent, touched;
    std::vector<float> q;
    // Per-thread, by video index; `mark` flags the touched entries.
    std::vector<float>*live = nullptr, *hist = nullptr, *item = nullptr;
    std::vector<uint8_t>* mark = nullptr;
  };
  void Prepare(std::string_view user, int64_t now_ms, Request* r);  // (mu_ shared)
  float CovisTerm(const Request& r, uint32_t i) const;
  void Finish(Request* r);  // clears the per-thread sums
  // Score of every video (dense, by index) for the user: out has videos_.size() entries.
  void ScoreAll(std::string_view user, int64_t now_ms, std::vector<float>* out);
  // One sampled-softmax step over `examples` (takes the locks itself); returns the mean loss.
  double TrainStep(absl::Span<const Example> examples, int negatives);
  struct Gradients {
    absl::flat_hash_map<uint32_t, std::vector<float>> in, out, user;
    absl::flat_hash_map<uint32_t, float> bias;
    uint64_t examples = 0;
  };
  // (mu_ shared, train_mu_ held.) The batch's gradients; returns the mean loss.
  double ComputeGradients(absl::Span<const Example> examples, int negatives, Gradients* grads);
  void Apply(const Gradients& grads);  // lazy Adam on the touched rows (mu_ exclusive)
  // Counts the event and, when it is one the model learns from, updates co-visitation and the
  // user's recent list and queues an example; true if an example was queued (mu_ exclusive).
  bool Record(std::string_view user, uint64_t video_key, int64_t time_ms, Kind kind);
  void Query(absl::Span<const uint32_t> context, uint32_t user, float* q) const;
  void AddItem(UserState& state, uint32_t v);  // to the user's item-item list (mu_ exclusive)
  // Whether an event at time_ms starts a new refit period, or the pairs learned have doubled
  // since the last fit (mu_ exclusive).
  bool FitDue(int64_t time_ms);
  void StartFit();  // inline or on the background thread, per the options

  const WatchNextOptions options_;
  // Exclusive: events, history, the Adam update. Shared: scoring, gradient computation.
  mutable std::shared_mutex mu_;
  std::mutex train_mu_;    // one training step at a time; guards train_rng_
  std::mutex popular_mu_;  // guards popular_, popular_ms_, refreshing_
  std::vector<VideoState> videos_;
  absl::flat_hash_map<uint64_t, uint32_t> index_;
  absl::flat_hash_map<std::string, UserState> users_;
  std::vector<std::vector<uint32_t>> histories_;  // for Pretrain, then cleared
  std::vector<uint32_t> history_users_;           // their users' rows
  size_t covis_pairs_ = 0;

  // Popularity part of the score per video, cached.
  std::shared_ptr<const std::vector<float>> popular_;
  int64_t popular_ms_ = -1;
  bool refreshing_ = false;

  // Two-tower parameters and lazy-Adam state, row-major (videos x dim).
  std::vector<float> in_, out_, bias_;
  std::vector<float> in_m_, in_v_, out_m_, out_v_, bias_m_, bias_v_;
  std::vector<float> user_, user_m_, user_v_;  // users x dim (user_embedding on)
  std::vector<uint32_t> free_rows_;            // rows of forgotten users, reused
  uint64_t users_forgotten_ = 0;
  uint64_t adam_t_ = 0;
  std::vector<Example> pending_;
  std::mt19937_64 rng_;        // initialisation (mu_ exclusive)
  std::mt19937_64 train_rng_;  // negatives, shuffles (train_mu_)
  uint64_t train_steps_ = 0, examples_ = 0;
  double last_loss_ = 0;

  // The item-item model, swapped whole by each fit.
  mutable std::mutex item_item_mu_;  // guards item_item_, item_item_fits_
  std::shared_ptr<const ItemItemModel> item_item_;
  uint64_t item_item_fits_ = 0;
  int64_t fit_period_ = INT64_MIN;  // refit period of the last event (mu_ exclusive)
  uint64_t items_added_ = 0;        // (user, video) pairs ever learned (mu_ exclusive)
  std::atomic<uint64_t> items_at_fit_{0};  // items_added_ when the last fit began
  std::mutex fitter_mu_;            // guards fitter_
  std::thread fitter_;
  std::atomic<bool> fitting_{false};
};

template <typename Skip>
std::vector<uint64_t> WatchNext::Top(std::string_view user, size_t n, int64_t now_ms, Skip skip) {
  thread_local std::vector<float> all;
  thread_local std::vector<uint32_t> order;
  std::vector<uint64_t> keys;
  std::vector<uint64_t> top;
  std::shared_lock lock(mu_);
  ScoreAll(user, now_ms, &all);
  // Best first over a shortlist of 2n (then the rest, if skips ate it): skip() is called only
  // for videos that could make the list, not for the whole catalog.
  order.resize(all.size());
  std::iota(order.begin(), order.end(), 0u);
  auto better = [&](uint32_t a, uint32_t b) { return all[a] != all[b] ? all[a] > all[b] : a < b; };
  size_t shortlist = std::min(order.size(), 2 * n + 16);
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shortlist) - (shortlist > 0),
                   order.end(), better);
  std::sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shortlist), better);
  for (size_t i = 0; i < order.size() && top.size() < n; ++i) {
    if (i == shortlist) {  // the shortlist ran out: sort the rest too
      std::sort(order.begin() + static_cast<std::ptrdiff_t>(shortlist), order.end(), better);
      shortlist = order.size();
    }
    const uint64_t key = videos_[order[i]].key;
    if (!skip(key)) top.push_back(key);
  }
  return top;
}

}  // namespace foryou::feed
