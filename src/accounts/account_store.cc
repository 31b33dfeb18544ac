// RocksDB records of accounts, signed-out sessions and the audit log (account_store.h;
// docs/formats/accounts.md).
#include "accounts/account_store.h"

#include <cstdio>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "accounts/session_token.h"
#include "common/absl_view.h"
#include "common/rocksdb_options.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/options.h"

namespace foryou::accounts {
namespace {

using json = nlohmann::json;

constexpr char kAccountPrefix[] = "account/";
constexpr char kRevokedPrefix[] = "revoked/";
constexpr char kAuditPrefix[] = "audit/";

using common::A;

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  const std::string msg = absl::StrCat("accounts: ", A(what), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  return absl::UnavailableError(msg);
}

// 20 decimal digits: keys sort in seq order.
std::string AuditKey(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s%020llu", kAuditPrefix, static_cast<unsigned long long>(seq));
  return buf;
}

std::string Encode(const Account& a) {
  return json{{"handle", a.handle}, {"password", a.password_hash}, {"roles", a.roles},
              {"generation", a.generation}, {"created_ms", a.created_ms}}
      .dump();
}

absl::StatusOr<Account> DecodeAccount(std::string_view key, const std::string& value) {
  Account a;
  try {
    const json j = json::parse(value);
    a.handle = j.at("handle").get<std::string>();
    a.password_hash = j.at("password").get<std::string>();
    a.roles = j.at("roles").get<RoleSet>();
    a.generation = j.at("generation").get<uint64_t>();
    a.created_ms = j.at("created_ms").get<int64_t>();
  } catch (const json::exception&) {
    return absl::DataLossError(
        absl::StrCat("accounts: record '", absl::CHexEscape(A(key)), "' does not decode"));
  }
  return a;
}

std::string EncodeAudit(const AuditRecord& r) {
  return json{{"seq", r.seq},       {"t_ms", r.t_ms},     {"who", r.who},
              {"route", r.route},   {"target", r.target}, {"from", r.from},
              {"status", r.status}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

bool DecodeAudit(const std::string& value, AuditRecord* r) {
  try {
    const json j = json::parse(value);
    r->seq = j.at("seq").get<uint64_t>();
    r->t_ms = j.at("t_ms").get<int64_t>();
    r->who = j.at("who").get<std::string>();
    r->route = j.at("route").get<std::string>();
    r->target = j.at("target").get<std::string>();
    r->from = j.at("from").get<std::string>();
    r->status = j.at("status").get<int>();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

}  // namespace

std::string_view RoleName(AccountRole role) {
  switch (role) {
    case AccountRole::kViewer: return "viewer";
    case AccountRole::kCreator: return "creator";
    case AccountRole::kModerator: return "moderator";
    case AccountRole::kAdvertiser: return "advertiser";
    case AccountRole::kAdmin: return "admin";
  }
  return "unknown";
}

std::optional<AccountRole> ParseRole(std::string_view name) {
  for (AccountRole r : kAllRoles) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::vector<std::string> RoleNames(RoleSet set) {
  std::vector<std::string> out;
  for (AccountRole r : kAllRoles) {
    if (Has(set, r)) out.emplace_back(RoleName(r));
  }
  return out;
}

absl::Status ValidateHandle(std::string_view handle) {
  const absl::Status bad = absl::InvalidArgumentError(
      "handle: must be 3 to 32 characters of a-z, 0-9, '_' or '.', starting with a letter");
  if (handle.size() < 3 || handle.size() > 32) return bad;
  if (handle[0] < 'a' || handle[0] > 'z') return bad;
  for (char c : handle) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!ok) return bad;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AccountStore>> AccountStore::Open(const std::string& dir) {
  rocksdb::Options options = common::StoreOptions();
  options.max_background_jobs = 1;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open ", dir));
  std::unique_ptr<AccountStore> store(new AccountStore(std::unique_ptr<rocksdb::DB>(raw)));
  // The audit sequence continues after the last record.
  std::unique_ptr<rocksdb::Iterator> it(store->db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(AuditKey(UINT64_MAX));
  if (it->Valid() && it->key().starts_with(kAuditPrefix)) {
    AuditRecord last;
    if (!DecodeAudit(it->value().ToString(), &last)) {
      return absl::DataLossError("accounts: the last audit record does not decode");
    }
    common::MutexLock lock(&store->mu_);
    store->last_audit_seq_ = last.seq;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan the audit log");
  return store;
}

AccountStore::AccountStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

AccountStore::~AccountStore() = default;

absl::Status AccountStore::Create(const Account& account) {
  if (absl::Status st = ValidateHandle(account.handle); !st.ok()) return st;
  const std::string key = kAccountPrefix + account.handle;
  common::MutexLock lock(&mu_);
  std::string existing;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &existing);
  if (s.ok()) {
    return absl::AlreadyExistsError(absl::StrCat("handle '", account.handle, "' is taken"));
  }
  if (!s.IsNotFound()) return FromRocks(s, "read account");
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db_->Put(wo, key, Encode(account));
  if (!s.ok()) return FromRocks(s, "write account");
  return absl::OkStatus();
}

absl::StatusOr<Account> AccountStore::Get(std::string_view handle) const {
  const std::string key = absl::StrCat(kAccountPrefix, A(handle));
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("no account '", absl::CHexEscape(A(handle)), "'"));
  }
  if (!s.ok()) return FromRocks(s, "read account");
  return DecodeAccount(key, value);
}

absl::StatusOr<Account> AccountStore::Update(std::string_view handle,
                                             const std::function<absl::Status(Account*)>& change) {
  common::MutexLock lock(&mu_);
  absl::StatusOr<Account> account = Get(handle);
  if (!account.ok()) return account.status();
  if (absl::Status st = change(&*account); !st.ok()) return st;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Put(wo, absl::StrCat(kAccountPrefix, A(handle)), Encode(*account));
  if (!s.ok()) return FromRocks(s, "write account");
  return account;
}

absl::Status AccountStore::Delete(std::string_view handle) {
  common::MutexLock lock(&mu_);
  absl::StatusOr<Account> account = Get(handle);
  if (!account.ok()) return account.status();
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Delete(wo, absl::StrCat(kAccountPrefix, A(handle)));
  if (!s.ok()) return FromRocks(s, "delete account");
  return absl::OkStatus();
}

absl::Status AccountStore::Revoke(std::string_view session, int64_t expires_ms) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s =
      db_->Put(wo, absl::StrCat(kRevokedPrefix, HexOf(session)), std::to_string(expires_ms));
  if (!s.ok()) return FromRocks(s, "write revocation");
  return absl::OkStatus();
}

absl::StatusOr<bool> AccountStore::IsRevoked(std::string_view session) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), absl::StrCat(kRevokedPrefix, HexOf(session)), &value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return FromRocks(s, "read revocation");
  return true;
}

absl::StatusOr<uint64_t> AccountStore::ForgetExpiredRevocations(int64_t now_ms) {
  uint64_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kRevokedPrefix); it->Valid() && it->key().starts_with(kRevokedPrefix);
       it->Next()) {
    int64_t expires = 0;
    try {
      expires = std::stoll(it->value().ToString());
    } catch (const std::exception&) {
      expires = 0;  // an unreadable record: past its use either way
    }
    if (expires >= now_ms) continue;
    rocksdb::Status s = db_->Delete(rocksdb::WriteOptions(), it->key());
    if (!s.ok()) return FromRocks(s, "forget revocation");
    ++n;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan revocations");
  return n;
}

absl::StatusOr<uint64_t> AccountStore::AppendAudit(AuditRecord record) {
  common::MutexLock lock(&mu_);
  record.seq = last_audit_seq_ + 1;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Put(wo, AuditKey(record.seq), EncodeAudit(record));
  if (!s.ok()) return FromRocks(s, "write audit record");
  last_audit_seq_ = record.seq;
  return record.seq;
}

absl::StatusOr<std::vector<AuditRecord>> AccountStore::Audit(uint64_t before, int limit) const {
  std::vector<AuditRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(AuditKey(before == 0 ? UINT64_MAX : before - 1));
  for (; it->Valid() && it->key().starts_with(kAuditPrefix) && static_cast<int>(out.size()) < limit;
       it->Prev()) {
    AuditRecord r;
    if (!DecodeAudit(it->value().ToString(), &r)) {
      return absl::DataLossError(
          absl::StrCat("accounts: audit record '", it->key().ToString(), "' does not decode"));
    }
    out.push_back(std::move(r));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan the audit log");
  return out;
}

}  // namespace foryou::accounts
