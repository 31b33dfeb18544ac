// Signed, expiring session tokens (docs/formats/accounts.md, "Session token"):
//
//   "fy1." base64url(payload) "." base64url(HMAC-SHA-512-256(secret, "fy1." base64url(payload)))
//   payload = version 1 (1 byte) | expires_ms (int64 BE) | generation (uint64 BE)
//             | session id (16 random bytes) | user id (the rest, 1..128 bytes)
//
// The MAC is libsodium's crypto_auth. A token proves who it was issued to and until when; that
// its session was not signed out is the account store's business (AccountService).
//
// Example:
//   TokenSigner signer(secret);  // crypto_auth_KEYBYTES bytes
//   std::string t = signer.Issue({.user = "alice", .session = NewSessionId(), .expires_ms = ...});
//   absl::StatusOr<TokenClaims> c = signer.Verify(t, now_ms);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace foryou::accounts {

inline constexpr char kTokenPrefix[] = "fy1.";
inline constexpr size_t kSessionIdBytes = 16;
inline constexpr size_t kTokenSecretBytes = 32;  // crypto_auth_KEYBYTES

struct TokenClaims {
  std::string user;
  std::string session;  // kSessionIdBytes raw bytes
  uint64_t generation = 0;  // the account's token generation when issued (sign out everywhere)
  int64_t expires_ms = 0;
};

// kSessionIdBytes random bytes (libsodium's randombytes_buf).
std::string NewSessionId();
// Lower-case hex, for keys and logs.
std::string HexOf(std::string_view bytes);

// True if `credential` has the shape of a session token (not an API key).
bool LooksLikeToken(std::string_view credential);

// Immutable after construction: concurrent Issue / Verify are safe.
class TokenSigner {
 public:
  // `secret` must hold kTokenSecretBytes bytes (checked: a programmer error otherwise).
  explicit TokenSigner(std::string secret);

  std::string Issue(const TokenClaims& claims) const;

  // The claims of a well-formed, correctly signed token that has not expired at `now_ms`.
  // Unauthenticated otherwise: "malformed session token", "invalid session token signature",
  // "session token expired".
  [[nodiscard]] absl::StatusOr<TokenClaims> Verify(std::string_view token, int64_t now_ms) const;

 private:
  std::string secret_;
};

}  // namespace foryou::accounts
