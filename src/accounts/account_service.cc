// Sign-up, sign-in and session checks over the account store (account_service.h).
#include "accounts/account_service.h"

#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/file_util.h"

namespace foryou::accounts {

absl::StatusOr<std::unique_ptr<AccountService>> AccountService::Open(const std::string& data_dir,
                                                                      AccountOptions options) {
  InitSodium();
  const std::string dir = data_dir + "/accounts";
  if (absl::Status st = common::MakeDirs(dir); !st.ok()) return st;
  const std::string key_path = dir + "/token.key";
  std::string secret;
  if (std::filesystem::exists(key_path)) {
    absl::StatusOr<std::string> read = common::ReadFile(key_path);
    if (!read.ok()) return read.status();
    if (read->size() != kTokenSecretBytes) {
      return absl::DataLossError(absl::StrCat(key_path, ": ", read->size(), " bytes, expected ",
                                              kTokenSecretBytes));
    }
    secret = std::move(*read);
  } else {
    secret = NewSessionId() + NewSessionId();  // 2 x 16 random bytes
    // Owner-only from the first byte (file_util.h).
    if (absl::Status st = common::WriteFileAtomically(key_path, secret, common::kSecretFileMode);
        !st.ok()) {
      return st;
    }
  }
  absl::StatusOr<std::unique_ptr<AccountStore>> store = AccountStore::Open(dir + "/db");
  if (!store.ok()) return store.status();
  // Revocations past their token's expiry are of no more use.
  if (absl::StatusOr<uint64_t> n = (*store)->ForgetExpiredRevocations(common::WallMs()); !n.ok()) {
    return n.status();
  }
  std::unique_ptr<AccountService> service(
      new AccountService(options, std::move(*store), std::move(secret)));
  absl::StatusOr<std::string> stand_in = service->hasher_.Hash(NewSessionId());
  if (!stand_in.ok()) return stand_in.status();
  service->stand_in_hash_ = std::move(*stand_in);
  return service;
}

AccountService::AccountService(AccountOptions options, std::unique_ptr<AccountStore> store,
                               std::string secret)
    : options_(options),
      store_(std::move(store)),
      signer_(std::move(secret)),
      hasher_(options.password) {}

absl::StatusOr<Account> AccountService::PrepareSignUp(std::string_view handle,
                                                      std::string_view password, int64_t now_ms) {
  if (absl::Status st = ValidateHandle(handle); !st.ok()) return st;
  if (absl::Status st = ValidatePassword(password); !st.ok()) return st;
  absl::StatusOr<Account> existing = store_->Get(handle);
  if (existing.ok()) {
    return absl::AlreadyExistsError(absl::StrCat("handle '", std::string(handle), "' is taken"));
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();
  Account a;
  a.handle = std::string(handle);
  absl::StatusOr<std::string> hash = hasher_.Hash(password);
  if (!hash.ok()) return hash.status();
  a.password_hash = std::move(*hash);
  a.created_ms = now_ms;
  // A random first generation: a handle deleted and signed up again is a new account, and the
  // old account's unexpired tokens (same handle, their generation) must not pass as its own.
  const std::string r = NewSessionId();
  std::memcpy(&a.generation, r.data(), sizeof(a.generation));
  return a;
}

absl::Status AccountService::AddAccount(const Account& account) { return store_->Create(account); }

Signed AccountService::Issue(const Account& account, int64_t now_ms) const {
  TokenClaims c{.user = account.handle,
                .session = NewSessionId(),
                .generation = account.generation,
                .expires_ms = now_ms + options_.session_ttl_ms};
  return Signed{account, signer_.Issue(c), c.expires_ms};
}

absl::StatusOr<Signed> AccountService::SignIn(std::string_view handle, std::string_view password,
                                              int64_t now_ms) {
  const absl::Status wrong = absl::UnauthenticatedError("wrong handle or password");
  if (!ValidateHandle(handle).ok()) return wrong;
  absl::StatusOr<Account> account = store_->Get(handle);
  if (absl::IsNotFound(account.status())) {
    PasswordHasher::Verify(stand_in_hash_, password);  // the time a real check takes
    return wrong;
  }
  if (!account.ok()) return account.status();
  if (!PasswordHasher::Verify(account->password_hash, password)) return wrong;
  return Issue(*account, now_ms);
}

absl::Status AccountService::CheckPassword(std::string_view handle, std::string_view password) {
  absl::StatusOr<Account> account = store_->Get(handle);
  if (!account.ok()) return account.status();
  if (!PasswordHasher::Verify(account->password_hash, password)) {
    return absl::UnauthenticatedError("wrong password");
  }
  return absl::OkStatus();
}

absl::StatusOr<Session> AccountService::Authenticate(std::string_view token,
                                                     int64_t now_ms) const {
  absl::StatusOr<TokenClaims> claims = signer_.Verify(token, now_ms);
  if (!claims.ok()) return claims.status();
  absl::StatusOr<Account> account = store_->Get(claims->user);
  if (absl::IsNotFound(account.status())) {
    return absl::UnauthenticatedError("the session's account no longer exists");
  }
  if (!account.ok()) return account.status();
  if (claims->generation != account->generation) {
    return absl::UnauthenticatedError("session signed out (signed out everywhere)");
  }
  absl::StatusOr<bool> revoked = store_->IsRevoked(claims->session);
  if (!revoked.ok()) return revoked.status();
  if (*revoked) return absl::UnauthenticatedError("session signed out");
  return Session{std::move(*account), std::move(*claims)};
}

absl::StatusOr<Signed> AccountService::Refresh(const Session& session, int64_t now_ms) {
  if (absl::Status st = SignOut(session); !st.ok()) return st;
  return Issue(session.account, now_ms);
}

absl::Status AccountService::SignOut(const Session& session) {
  return store_->Revoke(session.claims.session, session.claims.expires_ms);
}

absl::Status AccountService::SignOutEverywhere(std::string_view handle) {
  return store_
      ->Update(handle,
               [](Account* a) {
                 ++a->generation;
                 return absl::OkStatus();
               })
      .status();
}

absl::StatusOr<Account> AccountService::SetRoles(std::string_view handle, RoleSet roles) {
  return store_->Update(handle, [roles](Account* a) {
    a->roles = roles;
    return absl::OkStatus();
  });
}

}  // namespace foryou::accounts
