#include "accounts/password_hash.h"

#include "gtest/gtest.h"

namespace foryou::accounts {
namespace {

TEST(PasswordHashTest, RoundTripWithMinLimits) {
  PasswordHasher hasher(PasswordLimits::Min());
  absl::StatusOr<std::string> stored = hasher.Hash("correct horse battery");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->rfind("$argon2id$", 0), 0u) << *stored;
  EXPECT_TRUE(PasswordHasher::Verify(*stored, "correct horse battery"));
  EXPECT_FALSE(PasswordHasher::Verify(*stored, "correct horse batterY"));
  EXPECT_FALSE(PasswordHasher::Verify(*stored, ""));
  // A fresh salt each time: the same password hashes differently, and both verify.
  absl::StatusOr<std::string> again = hasher.Hash("correct horse battery");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, *stored);
  EXPECT_TRUE(PasswordHasher::Verify(*again, "correct horse battery"));
}

TEST(PasswordHashTest, MalformedStoredHashNeverVerifies) {
  EXPECT_FALSE(PasswordHasher::Verify("", "x"));
  EXPECT_FALSE(PasswordHasher::Verify("$argon2id$garbage", "x"));
  EXPECT_FALSE(PasswordHasher::Verify(std::string(500, 'a'), "x"));
}

TEST(PasswordHashTest, PasswordLengthIsChecked) {
  EXPECT_FALSE(ValidatePassword("short").ok());
  EXPECT_TRUE(ValidatePassword("eight ch").ok());
  EXPECT_TRUE(ValidatePassword(std::string(128, 'x')).ok());
  const absl::Status too_long = ValidatePassword(std::string(129, 'x'));
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.message().find("password"), std::string::npos);
}

}  // namespace
}  // namespace foryou::accounts
