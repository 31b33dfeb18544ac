// Accounts, signed-out sessions and the audit log in one RocksDB database under
// <data_dir>/accounts (record layout: docs/formats/accounts.md). Handles are validated here:
// a handle is the account's key and the user id of its feed.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto store, AccountStore::Open(data_dir + "/accounts"));
//   FORYOU_RETURN_IF_ERROR(store->Create(account));          // AlreadyExists if the handle is taken
//   FORYOU_ASSIGN_OR_RETURN(Account a, store->Get("alice")); // NotFound
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"

namespace rocksdb {
class DB;
}

namespace foryou::accounts {

// Roles an account holds, a bit each. A new account is a viewer; an admin grants the others.
enum class AccountRole : uint8_t {
  kViewer = 1,
  kCreator = 2,
  kModerator = 4,
  kAdvertiser = 8,
  kAdmin = 16,
};
using RoleSet = uint8_t;
inline constexpr AccountRole kAllRoles[] = {AccountRole::kViewer, AccountRole::kCreator,
                                            AccountRole::kModerator, AccountRole::kAdvertiser,
                                            AccountRole::kAdmin};

inline bool Has(RoleSet set, AccountRole r) { return (set & static_cast<RoleSet>(r)) != 0; }
// "viewer", "creator", "moderator", "advertiser", "admin".
std::string_view RoleName(AccountRole role);
std::optional<AccountRole> ParseRole(std::string_view name);
// The names of the roles in `set`, in kAllRoles order.
std::vector<std::string> RoleNames(RoleSet set);

// Handles: 3..32 characters of a-z, 0-9, '_' and '.', starting with a letter. InvalidArgument
// naming the field "handle" otherwise.
[[nodiscard]] absl::Status ValidateHandle(std::string_view handle);

struct Account {
  std::string handle;         // also the catalog user id
  std::string password_hash;  // PasswordHasher::Hash
  RoleSet roles = static_cast<RoleSet>(AccountRole::kViewer);
  uint64_t generation = 0;    // tokens of an older generation are refused (sign out everywhere)
  int64_t created_ms = 0;
};

// One audited action: who did what to which target, when, from where, and how it ended.
struct AuditRecord {
  uint64_t seq = 0;  // assigned by AppendAudit, increasing from 1
  int64_t t_ms = 0;
  std::string who;     // "key:<name>" or "account:<handle>" ("anonymous" if unauthenticated)
  std::string route;   // the route's name, e.g. "/v1/admin/accounts/ID/roles"
  std::string target;  // the id in the path, "" if none
  std::string from;    // the client address
  int status = 0;      // the HTTP status answered
};

// Thread-safe: RocksDB serialises single writes; read-modify-writes (Create, Update) and the
// audit sequence take mu_.
class AccountStore {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AccountStore>> Open(const std::string& dir);
  ~AccountStore();

  // AlreadyExists if the handle has an account. The handle must be valid (checked).
  [[nodiscard]] absl::Status Create(const Account& account);
  // NotFound "no account 'x'"; DataLoss for an undecodable record.
  [[nodiscard]] absl::StatusOr<Account> Get(std::string_view handle) const;
  // Applies `change` to the stored account and writes it back if it returns OK; the new record.
  [[nodiscard]] absl::StatusOr<Account> Update(std::string_view handle,
                                               const std::function<absl::Status(Account*)>& change);
  // Removes the account (NotFound if absent). Its tokens then fail: their account is gone.
  [[nodiscard]] absl::Status Delete(std::string_view handle);

  // Marks `session` (raw id) signed out until `expires_ms` (after which its token is refused by
  // expiry anyway, and Open forgets the record).
  [[nodiscard]] absl::Status Revoke(std::string_view session, int64_t expires_ms);
  [[nodiscard]] absl::StatusOr<bool> IsRevoked(std::string_view session) const;
  // Forgets revocations that expired before `now_ms`; how many.
  [[nodiscard]] absl::StatusOr<uint64_t> ForgetExpiredRevocations(int64_t now_ms);

  // Writes `record` (its seq is assigned) durably (the write is synced); the seq.
  [[nodiscard]] absl::StatusOr<uint64_t> AppendAudit(AuditRecord record);
  // Up to `limit` records with seq < `before` (0 = from the newest), newest first.
  [[nodiscard]] absl::StatusOr<std::vector<AuditRecord>> Audit(uint64_t before, int limit) const;

 private:
  explicit AccountStore(std::unique_ptr<rocksdb::DB> db);

  std::unique_ptr<rocksdb::DB> db_;
  common::Mutex mu_;
  uint64_t last_audit_seq_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace foryou::accounts
