// Status -> HTTP code and error body. nlohmann's dump with error_handler_t::replace is what makes
// the body valid JSON for any bytes in a message.
#include "server/http_status.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "nlohmann/json.hpp"

namespace foryou::server {
namespace {

// The payload that marks a ResourceExhausted status as PayloadTooLargeError.
constexpr absl::string_view kPayloadTooLargeUrl = "type.foryou/server.PayloadTooLarge";

bool IsPayloadTooLarge(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted &&
         status.GetPayload(kPayloadTooLargeUrl).has_value();
}

}  // namespace

absl::Status PayloadTooLargeError(absl::string_view message) {
  absl::Status status = absl::ResourceExhaustedError(message);
  status.SetPayload(kPayloadTooLargeUrl, absl::Cord());
  return status;
}

int HttpCode(const absl::Status& status) {
  if (IsPayloadTooLarge(status)) return 413;
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string ErrorCodeName(absl::StatusCode code) {
  return absl::AsciiStrToLower(absl::StatusCodeToString(code));
}

std::string ErrorBody(std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ErrorBody(const absl::Status& status) {
  const std::string code =
      IsPayloadTooLarge(status) ? "payload_too_large" : ErrorCodeName(status.code());
  if (HttpCode(status) == 500) return ErrorBody(code, "internal error");
  const absl::string_view m = status.message();
  return ErrorBody(code, std::string_view(m.data(), m.size()));
}

}  // namespace foryou::server
