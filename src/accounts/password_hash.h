// Password hashing with Argon2id (libsodium's crypto_pwhash_str): the hash string embeds the
// algorithm, its limits and a random salt, so a hash made with any limits verifies later.
//
// Example:
//   PasswordHasher hasher(PasswordLimits::Interactive());
//   FORYOU_ASSIGN_OR_RETURN(std::string stored, hasher.Hash("correct horse"));
//   if (!PasswordHasher::Verify(stored, attempt)) return absl::UnauthenticatedError(...);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace foryou::accounts {

// Argon2id cost: passes over memory and the memory itself. Interactive() is libsodium's
// INTERACTIVE (2 passes, 64 MiB, ~0.1 s on a server core); Min() its smallest allowed limits,
// for tests only.
struct PasswordLimits {
  uint64_t ops = 0;
  size_t mem_bytes = 0;
  static PasswordLimits Interactive();
  static PasswordLimits Min();
};

// Passwords are 8..128 bytes (any bytes: pass phrases, non-ASCII). InvalidArgument otherwise,
// naming the field "password" and never echoing it.
[[nodiscard]] absl::Status ValidatePassword(std::string_view password);

// Thread-safe (no state beyond the limits); each call allocates `mem_bytes`.
class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordLimits limits);

  // The crypto_pwhash_str string ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"). ResourceExhausted
  // if the memory cannot be allocated.
  [[nodiscard]] absl::StatusOr<std::string> Hash(std::string_view password) const;

  // True if `password` matches `stored` (constant time in the password's position of mismatch).
  // False for a malformed `stored`.
  static bool Verify(std::string_view stored, std::string_view password);

  const PasswordLimits& limits() const { return limits_; }

 private:
  PasswordLimits limits_;
};

// Calls sodium_init() once (thread-safe); aborts if libsodium cannot start (no entropy source).
void InitSodium();

}  // namespace foryou::accounts
