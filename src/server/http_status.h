// The one place an absl::Status becomes an HTTP status code and a JSON error body.
//
//   InvalidArgument, FailedPrecondition, OutOfRange -> 400     Unauthenticated   -> 401
//   PermissionDenied -> 403    NotFound -> 404                 AlreadyExists     -> 409
//   ResourceExhausted -> 429 (rate limit, full queue)          Unavailable       -> 503
//   DeadlineExceeded -> 504    OK -> 200                       everything else   -> 500
//   PayloadTooLargeError(...) (a marked ResourceExhausted: a request over a size limit) -> 413
//
// Handlers answer every error through these (api_handlers.h: SendError), never with a literal
// code. A body over max_body_bytes is refused by the HttpServer itself with 413 before any handler
// runs; the server's error handler then fills in ErrorBody("payload_too_large", ...).
// Design: docs/design/server.md.
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
#include "absl/strings/string_view.h"

namespace foryou::server {

// The HTTP status code for `status` (table above).
int HttpCode(const absl::Status& status);

// A ResourceExhausted status that means "this request is too large" (an event batch over its
// element limit), not "slow down": HttpCode gives 413 and ErrorBody the code
// "payload_too_large". Every other ResourceExhausted stays 429.
absl::Status PayloadTooLargeError(absl::string_view message);

// The lower-case name of a status code: "not_found", "invalid_argument", ...
std::string ErrorCodeName(absl::StatusCode code);

// `{"error":{"code":"not_found","message":"..."}}` ("payload_too_large" for a
// PayloadTooLargeError). Always valid JSON: bytes of the message that
// are not well-formed UTF-8 become U+FFFD. For statuses that map to 500 the message is replaced
// by "internal error" (the caller logs the real one): internal messages name files and state a
// client has no business seeing.
std::string ErrorBody(const absl::Status& status);

// `{"error":{"code":<code>,"message":<message>}}` for answers without a Status (the
// transport's 400, 404, 413, ...).
std::string ErrorBody(std::string_view code, std::string_view message);

}  // namespace foryou::server
