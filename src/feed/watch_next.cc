// WatchNext: audience counters, co-visitation and a sequence two-tower model (see the header).
#include "feed/watch_next.h"

#include <Eigen/Dense>
#include <cmath>
#include <numeric>

#include "absl/container/flat_hash_set.h"

namespace foryou::feed {

namespace {

constexpr int64_t kHourMs = 3'600'000;
constexpr float kRecencyDecay = 0.9f;  // weight of the j-th newest recent video: decay^j
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Rounds towards minus infinity (b > 0): the period a time falls in, before 1970 too.
int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : (a - b + 1) / b; }

int64_t HourOf(int64_t time_ms) { return FloorDiv(time_ms, kHourMs); }

}  // namespace

WatchNext::WatchNext(WatchNextOptions options)
    : options_(options), rng_(options.seed), train_rng_(options.seed + 1) {}

WatchNext::~WatchNext() {
  std::lock_guard lock(fitter_mu_);
  if (fitter_.joinable()) fitter_.join();
}

void WatchNext::AddItem(UserState& state, uint32_t v) {
  if (options_.w_item_item == 0) return;
  std::vector<uint32_t>& items = state.items;
  if (std::find(items.begin(), items.end(), v) != items.end()) return;
  items.push_back(v);
  ++items_added_;
  if (items.size() > static_cast<size_t>(std::max(1, options_.item_item_user_items))) {
    items.erase(items.begin());
  }
}

absl::Status WatchNext::FitItemItem() {
  if (!options_.enabled || options_.w_item_item == 0) return absl::OkStatus();
  std::vector<std::vector<uint32_t>> sets;
  uint32_t n = 0;
  {
    std::shared_lock lock(mu_);
    n = static_cast<uint32_t>(videos_.size());
    items_at_fit_ = items_added_;
    sets.reserve(users_.size());
    for (const auto& [user, state] : users_) {
      if (state.items.size() > 1) sets.push_back(state.items);
    }
  }
  absl::StatusOr<std::shared_ptr<const ItemItemModel>> model =
      ItemItemModel::Fit(sets, n, options_.item_item);
  if (!model.ok()) return model.status();
  std::lock_guard lock(item_item_mu_);
  item_item_ = *std::move(model);
  ++item_item_fits_;
  return absl::OkStatus();
}

bool WatchNext::FitDue(int64_t time_ms) {
  if (options_.w_item_item == 0 || options_.item_item_refit_ms <= 0) return false;
  const int64_t period = FloorDiv(time_ms, options_.item_item_refit_ms);
  if (fit_period_ == INT64_MIN) fit_period_ = period;  // the first event: the period starts
  if (period > fit_period_) {
    fit_period_ = period;
    return true;
  }
  const uint64_t growth = options_.item_item_growth_fit;
  if (growth > 0 && items_added_ >= growth && items_added_ >= 2 * items_at_fit_) {
    items_at_fit_ = items_added_;  // not again until the next doubling (the fit sets it too)
    return true;
  }
  return false;
}

void WatchNext::StartFit() {
  if (!options_.item_item_background) {
    (void)FitItemItem();  // cannot fail with valid options; the old fit stays if it does
    return;
  }
  if (fitting_.exchange(true)) return;  // one fit at a time; this period's data joins the next
  std::lock_guard lock(fitter_mu_);
  if (fitter_.joinable()) fitter_.join();  // the previous fit, finished (fitting_ was false)
  fitter_ = std::thread([this] {
    (void)FitItemItem();
    fitting_ = false;
  });
}

uint32_t WatchNext::IndexOf(uint64_t key) {
  auto [it, inserted] = index_.try_emplace(key, static_cast<uint32_t>(videos_.size()));
  if (!inserted) return it->second;
  VideoState v;
  v.key = key;
  v.impressions.assign(kBuckets, 0);
  v.long_views.assign(kBuckets, 0);
  v.hour.assign(kBuckets, INT64_MIN);
  videos_.push_back(std::move(v));
  const size_t d = static_cast<size_t>(options_.dim);
  std::normal_distribution<float> init(0.0f, 0.05f);
  for (size_t k = 0; k < d; ++k) {
    in_.push_back(init(rng_));
    out_.push_back(init(rng_));
  }
  bias_.push_back(0);
  in_m_.resize(in_.size(), 0);
  in_v_.resize(in_.size(), 0);
  out_m_.resize(out_.size(), 0);
  out_v_.resize(out_.size(), 0);
  bias_m_.resize(bias_.size(), 0);
  bias_v_.resize(bias_.size(), 0);
  return it->second;
}

