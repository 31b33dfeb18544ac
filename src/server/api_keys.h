// API keys and their roles: the key file (`{"keys": [{"key", "role", "name"}]}`), lookup in
// constant time, and a random default key file for a first start. Design: docs/design/server.md.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(ApiKeys keys, ApiKeys::Load("/etc/foryou/keys.json"));
//   std::optional<Role> role = keys.Find(request_key);
//   if (!role) return absl::UnauthenticatedError("missing or unknown API key");
//   if (!Grants(*role, Role::kAdmin)) return absl::PermissionDeniedError("admin key required");
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace foryou::server {

// What a route needs. kApp: the feed and event endpoints a client app calls. kModerator: the
// moderation of videos (a moderator or admin account, or an admin key). kAdmin: everything,
// including catalog writes and operations; an admin key may call every endpoint. A key file
// holds app and admin keys only; moderators are accounts (docs/design/accounts.md).
enum class Role { kApp, kModerator, kAdmin };

// "app" | "moderator" | "admin".
std::string_view RoleName(Role role);

// True if a key with role `have` may call an endpoint that needs `need` (admin implies all).
bool Grants(Role have, Role need);

// The configured API keys. Immutable after construction, so concurrent Find calls are safe.
class ApiKeys {
 public:
  // Keys shorter than this are refused: a key is a bearer secret and must not be guessable.
  static constexpr size_t kMinKeyLength = 16;

  struct Entry {
    std::string key;   // printable ASCII, no spaces, >= kMinKeyLength characters
    Role role = Role::kApp;
    std::string name;  // who holds it; for logs, never secret
  };

  // Reads and parses the key file at `path`; errors name the file.
  [[nodiscard]] static absl::StatusOr<ApiKeys> Load(const std::string& path);

  // Parses `{"keys": [{"key": "...", "role": "app"|"admin", "name": "..."}, ...]}`.
  // InvalidArgument naming the field (`keys[2].role: unknown role "root"`) for: bad JSON, a
  // missing or mistyped field, an unknown field, a key shorter than kMinKeyLength or with
  // characters outside printable ASCII / with spaces, a duplicate key, an empty or missing name,
  // or an empty list. Messages never contain a key.
  [[nodiscard]] static absl::StatusOr<ApiKeys> Parse(std::string_view json);

  // A fresh app key ("fy_app_" + 32 random base-62 characters from std::random_device) and a
  // fresh admin key ("fy_admin_" + 32), for a first start without a key file. `json_out` (may be
  // null) receives the key file text that Parse accepts; the caller writes it (mode 0600).
  static ApiKeys GenerateDefault(std::string* json_out);

  // The role of `key`, or nullopt if it is not configured. Runs in time that depends only on
  // the configured keys (their number and lengths) and on key.size(), never on how many leading
  // characters of `key` match a configured key.
  std::optional<Role> Find(std::string_view key) const;
  // The same, with the entry (its name, for the audit log); null if not configured.
  const Entry* FindEntry(std::string_view key) const;

  // The configured entries, in file order.
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  explicit ApiKeys(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  std::vector<Entry> entries_;
};

}  // namespace foryou::server
