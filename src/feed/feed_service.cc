// FeedService: retrieval, ranking and the feed rules for one request (see the header and
// docs/design/feed.md).
#include "feed/feed_service.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "stream/joiner.h"

namespace foryou::feed {

namespace {

constexpr int64_t kLongViewMs = 18'000;  // as the joiner counts a long view
constexpr int64_t kQuickSkipMs = 3'000;  // as the joiner counts a play

model::UserInfo ToUserInfo(const catalog::User& u) {
  model::UserInfo info;
  for (size_t i = 0; i < u.profile.size() && i < static_cast<size_t>(model::kLanguage); ++i) {
    info.profile[i] = model::ValueId(u.profile[i]);
  }
  info.profile[model::kLanguage] = model::ValueId(u.language);
  info.profile[model::kCountry] = model::ValueId(u.country);
  info.profile[model::kDevice] = model::ValueId(u.device);
  return info;
}

UserFilters FiltersOf(const catalog::User& u) {
  UserFilters f;
  for (const std::string& c : u.hidden_creators) f.hidden_creators.insert(AttributeKey(c));
  for (const std::string& s : u.hidden_sounds) f.hidden_sounds.insert(AttributeKey(s));
  for (const std::string& h : u.hashtag_filters) f.hashtag_filters.insert(AttributeKey(h));
  for (const std::string& k : u.keyword_filters) f.keywords.push_back(absl::AsciiStrToLower(k));
  return f;
}

}  // namespace

std::string_view TaskWords(int task) {
  switch (task) {
    case model::kClick: return "play it";
    case model::kLongView: return "watch most of it";
    case model::kLike: return "like it";
    case model::kFollow: return "follow the creator";
    case model::kComment: return "comment";
    case model::kShare: return "share it";
    case model::kHate: return "say not interested";
    case model::kWatchRatio: return "watch a large share of it";
    default: return "?";
  }
}

absl::StatusOr<std::shared_ptr<model::Catalog>> BuildModelCatalog(catalog::CatalogStore& store) {
  auto catalog = std::make_shared<model::Catalog>();
  FORYOU_RETURN_IF_ERROR(store.ForEachVideo([&](const catalog::Video& v) {
    catalog->videos[stream::VideoKey(v.id)] = ToVideoInfo(v);
  }));
  FORYOU_RETURN_IF_ERROR(store.ForEachUser([&](const catalog::User& u) {
    catalog->users[stream::UserKey(ModelUserOf(u))] = ToUserInfo(u);
  }));
  return catalog;
}

std::string ModelUserOf(const catalog::User& user) {
  return user.epoch == 0 ? user.id : absl::StrCat(user.id, "#", user.epoch);
}

FeedService::FeedService(FeedOptions options, catalog::CatalogStore* store,
                         std::shared_ptr<const model::Catalog> model_catalog, const Scorer* scorer)
    : options_(std::move(options)),
      store_(store),
      model_catalog_(std::move(model_catalog)),
      scorer_(scorer),
      sources_(MakeSources()),
      engagement_(options_.engagement),
      watch_next_(options_.watch_next) {
  int threads = options_.scoring_threads > 0
                    ? options_.scoring_threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (threads > 1) scoring_pool_ = std::make_unique<common::ThreadPool>(threads - 1);
}

FeedService::~FeedService() { Stop(); }

absl::Status FeedService::Load() {
  std::vector<catalog::Video> videos;
  FORYOU_RETURN_IF_ERROR(store_->ForEachVideo([&](const catalog::Video& v) { videos.push_back(v); }));
  index_.Build(videos);
  return absl::OkStatus();
}

void FeedService::Start() {
  std::lock_guard lock(thread_mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { RefreshLoop(); });
}

void FeedService::Stop() {
  {
    std::lock_guard lock(thread_mu_);
    stop_ = true;
  }
  thread_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FeedService::RefreshLoop() {
  std::unique_lock lock(thread_mu_);
  while (!stop_) {
    lock.unlock();
    RefreshEmbeddings().IgnoreError();  // a failed refresh keeps the previous matrix
    lock.lock();
    thread_cv_.wait_for(lock, std::chrono::milliseconds(options_.embedding_refresh_ms),
                        [this] { return stop_; });
  }
}

absl::Status FeedService::RefreshEmbeddings() {
  auto m = std::make_shared<EmbeddingMatrix>();
  m->index = index_.snapshot();
  m->dim = scorer_->embedding_dim();
  m->videos = m->index->servable;
  std::vector<uint64_t> keys;
  keys.reserve(m->videos.size());
  for (uint32_t i : m->videos) keys.push_back(m->index->all[i]->proto.video_key);
  m->rows.assign(keys.size() * m->dim, 0.0f);
  FORYOU_RETURN_IF_ERROR(scorer_->VideoEmbeddings(keys, m->rows.data()));
  m->row_of.reserve(keys.size());
  for (size_t r = 0; r < keys.size(); ++r) {
    float* row = m->rows.data() + r * m->dim;
    float norm = 0;
    for (int d = 0; d < m->dim; ++d) norm += row[d] * row[d];
    if (norm > 0) {
      const float inv = 1.0f / std::sqrt(norm);
      for (int d = 0; d < m->dim; ++d) row[d] *= inv;
    }
    m->row_of[keys[r]] = r;
  }
  std::lock_guard lock(embeddings_mu_);
  embeddings_ = std::move(m);
  return absl::OkStatus();
}

// ---- Catalog writes ----

absl::Status FeedService::CreateUser(const catalog::User& user) {
  std::lock_guard lock(users_mu_);
  FORYOU_RETURN_IF_ERROR(store_->CreateUser(user));
  model_catalog_->AddUser(stream::UserKey(ModelUserOf(user)), ToUserInfo(user));
  users_[user.id] = std::make_shared<const catalog::User>(user);
  return absl::OkStatus();
}

absl::Status FeedService::UpdateUser(const catalog::User& user) {
  std::lock_guard lock(users_mu_);
  FORYOU_RETURN_IF_ERROR(store_->GetUser(user.id).status());
  FORYOU_RETURN_IF_ERROR(store_->PutUser(user));
  model_catalog_->AddUser(stream::UserKey(ModelUserOf(user)), ToUserInfo(user));
  users_[user.id] = std::make_shared<const catalog::User>(user);
  return absl::OkStatus();
}

absl::StatusOr<catalog::User> FeedService::ModifyUser(
    std::string_view id, const std::function<absl::Status(catalog::User*)>& fn) {
  std::lock_guard lock(users_mu_);
  FORYOU_ASSIGN_OR_RETURN(catalog::User u, store_->GetUser(id));
  FORYOU_RETURN_IF_ERROR(fn(&u));
  if (u.id != id) return absl::InvalidArgumentError("id: not patchable");
  FORYOU_RETURN_IF_ERROR(store_->PutUser(u));
  model_catalog_->AddUser(stream::UserKey(ModelUserOf(u)), ToUserInfo(u));
  users_[u.id] = std::make_shared<const catalog::User>(u);
  return u;
}

absl::StatusOr<std::shared_ptr<const catalog::User>> FeedService::GetUser(std::string_view id) {
  std::lock_guard lock(users_mu_);
  if (auto it = users_.find(std::string(id)); it != users_.end()) return it->second;
  FORYOU_ASSIGN_OR_RETURN(catalog::User u, store_->GetUser(id));
  auto p = std::make_shared<const catalog::User>(std::move(u));
  users_[std::string(id)] = p;
  return p;
}

absl::Status FeedService::CreateVideo(const catalog::Video& video) {
  FORYOU_RETURN_IF_ERROR(store_->CreateVideo(video));
  model_catalog_->AddVideo(stream::VideoKey(video.id), ToVideoInfo(video));
  index_.Upsert(video);
  return absl::OkStatus();
}

absl::Status FeedService::UpdateVideo(const catalog::Video& video) {
  FORYOU_RETURN_IF_ERROR(store_->GetVideo(video.id).status());
  FORYOU_RETURN_IF_ERROR(store_->PutVideo(video));
  model_catalog_->AddVideo(stream::VideoKey(video.id), ToVideoInfo(video));
  index_.Upsert(video);
  return absl::OkStatus();
}

// ---- Feed ----

std::vector<std::string> FeedService::RegionsOf(const catalog::User& user) const {
  std::vector<std::string> regions;
  if (!user.country.empty()) regions.push_back(absl::StrCat("country:", user.country));
  if (!user.language.empty()) regions.push_back(absl::StrCat("lang:", user.language));
  regions.push_back("*");
  return regions;
}

absl::Status FeedService::Retrieve(std::string_view user_id, int64_t now_ms, uint64_t seed,
                                   Retrieved* r) {
  FORYOU_ASSIGN_OR_RETURN(r->user, GetUser(user_id));
  r->model_user = ModelUserOf(*r->user);
  r->index = index_.snapshot();
  r->filters = FiltersOf(*r->user);
  RetrievalContext& ctx = r->ctx;
  ctx.index = r->index.get();
  ctx.user = r->user.get();
  sessions_.With(r->user->id, [&](UserSession& s) {
    ctx.positives.assign(s.positives.begin(), s.positives.end());
    ctx.likes.assign(s.likes.begin(), s.likes.end());
    r->not_interested = s.not_interested;
    if (options_.watch_next.enabled && options_.quotas[static_cast<int>(Source::kWatchNext)] > 0) {
      ctx.seen = s.seen;
    }
    for (const auto& e : s.tail) {
      r->keep.push_back(e);
      r->tail.push_back(e->proto);
    }
  });
  if (!ctx.likes.empty()) {
    const float unit = 1.0f / static_cast<float>(ctx.likes.size());
    for (uint64_t v : ctx.likes) {
      const VideoEntry* e = r->index->Find(v);
      if (e == nullptr) continue;
      for (uint64_t h : e->proto.hashtags) r->hashtag_share[h] += unit;
      if (e->proto.sound != 0) r->sound_share[e->proto.sound] += unit;
    }
  }
  for (const std::string& interest : r->user->interests) {
    float& share = r->hashtag_share[AttributeKey(interest)];
    share = std::max(share, 0.5f);
  }
  ctx.regions = RegionsOf(*r->user);
  ctx.stats = &engagement_;
  {
    std::lock_guard lock(embeddings_mu_);
    ctx.embeddings = embeddings_;
  }
  ctx.fresh = &options_.fresh;
  ctx.now_ms = now_ms;
  ctx.watch_next = options_.watch_next.enabled ? &watch_next_ : nullptr;
  ctx.model_user = r->model_user;
  thread_local std::mt19937_64 rng;
  rng.seed(seed);
  ctx.rng = &rng;

  absl::flat_hash_map<uint32_t, size_t> position;  // index -> candidate
  std::vector<uint32_t> found;
  for (const auto& source : sources_) {
    found.clear();
    const int quota = options_.quotas[static_cast<int>(source->source())];
    if (quota <= 0) continue;
    source->Retrieve(ctx, quota, &found);
    for (uint32_t i : found) {
      auto [it, inserted] = position.try_emplace(i, r->candidates.size());
      if (inserted) {
        r->candidates.push_back(r->index->all[i]->proto);
      }
      r->candidates[it->second].sources |= SourceBit(source->source());
    }
  }
  // Top up to min_candidates: deeper trending first (still "trending"), then random servable
  // videos (counted as exploration, since no signal chose them).
  const size_t want = static_cast<size_t>(options_.min_candidates);
  if (r->candidates.size() < want) {
    for (uint64_t key : engagement_.Trending("*", static_cast<int>(want) * 2, now_ms)) {
      if (r->candidates.size() >= want) break;
      auto it = r->index->by_key.find(key);
      if (it == r->index->by_key.end()) continue;
      const VideoEntry& e = *r->index->all[it->second];
      if (e.video.moderation != catalog::Moderation::kApproved) continue;
      if (position.try_emplace(it->second, r->candidates.size()).second) {
        r->candidates.push_back(e.proto);
        r->candidates.back().sources = SourceBit(Source::kTrending);
      }
    }
    const std::vector<uint32_t>& pool = r->index->servable;
    for (size_t attempt = 0; r->candidates.size() < want && !pool.empty() && attempt < want * 4;
         ++attempt) {
      const uint32_t i = pool[rng() % pool.size()];
      if (position.try_emplace(i, r->candidates.size()).second) {
        r->candidates.push_back(r->index->all[i]->proto);
        r->candidates.back().sources = SourceBit(Source::kExplore);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status FeedService::Rank(const Retrieved& r, int64_t now_ms, std::string_view surface,
                               std::vector<Candidate>* candidates) const {
  if (surface.empty()) surface = options_.surface;
  if (candidates->empty()) return absl::OkStatus();
  thread_local std::vector<model::Impression> impressions;
  thread_local std::vector<float> probs;
  impressions.clear();
  for (const Candidate& c : *candidates) {
    impressions.push_back(stream::MakeImpression(r.model_user, c.video->id, now_ms, surface,
                                                 options_.utc_offset_minutes));
  }
  probs.resize(impressions.size() * model::kNumTasks);
  // Split the batch over the scoring pool: each chunk is scored by Scorer::Score (thread-safe,
  // per-thread scratch), the calling thread takes the first chunk.
  constexpr size_t kMinChunk = 128;
  const size_t n = impressions.size();
  const size_t chunks =
      scoring_pool_ == nullptr
          ? 1
          : std::max<size_t>(1, std::min<size_t>(scoring_pool_->size() + 1, n / kMinChunk));
  if (chunks == 1) {
    FORYOU_RETURN_IF_ERROR(scorer_->Score(impressions, probs.data()));
  } else {
    const size_t per = (n + chunks - 1) / chunks;
    std::vector<std::future<void>> done;
    std::vector<absl::Status> status(chunks);
    const absl::Span<const model::Impression> all(impressions);
    float* out = probs.data();
    for (size_t k = 1; k < chunks; ++k) {
      const size_t begin = k * per, end = std::min(n, begin + per);
      done.push_back(scoring_pool_->Submit([&, k, begin, end] {
        status[k] = scorer_->Score(all.subspan(begin, end - begin), out + begin * model::kNumTasks);
      }));
    }
    status[0] = scorer_->Score(all.subspan(0, std::min(n, per)), out);
    for (auto& d : done) d.wait();
    for (const absl::Status& st : status) FORYOU_RETURN_IF_ERROR(st);
  }
  // The audience prior log(1 + e) / log(1 + e_max), and the watch-next prior s - s_min with
  // s = engagement_weight x log(1 + e) + WatchNext's score, over the candidates.
  thread_local std::vector<double> crowd;
  thread_local std::vector<float> next;
  crowd.assign(candidates->size(), 0.0);
  next.assign(candidates->size(), 0.0f);
  double crowd_max = 0;
  float next_min = 0;
  const bool with_next = options_.watch_next.enabled && options_.watch_next_weight != 0;
  if (options_.popularity_weight != 0 || with_next) {
    thread_local std::vector<uint64_t> keys;
    keys.clear();
    for (const Candidate& c : *candidates) keys.push_back(c.video_key);
    engagement_.Scores("*", keys, now_ms, crowd.data());
    for (double& e : crowd) {
      e = std::log1p(e);
      crowd_max = std::max(crowd_max, e);
    }
    if (with_next) {
      watch_next_.Scores(r.model_user, keys, now_ms, next.data());
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
    auto bonus_of = [&](Source src) { return options_.source_bonus[static_cast<int>(src)]; };
    float bonus = 0;
    if (c.from(Source::kFollowing)) bonus += bonus_of(Source::kFollowing);
    if (c.from(Source::kSimilar)) bonus += bonus_of(Source::kSimilar);
    if (c.from(Source::kSameSound)) {
      if (auto it = r.sound_share.find(c.sound); it != r.sound_share.end()) {
        bonus += bonus_of(Source::kSameSound) * it->second;
      }
    }
    if (c.from(Source::kSameHashtag)) {
      float best = 0;
      for (uint64_t h : c.hashtags) {
        if (auto it = r.hashtag_share.find(h); it != r.hashtag_share.end()) best = std::max(best, it->second);
      }
      bonus += bonus_of(Source::kSameHashtag) * best;
    }
    c.bonus = bonus;
    c.popularity =
        crowd_max > 0 ? options_.popularity_weight * static_cast<float>(crowd[i] / crowd_max) : 0.0f;
    // Log-scale: one unit of the watch-next score is ~e times likelier to be watched next.
    if (with_next) c.popularity += options_.watch_next_weight * (next[i] - next_min);
    c.value = value + bonus + c.popularity;
    c.score = c.value;
  }
  std::stable_sort(candidates->begin(), candidates->end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  return absl::OkStatus();
}

std::string FeedService::ReasonFor(const Candidate& c, const Retrieved& r) const {
  if (c.from(Source::kExplore)) return "something different from what you usually watch";
  if (c.from(Source::kFollowing)) return absl::StrCat("from @", c.video->creator, ", whom you follow");
  if (c.from(Source::kSimilar)) return "similar to videos you enjoyed";
  if (c.from(Source::kSameSound)) return "uses a sound from a video you liked";
  if (c.from(Source::kSameHashtag)) {
    const std::string tag = c.video->hashtags.empty() ? std::string() : c.video->hashtags[0];
    for (const std::string& interest : r.user->interests) {
      for (const std::string& h : c.video->hashtags) {
        if (h == interest) return absl::StrCat("#", h, ", one of your interests");
      }
    }
    return absl::StrCat("#", tag, ", like videos you liked");
  }
  if (c.from(Source::kFresh)) return "a new upload being shown to a first audience";
  if (c.from(Source::kWatchNext)) return "people who watched what you watched are watching it";
  if (c.from(Source::kTrending)) {
    return absl::StrCat("trending", r.user->country.empty() ? "" : " in ", r.user->country);
  }
  return "recommended";
}

absl::StatusOr<FeedPage> FeedService::Feed(std::string_view user, int count, int64_t now_ms,
                                           bool record, std::string_view surface) {
  if (count < 1 || count > options_.max_count) {
    return absl::InvalidArgumentError(
        absl::StrCat("count: must be in [1, ", options_.max_count, "], got ", count));
  }
  const uint64_t n = request_counter_.fetch_add(1) + 1;
  const uint64_t seed = options_.seed * 0x9E3779B97F4A7C15ull + n;
  Retrieved r;
  FORYOU_RETURN_IF_ERROR(Retrieve(user, now_ms, seed, &r));
  FeedPage page;
  page.request_id = absl::StrFormat("r%x-%x", n, (seed * 0xBF58476D1CE4E5B9ull) >> 40);
  page.model_user = r.model_user;
  page.candidates = static_cast<int>(r.candidates.size());
  if (!record) {
    for (const Candidate& c : r.candidates) page.retrieved.push_back(c.video_key);
  }
  std::vector<Candidate> ranked;
  ranked.reserve(r.candidates.size());
  // Under the session's lock: the seen set is read in place, not copied per request.
  sessions_.With(r.user->id, [&](UserSession& s) {
    for (Candidate& c : r.candidates) {
      if (Eligible(c, r.filters, s.seen, &page.rules)) ranked.push_back(std::move(c));
    }
  });
  page.eligible = static_cast<int>(ranked.size());
  FORYOU_RETURN_IF_ERROR(Rank(r, now_ms, surface, &ranked));
  ApplyNotInterested(r.not_interested, options_.rules, &ranked, &page.rules);
  std::mt19937_64 rng(seed ^ 0xA5A5A5A5u);
  PlaceFreshUpload(count, now_ms, rng, &ranked);
  std::vector<Candidate> chosen =
      Arrange(std::move(ranked), count, options_.rules, r.tail, rng, &page.rules);

  std::vector<std::shared_ptr<const VideoEntry>> entries;
  for (const Candidate& c : chosen) {
    const uint32_t i = r.index->by_key.at(c.video_key);
    entries.push_back(r.index->all[i]);
    FeedItem item;
    item.entry = r.index->all[i];
    item.candidate = c;
    item.candidate.video = &item.entry->video;
    item.reason = ReasonFor(c, r);
    page.items.push_back(std::move(item));
  }
  if (!record) return page;
  // Served counts as seen: the next page never repeats this one, even before impressions arrive.
  const size_t tail_len = static_cast<size_t>(std::max(options_.rules.creator_once_per,
                                                       options_.rules.max_category_run + 1));
  sessions_.With(r.user->id, [&](UserSession& s) {
    for (const auto& e : entries) {
      s.MarkSeen(e->proto.video_key, options_.seen_capacity);
      s.tail.push_back(e);
    }
    if (s.tail.size() > tail_len) s.tail.erase(s.tail.begin(), s.tail.end() - tail_len);
    ++s.feeds;
  });
  {
    std::lock_guard lock(stats_mu_);
    rule_stats_.Add(page.rules);
  }
  feeds_served_.fetch_add(1);
  return page;
}

void FeedService::PlaceFreshUpload(int count, int64_t now_ms, std::mt19937_64& rng,
                                   std::vector<Candidate>* ranked) const {
  // The test pool's controlled first exposure: a video still in its test gets a place on this
  // page, at a random position (its score is lifted just above the item ranked
  // there), so every page carries at most one and a new upload is seen without waiting for the
  // model to learn it. Its impressions then decide whether it graduates (FreshStateOf).
  if (options_.fresh.slots_per_page <= 0 || ranked->empty()) return;
  // The least-exposed video in its test goes first (ties at random), so the pool's exposure
  // spreads over every new upload rather than over the one the model happens to like.
  Candidate* best = nullptr;
  uint64_t best_impressions = 0, ties = 0;
  for (Candidate& c : *ranked) {
    if (!c.from(Source::kFresh)) continue;
    const VideoCounts counts = engagement_.Counts(c.video_key);
    if (FreshStateOf(*c.video, counts, options_.fresh, now_ms) != FreshState::kTesting) continue;
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
  if (best->score <= target) best->score = target + 1e-3f;
  std::stable_sort(ranked->begin(), ranked->end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
}

absl::StatusOr<std::vector<uint64_t>> FeedService::TrendingPage(std::string_view user, int count,
                                                                 int64_t now_ms) {
  FORYOU_ASSIGN_OR_RETURN(auto u, GetUser(user));
  const UserFilters filters = FiltersOf(*u);
  absl::flat_hash_set<uint64_t> seen;
  sessions_.With(u->id, [&](UserSession& s) { seen = s.seen; });
  auto index = index_.snapshot();
  std::vector<uint64_t> out;
  for (const std::string& region : RegionsOf(*u)) {
    for (uint64_t key : engagement_.Trending(region, count * 4 + static_cast<int>(seen.size()), now_ms)) {
      if (static_cast<int>(out.size()) >= count) return out;
      const VideoEntry* e = index->Find(key);
      if (e == nullptr) continue;
      Candidate c = e->proto;
      c.sources = SourceBit(Source::kTrending);
      if (!Eligible(c, filters, seen, nullptr)) continue;
      if (std::find(out.begin(), out.end(), key) == out.end()) out.push_back(key);
    }
  }
  return out;
}

absl::StatusOr<Explanation> FeedService::Explain(std::string_view user, std::string_view video,
                                                 int64_t now_ms) {
  Retrieved r;
  FORYOU_RETURN_IF_ERROR(Retrieve(user, now_ms, options_.seed, &r));
  const uint64_t key = stream::VideoKey(video);
  const VideoEntry* entry = r.index->Find(key);
  if (entry == nullptr) return absl::NotFoundError(absl::StrCat("video '", std::string(video), "' not found"));
  Explanation x;
  x.user = std::string(user);
  x.video = std::string(video);
  Candidate c = entry->proto;
  for (const Candidate& found : r.candidates) {
    if (found.video_key == key) c.sources = found.sources;
  }
  for (int s = 0; s < static_cast<int>(Source::kNumSources); ++s) {
    if (!c.from(static_cast<Source>(s))) continue;
    x.sources.emplace_back(SourceName(static_cast<Source>(s)));
    Candidate one = c;
    one.sources = SourceBit(static_cast<Source>(s));
    x.source_reasons.push_back(ReasonFor(one, r));
  }
  RuleStats why;
  sessions_.With(r.user->id,
                 [&](UserSession& s) { x.eligible = Eligible(c, r.filters, s.seen, &why); });
  if (!x.eligible) {
    x.ineligible_reason = why.moderation ? "moderation: not approved for this feed"
                          : why.seen     ? "already shown to this user"
                          : why.hidden_creator ? "the user hid this creator"
                          : why.hidden_sound   ? "the user hid this sound"
                                               : "a keyword or hashtag filter of the user";
  }
  std::vector<Candidate> one{c};
  FORYOU_RETURN_IF_ERROR(Rank(r, now_ms, {}, &one));
  RuleStats ignored;
  ApplyNotInterested(r.not_interested, options_.rules, &one, &ignored);
  x.candidate = one[0];
  x.candidate.video = &entry->video;
  for (int t = 0; t < model::kNumTasks; ++t) {
    x.contributions.emplace_back(model::kTaskNames[t], options_.weights[t] * x.candidate.probs[t]);
  }
  std::sort(x.contributions.begin(), x.contributions.end(), [](const auto& a, const auto& b) {
    return std::fabs(a.second) > std::fabs(b.second);
  });
  if (x.sources.empty()) {
    x.sentences.push_back("No candidate source proposes this video for you right now.");
  } else {
    x.sentences.push_back(absl::StrCat("Found because: ", absl::StrJoin(x.source_reasons, "; "), "."));
  }
  for (size_t i = 0; i < x.contributions.size() && i < 3; ++i) {
    int task = 0;
    while (task < model::kNumTasks && x.contributions[i].first != model::kTaskNames[task]) ++task;
    x.sentences.push_back(absl::StrFormat(
        "The model gives %.0f%% that you %s (weight %+.1f): %+.3f to the score.",
        100.0 * x.candidate.probs[task], TaskWords(task), options_.weights[task],
        x.contributions[i].second));
  }
  if (x.candidate.penalty > 0) {
    x.sentences.push_back(absl::StrFormat(
        "Lowered by %.2f because you said not interested to its creator, sound or hashtags.",
        x.candidate.penalty));
  }
  if (!x.eligible) x.sentences.push_back(absl::StrCat("It will not be shown: ", x.ineligible_reason, "."));
  return x;
}

absl::Status FeedService::Refresh(std::string_view user_id) {
  {
    std::lock_guard lock(users_mu_);
    FORYOU_ASSIGN_OR_RETURN(catalog::User u, store_->GetUser(user_id));
    ++u.epoch;
    FORYOU_RETURN_IF_ERROR(store_->PutUser(u));
    model_catalog_->AddUser(stream::UserKey(ModelUserOf(u)), ToUserInfo(u));
    const std::string id = u.id;  // (the right side is evaluated first: u is moved from)
    users_[id] = std::make_shared<const catalog::User>(std::move(u));
  }
  sessions_.Reset(std::string(user_id), /*keep_seen=*/true);
  return absl::OkStatus();
}

// ---- Events ----

absl::Status FeedService::ResolveEvent(stream::Event* e) {
  FORYOU_ASSIGN_OR_RETURN(auto user, GetUser(e->user));
  if (!e->video.empty()) {
    auto index = index_.snapshot();
    if (index->Find(stream::VideoKey(e->video)) == nullptr) {
      return absl::NotFoundError(absl::StrCat("video: '", e->video, "' not found"));
    }
  }
  e->user = ModelUserOf(*user);
  return absl::OkStatus();
}

void FeedService::Observe(absl::Span<const stream::Event> events, bool apply_settings) {
  using stream::EventType;
  auto index = index_.snapshot();
  for (const stream::Event& e : events) {
    absl::StatusOr<std::shared_ptr<const catalog::User>> user = GetUser(e.user);
    bool current = true;  // the event belongs to the user's current epoch
    if (!user.ok()) {
      // The model's identity "<id>#<epoch>" (events read back from the log).
      const size_t hash = e.user.rfind('#');
      if (hash == std::string::npos) continue;
      user = GetUser(std::string_view(e.user).substr(0, hash));
      if (!user.ok()) continue;
      current = ModelUserOf(**user) == e.user;
    } else {
      // Live events name the user as the client knows it; in the log a bare id is epoch 0.
      current = apply_settings || (*user)->epoch == 0;
    }
    const VideoEntry* video = e.video.empty() ? nullptr : index->Find(stream::VideoKey(e.video));
    if (video != nullptr) {
      engagement_.Observe(e, video->proto.video_key, RegionsOf(**user));
      if (options_.watch_next.enabled) {
        const std::string& who = current ? ModelUserOf(**user) : e.user;
        if (e.type == EventType::kImpression) {
          watch_next_.Observe(who, video->proto.video_key, e.time_ms, WatchNext::kImpression);
        } else if ((e.type == EventType::kPlay || e.type == EventType::kSkip) &&
                   (e.completed || e.watch_ms >= kLongViewMs)) {
          watch_next_.Observe(who, video->proto.video_key, e.time_ms, WatchNext::kLongView);
        } else if (e.type == EventType::kLike || e.type == EventType::kShare ||
                   e.type == EventType::kFavorite || e.type == EventType::kComment) {
          watch_next_.Observe(who, video->proto.video_key, e.time_ms, WatchNext::kPositive);
        }
      }
    }
    if (!current) continue;

    // Settings events change the stored user.
    if (apply_settings && (e.type == EventType::kFollow || e.type == EventType::kUnfollow ||
        e.type == EventType::kHideCreator || e.type == EventType::kHideSound)) {
      auto add = [](std::vector<std::string>& list, const std::string& v) {
        if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
      };
      // Best effort: the event itself is already durable in the log.
      ModifyUser((*user)->id, [&](catalog::User* u) {
        if (e.type == EventType::kFollow) add(u->following, e.creator);
        if (e.type == EventType::kUnfollow) std::erase(u->following, e.creator);
        if (e.type == EventType::kHideCreator) add(u->hidden_creators, e.creator);
        if (e.type == EventType::kHideSound) add(u->hidden_sounds, e.sound);
        return absl::OkStatus();
      }).IgnoreError();
    }
    if (video == nullptr) continue;
    const uint64_t key = video->proto.video_key;
    const size_t cap = options_.recent_capacity;
    sessions_.With((*user)->id, [&](UserSession& s) {
      switch (e.type) {
        case EventType::kImpression:
          s.MarkSeen(key, options_.seen_capacity);
          ++s.impressions;
          break;
        case EventType::kPlay:
          if (e.completed || e.watch_ms >= kLongViewMs || e.replays > 0) {
            UserSession::PushRecent(s.positives, key, cap);
          }
          break;
        case EventType::kSkip:
          if (e.watch_ms < kQuickSkipMs) UserSession::PushRecent(s.skips, key, cap);
          break;
        case EventType::kLike:
          UserSession::PushRecent(s.positives, key, cap);
          UserSession::PushRecent(s.likes, key, cap);
          break;
        case EventType::kShare:
        case EventType::kFavorite:
        case EventType::kComment:
          UserSession::PushRecent(s.positives, key, cap);
          break;
        case EventType::kNotInterested:
        case EventType::kReport: {
          const Candidate& c = video->proto;
          ++s.not_interested.creators[c.creator];
          if (c.sound != 0) ++s.not_interested.sounds[c.sound];
          for (uint64_t h : c.hashtags) ++s.not_interested.hashtags[h];
          std::erase(s.positives, key);
          std::erase(s.likes, key);
          break;
        }
        default:
          break;
      }
    });
  }
}

RuleStats FeedService::rule_stats() const {
  std::lock_guard lock(stats_mu_);
  return rule_stats_;
}

UserSession FeedService::SessionOf(std::string_view user) {
  UserSession copy;
  sessions_.With(std::string(user), [&](UserSession& s) { copy = s; });
  return copy;
}

// ---- Options ----

absl::Status ParseFeedOptions(const std::string& text, FeedOptions* out) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError("feed: must be a JSON object");
  FeedOptions o = *out;
  auto number = [](const nlohmann::json& v, const std::string& path, double lo, double hi,
                   double* x) -> absl::Status {
    if (!v.is_number()) return absl::InvalidArgumentError(absl::StrCat(path, ": must be a number"));
    *x = v.get<double>();
    if (!(*x >= lo && *x <= hi)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": must be in [", lo, ", ", hi, "]"));
    }
    return absl::OkStatus();
  };
  // The index of the source called `name` (a key of a per-source object at `path`).
  auto source_index = [](const std::string& path, const std::string& name) -> absl::StatusOr<int> {
    for (int s = 0; s < static_cast<int>(Source::kNumSources); ++s) {
      if (name == SourceName(static_cast<Source>(s))) return s;
    }
    return absl::InvalidArgumentError(absl::StrCat(path, ".", name, ": unknown source"));
  };
  double x = 0;
  for (const auto& [key, v] : j.items()) {
    const std::string path = absl::StrCat("feed.", key);
    if (key == "weights") {
      if (!v.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": must be an object"));
      for (const auto& [task, w] : v.items()) {
        int t = 0;
        while (t < model::kNumTasks && task != model::kTaskNames[t]) ++t;
        if (t == model::kNumTasks) return absl::InvalidArgumentError(absl::StrCat(path, ".", task, ": unknown task"));
        FORYOU_RETURN_IF_ERROR(number(w, absl::StrCat(path, ".", task), -100, 100, &x));
        o.weights[t] = static_cast<float>(x);
      }
    } else if (key == "quotas") {
      if (!v.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": must be an object"));
      for (const auto& [name, q] : v.items()) {
        FORYOU_ASSIGN_OR_RETURN(const int s, source_index(path, name));
        FORYOU_RETURN_IF_ERROR(number(q, absl::StrCat(path, ".", name), 0, 5000, &x));
        o.quotas[s] = static_cast<int>(x);
      }
    } else if (key == "rules") {
      if (!v.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": must be an object"));
      for (const auto& [name, r] : v.items()) {
        const std::string p = absl::StrCat(path, ".", name);
        if (name == "creator_once_per") { FORYOU_RETURN_IF_ERROR(number(r, p, 2, 50, &x)); o.rules.creator_once_per = static_cast<int>(x); }
        else if (name == "max_category_run") { FORYOU_RETURN_IF_ERROR(number(r, p, 1, 50, &x)); o.rules.max_category_run = static_cast<int>(x); }
        else if (name == "explore_share") { FORYOU_RETURN_IF_ERROR(number(r, p, 0, 1, &x)); o.rules.explore_share = x; }
        else if (name == "not_interested_creator") { FORYOU_RETURN_IF_ERROR(number(r, p, 0, 100, &x)); o.rules.not_interested_creator = static_cast<float>(x); }
        else if (name == "not_interested_sound") { FORYOU_RETURN_IF_ERROR(number(r, p, 0, 100, &x)); o.rules.not_interested_sound = static_cast<float>(x); }
        else if (name == "not_interested_hashtag") { FORYOU_RETURN_IF_ERROR(number(r, p, 0, 100, &x)); o.rules.not_interested_hashtag = static_cast<float>(x); }
        else return absl::InvalidArgumentError(absl::StrCat(p, ": unknown rule option"));
      }
    } else if (key == "fresh") {
      if (!v.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": must be an object"));
      for (const auto& [name, f] : v.items()) {
        const std::string p = absl::StrCat(path, ".", name);
        if (name == "max_age_ms") { FORYOU_RETURN_IF_ERROR(number(f, p, 0, 365.0 * 86'400'000, &x)); o.fresh.max_age_ms = static_cast<int64_t>(x); }
        else if (name == "test_impressions") { FORYOU_RETURN_IF_ERROR(number(f, p, 0, 1e9, &x)); o.fresh.test_impressions = static_cast<uint64_t>(x); }
        else if (name == "graduate_rate") { FORYOU_RETURN_IF_ERROR(number(f, p, 0, 1, &x)); o.fresh.graduate_rate = x; }
        else if (name == "slots_per_page") { FORYOU_RETURN_IF_ERROR(number(f, p, 0, 1, &x)); o.fresh.slots_per_page = static_cast<int>(x); }
        else return absl::InvalidArgumentError(absl::StrCat(p, ": unknown fresh-pool option"));
      }
    } else if (key == "source_bonus") {
      if (!v.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": must be an object"));
      for (const auto& [name, b] : v.items()) {
        FORYOU_ASSIGN_OR_RETURN(const int src, source_index(path, name));
        FORYOU_RETURN_IF_ERROR(number(b, absl::StrCat(path, ".", name), 0, 10, &x));
        o.source_bonus[src] = static_cast<float>(x);
      }
    } else if (key == "popularity_weight") {
      FORYOU_RETURN_IF_ERROR(number(v, path, 0, 100, &x));
      o.popularity_weight = static_cast<float>(x);
    } else if (key == "watch_next_weight") {
      FORYOU_RETURN_IF_ERROR(number(v, path, 0, 100, &x));
      o.watch_next_weight = static_cast<float>(x);
    } else if (key == "engagement_weight") {
      FORYOU_RETURN_IF_ERROR(number(v, path, 0, 100, &x));
      o.engagement_weight = static_cast<float>(x);
    } else if (key == "watch_next") {
      if (!v.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": must be an object"));
      WatchNextOptions& w = o.watch_next;
      for (const auto& [name, f] : v.items()) {
        const std::string p = absl::StrCat(path, ".", name);
        struct Weight { const char* name; float* field; };
        const Weight weights[] = {{"long_views_6h", &w.w_long_views_6h},
                                  {"long_views_24h", &w.w_long_views_24h},
                                  {"impressions_1h", &w.w_impressions_1h},
                                  {"covis", &w.w_covis},
                                  {"history_covis", &w.w_history_covis},
                                  {"sequence", &w.w_sequence},
                                  {"item_item", &w.w_item_item}};
        bool done = false;
        for (const Weight& wt : weights) {
          if (name != wt.name) continue;
          FORYOU_RETURN_IF_ERROR(number(f, p, -100, 100, &x));
          *wt.field = static_cast<float>(x);
          done = true;
        }
        if (done) continue;
        if (name == "enabled" || name == "user_embedding" || name == "learn_from_impressions") {
          if (!f.is_boolean()) return absl::InvalidArgumentError(absl::StrCat(p, ": must be true or false"));
          (name == "enabled"          ? w.enabled
           : name == "user_embedding" ? w.user_embedding
                                      : w.learn_from_impressions) = f.get<bool>();
        } else if (name == "pretrain_epochs") { FORYOU_RETURN_IF_ERROR(number(f, p, 0, 100, &x)); w.pretrain_epochs = static_cast<int>(x); }
        else if (name == "context_decay") { FORYOU_RETURN_IF_ERROR(number(f, p, 0.01, 1, &x)); w.context_decay = static_cast<float>(x); }
        else if (name == "learning_rate") { FORYOU_RETURN_IF_ERROR(number(f, p, 1e-6, 1, &x)); w.learning_rate = static_cast<float>(x); }
        else if (name == "item_item_lambda") { FORYOU_RETURN_IF_ERROR(number(f, p, 1e-3, 1e7, &x)); w.item_item.lambda = static_cast<float>(x); }
        else if (name == "item_item_max_items") { FORYOU_RETURN_IF_ERROR(number(f, p, 1, 20000, &x)); w.item_item.max_items = static_cast<size_t>(x); }
        else if (name == "item_item_top_k") { FORYOU_RETURN_IF_ERROR(number(f, p, 1, 20000, &x)); w.item_item.top_k = static_cast<int>(x); }
        else if (name == "item_item_min_users") { FORYOU_RETURN_IF_ERROR(number(f, p, 1, 1e9, &x)); w.item_item.min_users = static_cast<int>(x); }
        else if (name == "item_item_user_items") { FORYOU_RETURN_IF_ERROR(number(f, p, 2, 10000, &x)); w.item_item_user_items = static_cast<int>(x); }
        else if (name == "max_users") { FORYOU_RETURN_IF_ERROR(number(f, p, 1, 1e9, &x)); w.max_users = static_cast<size_t>(x); }
        else if (name == "item_item_growth_fit") { FORYOU_RETURN_IF_ERROR(number(f, p, 0, 1e12, &x)); w.item_item_growth_fit = static_cast<uint64_t>(x); }
        else if (name == "item_item_refit_hours") { FORYOU_RETURN_IF_ERROR(number(f, p, 0, 8760, &x)); w.item_item_refit_ms = static_cast<int64_t>(x * 3'600'000.0); }
        else return absl::InvalidArgumentError(absl::StrCat(p, ": unknown watch-next option"));
      }
    } else if (key == "seen_capacity") {
      FORYOU_RETURN_IF_ERROR(number(v, path, 10, 1e6, &x));
      o.seen_capacity = static_cast<size_t>(x);
    } else if (key == "max_count") {
      FORYOU_RETURN_IF_ERROR(number(v, path, 1, 500, &x));
      o.max_count = static_cast<int>(x);
    } else if (key == "surface") {
      if (!v.is_string()) return absl::InvalidArgumentError(absl::StrCat(path, ": must be a string"));
      o.surface = v.get<std::string>();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(path, ": unknown key"));
    }
  }
  *out = std::move(o);
  return absl::OkStatus();
}

}  // namespace foryou::feed