WatchNext::UserState& WatchNext::UserOf(std::string_view user) {
  auto it = users_.find(absl::string_view(user.data(), user.size()));
  if (it != users_.end()) return it->second;
  if (users_.size() >= std::max<size_t>(1, options_.max_users)) ForgetLeastRecentUsers();
  UserState state;
  if (options_.user_embedding) {
    const size_t d = static_cast<size_t>(options_.dim);
    if (free_rows_.empty()) {
      free_rows_.push_back(static_cast<uint32_t>(user_.size() / d));
      user_.resize(user_.size() + d);
      user_m_.resize(user_.size());
      user_v_.resize(user_.size());
    }
    state.row = free_rows_.back();
    free_rows_.pop_back();
    std::normal_distribution<float> init(0.0f, 0.05f);
    const size_t at = static_cast<size_t>(state.row) * d;
    for (size_t k = 0; k < d; ++k) {
      user_[at + k] = init(rng_);
      user_m_[at + k] = user_v_[at + k] = 0;
    }
  }
  return users_.emplace(std::string(user), std::move(state)).first->second;
}

void WatchNext::ForgetLeastRecentUsers() {
  // The eighth with the oldest last event (O(users), so amortised O(1) per new user).
  std::vector<int64_t> times;
  times.reserve(users_.size());
  for (const auto& [key, state] : users_) times.push_back(state.last_ms);
  const size_t forget = std::max<size_t>(1, users_.size() / 8);
  std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(forget - 1), times.end());
  const int64_t cutoff = times[forget - 1];
  absl::flat_hash_set<uint32_t> rows;
  size_t forgotten = 0;
  for (auto i = users_.begin(); i != users_.end() && forgotten < forget;) {
    auto cur = i++;
    if (cur->second.last_ms > cutoff) continue;
    if (cur->second.row != kNoUser) {
      rows.insert(cur->second.row);
      free_rows_.push_back(cur->second.row);
    }
    users_.erase(cur);
    ++forgotten;
  }
  users_forgotten_ += forgotten;
  if (rows.empty()) return;
  // Queued examples of a forgotten user no longer train a row that may be given to someone else.
  for (Example& e : pending_) {
    if (rows.contains(e.user)) e.user = kNoUser;
  }
  for (uint32_t& row : history_users_) {
    if (rows.contains(row)) row = kNoUser;
  }
}

void WatchNext::AddPair(uint32_t a, uint32_t b, float live, float history) {
  for (auto [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
    VideoState& v = videos_[x];
    auto [it, inserted] = v.neighbours.try_emplace(y);
    Neighbour& nb = it->second;
    if (inserted) {
      ++covis_pairs_;
      if (history == 0) ++v.live_only;
    } else if (nb.history == 0 && history > 0) {
      --v.live_only;
    }
    nb.live += live;
    nb.history += history;
    if (v.live_only > 2 * options_.max_neighbours) {
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
          --covis_pairs_;
          --v.live_only;
        }
      }
    }
  }
}

void WatchNext::AddHistory(std::string_view user, absl::Span<const uint64_t> videos) {
  if (!options_.enabled || videos.empty()) return;
  std::unique_lock lock(mu_);
  std::vector<uint32_t> seq;
  seq.reserve(videos.size());
  for (uint64_t key : videos) seq.push_back(IndexOf(key));
  const size_t w = static_cast<size_t>(options_.covis_window);
  for (size_t i = 0; i < seq.size(); ++i) {
    videos_[seq[i]].history_count += 1;
    for (size_t j = i + 1; j < seq.size() && j <= i + w; ++j) {
      if (seq[i] != seq[j]) AddPair(seq[i], seq[j], 0, 1);
    }
  }
  UserState& state = UserOf(user);
  std::deque<uint32_t>& recent = state.recent;
  for (uint32_t v : seq) {
    recent.push_back(v);
    if (recent.size() > static_cast<size_t>(options_.context)) recent.pop_front();
    AddItem(state, v);
  }
  const size_t tail = std::min(seq.size(), static_cast<size_t>(options_.history_tail));
  histories_.emplace_back(seq.end() - static_cast<std::ptrdiff_t>(tail), seq.end());
  history_users_.push_back(state.row);
}

