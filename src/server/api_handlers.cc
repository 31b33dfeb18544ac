// Shared pieces of the ApiServer route files (api_handlers.h).
#include "server/api_handlers.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog_json.h"
#include "server/http_status.h"

namespace foryou::server {

void SendJson(HttpResponse& res, int code, const json& body) {
  res.status = code;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), kJson);
}

void SendError(HttpResponse& res, const absl::Status& status) {
  res.status = HttpCode(status);
  res.set_content(ErrorBody(status), kJson);
}

void SendError(HttpResponse& res, const absl::Status& status, const json& extra) {
  json body = json::parse(ErrorBody(status));  // ErrorBody is always valid JSON
  body.update(extra);
  SendJson(res, HttpCode(status), body);
}

std::optional<std::string> ApiKeyOf(const HttpRequest& req) {
  if (req.has_header("X-Api-Key")) return req.get_header_value("X-Api-Key");
  if (req.has_header("Authorization")) {
    const std::string v = req.get_header_value("Authorization");
    if (v.rfind("Bearer ", 0) == 0) return v.substr(7);
  }
  return std::nullopt;
}

absl::StatusOr<json> ParseBody(const HttpRequest& req) {
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("body: not valid JSON");
  return j;
}

absl::StatusOr<int> IntParam(const HttpRequest& req, const std::string& name, int fallback,
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

absl::StatusOr<std::string> RequiredParam(const HttpRequest& req, const std::string& name) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": required"));
  }
  std::string v = req.get_param_value(name);
  if (absl::Status s = catalog::ValidateId(name, v); !s.ok()) return s;
  return v;
}

}  // namespace foryou::server
