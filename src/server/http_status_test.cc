#include "server/http_status.h"

#include "absl/strings/cord.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace foryou::server {
namespace {

TEST(HttpStatusTest, MapsEveryCodeInOnePlace) {
  EXPECT_EQ(HttpCode(absl::OkStatus()), 200);
  EXPECT_EQ(HttpCode(absl::InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpCode(absl::FailedPreconditionError("x")), 400);
  EXPECT_EQ(HttpCode(absl::OutOfRangeError("x")), 400);
  EXPECT_EQ(HttpCode(absl::UnauthenticatedError("x")), 401);
  EXPECT_EQ(HttpCode(absl::PermissionDeniedError("x")), 403);
  EXPECT_EQ(HttpCode(absl::NotFoundError("x")), 404);
  EXPECT_EQ(HttpCode(absl::AlreadyExistsError("x")), 409);
  EXPECT_EQ(HttpCode(absl::ResourceExhaustedError("x")), 429);
  EXPECT_EQ(HttpCode(absl::UnavailableError("x")), 503);
  EXPECT_EQ(HttpCode(absl::DeadlineExceededError("x")), 504);
  EXPECT_EQ(HttpCode(absl::InternalError("x")), 500);
  EXPECT_EQ(HttpCode(absl::DataLossError("x")), 500);
  EXPECT_EQ(HttpCode(absl::UnknownError("x")), 500);
  EXPECT_EQ(HttpCode(absl::AbortedError("x")), 500);
  EXPECT_EQ(HttpCode(absl::CancelledError("x")), 500);
  EXPECT_EQ(HttpCode(absl::UnimplementedError("x")), 500);
}

TEST(HttpStatusTest, ErrorBodyCarriesCodeAndMessage) {
  auto body = nlohmann::json::parse(ErrorBody(absl::NotFoundError("video \"v1\" not found")));
  EXPECT_EQ(body["error"]["code"], "not_found");
  EXPECT_EQ(body["error"]["message"], "video \"v1\" not found");
  EXPECT_EQ(nlohmann::json::parse(ErrorBody(absl::ResourceExhaustedError("slow down")))["error"]
                                 ["code"],
            "resource_exhausted");
  auto direct = nlohmann::json::parse(ErrorBody("payload_too_large", "body over 1 MiB"));
  EXPECT_EQ(direct["error"]["code"], "payload_too_large");
  EXPECT_EQ(direct["error"]["message"], "body over 1 MiB");
}

// A request over a size limit is 413 "payload_too_large"; a plain ResourceExhausted stays 429,
// and a marked status of another code would not be one (the mark only qualifies
// ResourceExhausted).
TEST(HttpStatusTest, PayloadTooLargeIsItsOwnCode) {
  const absl::Status big = PayloadTooLargeError("events: 10001 events is over the limit");
  EXPECT_EQ(big.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(HttpCode(big), 413);
  auto body = nlohmann::json::parse(ErrorBody(big));
  EXPECT_EQ(body["error"]["code"], "payload_too_large");
  EXPECT_EQ(body["error"]["message"], "events: 10001 events is over the limit");
  EXPECT_EQ(HttpCode(absl::ResourceExhaustedError("events: 10001 events")), 429);
  absl::Status other = absl::InvalidArgumentError("x");
  big.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { other.SetPayload(url, payload); });
  EXPECT_EQ(HttpCode(other), 400);
  EXPECT_EQ(nlohmann::json::parse(ErrorBody(other))["error"]["code"], "invalid_argument");
}

TEST(HttpStatusTest, InternalMessagesAreNotShownToClients) {
  auto body = nlohmann::json::parse(ErrorBody(absl::InternalError("open /var/lib/x: EIO")));
  EXPECT_EQ(body["error"]["code"], "internal");
  EXPECT_EQ(body["error"]["message"], "internal error");
}

TEST(HttpStatusTest, ErrorBodyIsValidJsonForAnyBytes) {
  std::string message = "bad \xff\xfe byte, quote \" backslash \\ newline \n nul ";
  message.push_back('\0');
  message += " overlong \xc0\xaf surrogate \xed\xa0\x80 truncated \xe2\x82";
  const std::string text = ErrorBody(absl::InvalidArgumentError(message));
  nlohmann::json body;
  ASSERT_NO_THROW(body = nlohmann::json::parse(text)) << text;
  const std::string got = body["error"]["message"];
  EXPECT_NE(got.find("quote \" backslash \\ newline \n nul "), std::string::npos);
  EXPECT_NE(got.find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD
  // The parsed text is well-formed UTF-8 all through: a strict re-dump must not throw.
  EXPECT_NO_THROW((void)body.dump());
}

}  // namespace
}  // namespace foryou::server
