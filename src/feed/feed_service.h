// FeedService: "what should this user watch next". It wires the feed's parts together; each
// part does one job and lives in its own file:
//
//   Retriever (retrieval.h)         the candidate sources with their quotas, merged, topped up
//   KeepEligible (eligibility.h)    moderation, seen set, the user's hidden / filtered things
//   Ranker (ranking.h)              the serving model's predictions, weights, bonus and priors
//   ApplyNotInterested (rules.h)    the user's "not interested" penalties
//   PlaceInterests (interest_slots.h)  until the session shows a taste, picked interests lead
//   PlaceFreshUpload (fresh_slot.h) the fresh-upload test slot
//   Arrange (rules.h)               creator / sound spacing, category runs, exploration share
//
// then remembers what it served (the seen set, the page's tail, each item as served). EventApplier
// (event_applier.h) turns events into sessions, engagement and watch-next updates at once; the
// real-time loop trains the model from the same events. Catalog writes go through the service
// (UserDirectory for users) so the in-memory index, the model's catalog and the store agree.
// Explanations: explain.h; options: feed_options.h. See docs/design/feed.md.
//
// Thread-safe: every public method may be called from any number of request threads.
//
// Example:
//   FeedService feed(options, store, model_catalog, &scorer);
//   FORYOU_RETURN_IF_ERROR(feed.Load());
//   feed.Start();                                         // background embedding refresh
//   FORYOU_ASSIGN_OR_RETURN(FeedPage page, feed.Feed("u1", 10, now_ms));
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "catalog/catalog_store.h"
#include "common/mutex.h"
#include "feed/seen_set.h"
#include "feed/embedding_refresher.h"
#include "feed/engagement.h"
#include "feed/event_applier.h"
#include "feed/explain.h"
#include "feed/feed_options.h"
#include "feed/ranking.h"
#include "feed/retrieval.h"
#include "feed/rules.h"
#include "feed/scorer.h"
#include "feed/sources.h"
#include "feed/user_directory.h"
#include "feed/user_session.h"
#include "feed/video_index.h"
#include "feed/watch_next.h"
#include "stream/event.h"

namespace foryou::feed {

struct SponsoredItem;  // ad_stage.h

struct FeedItem {
  std::shared_ptr<const VideoEntry> entry;
  Candidate candidate;
  std::string reason;  // a short "why", e.g. "because you liked videos like this"
  std::shared_ptr<const SponsoredItem> ad;  // an ad placed by AdStage; null for organic items
};

// Where one request's time went, by stage (steady clock; exported on /metrics):
//   retrieval    the user, their session and the index read; every candidate source; top-up
//   eligibility  moderation, seen set and the user's filters
//   scoring      the model's predictions, the priors and the sort (Ranker)
//   rules        "not interested", the fresh slot, the arrangement, the page and its memory
struct FeedTimings {
  int64_t retrieval_ns = 0, eligibility_ns = 0, scoring_ns = 0, rules_ns = 0;
};

struct FeedPage {
  std::string request_id;
  std::string model_user;       // the user as the model keys them ("<id>" or "<id>#<epoch>")
  std::vector<FeedItem> items;
  int candidates = 0;           // retrieved and scored
  std::vector<uint64_t> retrieved;  // the retrieved video keys (dry runs only: record = false)
  int eligible = 0;             // after the eligibility rules
  RuleStats rules;
  FeedTimings timings;
};

class FeedService {
 public:
  // `store`, `model_catalog` and `scorer` must outlive the service.
  FeedService(FeedOptions options, catalog::CatalogStore* store,
              std::shared_ptr<const model::Catalog> model_catalog, const Scorer* scorer);
  ~FeedService();  // stops the background thread
  FeedService(const FeedService&) = delete;
  FeedService& operator=(const FeedService&) = delete;

  // Builds the video index and the challenge list from the store (and registers every video
  // and user in the model's catalog). Call once, before serving.
  [[nodiscard]] absl::Status Load();
  // Starts / stops the embedding refresher (Stop is idempotent).
  void Start();
  void Stop();
  // Recomputes the similar-videos embedding matrix now (tests; Start does it periodically).
  [[nodiscard]] absl::Status RefreshEmbeddings();

