// Functions shared by the catalog module's sources; not part of its interface.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/absl_view.h"
#include "nlohmann/json.hpp"
#include "rocksdb/status.h"

namespace foryou::catalog::internal {

// A validation error naming the field: "FIELD: WHAT".
inline absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(common::A(field), ": ", common::A(what)));
}

inline absl::Status GetString(const nlohmann::json& v, std::string_view field, std::string* out) {
  if (!v.is_string()) return Bad(field, "must be a string");
  *out = v.get<std::string>();
  return absl::OkStatus();
}

// A RocksDB failure: corruption is data loss, anything else is retryable.
inline absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  const std::string msg = absl::StrCat("catalog: ", common::A(what), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  return absl::UnavailableError(msg);
}

}  // namespace foryou::catalog::internal
