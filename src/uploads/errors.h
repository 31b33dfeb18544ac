// The uploads' errors that need their own HTTP answer, as marked absl::Status values: a conflict
// (409: the offset or the state is not what the client assumed; carries the bytes received), a
// full disk (507) and a body or upload too large (413). The server maps them
// (api_server_uploads.cc); anything else maps as every Status does.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"

namespace foryou::uploads {

// FailedPrecondition marked as a conflict; `received` = the bytes the store has (nullopt: none
// to report).
[[nodiscard]] absl::Status ConflictError(std::string_view message,
                                         std::optional<uint64_t> received = std::nullopt);
bool IsConflict(const absl::Status& status);
std::optional<uint64_t> ConflictOffset(const absl::Status& status);

// ResourceExhausted marked as a full disk.
[[nodiscard]] absl::Status InsufficientStorageError(std::string_view message);
bool IsInsufficientStorage(const absl::Status& status);

// ResourceExhausted marked as too large.
[[nodiscard]] absl::Status TooLargeError(std::string_view message);
bool IsTooLarge(const absl::Status& status);

}  // namespace foryou::uploads