double WatchNext::Pretrain() {
  std::vector<Example> examples;
  std::unique_lock lock(mu_);
  const size_t k = static_cast<size_t>(options_.context);
  for (size_t h = 0; h < histories_.size(); ++h) {
    const std::vector<uint32_t>& s = histories_[h];
    for (size_t j = 0; j < s.size(); ++j) {
      Example e;
      e.user = history_users_[h];
      e.context.assign(s.begin() + static_cast<std::ptrdiff_t>(j > k ? j - k : 0),
                       s.begin() + static_cast<std::ptrdiff_t>(j));
      e.target = s[j];
      examples.push_back(std::move(e));
    }
  }
  histories_.clear();
  histories_.shrink_to_fit();
  history_users_.clear();
  lock.unlock();
  double loss = 0;
  const size_t batch = static_cast<size_t>(std::max(1, options_.pretrain_batch));
  for (int epoch = 0; epoch < options_.pretrain_epochs && !examples.empty(); ++epoch) {
    {
      std::lock_guard train(train_mu_);
      std::shuffle(examples.begin(), examples.end(), train_rng_);
    }
    double total = 0;
    for (size_t i = 0; i < examples.size(); i += batch) {
      const size_t n = std::min(batch, examples.size() - i);
      total += TrainStep(absl::MakeConstSpan(examples).subspan(i, n), options_.pretrain_negatives) *
               static_cast<double>(n);
    }
    loss = total / static_cast<double>(examples.size());
  }
  (void)FitItemItem();  // a no-op while the item-item model is off
  return loss;
}

void WatchNext::Count(VideoState& v, int64_t time_ms, Kind kind) {
  const int64_t hour = HourOf(time_ms);
  const size_t b = static_cast<size_t>(((hour % kBuckets) + kBuckets) % kBuckets);
  if (v.hour[b] != hour) {
    if (v.hour[b] > hour) return;  // older than the ring keeps
    v.hour[b] = hour;
    v.impressions[b] = 0;
    v.long_views[b] = 0;
  }
  if (kind == kImpression) v.impressions[b] += 1;
  if (kind == kLongView) v.long_views[b] += 1;
}

void WatchNext::Observe(std::string_view user, uint64_t video_key, int64_t time_ms, Kind kind) {
  if (!options_.enabled) return;
  std::vector<Example> batch;
  bool fit = false;
  {
    std::unique_lock lock(mu_);
    if (Record(user, video_key, time_ms, kind) &&
        pending_.size() >= static_cast<size_t>(std::max(1, options_.batch))) {
      batch.swap(pending_);
    }
    fit = FitDue(time_ms);  // after Record: a fit includes the event that triggered it
  }
  if (fit) StartFit();
  if (!batch.empty()) TrainStep(batch, options_.negatives);
}

bool WatchNext::Record(std::string_view user, uint64_t video_key, int64_t time_ms, Kind kind) {
  const uint32_t v = IndexOf(video_key);
  Count(videos_[v], time_ms, kind);
  if ((kind == kImpression) != options_.learn_from_impressions) return false;
  UserState& state = UserOf(user);
  state.last_ms = std::max(state.last_ms, time_ms);
  std::deque<uint32_t>& recent = state.recent;
  // A like after a long view of the same video is one signal, not two.
  if (!recent.empty() && recent.back() == v) return false;
  // Co-visitation with the last covis_window impressions of this user.
  const size_t w = std::min(recent.size(), static_cast<size_t>(options_.covis_window));
  for (size_t j = recent.size() - w; j < recent.size(); ++j) {
    if (recent[j] != v) AddPair(recent[j], v, 1, 0);
  }
  Example e;
  e.context.assign(recent.begin(), recent.end());
  e.target = v;
  e.user = state.row;
  pending_.push_back(std::move(e));
  AddItem(state, v);
  recent.push_back(v);
  if (recent.size() > static_cast<size_t>(options_.context)) recent.pop_front();
  return true;
}

