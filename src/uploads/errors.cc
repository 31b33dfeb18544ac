// Marked Status values of the uploads (errors.h): a payload under a type URL of this module.
#include "uploads/errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "common/absl_view.h"

namespace foryou::uploads {
namespace {

constexpr absl::string_view kConflictUrl = "type.foryou/uploads.Conflict";
constexpr absl::string_view kFullUrl = "type.foryou/uploads.InsufficientStorage";
constexpr absl::string_view kTooLargeUrl = "type.foryou/uploads.TooLarge";

using common::A;

}  // namespace

absl::Status ConflictError(std::string_view message, std::optional<uint64_t> received) {
  absl::Status status = absl::FailedPreconditionError(A(message));
  status.SetPayload(kConflictUrl,
                    absl::Cord(received.has_value() ? std::to_string(*received) : std::string()));
  return status;
}

bool IsConflict(const absl::Status& status) {
  return status.code() == absl::StatusCode::kFailedPrecondition &&
         status.GetPayload(kConflictUrl).has_value();
}

std::optional<uint64_t> ConflictOffset(const absl::Status& status) {
  if (!IsConflict(status)) return std::nullopt;
  const std::string text(*status.GetPayload(kConflictUrl));
  uint64_t v = 0;
  if (text.empty() || !absl::SimpleAtoi(text, &v)) return std::nullopt;
  return v;
}

absl::Status InsufficientStorageError(std::string_view message) {
  absl::Status status = absl::ResourceExhaustedError(A(message));
  status.SetPayload(kFullUrl, absl::Cord());
  return status;
}

bool IsInsufficientStorage(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted &&
         status.GetPayload(kFullUrl).has_value();
}

absl::Status TooLargeError(std::string_view message) {
  absl::Status status = absl::ResourceExhaustedError(A(message));
  status.SetPayload(kTooLargeUrl, absl::Cord());
  return status;
}

bool IsTooLarge(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted &&
         status.GetPayload(kTooLargeUrl).has_value();
}

}  // namespace foryou::uploads
