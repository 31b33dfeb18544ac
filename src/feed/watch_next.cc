// WatchNext: the parts fed from one event stream and blended into one score (see the header).
#include "feed/watch_next.h"
#include "common/clock.h"

#include <cmath>
#include <deque>
#include <utility>

namespace foryou::feed {

namespace {

constexpr float kRecencyDecay = 0.9f;  // weight of the j-th newest recent video: decay^j

}  // namespace

WatchNext::WatchNext(WatchNextOptions options)
    : options_(options),
      counters_(options_),
      covis_(options_.max_neighbours),
      tower_(options_),
      viewers_(options_.max_users),
      train_rng_(options_.seed + 1),
      fitter_(options_.item_item, options_.item_item_background) {}

WatchNext::~WatchNext() { fitter_.Wait(); }

// ---- Learning ----

uint32_t WatchNext::IndexOf(uint64_t key) {
  auto [it, inserted] = index_.try_emplace(key, static_cast<uint32_t>(keys_.size()));
  if (!inserted) return it->second;
  keys_.push_back(key);
  counters_.AddVideo();
  covis_.AddVideo();
  tower_.AddVideo();
  return it->second;
}

RecentViewers::Viewer& WatchNext::UserOf(std::string_view user) {
  if (RecentViewers::Viewer* known = viewers_.Find(user)) return *known;
  std::vector<uint32_t> freed;
  viewers_.MakeRoom(&freed);
  if (!freed.empty()) {
    // Queued examples of a forgotten user no longer train a row that may be given to someone
    // else.
    tower_.ForgetUsers(freed);
    const absl::flat_hash_set<uint32_t> gone(freed.begin(), freed.end());
    for (Example& e : pending_) {
      if (gone.contains(e.user)) e.user = TwoTower::kNoUser;
    }
  }
  RecentViewers::Viewer viewer;
  if (options_.user_embedding) viewer.row = tower_.AddUser();
  return viewers_.Add(user, std::move(viewer));
}

void WatchNext::AddItem(RecentViewers::Viewer& viewer, uint32_t v) {
  if (options_.w_item_item == 0) return;
  const size_t capacity = static_cast<size_t>(std::max(1, options_.item_item_user_items));
  if (RecentViewers::AddItem(viewer, v, capacity)) ++items_added_;
}

void WatchNext::AddHistory(std::string_view user, absl::Span<const uint64_t> videos) {
  if (!options_.enabled || videos.empty()) return;
  common::WriterLock lock(&mu_);
  std::vector<uint32_t> seq;
  seq.reserve(videos.size());
  for (uint64_t key : videos) seq.push_back(IndexOf(key));
  covis_.AddHistory(seq, static_cast<size_t>(options_.covis_window));
  RecentViewers::Viewer& viewer = UserOf(user);
  std::deque<uint32_t>& recent = viewer.recent;
  for (uint32_t v : seq) {
    recent.push_back(v);
    if (recent.size() > static_cast<size_t>(options_.context)) recent.pop_front();
    AddItem(viewer, v);
  }
  const size_t tail = std::min(seq.size(), static_cast<size_t>(options_.history_tail));
  tower_.AddHistory(std::vector<uint32_t>(seq.end() - static_cast<std::ptrdiff_t>(tail), seq.end()),
                    viewer.row);
}

double WatchNext::Pretrain() {
  std::vector<Example> examples;
  {
    common::WriterLock lock(&mu_);
    examples = tower_.TakeHistoryExamples();
  }
  double loss = 0;
  const size_t batch = static_cast<size_t>(std::max(1, options_.pretrain_batch));
  for (int epoch = 0; epoch < options_.pretrain_epochs && !examples.empty(); ++epoch) {
    {
      common::MutexLock train(&train_mu_);
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

absl::Status WatchNext::FitItemItem() {
  if (!options_.enabled || options_.w_item_item == 0) return absl::OkStatus();
  std::vector<std::vector<uint32_t>> sets;
  uint32_t n = 0;
  {
    common::ReaderLock lock(&mu_);
    n = static_cast<uint32_t>(keys_.size());
    items_at_fit_ = items_added_;
    sets = viewers_.ItemSets();
  }
  return fitter_.Fit(sets, n);
}

bool WatchNext::FitDue(int64_t time_ms) {
  if (options_.w_item_item == 0 || options_.item_item_refit_ms <= 0) return false;
  const int64_t period = common::PeriodOf(time_ms, options_.item_item_refit_ms);
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

void WatchNext::Observe(std::string_view user, uint64_t video_key, int64_t time_ms, Kind kind) {
  if (!options_.enabled) return;
  std::vector<Example> batch;
  bool fit = false;
  {
    common::WriterLock lock(&mu_);
    if (Record(user, video_key, time_ms, kind) &&
        pending_.size() >= static_cast<size_t>(std::max(1, options_.batch))) {
      batch.swap(pending_);
    }
    fit = FitDue(time_ms);  // after Record: a fit includes the event that triggered it
  }
  // With a background fitter this period's data joins the next fit if one is running; the
  // fit cannot fail with valid options, and the old model stays if it does.
  if (fit) fitter_.Start([this] { (void)FitItemItem(); });
  if (!batch.empty()) TrainStep(batch, options_.negatives);
}

bool WatchNext::Record(std::string_view user, uint64_t video_key, int64_t time_ms, Kind kind) {
  const uint32_t v = IndexOf(video_key);
  const bool impression = kind == kImpression || kind == kForeignImpression;
  counters_.Count(v, time_ms, impression ? 1 : 0, kind == kLongView ? 1 : 0);
  const bool learn =
      options_.learn_from_impressions
          ? impression
          : (kind == kForeignImpression && options_.learn_from_foreign_impressions) ||
                kind == kLongView || kind == kPositive;
  if (!learn) return false;
  RecentViewers::Viewer& viewer = UserOf(user);
  viewer.last_ms = std::max(viewer.last_ms, time_ms);
  std::deque<uint32_t>& recent = viewer.recent;
  // A like after a long view of the same video is one signal, not two.
  if (!recent.empty() && recent.back() == v) return false;
  covis_.AddLive(recent, v, static_cast<size_t>(options_.covis_window));
  Example e;
  e.context.assign(recent.begin(), recent.end());
  e.target = v;
  e.user = viewer.row;
  pending_.push_back(std::move(e));
  AddItem(viewer, v);
  recent.push_back(v);
  if (recent.size() > static_cast<size_t>(options_.context)) recent.pop_front();
  return true;
}

double WatchNext::TrainStep(absl::Span<const Example> examples, int negatives) {
  // The gradients are computed under the shared lock (requests keep scoring meanwhile); only
  // the Adam update of the touched rows takes the exclusive lock. One step at a time.
  common::MutexLock train(&train_mu_);
  TwoTower::Gradients g;
  double loss = 0;
  {
    common::ReaderLock lock(&mu_);
    loss = tower_.ComputeGradients(examples, negatives, train_rng_, &g);
  }
  if (g.examples == 0) return 0;
  common::WriterLock lock(&mu_);
  tower_.Apply(g);
  ++train_steps_;
  examples_ += g.examples;
  last_loss_ = loss;
  return loss;
}

// ---- Scoring: the blend ----

void WatchNext::Prepare(std::string_view user, int64_t now_ms, Request* r) {
  r->popular = counters_.Blend(now_ms);
  r->recent.clear();
  uint32_t row = TwoTower::kNoUser;
  const RecentViewers::Viewer* viewer = viewers_.Find(user);
  if (viewer != nullptr) {
    r->recent.assign(viewer->recent.begin(), viewer->recent.end());
    row = viewer->row;
  }
  r->q.resize(static_cast<size_t>(options_.dim));
  tower_.Query(r->recent, row, r->q.data());
  // Co-visitation with the recent videos, newest weighted most, into dense per-thread arrays.
  const size_t n = keys_.size();
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
    for (const auto& [other, nb] : covis_.NeighboursOf(*it)) {
      touch(other);
      live[other] += w * nb.live;
      hist[other] += w * nb.history;
    }
  }
  // The item-item model: the sum of the kept weights from each of the user's videos.
  if (viewer != nullptr && options_.w_item_item != 0) {
    if (const std::shared_ptr<const ItemItemModel> model = fitter_.model(); model != nullptr) {
      for (uint32_t c : viewer->items) {
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
         options_.w_history_covis * std::log1p(hist / std::sqrt(1.0f + covis_.history_count(i))) +
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
  const size_t n = keys_.size();
  thread_local Request r;
  Prepare(user, now_ms, &r);
  out->assign(n, 0.0f);
  std::copy(r.popular->begin(), r.popular->begin() + static_cast<std::ptrdiff_t>(std::min(n, r.popular->size())),
            out->begin());
  if (options_.w_sequence != 0) tower_.AddLogits(r.q.data(), options_.w_sequence, n, out->data());
  for (uint32_t i : r.touched) (*out)[i] += CovisTerm(r, i);
  Finish(&r);
}

void WatchNext::Scores(std::string_view user, absl::Span<const uint64_t> video_keys,
                       int64_t now_ms, float* out) {
  common::ReaderLock lock(&mu_);
  if (!options_.enabled) {
    std::fill(out, out + video_keys.size(), 0.0f);
    return;
  }
  // Only the candidates: no pass over the whole catalog.
  thread_local Request r;
  Prepare(user, now_ms, &r);
  for (size_t k = 0; k < video_keys.size(); ++k) {
    auto it = index_.find(video_keys[k]);
    if (it == index_.end()) {
      out[k] = 0;
      continue;
    }
    const uint32_t i = it->second;
    float s = i < r.popular->size() ? (*r.popular)[i] : 0.0f;
    if (options_.w_sequence != 0) s += options_.w_sequence * tower_.Logit(i, r.q.data());
    out[k] = s + CovisTerm(r, i);
  }
  Finish(&r);
}

std::vector<WatchNext::Parts> WatchNext::TopParts(std::string_view user, size_t n, int64_t now_ms,
                                                  absl::FunctionRef<bool(uint64_t)> skip,
                                                  uint64_t also) {
  std::vector<Parts> parts;
  if (!options_.enabled) return parts;
  common::ReaderLock lock(&mu_);
  std::vector<float> all;
  ScoreAll(user, now_ms, &all);
  std::vector<uint32_t> order(all.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return all[a] > all[b]; });
  std::vector<uint32_t> pick;
  for (uint32_t i : order) {
    if (pick.size() >= n) break;
    if (!skip(keys_[i])) pick.push_back(i);
  }
  if (auto it = index_.find(also);
      it != index_.end() && std::find(pick.begin(), pick.end(), it->second) == pick.end()) {
    pick.push_back(it->second);
  }
  thread_local Request r;
  Prepare(user, now_ms, &r);
  for (uint32_t i : pick) {
    const AudienceCounters::Windows w = counters_.WindowsOf(i, now_ms);
    Parts p;
    p.key = keys_[i];
    p.long_views_6h = static_cast<float>(std::log1p(w.long_views_6h));
    p.long_views_24h = static_cast<float>(std::log1p(w.long_views_24h));
    p.impressions_1h = static_cast<float>(std::log1p(w.impressions_1h));
    p.sequence = tower_.Logit(i, r.q.data());
    if ((*r.mark)[i]) {
      p.covis = std::log1p((*r.live)[i]);
      p.history_covis = std::log1p((*r.hist)[i] / std::sqrt(1.0f + covis_.history_count(i)));
      p.item_item = (*r.item)[i];
    }
    p.score = all[i];
    parts.push_back(p);
  }
  Finish(&r);
  return parts;
}

WatchNext::Memory WatchNext::MemoryUse() const {
  common::ReaderLock lock(&mu_);
  const RecentViewers::Memory viewers = viewers_.MemoryUse();
  return Memory{.users = viewers_.size(),
                .recent_entries = viewers.recent,
                .item_entries = viewers.items,
                .covis_pairs = covis_.pairs(),
                .viewers_bytes = viewers.bytes,
                .covis_bytes = covis_.MemoryBytes(),
                .tower_bytes = tower_.MemoryBytes()};
}

WatchNext::Stats WatchNext::stats() const {
  Stats s;
  {
    common::ReaderLock lock(&mu_);
    s.videos = keys_.size();
    s.users = viewers_.size();
    s.covis_pairs = covis_.pairs();
    s.users_forgotten = viewers_.forgotten();
    s.train_steps = train_steps_;
    s.examples = examples_;
    s.last_loss = last_loss_;
  }
  const ItemItemFitter::Snapshot fit = fitter_.snapshot();
  s.item_item_fits = fit.fits;
  if (fit.model != nullptr) {
    s.item_item_videos = fit.model->covered();
    s.item_item_weights = fit.model->nonzeros();
  }
  return s;
}

}  // namespace foryou::feed
