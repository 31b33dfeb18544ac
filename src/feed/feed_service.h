// FeedService: "what should this user watch next". One request runs
//
//   retrieval (CandidateSources, merged with quotas) -> eligibility rules -> ranking (the serving
//   model: value = sum of weighted predicted actions) -> not-interested penalties -> arrangement
//   rules (creator / sound / category spacing, exploration share) -> the page
//
// and remembers what it served (seen set, the page's tail). Events update the per-user sessions
// and the engagement statistics at once; the real-time loop trains the model from the same
// events. Catalog writes go through the service so the in-memory index, the model's catalog and
// the store agree. See docs/design/feed.md.
//
// Thread-safe: every public method may be called from any number of request threads.
//
// Example:
//   FeedService feed(options, store, model_catalog, &scorer);
//   FORYOU_RETURN_IF_ERROR(feed.Load());
//   feed.Start();                                         // background embedding refresh
//   FORYOU_ASSIGN_OR_RETURN(FeedPage page, feed.Feed("u1", 10, now_ms));
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "catalog/catalog_store.h"
#include "common/thread_pool.h"
#include "feed/engagement.h"
#include "feed/rules.h"
#include "feed/scorer.h"
#include "feed/sources.h"
#include "feed/user_session.h"
#include "feed/video_index.h"
#include "feed/watch_next.h"
#include "stream/event.h"

namespace foryou::feed {

struct FeedOptions {
  RuleOptions rules;
  FreshPoolOptions fresh;
  EngagementOptions engagement;
  // value = sum over tasks of weight x predicted probability (watch ratio: its prediction).
  // Order: click, long_view, like, follow, comment, share, not_interested, watch_ratio.
  std::array<float, model::kNumTasks> weights = {0.5f, 1.0f, 2.0f, 3.0f, 2.0f, 3.0f, -4.0f, 1.0f};
  // Added to the value of a candidate found by a personal source, scaled by the session's
  // evidence for it (same_hashtag: the share of recent likes carrying its hashtag, 0.5 for a
  // sign-up interest; same_sound: the share of likes with its sound; following / similar: 1),
  // summed over its sources. The session's signals count at once, before the model retrains.
  // same_hashtag / same_sound are large enough that three likes of one hashtag visibly shift
  // the next page even for videos the model knows nothing about (docs/design/feed.md).
  std::array<float, static_cast<int>(Source::kNumSources)> source_bonus = {0, 0, 0.15f, 0.05f,
                                                                          0.2f, 0.5f, 0, 0};
  // Audience prior: value += popularity_weight x log(1 + e) / log(1 + e_max), where e is the
  // video's decayed engagement among everyone ("*") and e_max the largest among the candidates.
  // The model predicts what a user does once a video is shown; this adds how likely the crowd
  // finds it worth watching now (docs/design/feed.md, "Ranking").
  //
  // The watch-next prior adds watch_next_weight x (s - s_min), s = engagement_weight x
  // log(1 + e) + WatchNext's score (audience counters, co-visitation with the user's recent
  // videos, the sequence model), s_min the smallest among the candidates; s is log-scale. Off by
  // default (weight 0): on our own traffic an audience prior feeds back into what it counts and
  // drowns the user's taste (`foryou simulate`); on a mature platform's log (KuaiRand) it is what
  // predicts the next view (config/feed_kuairand.json; docs/design/feed.md).
  float popularity_weight = 1.0f;
  float watch_next_weight = 0.0f;
  float engagement_weight = 1.0f;
  WatchNextOptions watch_next;
  // Per-source quotas (Source order); their sum is the most candidates one request scores.
  std::array<int, static_cast<int>(Source::kNumSources)> quotas = {150, 60, 60, 150, 60,
                                                                   120, 80, 200};
  // When the sources find fewer, the rest is filled from the servable catalog (deeper in the
  // trending order, then at random) so ranking always has this many to choose from.
  int min_candidates = 500;
  int max_count = 50;             // largest page
  size_t seen_capacity = 5000;    // per user
  size_t recent_capacity = 20;    // positives / likes / skips kept per user
  int64_t embedding_refresh_ms = 2000;
  // One request's candidates are scored in this many parallel chunks (at least 128 candidates
  // each; 1 = on the request's thread only). Default: the machine's cores.
  int scoring_threads = 0;
  std::string surface = "foryou";  // the surface feed impressions are scored on
  int32_t utc_offset_minutes = 0;
  uint64_t seed = 1;
};

// Parses the "feed" section of the server config (JSON object; every key optional): weights
// {task name: number}, quotas {source name: int}, rules {creator_once_per, max_category_run,
// explore_share, not_interested_creator, ...}, fresh {max_age_ms, test_impressions,
// graduate_rate}, seen_capacity, surface. InvalidArgument naming the key for anything else.
[[nodiscard]] absl::Status ParseFeedOptions(const std::string& json, FeedOptions* options);

struct FeedItem {
  std::shared_ptr<const VideoEntry> entry;
  Candidate candidate;
  std::string reason;  // a short "why", e.g. "because you liked videos like this"
};

struct FeedPage {
  std::string request_id;
  std::string model_user;       // the user as the model keys them ("<id>" or "<id>#<epoch>")
  std::vector<FeedItem> items;
  int candidates = 0;           // retrieved and scored
  std::vector<uint64_t> retrieved;  // the retrieved video keys (dry runs only: record = false)
  int eligible = 0;             // after the eligibility rules
  RuleStats rules;
};

struct Explanation {
  std::string user, video;
  std::vector<std::string> sources;       // SourceName of each source that proposes it now
  std::vector<std::string> source_reasons;  // one sentence per source
  bool eligible = true;
  std::string ineligible_reason;          // when not eligible: which rule keeps it out
  Candidate candidate;                    // scores (probs, value, penalty, score)
  // Task contributions (weight x prediction), largest magnitude first, and in words.
  std::vector<std::pair<std::string, float>> contributions;
  std::vector<std::string> sentences;
};

class FeedService {
 public:
  // `store`, `model_catalog` and `scorer` must outlive the service.
  FeedService(FeedOptions options, catalog::CatalogStore* store,
              std::shared_ptr<const model::Catalog> model_catalog, const Scorer* scorer);
  ~FeedService();  // stops the background thread

