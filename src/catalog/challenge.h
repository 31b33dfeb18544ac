// Hashtag challenges: a hashtag promoted for a time with a title, a description and, when sold,
// a sponsor. The record, its JSON forms (POST / PATCH /v1/challenges, docs/api.md) and its
// binary encoding (docs/formats/catalog.md, "Challenge"). Stored by CatalogStore
// (challenge_store.cc); design: docs/design/challenges.md.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(catalog::Challenge c, catalog::ChallengeFromJson(body, now_ms));
//   FORYOU_RETURN_IF_ERROR(store->CreateChallenge(c));
//   if (c.ActiveAt(now_ms)) ...
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace foryou::catalog {

inline constexpr size_t kMaxChallengeTitleBytes = 100;
inline constexpr size_t kMaxChallengeDescriptionBytes = 2200;

struct Challenge {
  std::string name;         // the canonical hashtag (no '#', lower case); the record's id
  std::string title;        // UTF-8, 1..100 bytes
  std::string description;  // UTF-8, 0..2,200 bytes
  int64_t start_ms = 0;     // active from start_ms (inclusive) ...
  int64_t end_ms = 0;       // ... to end_ms (exclusive); start_ms < end_ms
  std::string sponsor;      // an advertiser account id ("" = not sponsored)
  int64_t created_ms = 0;

  bool ActiveAt(int64_t now_ms) const { return start_ms <= now_ms && now_ms < end_ms; }
  friend bool operator==(const Challenge&, const Challenge&) = default;
};

// Every rule of a stored challenge: name a canonical hashtag, title 1..100 and description
// 0..2,200 bytes of UTF-8, start_ms < end_ms, sponsor "" or an id. InvalidArgument naming the
// field otherwise.
[[nodiscard]] absl::Status ValidateChallenge(const Challenge& c);

// POST /v1/challenges. Required: "name" (a canonical hashtag: "Dance" or "#dance" are refused
// with the canonical form in the message), "title", "start_ms", "end_ms" (ms since the Unix
// epoch, >= 0). Optional: "description", "sponsor". "created_ms" is set to now_ms (a client
// sending it is refused). Unknown fields, null and wrong types are refused.
[[nodiscard]] absl::StatusOr<Challenge> ChallengeFromJson(const nlohmann::json& j, int64_t now_ms);
// PATCH /v1/challenges/NAME: any of "title", "description", "start_ms", "end_ms", "sponsor";
// the result must pass ValidateChallenge. All or nothing: on error `*c` is unchanged.
[[nodiscard]] absl::Status ApplyChallengePatch(const nlohmann::json& j, Challenge* c);
// {"name", "title", "description", "start_ms", "end_ms", "sponsor", "created_ms"}.
nlohmann::json ToJson(const Challenge& c);

namespace codec {
inline constexpr std::string_view kChallengePrefix = "g/";
std::string Encode(const Challenge& c);
// False unless `bytes` is exactly one version-1 record whose name equals `name`.
bool Decode(std::string_view bytes, std::string_view name, Challenge* c);
}  // namespace codec

}  // namespace foryou::catalog
