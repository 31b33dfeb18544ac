// ApiServer: the HTTP JSON API of `foryou serve` (docs/api.md) over HttpServer: catalog,
// moderation, settings and dashboard stats (admin key), feed, explain, refresh, events and the
// hashtag list (app key), health, Prometheus metrics, the web app and media files (no key).
// Every request is authenticated, rate limited (per client address and per key), size limited,
// given a deadline and timed; every error is a JSON
// body with one HTTP code chosen in http_status.cc. Handlers never throw out and never crash on
// input: a handler's exception becomes a 500. A sampler thread keeps the dashboard's time series.
//
// Threading: HttpServer's io threads run handlers concurrently; everything they touch
// (FeedService, RealtimeLoop::Ingest, CatalogStore, the metrics) is thread-safe.
//
// Example:
//   ApiServer server(options, {&feed, loop.get(), store.get(), keys});
//   FORYOU_RETURN_IF_ERROR(server.Start());   // binds, serves on its io threads
//   ... server.port() ...
//   server.Stop();
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "accounts/account_service.h"
#include "ads/ads_store.h"
#include "ads/ledger.h"
#include "ads/pacer.h"
#include "catalog/catalog_store.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "feed/ad_stage.h"
#include "feed/feed_service.h"
#include "nlohmann/json_fwd.hpp"
#include "server/api_keys.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/rate_limiter.h"
#include "server/stats_sampler.h"
#include "realtime/realtime_loop.h"
#include "social/social_store.h"
#include "search/search_index.h"
#include "moderation/moderation_service.h"
#include "uploads/upload_service.h"

namespace foryou::server {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;  // 0 = any free port (tests)
  // io threads: the requests handled at once. A connection holds no thread while it waits for a
  // client (docs/design/server.md).
  int threads = 16;
  int listen_backlog = 1024;
  size_t max_header_bytes = 16 * 1024;  // request line + headers; larger: 431
  size_t max_body_bytes = 1 << 20;      // any method's body; larger: 413 before reading it
  // A request's headers and body must arrive within this time of its first byte (else the
  // connection is closed); an idle keep-alive connection is closed after idle_timeout_ms; each
  // write of a response (or of a 64 KiB piece of a file) must finish within write_timeout_ms.
  int64_t request_timeout_ms = 10'000;
  int64_t idle_timeout_ms = 30'000;
  int64_t write_timeout_ms = 30'000;
  // Connections open at once per client address (past it: 429 and close) and in all (503).
  int max_connections_per_address = 256;
  int max_connections = 10'000;
  // Requests per client address on the API routes (/v1/...), checked before the key: one
  // address cannot use up a shared app key's bucket, nor guess keys quickly. Behind a proxy every
  // client has the proxy's address: raise it or put the limit in the proxy.
  RateLimiterOptions address_limit{.rate_per_s = 2000, .burst = 4000};
  RateLimiterOptions key_limit{.rate_per_s = 5000, .burst = 10000};  // per API key
  RateLimiterOptions user_limit{.rate_per_s = 20, .burst = 40};       // feed requests per user
  // Logged-out feed pages (GET /v1/feed without a key or session) per client address.
  RateLimiterOptions public_feed_limit{.rate_per_s = 2, .burst = 20};
  // Requests per signed-in account (every route called with its session token).
  RateLimiterOptions account_limit{.rate_per_s = 50, .burst = 100};
  // Sign-in attempts per handle, and sign-in + sign-up attempts per client address.
  RateLimiterOptions signin_handle_limit{.rate_per_s = 0.1, .burst = 10};
  RateLimiterOptions signin_address_limit{.rate_per_s = 0.5, .burst = 30};
  // The web app, served at / when set (index.html for /); `GET /dashboard` answers its
  // dashboard.html.
  std::string static_dir;
  // Video files served at /media/ without an API key (a <video> element cannot send headers),
  // with HTTP Range requests (206). "" = no /media/.
  std::string media_dir;
  // The admin dashboard's sampler (`GET /v1/admin/stats`): a sample every interval, the last
  // `stats_keep` kept.
  int64_t stats_interval_ms = 2000;
  size_t stats_keep = 300;
  // The time the handlers act at (ms since the Unix epoch): feed ranking, event validation,
  // sign-up and upload times. Null = the system clock. `foryou simulate` runs a virtual one.
  std::function<int64_t()> clock;
};

