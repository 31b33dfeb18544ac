// The one place an absl::Status becomes an HTTP status code and a JSON error body.
//
//   InvalidArgument, FailedPrecondition, OutOfRange -> 400     Unauthenticated   -> 401
//   PermissionDenied -> 403    NotFound -> 404                 AlreadyExists     -> 409
//   ResourceExhausted -> 429 (rate limit, full queue)          Unavailable       -> 503
//   DeadlineExceeded -> 504    OK -> 200                       everything else   -> 500
//
// 413 (body too large) has no Status code: the server answers it before parsing, with
// ErrorBody("payload_too_large", ...). Design: docs/design/server.md.
//
// Example:
//   absl::StatusOr<Feed> feed = service.GetFeed(request);
//   if (!feed.ok()) {
//     res.status = HttpCode(feed.status());
//     res.set_content(ErrorBody(feed.status()), "application/json");
//   }
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace foryou::server {

// The HTTP status code for `status` (table above).
int HttpCode(const absl::Status& status);

// The lower-case name of a status code: "not_found", "invalid_argument", ...
std::string ErrorCodeName(absl::StatusCode code);

// `{"error":{"code":"not_found","message":"..."}}`. Always valid JSON: bytes of the message that
// are not well-formed UTF-8 become U+FFFD. For statuses that map to 500 the message is replaced
// by "internal error" (the caller logs the real one): internal messages name files and state a
// client has no business seeing.
std::string ErrorBody(const absl::Status& status);

// `{"error":{"code":<code>,"message":<message>}}` for answers without a Status (413, 405).
std::string ErrorBody(std::string_view code, std::string_view message);

}  // namespace foryou::server