double WatchNext::WindowSum(const VideoState& v, const std::vector<uint32_t>& counts,
                            int64_t now_ms, int64_t window_ms) const {
  double sum = 0;
  const int64_t from = now_ms - window_ms;
  for (int b = 0; b < kBuckets; ++b) {
    if (v.hour[b] == INT64_MIN || counts[b] == 0) continue;
    const int64_t start = v.hour[b] * kHourMs;
    const int64_t end = std::min(start + kHourMs, now_ms);  // counted so far over [start, end)
    if (end <= start) continue;                             // a bucket from the future
    const int64_t overlap = end - std::max(start, from);
    if (overlap <= 0) continue;
    sum += counts[b] * std::min(1.0, static_cast<double>(overlap) / static_cast<double>(end - start));
  }
  return sum;
}

std::shared_ptr<const std::vector<float>> WatchNext::Popular(int64_t now_ms) {
  // (mu_ shared or exclusive.) One thread recomputes a stale cache while the others keep using
  // the old one: nobody waits for the ~1-2 ms pass over every video.
  {
    std::lock_guard lock(popular_mu_);
    // Fresh enough: within counters_refresh_ms either way (concurrent requests' clocks differ by
    // a little; a replay or test may also step back in time). Videos new since the last pass
    // count 0 until the next one.
    const bool fresh = popular_ != nullptr && std::abs(now_ms - popular_ms_) < options_.counters_refresh_ms;
    if (fresh || (refreshing_ && popular_ != nullptr)) return popular_;
    refreshing_ = true;
  }
  auto fresh = std::make_shared<std::vector<float>>(videos_.size());
  for (size_t i = 0; i < videos_.size(); ++i) {
    const VideoState& v = videos_[i];
    (*fresh)[i] =
        options_.w_long_views_6h * std::log1p(WindowSum(v, v.long_views, now_ms, 6 * kHourMs)) +
        options_.w_long_views_24h * std::log1p(WindowSum(v, v.long_views, now_ms, 24 * kHourMs)) +
        options_.w_impressions_1h * std::log1p(WindowSum(v, v.impressions, now_ms, kHourMs));
  }
  std::lock_guard lock(popular_mu_);
  popular_ = fresh;
  popular_ms_ = now_ms;
  refreshing_ = false;
  return popular_;
}

void WatchNext::Query(absl::Span<const uint32_t> context, uint32_t user, float* q) const {
  const int d = options_.dim;
  std::fill(q, q + d, 0.0f);
  if (!context.empty()) {
    // Weighted mean, newest (last) weighing most when context_decay < 1.
    float w = 1, total = 0;
    for (size_t j = context.size(); j-- > 0; w *= options_.context_decay) {
      const float* row = &in_[static_cast<size_t>(context[j]) * d];
      for (int k = 0; k < d; ++k) q[k] += w * row[k];
      total += w;
    }
    const float inv = 1.0f / total;
    for (int k = 0; k < d; ++k) q[k] *= inv;
  }
  if (user != kNoUser) {
    const float* row = &user_[static_cast<size_t>(user) * d];
    for (int k = 0; k < d; ++k) q[k] += row[k];
  }
}

