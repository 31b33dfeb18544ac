// CatalogStore's challenge records ("g/<name>", docs/formats/catalog.md). A challenge names a
// hashtag but touches no count or index: its entries are the hashtag's videos, read through the
// "ih/" index or the feed's in-memory index. Writes take the store's write lock so that a
// create's existence check and its put are one step.
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog_store.h"
#include "catalog/internal.h"
#include "catalog/record_codec.h"
#include "common/absl_view.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"

namespace foryou::catalog {
namespace {

using common::A;

using internal::FromRocks;

absl::Status NotFound(std::string_view name) {
  return absl::NotFoundError(absl::StrCat("challenge '", absl::CHexEscape(A(name)), "' not found"));
}

}  // namespace

absl::Status CatalogStore::CreateChallenge(const Challenge& challenge) {
  return WriteChallenge(challenge, /*must_exist=*/false);
}

absl::Status CatalogStore::UpdateChallenge(const Challenge& challenge) {
  return WriteChallenge(challenge, /*must_exist=*/true);
}

absl::Status CatalogStore::WriteChallenge(const Challenge& challenge, bool must_exist) {
  FORYOU_RETURN_IF_ERROR(ValidateChallenge(challenge));
  const std::string key = codec::Key(codec::kChallengePrefix, challenge.name);
  common::MutexLock lock(&mu_);
  std::string old;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &old);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, absl::StrCat("read ", key));
  if (s.IsNotFound() && must_exist) return NotFound(challenge.name);
  if (s.ok() && !must_exist) {
    return absl::AlreadyExistsError(
        absl::StrCat("challenge '", challenge.name, "' already exists"));
  }
  const std::string value = codec::Encode(challenge);
  if (changelog_ != nullptr) {
    FORYOU_RETURN_IF_ERROR(changelog_->Append({{.key = key, .value = value}}));
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db_->Put(wo, key, value);
  if (!s.ok()) return FromRocks(s, absl::StrCat("write ", key));
  return absl::OkStatus();
}

absl::StatusOr<Challenge> CatalogStore::GetChallenge(std::string_view name) const {
  const std::string key = codec::Key(codec::kChallengePrefix, name);
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return NotFound(name);
  if (!s.ok()) return FromRocks(s, absl::StrCat("read ", absl::CHexEscape(A(key))));
  Challenge c;
  if (!codec::Decode(value, name, &c)) {
    return absl::DataLossError(
        absl::StrCat("catalog: record '", absl::CHexEscape(A(key)), "' does not decode"));
  }
  return c;
}

absl::Status CatalogStore::ForEachChallenge(const std::function<void(const Challenge&)>& fn) const {
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::vector<Challenge> all;
  absl::Status st;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    const std::string_view prefix = codec::kChallengePrefix;
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
      const std::string_view key(it->key().data(), it->key().size());
      if (key.substr(0, prefix.size()) != prefix) break;
      Challenge c;
      if (!codec::Decode(std::string_view(it->value().data(), it->value().size()),
                         key.substr(prefix.size()), &c)) {
        st = absl::DataLossError(
            absl::StrCat("catalog: record '", absl::CHexEscape(A(key)), "' does not decode"));
        break;
      }
      all.push_back(std::move(c));
    }
    if (st.ok() && !it->status().ok()) st = FromRocks(it->status(), "scan");
  }
  db_->ReleaseSnapshot(snap);
  FORYOU_RETURN_IF_ERROR(st);
  // Outside the snapshot and the iterator: fn may call the store.
  for (const Challenge& c : all) fn(c);
  return absl::OkStatus();
}

}  // namespace foryou::catalog
