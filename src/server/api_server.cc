// ApiServer: routes of docs/api.md over cpp-httplib (see the header).
#include "server/api_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "server/api_handlers.h"
#include "server/http_status.h"

namespace foryou::server {

ApiServer::ApiServer(ServerOptions options, ServerDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      http_(std::make_unique<httplib::Server>()),
      key_limiter_(options_.key_limit),
      user_limiter_(options_.user_limit),
      account_limiter_(options_.account_limit),
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
  metrics_.AddGaugeFunction("foryou_log_end_offset", "Events in the durable log",
                            [loop] { return static_cast<double>(loop->log().EndOffset()); });
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
  if (thread_.joinable()) return absl::FailedPreconditionError("server already started");
  const int threads = std::max(1, options_.threads);
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_payload_max_length(options_.max_body_bytes);
  http_->set_keep_alive_max_count(1000);
  http_->set_read_timeout(10, 0);
  // A request with neither Content-Length nor Transfer-Encoding has an empty body (RFC 9112,
  // section 6.3: `curl -X POST URL` sends one), but cpp-httplib 0.11 reads the body of such a
  // POST until the connection closes, so the client would wait for the read timeout and get a
  // 400. The pre-routing handler runs before the body is read: give those requests their zero
  // length. (The Request is the server's own non-const object; the handler type only sees it
  // as const.)
  http_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
      const_cast<httplib::Request&>(req).headers.emplace("Content-Length", "0");
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Responses go out as headers + body: without TCP_NODELAY, Nagle holds the body until the
  // client's delayed ACK (40 ms on Linux) — measured: a 48 ms p50 feed that needed 8 ms of CPU.
  http_->set_tcp_nodelay(true);
  // cpp-httplib 0.11 listens with a backlog of 5 and drops bursts of new connections; catch the
  // socket as it is made and listen again with a real backlog once bound (Linux allows raising
  // it on a listening socket).
  int listen_fd = -1;
  http_->set_socket_options([&listen_fd](int fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd = fd;
  });
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.bind);
    if (port_ <= 0) return absl::UnavailableError(absl::StrCat("cannot bind ", options_.bind));
  } else {
    if (!http_->bind_to_port(options_.bind, options_.port)) {
      return absl::UnavailableError(
          absl::StrCat("cannot bind ", options_.bind, ":", options_.port, " (in use?)"));
    }
    port_ = options_.port;
  }
  if (listen_fd >= 0) ::listen(listen_fd, options_.listen_backlog);
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  stats_->Start();
  // Accepting as soon as bind returned (the socket listens); wait until the loop runs.
  for (int i = 0; i < 2000 && !http_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::OkStatus();
}

void ApiServer::Stop() {
  stats_->Stop();
  if (thread_.joinable()) {
    http_->stop();
    thread_.join();
  }
}

// Wraps a handler with auth, rate limit, timing, metrics, audit and exception safety.
ApiServer::Handler ApiServer::Route(std::string name, std::optional<Role> need, Handler fn) {
  return RouteAs(std::move(name), need,
                 [fn = std::move(fn)](const httplib::Request& req, httplib::Response& res,
                                      const Caller&) { fn(req, res); });
}

ApiServer::Handler ApiServer::RouteAs(std::string name, std::optional<Role> need,
                                      CallerHandler fn) {
  Histogram* latency = &m_->latency->WithLabels({name});
  const bool is_feed = name == "/v1/feed";  // the dashboard's feed latency quantiles
  return [this, name, need, fn = std::move(fn), latency, is_feed](const httplib::Request& req,
                                                                   httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    Caller caller;
    [&] {
      if (need.has_value() && !Authorize(req, res, *need, &caller)) return;
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

void ApiServer::Routes() {
  httplib::Server& s = *http_;
  // JSON for errors httplib answers itself (404 of an unknown route, 413, 400 of a bad request).
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const char* code = res.status == 413 ? "payload_too_large"
                       : res.status == 404 ? "not_found"
                       : res.status == 405 ? "method_not_allowed"
                                           : "bad_request";
    const std::string msg = res.status == 413   ? "request body too large"
                            : res.status == 404 ? "no such route"
                                                : "bad request";
    res.set_content(ErrorBody(code, msg), kJson);
  });

  s.Get("/healthz", Route("/healthz", std::nullopt, [this](const auto&, auto& res) {
    const absl::Status st = deps_.loop->status();
    json body = {{"status", st.ok() ? "ok" : "degraded"},
                 {"serving_offset", deps_.loop->serving_offset()},
                 {"log_end_offset", deps_.loop->log().EndOffset()},
                 {"videos", deps_.store->num_videos()},
                 {"users", deps_.store->num_users()}};
    if (!st.ok()) body["trainer_error"] = st.ToString();
    // Degraded (the trainer stopped) is Unavailable to a load balancer, whatever st's code.
    SendJson(res, HttpCode(st.ok() ? absl::OkStatus() : absl::UnavailableError("degraded")), body);
  }));
  s.Get("/metrics", Route("/metrics", std::nullopt, [this](const auto&, auto& res) {
    res.set_content(metrics_.Render(), "text/plain; version=0.0.4");
  }));

  CatalogRoutes();
  FeedRoutes();
  MeRoutes();
  AccountRoutes();
  WebRoutes();
}

}  // namespace foryou::server