void WatchNext::Prepare(std::string_view user, int64_t now_ms, Request* r) {
  r->popular = Popular(now_ms);
  r->recent.clear();
  uint32_t row = kNoUser;
  const UserState* state = nullptr;
  if (auto it = users_.find(absl::string_view(user.data(), user.size())); it != users_.end()) {
    state = &it->second;
    r->recent.assign(state->recent.begin(), state->recent.end());
    row = state->row;
  }
  r->q.resize(static_cast<size_t>(options_.dim));
  Query(r->recent, row, r->q.data());
  // Co-visitation with the recent videos, newest weighted most, into dense per-thread arrays.
  const size_t n = videos_.size();
  thread_local std::vector<float> live, hist, item;
  thread_local std::vector<uint8_t> mark;
  live.resize(n, 0);
  hist.resize(n, 0);
  item.resize(n, 0);
  mark.resize(n, 0);
  r->live = &live;
  r->hist = &hist;
  r->item = &item;
  r->mark = &mark;
  r->touched.clear();
  auto touch = [&](uint32_t i) {
    if (!mark[i]) {
      mark[i] = 1;
      r->touched.push_back(i);
    }
  };
  float w = 1;
  for (auto it = r->recent.rbegin(); it != r->recent.rend(); ++it, w *= kRecencyDecay) {
    for (const auto& [other, nb] : videos_[*it].neighbours) {
      touch(other);
      live[other] += w * nb.live;
      hist[other] += w * nb.history;
    }
  }
  // The item-item model: the sum of the kept weights from each of the user's videos.
  if (state != nullptr && options_.w_item_item != 0) {
    std::shared_ptr<const ItemItemModel> model;
    {
      std::lock_guard lock(item_item_mu_);
      model = item_item_;
    }
    if (model != nullptr) {
      for (uint32_t c : state->items) {
        for (const auto& [j, bw] : model->Row(c)) {
          if (j >= n) continue;
          touch(j);
          item[j] += bw;
        }
      }
    }
  }
}

float WatchNext::CovisTerm(const Request& r, uint32_t i) const {
  if (!(*r.mark)[i]) return 0;
  const float live = (*r.live)[i], hist = (*r.hist)[i];
  return options_.w_covis * std::log1p(live) +
         options_.w_history_covis * std::log1p(hist / std::sqrt(1.0f + videos_[i].history_count)) +
         options_.w_item_item * (*r.item)[i];
}

void WatchNext::Finish(Request* r) {
  for (uint32_t i : r->touched) {
    (*r->live)[i] = (*r->hist)[i] = (*r->item)[i] = 0;
    (*r->mark)[i] = 0;
  }
  r->touched.clear();
}

void WatchNext::ScoreAll(std::string_view user, int64_t now_ms, std::vector<float>* out) {
  const size_t n = videos_.size();
  const int d = options_.dim;
  thread_local Request r;
  Prepare(user, now_ms, &r);
  out->assign(n, 0.0f);
  std::copy(r.popular->begin(), r.popular->begin() + static_cast<std::ptrdiff_t>(std::min(n, r.popular->size())),
            out->begin());
  if (options_.w_sequence != 0 && n > 0) {
    Eigen::Map<const RowMatrix> o(out_.data(), static_cast<Eigen::Index>(n), d);
    Eigen::Map<const Eigen::VectorXf> qv(r.q.data(), d);
    Eigen::Map<const Eigen::VectorXf> b(bias_.data(), static_cast<Eigen::Index>(n));
    Eigen::Map<Eigen::VectorXf> s(out->data(), static_cast<Eigen::Index>(n));
    s.noalias() += options_.w_sequence * (o * qv + b);
  }
  for (uint32_t i : r.touched) (*out)[i] += CovisTerm(r, i);
  Finish(&r);
}

void WatchNext::Scores(std::string_view user, absl::Span<const uint64_t> video_keys,
                       int64_t now_ms, float* out) {
  std::shared_lock lock(mu_);
  if (!options_.enabled) {
    std::fill(out, out + video_keys.size(), 0.0f);
    return;
  }
  // Only the candidates: no pass over the whole catalog.
  thread_local Request r;
  Prepare(user, now_ms, &r);
  const int d = options_.dim;
  for (size_t k = 0; k < video_keys.size(); ++k) {
    auto it = index_.find(video_keys[k]);
    if (it == index_.end()) {
      out[k] = 0;
      continue;
    }
    const uint32_t i = it->second;
    float s = i < r.popular->size() ? (*r.popular)[i] : 0.0f;
    if (options_.w_sequence != 0) {
      const float* row = &out_[static_cast<size_t>(i) * d];
      float dot = bias_[i];
      for (int j = 0; j < d; ++j) dot += row[j] * r.q[static_cast<size_t>(j)];
      s += options_.w_sequence * dot;
    }
    out[k] = s + CovisTerm(r, i);
  }
  Finish(&r);
}