  // Builds the video index from the store (and registers every video and user in the model's
  // catalog). Call once, before serving.
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
  // Why `video` would (or would not) be in `user`'s feed now.
  [[nodiscard]] absl::StatusOr<Explanation> Explain(std::string_view user, std::string_view video,
                                                    int64_t now_ms);
  // Starts the user over as a new user: a new model identity (epoch + 1), an empty session
  // (recent positives, not-interested signals, page tail) — keeping settings, filters, hidden
  // creators and the seen set.
  [[nodiscard]] absl::Status Refresh(std::string_view user);
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

  // ---- Introspection ----
  RuleStats rule_stats() const;
  std::shared_ptr<const VideoIndex::Snapshot> index() const { return index_.snapshot(); }
  EngagementStats& engagement() { return engagement_; }
  WatchNext& watch_next() { return watch_next_; }
  const FeedOptions& options() const { return options_; }
  uint64_t feeds_served() const { return feeds_served_.load(); }
  // The session of a user, copied (tests; the seen set for `replay --feed-hits-parts`).
  UserSession SessionOf(std::string_view user);

 private:
  struct Retrieved {
    std::vector<Candidate> candidates;
    std::vector<std::shared_ptr<const VideoEntry>> keep;  // keeps candidates' videos alive
    RetrievalContext ctx;
    std::shared_ptr<const VideoIndex::Snapshot> index;
    std::shared_ptr<const catalog::User> user;
    std::string model_user;
    UserFilters filters;
    NotInterested not_interested;
    std::vector<Candidate> tail;
    // The session's evidence per hashtag / sound (share of recent likes; interests 0.5).
    absl::flat_hash_map<uint64_t, float> hashtag_share, sound_share;
  };
  absl::Status Retrieve(std::string_view user, int64_t now_ms, uint64_t seed, Retrieved* r);
  absl::Status Rank(const Retrieved& r, int64_t now_ms, std::string_view surface,
                    std::vector<Candidate>* candidates) const;
  std::vector<std::string> RegionsOf(const catalog::User& user) const;
  std::string ReasonFor(const Candidate& c, const Retrieved& r) const;
  void PlaceFreshUpload(int count, int64_t now_ms, std::mt19937_64& rng,
                        std::vector<Candidate>* ranked) const;
  void RefreshLoop();

  const FeedOptions options_;
  catalog::CatalogStore* store_;
  std::shared_ptr<const model::Catalog> model_catalog_;
  const Scorer* scorer_;
  std::vector<std::unique_ptr<CandidateSource>> sources_;
  VideoIndex index_;
  EngagementStats engagement_;
  mutable WatchNext watch_next_;  // scoring refreshes its caches
  UserSessions sessions_;

  mutable std::mutex users_mu_;  // guards users_ and serialises user writes
  absl::flat_hash_map<std::string, std::shared_ptr<const catalog::User>> users_;

  mutable std::mutex embeddings_mu_;
  std::shared_ptr<const EmbeddingMatrix> embeddings_;

  mutable std::mutex stats_mu_;
  RuleStats rule_stats_;
  std::atomic<uint64_t> feeds_served_{0}, request_counter_{0};

  std::unique_ptr<common::ThreadPool> scoring_pool_;  // scoring_threads - 1 workers
  std::mutex thread_mu_;
  std::condition_variable thread_cv_;
  bool stop_ = false;
  std::thread thread_;
};

// The model's identity of a user: "<id>", or "<id>#<epoch>" after a refresh.
std::string ModelUserOf(const catalog::User& user);
// The model's catalog (features' view) of every video and user in the store.
[[nodiscard]] absl::StatusOr<std::shared_ptr<model::Catalog>> BuildModelCatalog(
    catalog::CatalogStore& store);

// "long_view" -> "watch most of it", etc.: the words for a task in explanations.
std::string_view TaskWords(int task);

}  // namespace foryou::feed
