// ApiServer: routes of docs/api.md over cpp-httplib (see the header).
#include "server/api_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog_json.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "nlohmann/json.hpp"
#include "server/http_status.h"
#include "stream/joiner.h"

namespace foryou::server {

using nlohmann::json;

struct ApiServer::Instruments {
  Family<Histogram>* latency;
  Family<Counter>* requests;
  Family<Counter>* events;
  Counter* events_rejected;
  Histogram* freshness;
  // foryou_events_total{type} by stream::EventType value (1..kNumEventTypes), created up front
  // so that the dashboard sampler reads every type without the family's lock.
  std::array<Counter*, stream::kNumEventTypes + 1> events_by_type{};
};

namespace {

constexpr const char* kJson = "application/json";

void SendJson(httplib::Response& res, int code, const json& body) {
  res.status = code;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), kJson);
}

void SendError(httplib::Response& res, const absl::Status& status) {
  res.status = HttpCode(status);
  res.set_content(ErrorBody(status), kJson);
}

std::optional<std::string> ApiKeyOf(const httplib::Request& req) {
  if (req.has_header("X-Api-Key")) return req.get_header_value("X-Api-Key");
  if (req.has_header("Authorization")) {
    const std::string v = req.get_header_value("Authorization");
    if (v.rfind("Bearer ", 0) == 0) return v.substr(7);
  }
  if (req.has_param("key")) return req.get_param_value("key");  // sendBeacon cannot set headers
  return std::nullopt;
}

absl::StatusOr<json> ParseBody(const httplib::Request& req) {
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("body: not valid JSON");
  return j;
}

absl::StatusOr<int> IntParam(const httplib::Request& req, const std::string& name, int fallback,
                             int lo, int hi) {
  if (!req.has_param(name)) return fallback;
  int v = 0;
  const std::string s = req.get_param_value(name);
  if (!absl::SimpleAtoi(s, &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": must be an integer in [", lo, ", ", hi, "]"));
  }
  return v;
}

absl::StatusOr<std::string> RequiredParam(const httplib::Request& req, const std::string& name) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": required"));
  }
  std::string v = req.get_param_value(name);
  if (absl::Status s = catalog::ValidateId(name, v); !s.ok()) return s;
  return v;
}

// The feed rule counters, as /metrics and the dashboard name them.
constexpr std::pair<const char*, uint64_t feed::RuleStats::*> kRules[] = {
    {"moderation", &feed::RuleStats::moderation},
    {"seen", &feed::RuleStats::seen},
    {"hidden_creator", &feed::RuleStats::hidden_creator},
    {"hidden_sound", &feed::RuleStats::hidden_sound},
    {"keyword", &feed::RuleStats::keyword},
    {"not_interested", &feed::RuleStats::not_interested},
    {"creator_spacing", &feed::RuleStats::creator_spacing},
    {"sound_spacing", &feed::RuleStats::sound_spacing},
    {"category_run", &feed::RuleStats::category_run},
    {"explore_inserted", &feed::RuleStats::explore_inserted}};

json ItemJson(const feed::FeedItem& item, int position, const feed::FeedOptions& options) {
  const catalog::Video& v = item.entry->video;
  const feed::Candidate& c = item.candidate;
  json parts = json::object(), probs = json::object();
  for (int t = 0; t < model::kNumTasks; ++t) {
    probs[model::kTaskNames[t]] = c.probs[t];
    parts[model::kTaskNames[t]] = options.weights[t] * c.probs[t];
  }
  parts["source_bonus"] = c.bonus;
  json sources = json::array();
  for (int s = 0; s < static_cast<int>(feed::Source::kNumSources); ++s) {
    if (c.from(static_cast<feed::Source>(s))) sources.push_back(feed::SourceName(static_cast<feed::Source>(s)));
  }
  return {{"position", position},     {"video", v.id},           {"creator", v.creator},
          {"sound", v.sound},         {"hashtags", v.hashtags},  {"caption", v.caption},
          {"duration_ms", v.duration_ms}, {"media_url", v.media_url},
          {"score", c.score},         {"value", c.value},        {"penalty", c.penalty},
          {"parts", parts},           {"probs", probs},          {"sources", sources},
          {"reason", item.reason}};
}

}  // namespace