std::vector<WatchNext::Parts> WatchNext::TopParts(std::string_view user, size_t n, int64_t now_ms,
                                                  absl::FunctionRef<bool(uint64_t)> skip,
                                                  uint64_t also) {
  std::vector<Parts> parts;
  if (!options_.enabled) return parts;
  std::shared_lock lock(mu_);
  std::vector<float> all;
  ScoreAll(user, now_ms, &all);
  std::vector<uint32_t> order(all.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return all[a] > all[b]; });
  std::vector<uint32_t> pick;
  for (uint32_t i : order) {
    if (pick.size() >= n) break;
    if (!skip(videos_[i].key)) pick.push_back(i);
  }
  if (auto it = index_.find(also);
      it != index_.end() && std::find(pick.begin(), pick.end(), it->second) == pick.end()) {
    pick.push_back(it->second);
  }
  thread_local Request r;
  Prepare(user, now_ms, &r);
  const int d = options_.dim;
  for (uint32_t i : pick) {
    const VideoState& v = videos_[i];
    Parts p;
    p.key = v.key;
    p.long_views_6h = static_cast<float>(std::log1p(WindowSum(v, v.long_views, now_ms, 6 * kHourMs)));
    p.long_views_24h = static_cast<float>(std::log1p(WindowSum(v, v.long_views, now_ms, 24 * kHourMs)));
    p.impressions_1h = static_cast<float>(std::log1p(WindowSum(v, v.impressions, now_ms, kHourMs)));
    p.sequence = bias_[i];
    for (int k = 0; k < d; ++k) p.sequence += out_[static_cast<size_t>(i) * d + k] * r.q[static_cast<size_t>(k)];
    if ((*r.mark)[i]) {
      p.covis = std::log1p((*r.live)[i]);
      p.history_covis = std::log1p((*r.hist)[i] / std::sqrt(1.0f + v.history_count));
      p.item_item = (*r.item)[i];
    }
    p.score = all[i];
    parts.push_back(p);
  }
  Finish(&r);
  return parts;
}

double WatchNext::TrainStep(absl::Span<const Example> examples, int negatives) {
  // The gradients are computed under the shared lock (requests keep scoring meanwhile); only
  // the Adam update of the touched rows takes the exclusive lock. One step at a time.
  std::lock_guard train(train_mu_);
  Gradients g;
  double loss = 0;
  {
    std::shared_lock lock(mu_);
    loss = ComputeGradients(examples, negatives, &g);
  }
  if (g.examples == 0) return 0;
  std::unique_lock lock(mu_);
  Apply(g);
  ++train_steps_;
  examples_ += g.examples;
  last_loss_ = loss;
  return loss;
}

