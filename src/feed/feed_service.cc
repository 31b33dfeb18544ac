// FeedService: the wiring of one feed request and of the catalog and event paths (see the
// header and docs/design/feed.md).
#include "feed/feed_service.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/id_key.h"
#include "common/status_macros.h"
#include "feed/challenge_source.h"
#include "feed/eligibility.h"
#include "feed/fresh_slot.h"
#include "feed/interest_slots.h"
#include "feed/request_id.h"

namespace foryou::feed {

absl::StatusOr<std::shared_ptr<model::Catalog>> BuildModelCatalog(catalog::CatalogStore& store) {
  auto catalog = std::make_shared<model::Catalog>();
  FORYOU_RETURN_IF_ERROR(store.ForEachVideo([&](const catalog::Video& v) {
    catalog->videos[common::VideoKey(v.id)] = ToVideoInfo(v);
  }));
  FORYOU_RETURN_IF_ERROR(store.ForEachUser([&](const catalog::User& u) {
    catalog->users[common::UserKey(ModelUserOf(u))] = ToUserInfo(u);
  }));
  return catalog;
}

FeedService::FeedService(FeedOptions options, catalog::CatalogStore* store,
                         std::shared_ptr<const model::Catalog> model_catalog, const Scorer* scorer)
    : options_(std::move(options)),
      store_(store),
      model_catalog_(std::move(model_catalog)),
      engagement_(options_.engagement),
      watch_next_(options_.watch_next),
      sessions_(options_.max_served_records, options_.max_sessions, options_.max_seen_keys),
      users_(store_, model_catalog_),
      embeddings_(&index_, scorer, options_.embedding_refresh_ms),
      retriever_(options_.quotas, options_.min_candidates),
      ranker_(options_, scorer, &engagement_, &watch_next_),
      events_(options_, &users_, &index_, &engagement_, &watch_next_, &sessions_) {}

FeedService::~FeedService() { Stop(); }

absl::Status FeedService::Load() {
  std::vector<catalog::Video> videos;
  FORYOU_RETURN_IF_ERROR(store_->ForEachVideo([&](const catalog::Video& v) { videos.push_back(v); }));
  index_.Build(videos);
  common::MutexLock lock(&challenges_mu_);
  return ReloadChallenges();
}

void FeedService::Start() { embeddings_.Start(); }
void FeedService::Stop() { embeddings_.Stop(); }
absl::Status FeedService::RefreshEmbeddings() { return embeddings_.RefreshNow(); }

// ---- Catalog writes ----

absl::Status FeedService::CreateUser(const catalog::User& user) {
  FORYOU_RETURN_IF_ERROR(users_.Create(user));
  sessions_.Undelete(user.id);  // an id deleted earlier in this process is a user again
  return absl::OkStatus();
}

absl::Status FeedService::UpdateUser(const catalog::User& user) { return users_.Update(user); }

absl::StatusOr<catalog::User> FeedService::ModifyUser(
    std::string_view id, const std::function<absl::Status(catalog::User*)>& fn) {
  return users_.Modify(id, fn);
}

absl::StatusOr<std::shared_ptr<const catalog::User>> FeedService::GetUser(std::string_view id) {
  return users_.Get(id);
}

absl::Status FeedService::CreateVideo(const catalog::Video& video) {
  FORYOU_RETURN_IF_ERROR(store_->CreateVideo(video));
  OnCatalogChange({.videos = {video.id}});
  return absl::OkStatus();
}

absl::Status FeedService::UpdateVideo(const catalog::Video& video) {
  FORYOU_RETURN_IF_ERROR(store_->GetVideo(video.id).status());
  FORYOU_RETURN_IF_ERROR(store_->PutVideo(video));
  OnCatalogChange({.videos = {video.id}});
  return absl::OkStatus();
}

void FeedService::OnCatalogChange(const catalog::CatalogChange& change) {
  // A local write of a user went through users_, which cached it (and holds its lock now);
  // another process's write did not.
  if (change.replicated) {
    for (const std::string& id : change.users) users_.Reload(id);
  }
  common::MutexLock lock(&refresh_mu_);
  for (const std::string& id : change.videos) {
    absl::StatusOr<catalog::Video> video = store_->GetVideo(id);
    if (!video.ok()) continue;
    model_catalog_->AddVideo(common::VideoKey(video->id), ToVideoInfo(*video));
    index_.Upsert(*video);
  }
}

absl::Status FeedService::ReloadChallenges() {
  auto all = std::make_shared<std::vector<catalog::Challenge>>();
  FORYOU_RETURN_IF_ERROR(
      store_->ForEachChallenge([&](const catalog::Challenge& c) { all->push_back(c); }));
  challenges_ = std::move(all);
  return absl::OkStatus();
}

absl::Status FeedService::CreateChallenge(const catalog::Challenge& challenge) {
  common::MutexLock lock(&challenges_mu_);
  FORYOU_RETURN_IF_ERROR(store_->CreateChallenge(challenge));
  return ReloadChallenges();
}

absl::Status FeedService::UpdateChallenge(const catalog::Challenge& challenge) {
  common::MutexLock lock(&challenges_mu_);
  FORYOU_RETURN_IF_ERROR(store_->UpdateChallenge(challenge));
  return ReloadChallenges();
}

std::shared_ptr<const std::vector<catalog::Challenge>> FeedService::Challenges() const {
  common::MutexLock lock(&challenges_mu_);
  if (challenges_ == nullptr) return std::make_shared<const std::vector<catalog::Challenge>>();
  return challenges_;
}

std::shared_ptr<const std::vector<catalog::Challenge>> FeedService::ActiveChallenges(
    int64_t now_ms) const {
  auto active = std::make_shared<std::vector<catalog::Challenge>>();
  for (const catalog::Challenge& c : *Challenges()) {
    if (c.ActiveAt(now_ms)) active->push_back(c);
  }
  return active;
}

// ---- Feed ----

absl::Status FeedService::Begin(std::string_view user_id, int64_t now_ms, uint64_t seed,
                                Request* r) {
  FORYOU_ASSIGN_OR_RETURN(r->user, users_.Get(user_id));
  const catalog::User& user = *r->user;
  r->model_user = ModelUserOf(user);
  r->index = index_.snapshot();
  r->filters = FiltersOf(user);
  RetrievalContext& ctx = r->ctx;
  ctx.index = r->index.get();
  ctx.user = &user;
  // One trip through the session's lock per request to read it (and one in Remember to write
  // it): the seen set is copied once, for the watch-next source (which skips seen videos itself,
  // so its quota is not spent on them) and for eligibility alike.
  float foreign_share = 0;
  sessions_.With(user.id, [&](UserSession& s) {
    ctx.positives.assign(s.positives.begin(), s.positives.end());
    ctx.likes.assign(s.likes.begin(), s.likes.end());
    foreign_share = s.foreign_share();
    r->not_interested = s.not_interested;
    ctx.seen = s.seen.ToSet();
    r->keep.reserve(s.tail.size());
    r->tail.reserve(s.tail.size());
    for (const auto& e : s.tail) {
      r->keep.push_back(e);
      r->tail.push_back(e->proto);
    }
  });
  r->evidence = EvidenceOf(ctx.likes, *r->index, user.interests, options_.evidence_recency);
  r->evidence.foreign_share = foreign_share;
  ctx.regions = RegionsOf(user);
  ctx.stats = &engagement_;
  ctx.embeddings = embeddings_.current();
  ctx.fresh = &options_.fresh;
  ctx.now_ms = now_ms;
  ctx.watch_next = options_.watch_next.enabled ? &watch_next_ : nullptr;
  ctx.model_user = r->model_user;
  ctx.challenges = ActiveChallenges(now_ms);
  r->rng.seed(seed);
  ctx.rng = &r->rng;
  r->candidates = retriever_.Retrieve(ctx);
  return absl::OkStatus();
}

absl::StatusOr<FeedPage> FeedService::Feed(std::string_view user, int count, int64_t now_ms,
                                           bool record, std::string_view surface) {
  if (count < 1 || count > options_.max_count) {
    return absl::InvalidArgumentError(
        absl::StrCat("count: must be in [1, ", options_.max_count, "], got ", count));
  }
  const uint64_t n = request_counter_.fetch_add(1) + 1;
  const uint64_t seed = RequestSeed(options_.seed, n);
  using Clock = std::chrono::steady_clock;
  const auto nanos = [](Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count();
  };
  const Clock::time_point t0 = Clock::now();
  Request r;
  FORYOU_RETURN_IF_ERROR(Begin(user, now_ms, seed, &r));
  FeedPage page;
  page.request_id = MakeRequestId(options_.seed, n);
  page.model_user = r.model_user;
  page.candidates = static_cast<int>(r.candidates.size());
  if (!record) {
    for (const Candidate& c : r.candidates) page.retrieved.push_back(c.video_key);
  }
  const Clock::time_point t1 = Clock::now();
  // Against the seen set as Begin read it (the session is not locked again).
  std::vector<Candidate> ranked =
      KeepEligible(std::move(r.candidates), r.filters, r.ctx.seen, &page.rules);
  page.eligible = static_cast<int>(ranked.size());
  const Clock::time_point t2 = Clock::now();
  FORYOU_RETURN_IF_ERROR(ranker_.Rank(r.model_user, r.evidence, now_ms, surface, &ranked));
  const Clock::time_point t3 = Clock::now();
  ApplyNotInterested(r.not_interested, options_.rules, &ranked, &page.rules);
  // Cold start: until the session shows a taste of its own, the picked interests lead.
  if (r.ctx.positives.empty() && r.ctx.likes.empty()) {
    PlaceInterests(r.user->interests, count, options_.rules, &ranked);
  }
  std::mt19937_64 rng(seed ^ 0xA5A5A5A5u);
  PlaceFreshUpload(options_.fresh, engagement_, count, now_ms, rng, &ranked);
  LimitChallengeItems(options_.challenges,
                      options_.source_bonus[static_cast<int>(Source::kChallenge)], count, &ranked);
  const std::vector<Candidate> chosen =
      Arrange(std::move(ranked), count, options_.rules, r.tail, rng, &page.rules);
  const ReasonContext viewer = ViewerOf(r);
  page.items.reserve(chosen.size());
  for (const Candidate& c : chosen) {
    FeedItem item;
    item.entry = r.index->all[r.index->by_key.at(c.video_key)];
    item.candidate = c;
    item.candidate.video = &item.entry->video;
    item.reason = ReasonFor(item.candidate, viewer);
    page.items.push_back(std::move(item));
  }
  if (record) Remember(r, viewer, now_ms, page);
  const Clock::time_point t4 = Clock::now();
  page.timings = {.retrieval_ns = nanos(t0, t1),
                  .eligibility_ns = nanos(t1, t2),
                  .scoring_ns = nanos(t2, t3),
                  .rules_ns = nanos(t3, t4)};
  return page;
}

ReasonContext FeedService::ViewerOf(const Request& r) {
  ReasonContext viewer = ReasonContextOf(*r.user, r.ctx.positives, r.ctx.likes, *r.index);
  for (const catalog::Challenge& c : *r.ctx.challenges) {
    viewer.challenges.insert(AttributeKey(c.name));
  }
  return viewer;
}

void FeedService::Remember(const Request& r, const ReasonContext& viewer, int64_t now_ms,
                           const FeedPage& page) {
  const size_t tail_len = static_cast<size_t>(
      std::max(options_.rules.creator_once_per, options_.rules.max_category_run + 1));
  // The served items as served, for explanations (built outside the session lock).
  std::vector<ServedItem> served;
  for (size_t i = 0; i < page.items.size(); ++i) {
    served.push_back(ServedItemOf(page.items[i].candidate, page.request_id, static_cast<int>(i),
                                  now_ms, viewer));
  }
  sessions_.With(r.user->id, [&](UserSession& s) {
    for (const FeedItem& item : page.items) {
      s.MarkSeen(item.entry->proto.video_key, options_.seen_capacity);
      s.tail.push_back(item.entry);
    }
    for (ServedItem& item : served) s.RecordServed(std::move(item));
    if (s.tail.size() > tail_len) s.tail.erase(s.tail.begin(), s.tail.end() - tail_len);
    ++s.feeds;
  });
  {
    common::MutexLock lock(&stats_mu_);
    rule_stats_.Add(page.rules);
  }
  feeds_served_.fetch_add(1);
}

SeenSet FeedService::ShownVideos(std::string_view user) {
  SeenSet seen;
  sessions_.With(std::string(user), [&](UserSession& s) { seen = s.seen.ToSet(); });
  return seen;
}

void FeedService::RecordShown(std::string_view user, absl::Span<const uint64_t> video_keys) {
  if (video_keys.empty()) return;
  sessions_.With(std::string(user), [&](UserSession& s) {
    for (uint64_t key : video_keys) s.MarkSeen(key, options_.seen_capacity);
  });
}

absl::StatusOr<std::vector<uint64_t>> FeedService::TrendingPage(std::string_view user, int count,
                                                                 int64_t now_ms) {
  FORYOU_ASSIGN_OR_RETURN(auto u, users_.Get(user));
  const UserFilters filters = FiltersOf(*u);
  SeenSet seen;
  sessions_.With(u->id, [&](UserSession& s) { seen = s.seen.ToSet(); });
  auto index = index_.snapshot();
  std::vector<uint64_t> out;
  for (const std::string& region : RegionsOf(*u)) {
    const int n = count * 4 + static_cast<int>(seen.size());
    for (uint64_t key : engagement_.Trending(region, n, now_ms)) {
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
                                                 int64_t now_ms, std::string_view request_id) {
  Request r;
  FORYOU_RETURN_IF_ERROR(Begin(user, now_ms, options_.seed, &r));
  const uint64_t key = common::VideoKey(video);
  const VideoEntry* entry = r.index->Find(key);
  if (entry == nullptr) {
    return absl::NotFoundError(absl::StrCat("video '", std::string(video), "' not found"));
  }
  Candidate c = entry->proto;
  c.video = &entry->video;
  for (const Candidate& found : r.candidates) {
    if (found.video_key == key) c.sources = found.sources;
  }
  // As served, when it was; and separately, whether the rules would let it be served now.
  RuleStats why;
  bool can_serve = true, shown = false;
  std::optional<ServedItem> served;
  sessions_.With(r.user->id, [&](UserSession& s) {
    can_serve = Eligible(c, r.filters, s.seen.ToSet(), &why);
    shown = s.seen.contains(key);
    if (const ServedItem* item = s.FindServed(key, request_id)) served = *item;
  });
  if (served) {
    return Describe(*r.user, video, *served, /*served=*/true, can_serve, why, options_.weights);
  }
  // Shown, but its record is gone (only the last kServedRecords are kept): as scored now.
  if (!request_id.empty() && !shown) {
    return absl::NotFoundError(absl::StrCat("video '", std::string(video),
                                            "' was not served in request '",
                                            std::string(request_id), "'"));
  }
  std::vector<Candidate> one{c};
  FORYOU_RETURN_IF_ERROR(ranker_.Rank(r.model_user, r.evidence, now_ms, {}, &one));
  RuleStats ignored;
  ApplyNotInterested(r.not_interested, options_.rules, &one, &ignored);
  const ReasonContext viewer = ViewerOf(r);
  return Describe(*r.user, video, ServedItemOf(one[0], "", -1, now_ms, viewer),
                  /*served=*/false, can_serve, why, options_.weights);
}

absl::Status FeedService::Refresh(std::string_view user_id) {
  FORYOU_RETURN_IF_ERROR(users_.StartOver(user_id).status());
  sessions_.Reset(std::string(user_id), /*keep_seen=*/true);
  return absl::OkStatus();
}

absl::Status FeedService::DeleteUser(std::string_view user_id) {
  FORYOU_RETURN_IF_ERROR(users_.Delete(user_id));
  sessions_.Erase(std::string(user_id));
  return absl::OkStatus();
}

void FeedService::ForgetSession(std::string_view user) { sessions_.Forget(std::string(user)); }

// ---- Events ----

absl::Status FeedService::ResolveEvent(stream::Event* e) { return events_.Resolve(e); }

void FeedService::Observe(absl::Span<const stream::Event> events, bool apply_settings) {
  events_.Apply(events, apply_settings);
}

void FeedService::AddHistory(std::string_view user, absl::Span<const uint64_t> shown,
                             absl::Span<const uint64_t> long_viewed) {
  if (!shown.empty()) {
    sessions_.With(std::string(user), [&](UserSession& s) {
      s.CountExposures(/*foreign=*/true, static_cast<float>(shown.size()));
    });
  }
  if (!options_.watch_next.enabled) return;
  const bool all = options_.watch_next.learn_from_impressions ||
                   options_.watch_next.learn_from_foreign_impressions;
  watch_next_.AddHistory(user, all ? shown : long_viewed);
}

// ---- Introspection ----

RuleStats FeedService::rule_stats() const {
  common::MutexLock lock(&stats_mu_);
  return rule_stats_;
}

UserSession FeedService::SessionOf(std::string_view user) {
  UserSession copy;
  sessions_.With(std::string(user), [&](UserSession& s) { copy = s; });
  return copy;
}

}  // namespace foryou::feed
