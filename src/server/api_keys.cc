// Key file parsing with field-naming errors, constant-time lookup and random default keys.
#include "server/api_keys.h"

#include <random>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/absl_view.h"
#include "common/file_util.h"
#include "nlohmann/json.hpp"

namespace foryou::server {
namespace {

using json = nlohmann::json;

using common::A;

absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("api keys: ", A(field), ": ", A(what)));
}

// Branch-free equality over the whole stored key: the loop length is e.size(), and a mismatch
// anywhere only sets bits in `diff`.
bool ConstantTimeEquals(std::string_view stored, std::string_view candidate) {
  unsigned diff = stored.size() != candidate.size() ? 1u : 0u;
  for (size_t i = 0; i < stored.size(); ++i) {
    const unsigned char c = i < candidate.size() ? static_cast<unsigned char>(candidate[i]) : 0;
    diff |= static_cast<unsigned char>(stored[i]) ^ c;
  }
  return diff == 0;
}

std::string RandomKey(std::string_view prefix, std::random_device& rd) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::uniform_int_distribution<int> pick(0, 61);
  std::string key(prefix);
  for (int i = 0; i < 32; ++i) key += kAlphabet[pick(rd)];
  return key;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kApp: return "app";
    case Role::kModerator: return "moderator";
    case Role::kAdmin: return "admin";
  }
  return "unknown";
}

bool Grants(Role have, Role need) { return have == Role::kAdmin || need == Role::kApp; }

absl::StatusOr<ApiKeys> ApiKeys::Load(const std::string& path) {
  absl::StatusOr<std::string> text = common::ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<ApiKeys> keys = Parse(*text);
  if (!keys.ok()) {
    return absl::Status(keys.status().code(), absl::StrCat(path, ": ", keys.status().message()));
  }
  return keys;
}

absl::StatusOr<ApiKeys> ApiKeys::Parse(std::string_view text) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return Bad("file", absl::StrCat("invalid JSON: ", e.what()));
  }
  if (!root.is_object()) return Bad("file", "must be a JSON object");
  for (const auto& [field, value] : root.items()) {
    if (field != "keys") return Bad(field, "unknown field (expected only \"keys\")");
  }
  auto it = root.find("keys");
  if (it == root.end() || !it->is_array()) return Bad("keys", "missing or not an array");
  if (it->empty()) return Bad("keys", "empty: configure at least one key");

  std::vector<Entry> entries;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& e = (*it)[i];
    const std::string at = absl::StrCat("keys[", i, "]");
    if (!e.is_object()) return Bad(at, "must be an object");
    for (const auto& [field, value] : e.items()) {
      if (field != "key" && field != "role" && field != "name") {
        return Bad(absl::StrCat(at, ".", field), "unknown field (expected key, role, name)");
      }
    }
    Entry entry;
    auto key = e.find("key");
    if (key == e.end() || !key->is_string()) return Bad(at + ".key", "missing or not a string");
    entry.key = key->get<std::string>();
    if (entry.key.size() < kMinKeyLength) {
      return Bad(at + ".key", absl::StrCat("too short (", entry.key.size(), " characters, need >= ",
                                           kMinKeyLength, ")"));
    }
    for (char c : entry.key) {
      if (c <= ' ' || c > '~') {
        return Bad(at + ".key", "must be printable ASCII without spaces");
      }
    }
    auto role = e.find("role");
    if (role == e.end() || !role->is_string()) return Bad(at + ".role", "missing or not a string");
    const std::string r = role->get<std::string>();
    if (r == "app") {
      entry.role = Role::kApp;
    } else if (r == "admin") {
      entry.role = Role::kAdmin;
    } else {
      return Bad(at + ".role", absl::StrCat("unknown role \"", absl::CHexEscape(r.substr(0, 32)),
                                            "\" (expected \"app\" or \"admin\")"));
    }
    auto name = e.find("name");
    if (name == e.end() || !name->is_string() || name->get<std::string>().empty()) {
      return Bad(at + ".name", "missing, empty or not a string");
    }
    entry.name = name->get<std::string>();
    for (size_t j = 0; j < entries.size(); ++j) {
      if (entries[j].key == entry.key) {
        return Bad(at + ".key", absl::StrCat("duplicate of keys[", j, "].key"));
      }
    }
    entries.push_back(std::move(entry));
  }
  return ApiKeys(std::move(entries));
}

ApiKeys ApiKeys::GenerateDefault(std::string* json_out) {
  std::random_device rd;
  std::vector<Entry> entries = {
      {.key = RandomKey("fy_app_", rd), .role = Role::kApp, .name = "default-app"},
      {.key = RandomKey("fy_admin_", rd), .role = Role::kAdmin, .name = "default-admin"},
  };
  if (json_out != nullptr) {
    json keys = json::array();
    for (const Entry& e : entries) {
      keys.push_back({{"key", e.key}, {"role", std::string(RoleName(e.role))}, {"name", e.name}});
    }
    *json_out = json{{"keys", keys}}.dump(2) + "\n";
  }
  return ApiKeys(std::move(entries));
}

std::optional<Role> ApiKeys::Find(std::string_view key) const {
  const Entry* e = FindEntry(key);
  if (e == nullptr) return std::nullopt;
  return e->role;
}

const ApiKeys::Entry* ApiKeys::FindEntry(std::string_view key) const {
  // Every entry is compared, and the match is selected without an early exit.
  int found = -1;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const bool eq = ConstantTimeEquals(entries_[i].key, key);
    found = eq ? static_cast<int>(i) : found;
  }
  return found < 0 ? nullptr : &entries_[found];
}

}  // namespace foryou::server
