// Internal to src/server: the pieces the ApiServer route files share (api_server.cc,
// api_server_catalog.cc, api_server_feed.cc, api_server_web.cc): JSON responses, parameter
// parsing, the metric instruments and the names of the feed rule counters.
#pragma once

#include "server/api_server.h"

#include <array>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "feed/rules.h"
#include "nlohmann/json.hpp"
#include "server/metrics.h"
#include "stream/event.h"

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

inline constexpr const char* kJson = "application/json";

// The feed rule counters, as /metrics and the dashboard name them.
inline constexpr std::pair<const char*, uint64_t feed::RuleStats::*> kRules[] = {
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

// `body` with HTTP status `code` (invalid UTF-8 in strings replaced, never throws).
void SendJson(HttpResponse& res, int code, const json& body);
// The error body and HTTP code of `status` (http_status.h).
void SendError(HttpResponse& res, const absl::Status& status);
// The same with the members of `extra` (an object) beside "error", e.g. the rejected events.
void SendError(HttpResponse& res, const absl::Status& status, const json& extra);
// The API key of a request: header X-Api-Key or Authorization: Bearer. Never the query string:
// URLs end up in logs, browser history and Referer headers.
std::optional<std::string> ApiKeyOf(const HttpRequest& req);
// The body as JSON; InvalidArgument "body: not valid JSON".
absl::StatusOr<json> ParseBody(const HttpRequest& req);
// Query parameter `name` as an int in [lo, hi], `fallback` when absent; InvalidArgument naming it.
absl::StatusOr<int> IntParam(const HttpRequest& req, const std::string& name, int fallback,
                             int lo, int hi);
// A required query parameter holding an id (catalog::ValidateId); InvalidArgument naming it.
absl::StatusOr<std::string> RequiredParam(const HttpRequest& req, const std::string& name);

}  // namespace foryou::server