  // ---- Catalog writes (store first, then the index and the model's catalog) ----
  [[nodiscard]] absl::Status CreateUser(const catalog::User& user);
  [[nodiscard]] absl::Status UpdateUser(const catalog::User& user);  // settings; must exist
  // Read-modify-write of one user under the service's user lock (PATCH, settings events), so
  // concurrent changes are never lost. `fn` may refuse (its error is returned, nothing changes).
  [[nodiscard]] absl::StatusOr<catalog::User> ModifyUser(
      std::string_view id, const std::function<absl::Status(catalog::User*)>& fn);
  [[nodiscard]] absl::Status CreateVideo(const catalog::Video& video);
  [[nodiscard]] absl::Status UpdateVideo(const catalog::Video& video);  // must exist
  // Re-reads the videos a catalog write touched into the index and the model's catalog, and
  // the users of a replicated write (CatalogChange::replicated) into the user cache. The
  // Engine makes it the store's listener, so a write made straight to the store (a moderation
  // decision: CatalogStore::SetModeration) reaches the next feed request. Errors reading a
  // video leave its old entry (the next write or start reads it again).
  void OnCatalogChange(const catalog::CatalogChange& change);
  // Hashtag challenges: the store's write (CatalogStore::CreateChallenge / UpdateChallenge,
  // with their errors), then the service's copy that the challenge source reads.
  [[nodiscard]] absl::Status CreateChallenge(const catalog::Challenge& challenge);
  [[nodiscard]] absl::Status UpdateChallenge(const catalog::Challenge& challenge);
  // Every challenge, by name (as of the last Load or challenge write); never null.
  std::shared_ptr<const std::vector<catalog::Challenge>> Challenges() const;
  // The challenges active at now_ms (start_ms <= now_ms < end_ms), by name; never null.
  std::shared_ptr<const std::vector<catalog::Challenge>> ActiveChallenges(int64_t now_ms) const;
  // The user (cached; NotFound if unknown).
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const catalog::User>> GetUser(std::string_view id);

  // ---- Feed ----
  // Up to `count` (1..max_count) videos for `user`. NotFound for an unknown user,
  // InvalidArgument for a bad count.
  // With record = false nothing about the request is remembered (seen set, page tail, counters):
  // an evaluation's dry run.
  // `surface` overrides options().surface for this request (the replay scores on the tab the
  // log's view happened on).
  [[nodiscard]] absl::StatusOr<FeedPage> Feed(std::string_view user, int count, int64_t now_ms,
                                              bool record = true, std::string_view surface = {});
  // Why `video` is in `user`'s feed: as it was served (its latest serving among the session's
  // last kServedRecords items, or the one in `request_id` when given), else as it would be
  // scored now (saying so when it was shown but its record is gone); and whether it could be
  // served now. NotFound for an unknown user or video, or a `request_id` with a video never
  // shown to the user.
  [[nodiscard]] absl::StatusOr<Explanation> Explain(std::string_view user, std::string_view video,
                                                    int64_t now_ms,
                                                    std::string_view request_id = {});
  // Starts the user over as a new user: a new model identity (epoch + 1), an empty session
  // (recent positives, not-interested signals, page tail) — keeping settings, filters, hidden
  // creators and the seen set.
  [[nodiscard]] absl::Status Refresh(std::string_view user);
  // Deletes the user (an account deleted): the catalog record (NotFound if none) and the feed's
  // session of them (seen set, not-interested signals, served items). The id may be created
  // again and then starts cold. The model's rows are the real-time loop's (RemoveUserRows).
  // A feed request in flight for the user when it is deleted does not bring the session back.
  [[nodiscard]] absl::Status DeleteUser(std::string_view user);
  // Drops the session of `user` only: a deletion marker met while the log is re-read at start
  // (the user's events before it are not theirs any more; the catalog record is the new user's).
  void ForgetSession(std::string_view user);
  // The videos `user` has been shown (served by a feed or impressed), as video keys: the seen
  // set the eligibility rule reads, bounded by seen_capacity. Empty for a user never shown any.
  SeenSet ShownVideos(std::string_view user);
  // Records videos another surface (the Following feed) showed `user`: they join the seen set as
  // this feed's served videos do, so no feed shows them again.
  void RecordShown(std::string_view user, absl::Span<const uint64_t> video_keys);
  // A trending-only page of `count` (the popular baseline of `replay --feed-hits`), no rules
  // beyond eligibility.
  [[nodiscard]] absl::StatusOr<std::vector<uint64_t>> TrendingPage(std::string_view user, int count,
                                                                    int64_t now_ms);

