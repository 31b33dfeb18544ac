#include "accounts/session_token.h"

#include "gtest/gtest.h"

namespace foryou::accounts {
namespace {

const std::string kSecret(kTokenSecretBytes, 's');

TokenClaims Claims() {
  return {.user = "alice", .session = NewSessionId(), .generation = 7, .expires_ms = 2000};
}

TEST(SessionTokenTest, IssuedTokenVerifiesWithItsClaims) {
  TokenSigner signer(kSecret);
  const TokenClaims c = Claims();
  const std::string token = signer.Issue(c);
  EXPECT_TRUE(LooksLikeToken(token));
  absl::StatusOr<TokenClaims> got = signer.Verify(token, 1000);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->user, "alice");
  EXPECT_EQ(got->session, c.session);
  EXPECT_EQ(got->generation, 7u);
  EXPECT_EQ(got->expires_ms, 2000);
}

// The example of docs/formats/accounts.md, computed there with Python's hmac (HMAC-SHA-512
// truncated to 32 bytes) and base64url: the byte layout is the documented one.
TEST(SessionTokenTest, MatchesTheFormatPageExample) {
  TokenSigner signer(kSecret);
  const TokenClaims c{.user = "alice",
                      .session = std::string(kSessionIdBytes, '\0'),
                      .generation = 7,
                      .expires_ms = 2000};
  EXPECT_EQ(signer.Issue(c),
            "fy1.AQAAAAAAAAfQAAAAAAAAAAcAAAAAAAAAAAAAAAAAAAAAYWxpY2U."
            "LePZnAPoJFea1Yu6DX4iC4a_XiTTgCPUpJP3D4ylZj4");
}

TEST(SessionTokenTest, ExpiredTokenIsRefused) {
  TokenSigner signer(kSecret);
  const std::string token = signer.Issue(Claims());
  EXPECT_TRUE(signer.Verify(token, 1999).ok());
  const absl::Status st = signer.Verify(token, 2000).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(st.message().find("expired"), std::string::npos) << st;
}

TEST(SessionTokenTest, EveryChangedCharacterIsRefused) {
  TokenSigner signer(kSecret);
  const std::string token = signer.Issue(Claims());
  for (size_t i = 0; i < token.size(); ++i) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(signer.Verify(t, 1000).ok()) << "changed at " << i << ": " << t;
  }
  EXPECT_FALSE(signer.Verify(token + "A", 1000).ok());
  EXPECT_FALSE(signer.Verify(token.substr(0, token.size() - 1), 1000).ok());
}

TEST(SessionTokenTest, AnotherSecretsTokenIsRefused) {
  TokenSigner mine(kSecret), theirs(std::string(kTokenSecretBytes, 't'));
  const absl::Status st = mine.Verify(theirs.Issue(Claims()), 1000).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(st.message().find("signature"), std::string::npos) << st;
}

TEST(SessionTokenTest, AnotherUsersClaimsCannotBeSpliced) {
  TokenSigner signer(kSecret);
  TokenClaims bob = Claims();
  bob.user = "bob";
  const std::string a = signer.Issue(Claims()), b = signer.Issue(bob);
  // alice's payload with bob's MAC.
  const std::string spliced = a.substr(0, a.rfind('.')) + b.substr(b.rfind('.'));
  EXPECT_FALSE(signer.Verify(spliced, 1000).ok());
}

TEST(SessionTokenTest, GarbageIsMalformedNotACrash) {
  TokenSigner signer(kSecret);
  for (const char* t : {"", "fy1.", "fy1..", "fy1.a.b", "fy1.%%%.%%%", "fy_app_abc", "fy1.AAAA"}) {
    EXPECT_EQ(signer.Verify(t, 0).status().code(), absl::StatusCode::kUnauthenticated) << t;
  }
}

}  // namespace
}  // namespace foryou::accounts
