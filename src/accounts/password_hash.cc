// Argon2id through libsodium (password_hash.h).
#include "accounts/password_hash.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace foryou::accounts {

void InitSodium() {
  // sodium_init is itself safe to call from several threads and more than once.
  if (sodium_init() < 0) {
    std::fprintf(stderr, "foryou: libsodium cannot start\n");
    std::abort();
  }
}

PasswordLimits PasswordLimits::Interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordLimits PasswordLimits::Min() { return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN}; }

absl::Status ValidatePassword(std::string_view password) {
  if (password.size() < 8 || password.size() > 128) {
    return absl::InvalidArgumentError("password: must be 8 to 128 bytes");
  }
  return absl::OkStatus();
}

PasswordHasher::PasswordHasher(PasswordLimits limits) : limits_(limits) { InitSodium(); }

absl::StatusOr<std::string> PasswordHasher::Hash(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), limits_.ops, limits_.mem_bytes) !=
      0) {
    return absl::ResourceExhaustedError("password hashing: out of memory");
  }
  return std::string(out);
}

bool PasswordHasher::Verify(std::string_view stored, std::string_view password) {
  InitSodium();
  // crypto_pwhash_str_verify needs a NUL-terminated string of at most STRBYTES - 1 characters.
  if (stored.empty() || stored.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string s(stored);
  return crypto_pwhash_str_verify(s.c_str(), password.data(), password.size()) == 0;
}

}  // namespace foryou::accounts
