// The simulator's HTTP client (see the header).
#include "sim/api_client.h"

#include <httplib.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"

namespace foryou::sim {

using nlohmann::json;

namespace {

constexpr const char* kJson = "application/json";

// The inverse of server/http_status.h's table, for the codes the API answers with.
absl::Status StatusOfHttp(int code, const std::string& message) {
  switch (code) {
    case 400: return absl::InvalidArgumentError(message);
    case 401: return absl::UnauthenticatedError(message);
    case 403: return absl::PermissionDeniedError(message);
    case 404: return absl::NotFoundError(message);
    case 409: return absl::AlreadyExistsError(message);
    case 413:
    case 429: return absl::ResourceExhaustedError(message);
    case 503: return absl::UnavailableError(message);
    case 504: return absl::DeadlineExceededError(message);
    default: return absl::InternalError(message);
  }
}

}  // namespace

ApiClient::ApiClient(int port, std::string app_key, std::string admin_key)
    : http_(std::make_unique<httplib::Client>("127.0.0.1", port)),
      app_key_(std::move(app_key)),
      admin_key_(std::move(admin_key)) {
  // One connection per call: simulated users do not share a connection's state, and a fresh
  // loopback connection costs well under a millisecond.
  http_->set_keep_alive(false);
  http_->set_tcp_nodelay(true);
  http_->set_read_timeout(60, 0);
  http_->set_write_timeout(60, 0);
}

ApiClient::~ApiClient() = default;

absl::StatusOr<json> ApiClient::Call(Method method, const std::string& path,
                                     const std::string& key, const std::string& body) {
  httplib::Headers headers;
  if (!key.empty()) headers.emplace("X-Api-Key", key);
  // A rate-limited call (429) is retried a few times after its Retry-After hint (capped short).
  for (int attempt = 0;; ++attempt) {
    httplib::Result res = method == Method::kGet    ? http_->Get(path, headers)
                          : method == Method::kPost ? http_->Post(path, headers, body, kJson)
                                                    : http_->Patch(path, headers, body, kJson);
    if (!res) {
      return absl::UnavailableError(absl::StrCat(path, ": ", httplib::to_string(res.error())));
    }
    if (res->status == 429 && attempt < 5) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * (attempt + 1)));
      continue;
    }
    json j = json::parse(res->body, nullptr, /*allow_exceptions=*/false);
    if (res->status / 100 == 2) {
      if (j.is_discarded()) return absl::InternalError(absl::StrCat(path, ": answer is not JSON"));
      return j;
    }
    std::string message = res->body;
    if (!j.is_discarded() && j.contains("error") && j["error"].is_object() &&
        j["error"].contains("message") && j["error"]["message"].is_string()) {
      message = j["error"]["message"].get<std::string>();
    }
    return StatusOfHttp(res->status, absl::StrCat(path, ": HTTP ", res->status, ": ", message));
  }
}

absl::Status ApiClient::CreateVideo(const json& video) {
  return Call(Method::kPost, "/v1/videos", admin_key_, video.dump()).status();
}

absl::Status ApiClient::PatchVideo(const std::string& id, const json& patch) {
  return Call(Method::kPatch, absl::StrCat("/v1/videos/", id), admin_key_, patch.dump()).status();
}

absl::Status ApiClient::CreateUser(const json& user) {
  return Call(Method::kPost, "/v1/users", app_key_, user.dump()).status();
}

absl::Status ApiClient::PatchUser(const std::string& id, const json& patch) {
  return Call(Method::kPatch, absl::StrCat("/v1/users/", id), admin_key_, patch.dump()).status();
}

absl::StatusOr<json> ApiClient::Feed(const std::string& user, int count) {
  // Simulated ids are [a-z0-9]: no URL escaping needed.
  return Call(Method::kGet, absl::StrCat("/v1/feed?user=", user, "&count=", count), app_key_, "");
}

absl::StatusOr<ApiClient::Posted> ApiClient::PostEvents(const json& events) {
  const json body = {{"events", events}};
  absl::StatusOr<json> j = Call(Method::kPost, "/v1/events", app_key_, body.dump());
  if (!j.ok()) return j.status();
  Posted p;
  try {
    p.accepted = j->value("accepted", uint64_t{0});
    p.offset = j->value("offset", uint64_t{0});
    if (j->contains("rejected") && (*j)["rejected"].is_array()) {
      const json& r = (*j)["rejected"];
      p.rejected = r.size();
      if (!r.empty()) {
        p.first_rejection = absl::StrCat("index ", r[0].value("index", -1), ": ",
                                         r[0].value("error", std::string()));
      }
    }
  } catch (const json::exception& e) {
    return absl::InternalError(absl::StrCat("/v1/events: unexpected answer: ", e.what()));
  }
  return p;
}

absl::StatusOr<uint64_t> ApiClient::ServingOffset() {
  absl::StatusOr<json> j = Call(Method::kGet, "/healthz", "", "");
  if (!j.ok()) return j.status();
  if (!j->contains("serving_offset") || !(*j)["serving_offset"].is_number_unsigned()) {
    return absl::InternalError("/healthz: no serving_offset");
  }
  return (*j)["serving_offset"].get<uint64_t>();
}

absl::StatusOr<bool> ApiClient::WaitServing(uint64_t target, int64_t timeout_ms, uint64_t* last) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    absl::StatusOr<uint64_t> offset = ServingOffset();
    if (!offset.ok()) return offset.status();
    if (last != nullptr) *last = *offset;
    if (*offset >= target) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace foryou::sim