double WatchNext::ComputeGradients(absl::Span<const Example> examples, int negatives,
                                   Gradients* grads) {
  const Eigen::Index b = static_cast<Eigen::Index>(examples.size());
  const size_t n = videos_.size();
  if (b == 0 || n < 2) return 0;
  auto& g_in = grads->in;
  auto& g_out = grads->out;
  auto& g_bias = grads->bias;
  auto& g_user = grads->user;
  const int d = options_.dim;
  // Columns: the batch's targets, then uniform negatives.
  std::vector<uint32_t> items;
  items.reserve(examples.size() + static_cast<size_t>(negatives));
  for (const Example& e : examples) items.push_back(e.target);
  std::uniform_int_distribution<uint32_t> pick(0, static_cast<uint32_t>(n - 1));
  for (int k = 0; k < negatives; ++k) items.push_back(pick(train_rng_));
  const Eigen::Index m = static_cast<Eigen::Index>(items.size());

  RowMatrix q(b, d), o(m, d);
  for (Eigen::Index i = 0; i < b; ++i) Query(examples[i].context, examples[i].user, q.row(i).data());
  Eigen::VectorXf bias(m);
  for (Eigen::Index j = 0; j < m; ++j) {
    o.row(j) = Eigen::Map<const Eigen::RowVectorXf>(&out_[static_cast<size_t>(items[j]) * d], d);
    bias[j] = bias_[items[j]];
  }
  RowMatrix logits = q * o.transpose();
  logits.rowwise() += bias.transpose();
  double loss = 0;
  for (Eigen::Index i = 0; i < b; ++i) {
    auto row = logits.row(i);
    // A column holding this example's own target (other than its own) is not a negative.
    for (Eigen::Index j = 0; j < m; ++j) {
      if (j != i && items[j] == items[i]) row[j] = -1e30f;
    }
    const float top = row.maxCoeff();
    row = (row.array() - top).exp();
    const float z = row.sum();
    row /= z;
    loss -= std::log(std::max(row[i], 1e-30f));
    row[i] -= 1.0f;  // d loss / d logit
  }
  logits /= static_cast<float>(b);
  const RowMatrix grad_q = logits * o;               // b x d
  const RowMatrix grad_o = logits.transpose() * q;   // m x d
  const Eigen::VectorXf grad_b = logits.colwise().sum().transpose();

  // Gather per-row gradients (a row may appear several times).
  for (Eigen::Index j = 0; j < m; ++j) {
    auto& g = g_out[items[j]];
    g.resize(static_cast<size_t>(d), 0.0f);
    for (int k = 0; k < d; ++k) g[k] += grad_o(j, k);
    g_bias[items[j]] += grad_b[j];
  }
  for (Eigen::Index i = 0; i < b; ++i) {
    if (examples[i].user != kNoUser) {
      auto& g = g_user[examples[i].user];
      g.resize(static_cast<size_t>(d), 0.0f);
      for (int k = 0; k < d; ++k) g[k] += grad_q(i, k);
    }
    const auto& ctx = examples[i].context;
    if (ctx.empty()) continue;
    float total = 0, w = 1;
    for (size_t j = 0; j < ctx.size(); ++j, w *= options_.context_decay) total += w;
    w = 1.0f / total;
    for (size_t j = ctx.size(); j-- > 0; w *= options_.context_decay) {
      auto& g = g_in[ctx[j]];
      g.resize(static_cast<size_t>(d), 0.0f);
      for (int k = 0; k < d; ++k) g[k] += w * grad_q(i, k);
    }
  }
  grads->examples = static_cast<uint64_t>(b);
  return loss / static_cast<double>(b);
}

void WatchNext::Apply(const Gradients& grads) {
  const int d = options_.dim;
  ++adam_t_;
  constexpr float kBeta1 = 0.9f, kBeta2 = 0.999f, kEps = 1e-8f;
  const float c1 = 1.0f - std::pow(kBeta1, static_cast<float>(adam_t_));
  const float c2 = 1.0f - std::pow(kBeta2, static_cast<float>(adam_t_));
  const float lr = options_.learning_rate * std::sqrt(c2) / c1;
  auto adam = [&](float* p, float* mm, float* vv, const float* g, int len) {
    for (int k = 0; k < len; ++k) {
      mm[k] = kBeta1 * mm[k] + (1 - kBeta1) * g[k];
      vv[k] = kBeta2 * vv[k] + (1 - kBeta2) * g[k] * g[k];
      p[k] -= lr * mm[k] / (std::sqrt(vv[k]) + kEps);
    }
  };
  for (const auto& [row, g] : grads.out) {
    const size_t at = static_cast<size_t>(row) * d;
    adam(&out_[at], &out_m_[at], &out_v_[at], g.data(), d);
  }
  for (const auto& [row, g] : grads.in) {
    const size_t at = static_cast<size_t>(row) * d;
    adam(&in_[at], &in_m_[at], &in_v_[at], g.data(), d);
  }
  for (const auto& [row, g] : grads.user) {
    const size_t at = static_cast<size_t>(row) * d;
    adam(&user_[at], &user_m_[at], &user_v_[at], g.data(), d);
  }
  for (const auto& [row, g] : grads.bias) adam(&bias_[row], &bias_m_[row], &bias_v_[row], &g, 1);
}

WatchNext::Stats WatchNext::stats() const {
  std::shared_lock lock(mu_);
  Stats s;
  s.videos = videos_.size();
  s.users = users_.size();
  s.covis_pairs = covis_pairs_;
  s.users_forgotten = users_forgotten_;
  s.train_steps = train_steps_;
  s.examples = examples_;
  s.last_loss = last_loss_;
  std::lock_guard item_lock(item_item_mu_);
  s.item_item_fits = item_item_fits_;
  if (item_item_ != nullptr) {
    s.item_item_videos = item_item_->covered();
    s.item_item_weights = item_item_->nonzeros();
  }
  return s;
}

}  // namespace foryou::feed
