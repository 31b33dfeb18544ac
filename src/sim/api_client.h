// ApiClient: the simulator's view of a running foryou service: the few HTTP calls of docs/api.md
// it needs (catalog writes with the admin key, sign-up, feed and events with the app key, the
// serving offset from /healthz), each turning a non-2xx answer or a transport error into an
// absl::Status carrying the service's message.
//
// Not thread-safe: one client per simulator thread.
//
// Example:
//   ApiClient api(port, app_key, admin_key);
//   FORYOU_ASSIGN_OR_RETURN(nlohmann::json page, api.Feed("u1", 8));
//   FORYOU_ASSIGN_OR_RETURN(ApiClient::Posted p, api.PostEvents(events));
//   FORYOU_ASSIGN_OR_RETURN(bool absorbed, api.WaitServing(p.offset + p.accepted, 5000));
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace httplib {
class Client;
}

namespace foryou::sim {

class ApiClient {
 public:
  ApiClient(int port, std::string app_key, std::string admin_key);
  ~ApiClient();

  [[nodiscard]] absl::Status CreateVideo(const nlohmann::json& video);          // admin
  [[nodiscard]] absl::Status PatchVideo(const std::string& id, const nlohmann::json& patch);  // admin
  [[nodiscard]] absl::Status CreateUser(const nlohmann::json& user);            // app
  [[nodiscard]] absl::Status PatchUser(const std::string& id, const nlohmann::json& patch);  // admin
  // GET /v1/feed?user=&count=: the page's JSON.
  [[nodiscard]] absl::StatusOr<nlohmann::json> Feed(const std::string& user, int count);

  struct Posted {
    uint64_t offset = 0;    // log offset of the first accepted event
    uint64_t accepted = 0;
    uint64_t rejected = 0;
    std::string first_rejection;  // "index 3: video: unknown" ("" if none)
  };
  // POST /v1/events {"events": [...]}.
  [[nodiscard]] absl::StatusOr<Posted> PostEvents(const nlohmann::json& events);

  // GET /healthz "serving_offset".
  [[nodiscard]] absl::StatusOr<uint64_t> ServingOffset();
  // Polls /healthz every 10 ms until serving_offset >= target (true) or timeout_ms passed
  // (false). *last (may be null) receives the last offset seen.
  [[nodiscard]] absl::StatusOr<bool> WaitServing(uint64_t target, int64_t timeout_ms,
                                                 uint64_t* last);

 private:
  enum class Method { kGet, kPost, kPatch };
  absl::StatusOr<nlohmann::json> Call(Method method, const std::string& path,
                                      const std::string& key, const std::string& body);

  std::unique_ptr<httplib::Client> http_;
  std::string app_key_, admin_key_;
};

}  // namespace foryou::sim