ApiServer::ApiServer(ServerOptions options, ServerDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      http_(std::make_unique<httplib::Server>()),
      key_limiter_(options_.key_limit),
      user_limiter_(options_.user_limit),
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
  stream::RealtimeLoop* loop = deps_.loop;
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
  const stream::LiveQuality quality = deps_.loop->live_quality();
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
    std::lock_guard lock(ingest_mu_);
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

void ApiServer::Routes() {
  httplib::Server& s = *http_;
  // Wraps a handler with auth, rate limit, timing, metrics and exception safety.
  auto route = [this](std::string name, std::optional<Role> need,
                      std::function<void(const httplib::Request&, httplib::Response&)> fn) {
    Histogram* latency = &m_->latency->WithLabels({name});
    const bool is_feed = name == "/v1/feed";  // the dashboard's feed latency quantiles
    return [this, name, need, fn = std::move(fn), latency, is_feed](const httplib::Request& req,
                                                                     httplib::Response& res) {
      const auto start = std::chrono::steady_clock::now();
      [&] {
        if (need.has_value()) {
          const std::optional<std::string> key = ApiKeyOf(req);
          if (!key.has_value()) {
            return SendError(res, absl::UnauthenticatedError(
                                      "an API key is required (header X-Api-Key or "
                                      "Authorization: Bearer)"));
          }
          const std::optional<Role> role = deps_.keys.Find(*key);
          if (!role.has_value()) return SendError(res, absl::UnauthenticatedError("unknown API key"));
          if (!Grants(*role, *need)) {
            return SendError(res, absl::PermissionDeniedError(absl::StrCat(
                                      "this route needs the ", std::string(RoleName(*need)), " role")));
          }
          int64_t retry_ms = 0;
          if (!key_limiter_.Allow(*key, &retry_ms)) {
            res.set_header("Retry-After", std::to_string((retry_ms + 999) / 1000));
            return SendError(res, absl::ResourceExhaustedError("rate limit exceeded for this key"));
          }
        }
        try {
          fn(req, res);
        } catch (const std::exception& e) {
          std::cerr << "foryou serve: " << name << ": " << e.what() << "\n";
          SendError(res, absl::InternalError(e.what()));
        }
      }();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      latency->Observe(seconds);
      if (is_feed && res.status == 200) stats_->RecordFeedLatency(seconds * 1000.0);
      m_->requests->WithLabels({name, std::to_string(res.status)}).Inc();
    };
  };

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

  s.Get("/healthz", route("/healthz", std::nullopt, [this](const auto&, auto& res) {
    const absl::Status st = deps_.loop->status();
    json body = {{"status", st.ok() ? "ok" : "degraded"},
                 {"serving_offset", deps_.loop->serving_offset()},
                 {"log_end_offset", deps_.loop->log().EndOffset()},
                 {"videos", deps_.store->num_videos()},
                 {"users", deps_.store->num_users()}};
    if (!st.ok()) body["trainer_error"] = st.ToString();
    SendJson(res, st.ok() ? 200 : 503, body);
  }));
  s.Get("/metrics", route("/metrics", std::nullopt, [this](const auto&, auto& res) {
    res.set_content(metrics_.Render(), "text/plain; version=0.0.4");
  }));

  // ---- Users ----
  s.Post("/v1/users", route("/v1/users", Role::kApp, [this](const auto& req, auto& res) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    // Fields the platform owns (they round-trip through ToJson, but a client may not set them).
    for (const char* owned : {"created_ms", "epoch", "profile"}) {
      if (body->is_object() && body->contains(owned)) {
        return SendError(res, absl::InvalidArgumentError(absl::StrCat(owned, ": set by the server")));
      }
    }
    absl::StatusOr<catalog::User> user = catalog::UserFromJson(*body, common::WallMs());
    if (!user.ok()) return SendError(res, user.status());
    if (absl::Status st = deps_.feed->CreateUser(*user); !st.ok()) return SendError(res, st);
    SendJson(res, 201, catalog::ToJson(*user));
  }));
  s.Get("/v1/users", route("/v1/users", Role::kAdmin, [this](const auto& req, auto& res) {
    absl::StatusOr<int> limit = IntParam(req, "limit", 100, 1, 1000);
    if (!limit.ok()) return SendError(res, limit.status());
    auto users = deps_.store->ListUsers(req.get_param_value("after"), *limit);
    if (!users.ok()) return SendError(res, users.status());
    json list = json::array();
    for (const auto& u : *users) list.push_back(catalog::ToJson(u));
    SendJson(res, 200, {{"users", list}, {"next", users->empty() ? "" : users->back().id}});
  }));
  s.Get(R"(/v1/users/([^/]+))", route("/v1/users/ID", Role::kApp, [this](const auto& req, auto& res) {
    auto user = deps_.feed->GetUser(req.matches[1].str());
    if (!user.ok()) return SendError(res, user.status());
    SendJson(res, 200, catalog::ToJson(**user));
  }));
  s.Patch(R"(/v1/users/([^/]+))", route("/v1/users/ID", Role::kAdmin, [this](const auto& req, auto& res) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    absl::StatusOr<catalog::User> updated = deps_.feed->ModifyUser(
        req.matches[1].str(), [&](catalog::User* u) { return catalog::ApplyUserPatch(*body, u); });
    if (!updated.ok()) return SendError(res, updated.status());
    SendJson(res, 200, catalog::ToJson(*updated));
  }));
  s.Post(R"(/v1/users/([^/]+)/refresh)", route("/v1/users/ID/refresh", Role::kApp, [this](const auto& req, auto& res) {
    if (absl::Status st = deps_.feed->Refresh(req.matches[1].str()); !st.ok()) return SendError(res, st);
    auto user = deps_.feed->GetUser(req.matches[1].str());
    if (!user.ok()) return SendError(res, user.status());
    SendJson(res, 200, {{"user", (*user)->id}, {"epoch", (*user)->epoch},
                        {"model_user", feed::ModelUserOf(**user)}});
  }));

  // ---- Videos ----
  s.Post("/v1/videos", route("/v1/videos", Role::kAdmin, [this](const auto& req, auto& res) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    for (const char* owned : {"video_type", "upload_type"}) {
      if (body->is_object() && body->contains(owned)) {
        return SendError(res, absl::InvalidArgumentError(absl::StrCat(owned, ": set by the server")));
      }
    }
    absl::StatusOr<catalog::Video> video = catalog::VideoFromJson(*body, common::WallMs());
    if (!video.ok()) return SendError(res, video.status());
    if (absl::Status st = deps_.feed->CreateVideo(*video); !st.ok()) return SendError(res, st);
    SendJson(res, 201, catalog::ToJson(*video));
  }));
  s.Get("/v1/videos", route("/v1/videos", Role::kApp, [this](const auto& req, auto& res) {
    absl::StatusOr<int> limit = IntParam(req, "limit", 100, 1, 1000);
    if (!limit.ok()) return SendError(res, limit.status());
    auto videos = deps_.store->ListVideos(req.get_param_value("after"), *limit);
    if (!videos.ok()) return SendError(res, videos.status());
    json list = json::array();
    for (const auto& v : *videos) list.push_back(catalog::ToJson(v));
    SendJson(res, 200, {{"videos", list}, {"next", videos->empty() ? "" : videos->back().id}});
  }));
  s.Get(R"(/v1/videos/([^/]+))", route("/v1/videos/ID", Role::kApp, [this](const auto& req, auto& res) {
    auto video = deps_.store->GetVideo(req.matches[1].str());
    if (!video.ok()) return SendError(res, video.status());
    SendJson(res, 200, catalog::ToJson(*video));
  }));
  s.Patch(R"(/v1/videos/([^/]+))", route("/v1/videos/ID", Role::kAdmin, [this](const auto& req, auto& res) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    auto video = deps_.store->GetVideo(req.matches[1].str());
    if (!video.ok()) return SendError(res, video.status());
    catalog::Video updated = *video;
    if (absl::Status st = catalog::ApplyVideoPatch(*body, &updated); !st.ok()) return SendError(res, st);
    if (absl::Status st = deps_.feed->UpdateVideo(updated); !st.ok()) return SendError(res, st);
    SendJson(res, 200, catalog::ToJson(updated));
  }));

  // ---- Creator, sound and hashtag pages: their videos, most engaging first ----
  auto page = [this](const char* kind) {
    return [this, kind](const httplib::Request& req, httplib::Response& res) {
      const std::string id = req.matches[1].str();
      absl::StatusOr<int> limit = IntParam(req, "limit", 30, 1, 200);
      if (!limit.ok()) return SendError(res, limit.status());
      json head;
      absl::StatusOr<std::vector<catalog::Video>> videos;
      const std::string k = kind;
      if (k == "creator") {
        auto c = deps_.store->GetCreator(id);
        if (!c.ok()) return SendError(res, c.status());
        head = catalog::ToJson(*c);
        videos = deps_.store->VideosByCreator(id, 2000);
      } else if (k == "sound") {
        auto c = deps_.store->GetSound(id);
        if (!c.ok()) return SendError(res, c.status());
        head = catalog::ToJson(*c);
        videos = deps_.store->VideosBySound(id, 2000);
      } else {
        auto c = deps_.store->GetHashtag(id);
        if (!c.ok()) return SendError(res, c.status());
        head = catalog::ToJson(*c);
        videos = deps_.store->VideosByHashtag(id, 2000);
      }
      if (!videos.ok()) return SendError(res, videos.status());
      const int64_t now = common::WallMs();
      std::vector<std::pair<double, const catalog::Video*>> ranked;
      for (const auto& v : *videos) {
        if (v.moderation != catalog::Moderation::kApproved) continue;
        ranked.emplace_back(deps_.feed->engagement().Score("*", stream::VideoKey(v.id), now), &v);
      }
      std::stable_sort(ranked.begin(), ranked.end(),
                       [](const auto& a, const auto& b) { return a.first > b.first; });
      json list = json::array();
      for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < *limit; ++i) {
        json v = catalog::ToJson(*ranked[i].second);
        v["engagement"] = ranked[i].first;
        list.push_back(std::move(v));
      }
      head["videos"] = std::move(list);
      SendJson(res, 200, head);
    };
  };
  s.Get(R"(/v1/creators/([^/]+))", route("/v1/creators/ID", Role::kApp, page("creator")));
  s.Get(R"(/v1/sounds/([^/]+))", route("/v1/sounds/ID", Role::kApp, page("sound")));
  s.Get(R"(/v1/hashtags/([^/]+))", route("/v1/hashtags/ID", Role::kApp, page("hashtag")));

  // ---- Feed ----
  s.Get("/v1/feed", route("/v1/feed", Role::kApp, [this](const auto& req, auto& res) {
    absl::StatusOr<std::string> user = RequiredParam(req, "user");
    if (!user.ok()) return SendError(res, user.status());
    absl::StatusOr<int> count = IntParam(req, "count", 10, 1, deps_.feed->options().max_count);
    if (!count.ok()) return SendError(res, count.status());
    int64_t retry_ms = 0;
    if (!user_limiter_.Allow(*user, &retry_ms)) {
      res.set_header("Retry-After", std::to_string((retry_ms + 999) / 1000));
      return SendError(res, absl::ResourceExhaustedError("too many feed requests for this user"));
    }
    absl::StatusOr<feed::FeedPage> page = deps_.feed->Feed(*user, *count, common::WallMs());
    if (!page.ok()) return SendError(res, page.status());
    json items = json::array();
    for (size_t i = 0; i < page->items.size(); ++i) {
      items.push_back(ItemJson(page->items[i], static_cast<int>(i), deps_.feed->options()));
    }
    SendJson(res, 200, {{"request_id", page->request_id}, {"user", *user},
                        {"model_user", page->model_user}, {"items", items},
                        {"candidates", page->candidates}, {"eligible", page->eligible},
                        {"serving_offset", deps_.loop->serving_offset()}});
  }));
  s.Get("/v1/feed/explain", route("/v1/feed/explain", Role::kApp, [this](const auto& req, auto& res) {
    absl::StatusOr<std::string> user = RequiredParam(req, "user");
    if (!user.ok()) return SendError(res, user.status());
    absl::StatusOr<std::string> video = RequiredParam(req, "video");
    if (!video.ok()) return SendError(res, video.status());
    absl::StatusOr<feed::Explanation> x = deps_.feed->Explain(*user, *video, common::WallMs());
    if (!x.ok()) return SendError(res, x.status());
    json contributions = json::array();
    for (const auto& [task, v] : x->contributions) contributions.push_back({{"task", task}, {"value", v}});
    json probs = json::object();
    for (int t = 0; t < model::kNumTasks; ++t) probs[model::kTaskNames[t]] = x->candidate.probs[t];
    SendJson(res, 200, {{"user", x->user}, {"video", x->video}, {"sources", x->sources},
                        {"source_reasons", x->source_reasons}, {"eligible", x->eligible},
                        {"ineligible_reason", x->ineligible_reason},
                        {"score", x->candidate.score}, {"value", x->candidate.value},
                        {"penalty", x->candidate.penalty}, {"probs", probs},
                        {"contributions", contributions}, {"explanation", x->sentences}});
  }));

  // ---- Events ----
  s.Post("/v1/events", route("/v1/events", Role::kApp, [this](const auto& req, auto& res) {
    const int64_t now = common::WallMs();
    absl::StatusOr<stream::BatchParseResult> batch =
        stream::ParseEventBatch(req.body, now, options_.max_body_bytes);
    if (!batch.ok()) {
      // An oversize batch is a 413, not a rate limit.
      if (batch.status().code() == absl::StatusCode::kResourceExhausted) {
        return SendJson(res, 413, json::parse(ErrorBody("payload_too_large", std::string(batch.status().message()))));
      }
      return SendError(res, batch.status());
    }
    json rejected = json::array();
    for (const auto& [index, message] : batch->rejected) {
      rejected.push_back({{"index", index}, {"error", message}});
    }
    // Unknown users / videos are refused per event; the rest go to the log with the model's
    // identity of the user.
    std::vector<stream::Event> original, resolved;
    std::vector<int> index_of;
    {
      int next = 0;
      std::vector<bool> bad(batch->accepted.size() + batch->rejected.size(), false);
      for (const auto& r : batch->rejected) bad[r.first] = true;
      for (const stream::Event& e : batch->accepted) {
        while (bad[next]) ++next;
        stream::Event copy = e;
        if (absl::Status st = deps_.feed->ResolveEvent(&copy); !st.ok()) {
          rejected.push_back({{"index", next}, {"error", std::string(st.message())}});
        } else {
          original.push_back(e);
          resolved.push_back(std::move(copy));
          index_of.push_back(next);
        }
        ++next;
      }
    }
    m_->events_rejected->Inc(rejected.size());
    if (resolved.empty()) {
      if (rejected.empty()) return SendJson(res, 200, {{"accepted", 0}, {"rejected", rejected}});
      return SendJson(res, 400, {{"error", {{"code", "invalid_argument"},
                                            {"message", "no event was accepted"}}},
                                 {"accepted", 0}, {"rejected", rejected}});
    }
    absl::StatusOr<uint64_t> offset = deps_.loop->Ingest(resolved, now);
    if (!offset.ok()) return SendError(res, offset.status());
    {
      std::lock_guard lock(ingest_mu_);
      ingest_times_.emplace_back(*offset + resolved.size(), common::WallMs());
      if (ingest_times_.size() > 100'000) ingest_times_.pop_front();
    }
    for (const stream::Event& e : resolved) {
      const int type = static_cast<int>(e.type);
      if (type >= 1 && type <= stream::kNumEventTypes) {
        m_->events_by_type[type]->Inc();
      } else {
        m_->events->WithLabels({std::string(stream::EventTypeName(e.type))}).Inc();
      }
    }
    deps_.feed->Observe(original);
    SendJson(res, 200, {{"accepted", resolved.size()}, {"rejected", rejected}, {"offset", *offset}});
  }));

  // ---- Sign-up: the hashtags to pick interests from, most used first ----
  s.Get("/v1/hashtags", route("/v1/hashtags", Role::kApp, [this](const auto& req, auto& res) {
    absl::StatusOr<int> limit = IntParam(req, "limit", 100, 1, 1000);
    if (!limit.ok()) return SendError(res, limit.status());
    std::vector<catalog::Hashtag> tags;
    absl::Status st =
        deps_.store->ForEachHashtag([&](const catalog::Hashtag& h) { tags.push_back(h); });
    if (!st.ok()) return SendError(res, st);
    const size_t n = std::min(tags.size(), static_cast<size_t>(*limit));
    std::partial_sort(tags.begin(), tags.begin() + n, tags.end(), [](const auto& a, const auto& b) {
      return a.videos != b.videos ? a.videos > b.videos : a.name < b.name;
    });
    json list = json::array();
    for (size_t i = 0; i < n; ++i) {
      list.push_back({{"id", tags[i].name}, {"name", tags[i].name}, {"videos", tags[i].videos}});
    }
    SendJson(res, 200, {{"hashtags", list}});
  }));

  // ---- Dashboard: the sampler's time series, trending now, rule totals ----
  s.Get("/v1/admin/stats", route("/v1/admin/stats", Role::kAdmin, [this](const auto& req,
                                                                          auto& res) {
    int64_t since = -1;
    if (req.has_param("since") && !absl::SimpleAtoi(req.get_param_value("since"), &since)) {
      return SendError(res, absl::InvalidArgumentError("since: must be an integer (t_ms)"));
    }
    const int64_t now = common::WallMs();
    const auto index = deps_.feed->index();
    json trending = json::array();
    for (uint64_t key : deps_.feed->engagement().Trending("*", 50, now)) {
      if (trending.size() >= 10) break;
      const feed::VideoEntry* e = index->Find(key);
      if (e == nullptr || e->video.moderation != catalog::Moderation::kApproved) continue;
      trending.push_back({{"video", e->video.id}, {"caption", e->video.caption},
                          {"creator", e->video.creator}, {"hashtags", e->video.hashtags},
                          {"media_url", e->video.media_url},
                          {"score", deps_.feed->engagement().Score("*", key, now)}});
    }
    json rules = json::object();
    const feed::RuleStats totals = deps_.feed->rule_stats();
    for (const auto& [name, field] : kRules) rules[name] = totals.*field;
    SendJson(res, 200, {{"interval_ms", stats_->interval_ms()}, {"samples", stats_->Samples(since)},
                        {"trending", trending}, {"rules", rules}});
  }));

  // ---- Files: media, the web app and its dashboard ----
  // cpp-httplib answers Range requests of mounted files (206 + Content-Range) and knows .webm
  // (video/webm), .js, .css, .html, .svg; paths with ".." above the mount point are refused.
  if (!options_.media_dir.empty()) {
    // Accept-Ranges tells a player on the first (200) answer that it may seek by Range.
    s.set_mount_point("/media/", options_.media_dir,
                      {{"Accept-Ranges", "bytes"}, {"Cache-Control", "public, max-age=3600"}});
  }
  if (!options_.static_dir.empty()) {
    auto dashboard = route("/dashboard", std::nullopt, [this](const auto&, auto& res) {
      absl::StatusOr<std::string> html = common::ReadFile(options_.static_dir + "/dashboard.html");
      if (!html.ok()) {
        return SendError(res, absl::NotFoundError("no dashboard.html in the web app"));
      }
      res.set_content(*html, "text/html; charset=utf-8");
    });
    s.Get("/dashboard", dashboard);
    s.Get("/dashboard/", dashboard);
    s.set_mount_point("/", options_.static_dir);
  }
}

}  // namespace foryou::server
