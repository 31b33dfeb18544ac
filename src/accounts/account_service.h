// AccountService: sign-up, sign-in, session tokens (issue, check, refresh, sign out, sign out
// everywhere), roles and the audit log, over an AccountStore and a token secret kept in
// <data_dir>/accounts/token.key (mode 0600). Design: docs/design/accounts.md.
//
// Thread-safe: the store is, the signer and hasher are immutable.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto accounts, AccountService::Open(data_dir, {}));
//   FORYOU_ASSIGN_OR_RETURN(Account a, accounts->PrepareSignUp("alice", "pass phrase", now));
//   ... create the catalog user "alice" ...
//   FORYOU_RETURN_IF_ERROR(accounts->AddAccount(a));
//   FORYOU_ASSIGN_OR_RETURN(Signed s, accounts->SignIn("alice", "pass phrase", now));
//   FORYOU_ASSIGN_OR_RETURN(Session who, accounts->Authenticate(s.token, now));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "accounts/account_store.h"
#include "accounts/password_hash.h"
#include "accounts/session_token.h"

namespace foryou::accounts {

struct AccountOptions {
  PasswordLimits password = PasswordLimits::Interactive();  // tests: PasswordLimits::Min()
  int64_t session_ttl_ms = 12 * 3600 * 1000;  // a token's life; refresh before it ends
};

// An authenticated request's account, as of its token.
struct Session {
  Account account;
  TokenClaims claims;
};

// A freshly issued token.
struct Signed {
  Account account;
  std::string token;
  int64_t expires_ms = 0;
};

class AccountService {
 public:
  // Opens <data_dir>/accounts (RocksDB) and its token.key, creating both on a first start.
  // DataLoss if token.key exists with the wrong size.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AccountService>> Open(
      const std::string& data_dir, AccountOptions options);

  // A new account (a viewer), validated and with its password hashed, not yet stored:
  // InvalidArgument for a bad handle or password, AlreadyExists if the handle is taken.
  // The caller creates the catalog user, then AddAccount: the account never exists without
  // its feed user.
  [[nodiscard]] absl::StatusOr<Account> PrepareSignUp(std::string_view handle,
                                                      std::string_view password, int64_t now_ms);
  [[nodiscard]] absl::Status AddAccount(const Account& account);

  // Unauthenticated "wrong handle or password" for an unknown handle or a wrong password: the
  // same message, and about the same time (an unknown handle is checked against a stand-in
  // hash), so neither tells which handles exist.
  [[nodiscard]] absl::StatusOr<Signed> SignIn(std::string_view handle, std::string_view password,
                                              int64_t now_ms);
  // OK if `password` is the account's: the check a destructive action asks for again
  // (deleting the account). Unauthenticated "wrong password" otherwise; NotFound if no account.
  [[nodiscard]] absl::Status CheckPassword(std::string_view handle, std::string_view password);
  // A fresh token for `account` (sign-up signs in).
  [[nodiscard]] Signed Issue(const Account& account, int64_t now_ms) const;

  // The account behind a token that is well-formed, signed by this server, unexpired, not
  // signed out, of the account's current generation and whose account still exists;
  // Unauthenticated naming which check failed otherwise.
  [[nodiscard]] absl::StatusOr<Session> Authenticate(std::string_view token, int64_t now_ms) const;
  // A new token for the session's account; the old one is signed out.
  [[nodiscard]] absl::StatusOr<Signed> Refresh(const Session& session, int64_t now_ms);
  // Signs this token's session out.
  [[nodiscard]] absl::Status SignOut(const Session& session);
  // Signs out every token of `handle` issued so far (the generation moves on).
  [[nodiscard]] absl::Status SignOutEverywhere(std::string_view handle);

  // Replaces the roles of `handle`; the account. NotFound.
  [[nodiscard]] absl::StatusOr<Account> SetRoles(std::string_view handle, RoleSet roles);
  [[nodiscard]] absl::StatusOr<Account> Get(std::string_view handle) const {
    return store_->Get(handle);
  }
  [[nodiscard]] absl::Status Delete(std::string_view handle) { return store_->Delete(handle); }

  AccountStore& store() { return *store_; }
  const AccountOptions& options() const { return options_; }

 private:
  AccountService(AccountOptions options, std::unique_ptr<AccountStore> store, std::string secret);

  const AccountOptions options_;
  std::unique_ptr<AccountStore> store_;
  const TokenSigner signer_;
  const PasswordHasher hasher_;
  std::string stand_in_hash_;  // made at Open with the configured limits; never matches
};

}  // namespace foryou::accounts