struct ServerDeps {
  feed::FeedService* feed;
  realtime::RealtimeLoop* loop;
  catalog::CatalogStore* store;
  ApiKeys keys;
  // Accounts, session tokens and the audit log. Null = keys only: no /v1/auth routes, no
  // tokens, no audit log.
  accounts::AccountService* accounts = nullptr;
  // Counts, comments, follows, profiles and inboxes (api_server_social.cc). Null = none of
  // those routes, and no counts on videos and feed items.
  social::SocialStore* social = nullptr;
  // GET /v1/search. Null: the route answers 503.
  search::SearchIndex* search = nullptr;
  // The moderation state machine (api_server_moderation.cc): the review queue, decisions,
  // appeals, histories, viewers' reports, and videos created pending entering review. Null =
  // none of those routes, and reports only reach the model.
  moderation::ModerationService* moderation = nullptr;
  // The videos like one video (the duplicate index's lookup), shown with it in the review
  // queue. Null = none shown.
  std::function<std::vector<moderation::DuplicateMatch>(std::string_view video)> similar_videos;
  // Uploads, media jobs and the creator's videos (api_server_uploads.cc). Null = no such routes.
  uploads::UploadService* uploads = nullptr;
  // The ads engine (api_server_ads.cc): the Ads Manager's records, conversions and reports. Null
  // = no /v1/ads routes and no /v1/conversions.
  ads::AdsStore* ads = nullptr;
  ads::Ledger* ads_ledger = nullptr;
  ads::Pacer* ads_pacer = nullptr;
  // The For You feed's ads (feed/ad_stage.h): placed in pages, billed from events. Null = none.
  feed::AdStage* ad_stage = nullptr;
};

// Who made a request (ApiServer::Authorize): an API key, a signed-in account, or nobody (a
// route without a key).
struct Caller {
  const ApiKeys::Entry* key = nullptr;         // the key's entry, when a key was sent
  std::optional<accounts::Session> session;    // the account, when a session token was sent
  // "key:<name>", "account:<handle>" or "anonymous", for the audit log.
  std::string Who() const;
};

// OK if `caller` may act as `user`: an API key may act for any user (trusted server-to-server
// clients); a session only as its own account's user. PermissionDenied otherwise.
[[nodiscard]] absl::Status ActsAs(const Caller& caller, std::string_view user);

class ApiServer {
 public:
  ApiServer(ServerOptions options, ServerDeps deps);
  ~ApiServer();  // stops

  // Binds and starts serving on the io threads. Errors: Unavailable if the address cannot
  // be bound.
  [[nodiscard]] absl::Status Start();
  void Stop();
  int port() const { return port_; }
  Registry& metrics() { return metrics_; }
  // The dashboard's sampler: tests take a sample with SampleNow() instead of waiting for one.
  StatsSampler& stats_sampler() { return *stats_; }

