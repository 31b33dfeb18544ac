// ApiServer: routes of docs/api.md over HttpServer (see the header).
#include "server/api_server.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "server/api_handlers.h"
#include "server/http_status.h"
#include "server/memory_gauges.h"

namespace foryou::server {

ApiServer::ApiServer(ServerOptions options, ServerDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      http_(std::make_unique<HttpServer>(
          HttpServerOptions{.bind = options_.bind,
                            .port = options_.port,
                            .threads = options_.threads,
                            .listen_backlog = options_.listen_backlog,
                            .max_header_bytes = options_.max_header_bytes,
                            .max_body_bytes = options_.max_body_bytes,
                            .request_timeout_ms = options_.request_timeout_ms,
                            .idle_timeout_ms = options_.idle_timeout_ms,
                            .write_timeout_ms = options_.write_timeout_ms,
                            .max_connections_per_address = options_.max_connections_per_address,
                            .max_connections = options_.max_connections})),
      address_limiter_(options_.address_limit),
      key_limiter_(options_.key_limit),
      user_limiter_(options_.user_limit),
      account_limiter_(options_.account_limit),
      public_feed_limiter_(options_.public_feed_limit),
      signin_handle_limiter_(options_.signin_handle_limit),
      signin_address_limiter_(options_.signin_address_limit),
      m_(std::make_unique<Instruments>()) {
  m_->latency = &metrics_.AddHistogramFamily("foryou_http_request_seconds",
                                             "HTTP request latency by route", {"route"});
  m_->requests = &metrics_.AddCounterFamily("foryou_http_requests_total",
                                            "HTTP requests by route and status code",
                                            {"route", "code"});
  m_->events = &metrics_.AddCounterFamily("foryou_events_total",
                                          "Events accepted into the log, by type", {"type"});
  m_->events_rejected = &metrics_.AddCounter("foryou_events_rejected_total",
                                             "Events refused (invalid, unknown user or video)");
  m_->freshness = &metrics_.AddHistogram(
      "foryou_model_freshness_seconds_hist",
      "Event acknowledged -> absorbed by the serving model, per sync",
      {0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30});
  metrics_.AddGaugeFunction("foryou_model_freshness_seconds",
                            "Lag of the last event batch absorbed by the serving model",
                            [this] { return freshness_s_.load(); });
  realtime::RealtimeLoop* loop = deps_.loop;
  metrics_.AddGaugeFunction("foryou_serving_offset", "Events absorbed by the serving model",
                            [loop] { return static_cast<double>(loop->serving_offset()); });
  metrics_.AddGaugeFunction(
      "foryou_storage_faults", "Current storage faults (0 = healthy)",
      [loop] { return static_cast<double>(loop->storage_health().faults.size()); });
  metrics_.AddGaugeFunction(
      "foryou_log_append_failures_total", "Event batches refused by a log write error",
      [loop] { return static_cast<double>(loop->storage_health().append_failures); });
  metrics_.AddGaugeFunction("foryou_snapshot_failures_total", "Failed snapshot attempts", [loop] {
    return static_cast<double>(loop->storage_health().snapshot_failures);
  });
  metrics_.AddGaugeFunction(
      "foryou_log_recovery_dropped_bytes", "Damaged log bytes skipped by recovery at start",
      [loop] { return static_cast<double>(loop->storage_health().log_dropped_bytes); });
  metrics_.AddGaugeFunction(
      "foryou_log_lost_records", "Records of sealed log segments lost to damage (found at start)",
      [loop] { return static_cast<double>(loop->storage_health().log_lost_records); });
  metrics_.AddGaugeFunction(
      "foryou_late_store_failures_total", "Failed reads and writes of the joiner's late store",
      [loop] { return static_cast<double>(loop->storage_health().late_store_failures); });
  metrics_.AddGaugeFunction("foryou_log_end_offset", "Events in the durable log",
                            [loop] { return static_cast<double>(loop->end_offset()); });
  metrics_.AddGaugeFunction("foryou_table_rows", "Rows of the serving embedding table", [loop] {
    return static_cast<double>(loop->serving().shared_table()->Stats().rows);
  });
  metrics_.AddGaugeFunction("foryou_table_bytes", "Bytes of the serving embedding table", [loop] {
    return static_cast<double>(loop->serving().shared_table()->Stats().bytes);
  });
  metrics_.AddGaugeFunction("foryou_examples_trained_total", "Examples the trainer learned from",
                            [loop] { return static_cast<double>(loop->stats().examples_trained); });
  for (int t = 0; t < model::kNumTasks; ++t) {
    metrics_.AddGaugeFunction(
        absl::StrCat("foryou_online_auc_", model::kTaskNames[t]),
        absl::StrCat("Progressive AUC of ", model::kTaskNames[t], " over the recent window"),
        [loop, t] {
          const double a = loop->live_quality().auc[t];
          return std::isnan(a) ? 0.0 : a;
        });
  }
  feed::FeedService* feed = deps_.feed;
  metrics_.AddGaugeFunction("foryou_feeds_served_total", "Feed pages served",
                            [feed] { return static_cast<double>(feed->feeds_served()); });
  metrics_.AddGaugeFunction("foryou_watch_next_pairs", "Co-visitation pairs of the watch-next model",
                            [feed] { return static_cast<double>(feed->watch_next().stats().covis_pairs); });
  metrics_.AddGaugeFunction("foryou_watch_next_users", "Users the watch-next model keeps state for",
                            [feed] { return static_cast<double>(feed->watch_next().stats().users); });
  metrics_.AddGaugeFunction("foryou_watch_next_users_forgotten_total",
                            "Least recently active users the watch-next model forgot (max_users)",
                            [feed] {
                              return static_cast<double>(feed->watch_next().stats().users_forgotten);
                            });
  metrics_.AddGaugeFunction("foryou_watch_next_train_steps_total",
                            "Training steps of the watch-next sequence model", [feed] {
                              return static_cast<double>(feed->watch_next().stats().train_steps);
                            });
  metrics_.AddGaugeFunction("foryou_watch_next_loss",
                            "Sampled-softmax loss of the watch-next model's last training step",
                            [feed] { return feed->watch_next().stats().last_loss; });
  metrics_.AddGaugeFunction("foryou_watch_next_item_item_fits_total",
                            "Fits of the watch-next item-item model (0 while it is off)", [feed] {
                              return static_cast<double>(feed->watch_next().stats().item_item_fits);
                            });
  metrics_.AddGaugeFunction("foryou_watch_next_item_item_weights",
                            "Weights kept by the last item-item fit", [feed] {
                              return static_cast<double>(feed->watch_next().stats().item_item_weights);
                            });
  AddMemoryGauges(&metrics_, feed, loop);
  metrics_.AddGaugeFunction("foryou_catalog_videos", "Videos in the catalog", [this] {
    return static_cast<double>(deps_.store->num_videos());
  });
  metrics_.AddGaugeFunction("foryou_catalog_users", "Users in the catalog", [this] {
    return static_cast<double>(deps_.store->num_users());
  });
  for (const auto& [name, field] : kRules) {
    metrics_.AddGaugeFunction(absl::StrCat("foryou_rule_", name, "_total"),
                              absl::StrCat("Times the feed rule '", name, "' fired"),
                              [feed, field = field] { return static_cast<double>(feed->rule_stats().*field); });
  }
  for (int t = 1; t <= stream::kNumEventTypes; ++t) {
    m_->events_by_type[t] = &m_->events->WithLabels(
        {std::string(stream::EventTypeName(static_cast<stream::EventType>(t)))});
  }
  stats_ = std::make_unique<StatsSampler>(
      StatsSamplerOptions{.interval_ms = options_.stats_interval_ms, .keep = options_.stats_keep},
      [this] { return ReadTotals(); });
  deps_.loop->SetSyncObserver([this](uint64_t offset) { OnSync(offset); });
  Routes();
}

StatsTotals ApiServer::ReadTotals() const {
  StatsTotals t;
  for (int type = 1; type <= stream::kNumEventTypes; ++type) {
    t.events.emplace_back(stream::EventTypeName(static_cast<stream::EventType>(type)),
                          m_->events_by_type[type]->Value());
  }
  const realtime::LiveQuality quality = deps_.loop->live_quality();
  for (int task = 0; task < model::kNumTasks; ++task) {
    t.auc.emplace_back(model::kTaskNames[task], quality.auc[task]);
  }
  t.freshness_ms = freshness_s_.load() * 1000.0;
  const auto table = deps_.loop->serving().shared_table()->Stats();
  t.table_rows = table.rows;
  t.table_bytes = table.bytes;
  const feed::RuleStats rules = deps_.feed->rule_stats();
  for (const auto& [name, field] : kRules) t.rules.emplace_back(name, rules.*field);
  return t;
}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::OnSync(uint64_t serving_offset) {
  int64_t ingested_ms = -1;
  {
    common::MutexLock lock(&ingest_mu_);
    while (!ingest_times_.empty() && ingest_times_.front().first <= serving_offset) {
      ingested_ms = ingest_times_.front().second;
      ingest_times_.pop_front();
    }
  }
  if (ingested_ms < 0) return;
  const double lag = static_cast<double>(common::WallMs() - ingested_ms) / 1000.0;
  freshness_s_.store(lag);
  m_->freshness->Observe(lag);
}

absl::Status ApiServer::Start() {
  if (started_) return absl::FailedPreconditionError("server already started");
  if (absl::Status st = http_->Start(); !st.ok()) return st;
  started_ = true;
  port_ = http_->port();
  stats_->Start();
  return absl::OkStatus();
}

void ApiServer::Stop() {
  stats_->Stop();
  if (started_) {
    http_->Stop();
    started_ = false;
  }
}

// Wraps a handler with the address limit, auth (key or session), the key's or account's
// limit, timing, metrics, audit and exception safety.
ApiServer::Handler ApiServer::Route(std::string name, std::optional<Role> need, Handler fn) {
  return RouteAs(std::move(name), need,
                 [fn = std::move(fn)](const HttpRequest& req, HttpResponse& res,
                                      const Caller&) { fn(req, res); });
}

ApiServer::Handler ApiServer::RouteAs(std::string name, std::optional<Role> need,
                                      CallerHandler fn) {
  Histogram* latency = &m_->latency->WithLabels({name});
  const bool is_feed = name == "/v1/feed";  // the dashboard's feed latency quantiles
  return [this, name, need, fn = std::move(fn), latency, is_feed](const HttpRequest& req,
                                                                   HttpResponse& res) {
    const auto start = std::chrono::steady_clock::now();
    Caller caller;
    [&] {
      if (need.has_value()) {
        int64_t retry_ms = 0;
        if (!address_limiter_.Allow(req.remote_addr, &retry_ms)) {
          res.set_header("Retry-After", std::to_string((retry_ms + 999) / 1000));
          return SendError(res, absl::ResourceExhaustedError(
                                    "rate limit exceeded for this client address"));
        }
        if (!Authorize(req, res, *need, &caller)) return;
      }
      try {
        fn(req, res, caller);
      } catch (const std::exception& e) {
        std::cerr << "foryou serve: " << name << ": " << e.what() << "\n";
        SendError(res, absl::InternalError(e.what()));
      }
    }();
    if (need.has_value()) AuditRequest(name, *need, req, res, caller);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    latency->Observe(seconds);
    if (is_feed && res.status == 200) stats_->RecordFeedLatency(seconds * 1000.0);
    m_->requests->WithLabels({name, std::to_string(res.status)}).Inc();
  };
}

ApiServer::Handler ApiServer::PublicRoute(std::string name, CallerHandler fn) {
  return RouteAs(std::move(name), std::nullopt, [this, fn = std::move(fn)](
                                                    const HttpRequest& req, HttpResponse& res,
                                                    const Caller&) {
    int64_t retry_ms = 0;
    if (!address_limiter_.Allow(req.remote_addr, &retry_ms)) {
      res.set_header("Retry-After", std::to_string((retry_ms + 999) / 1000));
      return SendError(res,
                       absl::ResourceExhaustedError("rate limit exceeded for this client address"));
    }
    Caller caller;
    if (!AuthorizePublic(req, res, &caller)) return;
    fn(req, res, caller);
  });
}

void ApiServer::Routes() {
  HttpServer& s = *http_;
  // JSON for errors the HttpServer answers itself.
  s.set_error_handler([](const HttpRequest&, HttpResponse& res) {
    if (!res.body.empty()) return;
    const char* code = "bad_request";
    const char* msg = "bad request (malformed, or a path with NUL or \"..\")";
    switch (res.status) {
      case 404: code = "not_found", msg = "no such route"; break;
      case 413: code = "payload_too_large", msg = "request body too large"; break;
      case 416: code = "range_not_satisfiable", msg = "no satisfiable byte range"; break;
      case 429:
        code = "too_many_connections", msg = "too many connections from this address";
        break;
      case 431: code = "header_too_large", msg = "request headers too large"; break;
      case 500: code = "internal", msg = "internal error"; break;
      case 503: code = "unavailable", msg = "too many connections"; break;
      default: break;
    }
    res.set_content(ErrorBody(code, msg), kJson);
  });

  s.Get("/healthz", Route("/healthz", std::nullopt, [this](const auto&, auto& res) {
    const absl::Status st = deps_.loop->status();
    const realtime::StorageHealth storage = deps_.loop->storage_health();
    const bool ok = st.ok() && storage.faults.empty();
    json body = {{"status", ok ? "ok" : "degraded"},
                 {"serving_offset", deps_.loop->serving_offset()},
                 {"log_end_offset", deps_.loop->end_offset()},
                 {"videos", deps_.store->num_videos()},
                 {"users", deps_.store->num_users()}};
    // What the serving model has absorbed: records applied and their checksum (kill tests
    // compare them with the whole stream's).
    const realtime::Ledger ledger = deps_.loop->served_ledger();
    body["ledger"] = {{"events", ledger.events}, {"checksum", ledger.checksum}};
    if (!st.ok()) body["trainer_error"] = st.ToString();
    if (!storage.faults.empty()) body["storage_faults"] = storage.faults;
    // Degraded (the trainer stopped, a storage fault) is Unavailable to a load balancer.
    SendJson(res, HttpCode(ok ? absl::OkStatus() : absl::UnavailableError("degraded")), body);
  }));
  s.Get("/metrics", Route("/metrics", std::nullopt, [this](const auto&, auto& res) {
    res.set_content(metrics_.Render(), "text/plain; version=0.0.4");
  }));

  CatalogRoutes();
  FeedRoutes();
  MeRoutes();
  SocialRoutes();
  PeopleRoutes();
  AccountRoutes();
  WebRoutes();
  SearchRoutes();
  ModerationRoutes();
  UploadRoutes();
  ChallengeRoutes();
  AdsRoutes();
}

}  // namespace foryou::server
