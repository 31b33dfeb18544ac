// The catalog's JSON bodies: POST /v1/users and /v1/videos (UserFromJson, VideoFromJson) and
// their PATCH forms (ApplyUserPatch, ApplyVideoPatch). A record a parser accepts must read back
// from its own ToJson unchanged; a refused patch must leave the record unchanged.
#include <cstdint>

#include "catalog/catalog_json.h"
#include "fuzz/fuzz_util.h"
#include "nlohmann/json.hpp"

namespace {
constexpr int64_t kNowMs = 1700000000000;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foryou::catalog;
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;

  absl::StatusOr<User> user = UserFromJson(j, kNowMs);
  if (user.ok()) {
    absl::StatusOr<User> back = UserFromJson(ToJson(*user), kNowMs);
    FORYOU_FUZZ_CHECK(back.ok() && *back == *user);
  }
  absl::StatusOr<Video> video = VideoFromJson(j, kNowMs);
  if (video.ok()) {
    absl::StatusOr<Video> back = VideoFromJson(ToJson(*video), kNowMs);
    FORYOU_FUZZ_CHECK(back.ok() && *back == *video);
  }

  User u;
  u.id = "u1";
  u.created_ms = kNowMs;
  const User u_before = u;
  if (!ApplyUserPatch(j, &u).ok()) FORYOU_FUZZ_CHECK(u == u_before);
  Video v;
  v.id = "v1";
  v.creator = "c1";
  v.duration_ms = 1000;
  v.upload_ms = kNowMs;
  const Video v_before = v;
  if (!ApplyVideoPatch(j, &v).ok()) FORYOU_FUZZ_CHECK(v == v_before);
  (void)ToJson(u).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  (void)ToJson(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