 private:
  using Handler = HttpHandler;
  using CallerHandler =
      std::function<void(const HttpRequest&, HttpResponse&, const Caller&)>;
  // `fn` wrapped with, when `need` is set, the address's rate limit, the key or session check
  // and the key's or account's rate limit; and timing, the request metrics under `name`, the
  // audit log (admin and moderator routes) and exception safety.
  Handler Route(std::string name, std::optional<Role> need, Handler fn);
  // The same for a handler that needs to know who called.
  Handler RouteAs(std::string name, std::optional<Role> need, CallerHandler fn);
  // A public read: the address's rate limit, then the caller as AuthorizePublic finds it (a key,
  // a session, or anonymous), then `fn`; timing and metrics as for every route.
  Handler PublicRoute(std::string name, CallerHandler fn);
  // Finds the request's key or session token (api_server_accounts.cc), checks it grants `need`
  // and takes a token from its rate limit. False after sending the error (401, 403, 429);
  // `caller` is filled as far as it was found (for the audit log).
  bool Authorize(const HttpRequest& req, HttpResponse& res, Role need, Caller* caller);
  // The caller of a public read: a key or an Authorization header (of any scheme) is checked as
  // by Authorize (app role); a session cookie that no longer authenticates (expired, signed out
  // elsewhere) reads as anonymous, as /v1/auth/me answers signed out for it; no credential is
  // anonymous. False after sending the error.
  bool AuthorizePublic(const HttpRequest& req, HttpResponse& res, Caller* caller);
  // Who a request's key, bearer token or session cookie names, without answering it: nullopt
  // when it carries none or one that does not authenticate. No rate limit is taken.
  std::optional<Caller> Identify(const HttpRequest& req);
  // The /media/ rule of processed uploads (api_server_media.cc): true if `rest`
  // ("<video>/<file>") may be served to `req`, with its Cache-Control set on `res`.
  bool MayReadMedia(const HttpRequest& req, std::string_view rest, HttpResponse& res);
  // Writes the audit record of a request to an admin or moderator route.
  void AuditRequest(const std::string& name, Role need, const HttpRequest& req,
                    const HttpResponse& res, const Caller& caller);
  void AccountRoutes();  // sign-up, sign-in, sessions, roles, audit (api_server_accounts.cc)
  void Routes();         // health, metrics, then the three groups below (api_server.cc)
  void CatalogRoutes();  // users, videos, pages, hashtags (api_server_catalog.cc)
  void FeedRoutes();     // feed, explain, events (api_server_feed.cc)
  void WebRoutes();      // admin stats, media, the web app (api_server_web.cc)
  void MeRoutes();       // a user's data export and account deletion (api_server_me.cc)
  // Comments and counts (api_server_social.cc); profiles, follows, the Following feed and the
  // inbox (api_server_people.cc).
  void SocialRoutes();
  void PeopleRoutes();
  // Applies the log's new events to the social store (after an ingest; errors go to stderr:
  // the events are in the log, and the next catch-up applies them).
  void CatchUpSocial();
  // Adds "counts" and, for `viewer` (when not ""), "liked", "favorited" and "following" to each
  // feed item (objects with "video" and "creator").
  void AddSocialFields(nlohmann::json* items, const std::string& viewer);
  void SearchRoutes();   // search as you type (api_server_search.cc)
  // The review queue, decisions, appeals and histories (api_server_moderation.cc).
  void ModerationRoutes();
  // Counts the accepted events' reports in the moderation machine (errors go to stderr: the
  // reports are in the log and reached the model; the machine misses them).
  void CountReports(const std::vector<stream::Event>& events);
  void UploadRoutes();   // uploads and the creator's videos (api_server_uploads.cc)
  void ChallengeRoutes();  // hashtag challenges (api_server_challenges.cc)
  // The Ads Manager (api_server_ads.cc): accounts, campaigns, ad groups, ads and approvals;
  // conversions and reports (api_server_ads_delivery.cc).
  void AdsRoutes();
  void AdsDeliveryRoutes();
  void AdsAudienceRoutes();
  // An ads route: `fn` runs only for an advertiser or admin (ads_access.h), and every request
  // but a GET goes to the audit log.
  Handler AdsRoute(std::string name, CallerHandler fn);
  void OnSync(uint64_t serving_offset);
  StatsTotals ReadTotals() const;
  int64_t Now() const { return options_.clock ? options_.clock() : common::WallMs(); }

  ServerOptions options_;
  ServerDeps deps_;
  std::unique_ptr<HttpServer> http_;
  bool started_ = false;
  int port_ = 0;
  RateLimiter address_limiter_, key_limiter_, user_limiter_, account_limiter_;
  RateLimiter public_feed_limiter_;
  RateLimiter signin_handle_limiter_, signin_address_limiter_;
  Registry metrics_;
  // Ingest times of event batches not yet absorbed by the serving model: (end offset, wall ms).
  common::Mutex ingest_mu_;
  std::deque<std::pair<uint64_t, int64_t>> ingest_times_ ABSL_GUARDED_BY(ingest_mu_);
  std::atomic<double> freshness_s_{0};
  struct Instruments;
  std::unique_ptr<Instruments> m_;
  std::unique_ptr<StatsSampler> stats_;
};

}  // namespace foryou::server