  // ---- Events ----
  // NotFound if the event names an unknown user or video; otherwise rewrites e->user to the
  // model's identity of the user (after a refresh, "<id>#<epoch>") so the log and the model see
  // the new user. Apply before Ingest.
  [[nodiscard]] absl::Status ResolveEvent(stream::Event* e);
  // Updates sessions and engagement from accepted events. A user may be given as the client
  // sent it or as the model's identity ("<id>#<epoch>", as in the log); events of an epoch
  // before the user's last refresh count for engagement but not for the session. With
  // apply_settings, follow / unfollow / hide_creator / hide_sound also change the user's stored
  // settings (live events; not when the log is re-read at start).
  void Observe(absl::Span<const stream::Event> events, bool apply_settings = true);
  // A user's history on another platform, oldest first (video keys), before serving: what they
  // were shown there counts as exposures another recommender chose (UserSession), and the
  // watch-next model learns the sequence it would learn from those events live: every video
  // shown when it learns from foreign impressions, else the long-viewed ones.
  void AddHistory(std::string_view user, absl::Span<const uint64_t> shown,
                  absl::Span<const uint64_t> long_viewed);

  // ---- Introspection ----
  RuleStats rule_stats() const;
  std::shared_ptr<const VideoIndex::Snapshot> index() const { return index_.snapshot(); }
  EngagementStats& engagement() { return engagement_; }
  WatchNext& watch_next() { return watch_next_; }
  // Sizes and estimated bytes of the user sessions (a pass over every session).
  SessionMemory session_memory() const { return sessions_.Memory(); }
  const FeedOptions& options() const { return options_; }
  uint64_t feeds_served() const { return feeds_served_.load(); }
  // The session of a user, copied (tests; the seen set for `replay --feed-hits-parts`).
  UserSession SessionOf(std::string_view user);

 private:
  // One request's view of the user, read once at its start, and what retrieval found.
  struct Request {
    std::shared_ptr<const catalog::User> user;
    std::string model_user;
    std::shared_ptr<const VideoIndex::Snapshot> index;
    UserFilters filters;
    NotInterested not_interested;
    std::vector<Candidate> tail;                          // the last page's tail, oldest first
    std::vector<std::shared_ptr<const VideoEntry>> keep;  // keeps the tail's videos alive
    SessionEvidence evidence;
    std::mt19937_64 rng;  // the sources' and the top-up's draws
    RetrievalContext ctx;
    std::vector<Candidate> candidates;
  };
  // Reads the user, their session and the index, and retrieves the candidates into *r.
  absl::Status Begin(std::string_view user, int64_t now_ms, uint64_t seed, Request* r);
  // What the reasons may say of the request's viewer (ReasonContextOf plus the active
  // challenges).
  static ReasonContext ViewerOf(const Request& r);
  // Served counts as seen; the page's tail carries the arrangement rules to the next page; the
  // items are recorded as served (for Explain).
  void Remember(const Request& r, const ReasonContext& viewer, int64_t now_ms,
                const FeedPage& page);

  const FeedOptions options_;
  catalog::CatalogStore* const store_;
  const std::shared_ptr<const model::Catalog> model_catalog_;
  VideoIndex index_;
  // Serializes "read the video from the store, then put it in the index": two writes of one
  // video may reach the feed in either order, and the later read sees the later write.
  common::Mutex refresh_mu_;
  EngagementStats engagement_;
  WatchNext watch_next_;
  UserSessions sessions_;
  UserDirectory users_;
  EmbeddingRefresher embeddings_;
  const Retriever retriever_;
  const Ranker ranker_;
  EventApplier events_;

  // Re-reads the store's challenges into challenges_ (mu_ held: a write and its re-read are
  // one step, so an older list never replaces a newer one).
  absl::Status ReloadChallenges() ABSL_EXCLUSIVE_LOCKS_REQUIRED(challenges_mu_);
  mutable common::Mutex challenges_mu_;
  std::shared_ptr<const std::vector<catalog::Challenge>> challenges_
      ABSL_GUARDED_BY(challenges_mu_);

  mutable common::Mutex stats_mu_;
  RuleStats rule_stats_ ABSL_GUARDED_BY(stats_mu_);
  std::atomic<uint64_t> feeds_served_{0}, request_counter_{0};
};

// The model's catalog (features' view) of every video and user in the store.
[[nodiscard]] absl::StatusOr<std::shared_ptr<model::Catalog>> BuildModelCatalog(
    catalog::CatalogStore& store);

}  // namespace foryou::feed
