// AdsStore over RocksDB (see ads_store.h; keys in docs/formats/ads.md).
#include "ads/ads_store.h"

#include <algorithm>

#include "ads/store_keys.h"
#include "common/file_util.h"
#include "common/rocksdb_options.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace foryou::ads {

using keys::BE;
using keys::FromRocks;
using keys::K;
using keys::Prefix;

absl::StatusOr<std::unique_ptr<AdsStore>> AdsStore::Open(const std::string& dir, bool sync) {
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(dir));
  rocksdb::Options options = common::StoreOptions();
  rocksdb::DB* raw = nullptr;
  FORYOU_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, dir, &raw), "open " + dir));
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), keys::kFormatKey, &value);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    FORYOU_RETURN_IF_ERROR(FromRocks(db->Put(wo, keys::kFormatKey, keys::kFormat), "write format"));
  } else if (!s.ok()) {
    return FromRocks(s, "read format");
  } else if (value != keys::kFormat) {
    return absl::FailedPreconditionError(absl::StrCat("ads store ", dir, ": format '", value,
                                                      "', this build reads '", keys::kFormat, "'"));
  }
  return std::unique_ptr<AdsStore>(new AdsStore(std::move(db), sync));
}

AdsStore::AdsStore(std::unique_ptr<rocksdb::DB> db, bool sync) : db_(std::move(db)), sync_(sync) {}
AdsStore::~AdsStore() = default;

absl::StatusOr<std::string> AdsStore::Get(absl::string_view tag, absl::string_view id) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), K({tag, id}), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat(tag == "a"   ? "account "
                                                              : tag == "c" ? "campaign "
                                                              : tag == "g" ? "ad group "
                                                                           : "ad ",
                                                              id, " not found"));
  FORYOU_RETURN_IF_ERROR(FromRocks(s, "read"));
  return value;
}

// Writes record `tag|id` and, for a child, its entry `child_index|parent|id` after checking
// that `parent_tag|parent` exists and that a replacement keeps its parent.
absl::Status AdsStore::Put(absl::string_view tag, absl::string_view id, absl::string_view parent_tag,
                           absl::string_view parent, absl::string_view child_index,
                           std::string value) {
  rocksdb::WriteBatch batch;
  if (!parent_tag.empty()) {
    FORYOU_RETURN_IF_ERROR(Get(parent_tag, parent).status());
    std::string old;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), K({tag, id}), &old);
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read");
    if (s.ok()) {
      // The stored record's parent is its index entry: look it up rather than parse the JSON.
      std::string ignored;
      rocksdb::Status p = db_->Get(rocksdb::ReadOptions(), K({child_index, parent, id}), &ignored);
      if (p.IsNotFound()) {
        return absl::InvalidArgumentError(
            absl::StrCat(id, " already exists under another parent; ids are not moved"));
      }
      FORYOU_RETURN_IF_ERROR(FromRocks(p, "read"));
    }
    batch.Put(K({child_index, parent, id}), "");
  }
  batch.Put(K({tag, id}), value);
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  FORYOU_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch), "write"));
  generation_.fetch_add(1);
  return absl::OkStatus();
}

absl::Status AdsStore::PutAccount(const Account& a) {
  FORYOU_RETURN_IF_ERROR(Validate(a));
  common::MutexLock lock(&mu_);
  return Put("a", a.id, "", "", "", AccountToJson(a));
}

absl::Status AdsStore::PutCampaign(const Campaign& c) {
  FORYOU_RETURN_IF_ERROR(Validate(c));
  common::MutexLock lock(&mu_);
  return Put("c", c.id, "a", c.account, "ac", CampaignToJson(c));
}

absl::Status AdsStore::PutAdGroup(const AdGroup& g) {
  FORYOU_RETURN_IF_ERROR(Validate(g));
  common::MutexLock lock(&mu_);
  // An advertiser targets only its own audiences.
  absl::StatusOr<Campaign> campaign = GetCampaign(g.campaign);
  if (!campaign.ok()) return campaign.status();
  for (const auto& [field, list] : {std::pair{"audiences", &g.targeting.audiences},
                                    {"excluded_audiences", &g.targeting.excluded_audiences}}) {
    for (const std::string& id : *list) {
      absl::StatusOr<Audience> a = GetAudience(id);
      if (!a.ok() && !absl::IsNotFound(a.status())) return a.status();
      if (!a.ok() || a->account != campaign->account) {
        return absl::InvalidArgumentError(absl::StrCat("ad_group.targeting.", field, ": '", id,
                                                       "' is not an audience of account ",
                                                       campaign->account));
      }
    }
  }
  return Put("g", g.id, "c", g.campaign, "cg", AdGroupToJson(g));
}

absl::Status AdsStore::PutAd(const Ad& ad) {
  FORYOU_RETURN_IF_ERROR(Validate(ad));
  common::MutexLock lock(&mu_);
  return Put("d", ad.id, "g", ad.ad_group, "gd", AdToJson(ad));
}

namespace {
// A stored record that no longer parses is damage, not bad input.
template <typename T>
absl::StatusOr<T> Stored(absl::StatusOr<T> parsed) {
  if (!parsed.ok()) return absl::DataLossError(absl::StrCat("ads store: ", parsed.status().message()));
  return parsed;
}
}  // namespace

absl::StatusOr<Account> AdsStore::GetAccount(absl::string_view id) const {
  FORYOU_ASSIGN_OR_RETURN(std::string v, Get("a", id));
  return Stored(ParseAccount(v));
}
absl::StatusOr<Campaign> AdsStore::GetCampaign(absl::string_view id) const {
  FORYOU_ASSIGN_OR_RETURN(std::string v, Get("c", id));
  return Stored(ParseCampaign(v));
}
absl::StatusOr<AdGroup> AdsStore::GetAdGroup(absl::string_view id) const {
  FORYOU_ASSIGN_OR_RETURN(std::string v, Get("g", id));
  return Stored(ParseAdGroup(v));
}
absl::StatusOr<Ad> AdsStore::GetAd(absl::string_view id) const {
  FORYOU_ASSIGN_OR_RETURN(std::string v, Get("d", id));
  return Stored(ParseAd(v));
}

absl::StatusOr<std::vector<std::string>> AdsStore::Children(absl::string_view index,
                                                            absl::string_view parent) const {
  const std::string prefix = Prefix(index, parent);
  std::vector<std::string> ids;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ids.push_back(it->key().ToString().substr(prefix.size()));
  }
  FORYOU_RETURN_IF_ERROR(FromRocks(it->status(), "scan"));
  return ids;
}

absl::StatusOr<std::vector<Account>> AdsStore::Accounts() const {
  const std::string prefix = K({"a", ""});  // "a|": no other tag is "a"
  std::vector<Account> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    FORYOU_ASSIGN_OR_RETURN(Account a, Stored(ParseAccount(keys::V(it->value()))));
    out.push_back(std::move(a));
  }
  FORYOU_RETURN_IF_ERROR(FromRocks(it->status(), "scan accounts"));
  return out;
}

absl::StatusOr<std::vector<Campaign>> AdsStore::CampaignsOf(absl::string_view account) const {
  FORYOU_ASSIGN_OR_RETURN(std::vector<std::string> ids, Children("ac", account));
  std::vector<Campaign> out;
  for (const std::string& id : ids) {
    FORYOU_ASSIGN_OR_RETURN(Campaign c, GetCampaign(id));
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<std::vector<AdGroup>> AdsStore::AdGroupsOf(absl::string_view campaign) const {
  FORYOU_ASSIGN_OR_RETURN(std::vector<std::string> ids, Children("cg", campaign));
  std::vector<AdGroup> out;
  for (const std::string& id : ids) {
    FORYOU_ASSIGN_OR_RETURN(AdGroup g, GetAdGroup(id));
    out.push_back(std::move(g));
  }
  return out;
}

absl::StatusOr<std::vector<AdGroup>> AdsStore::AllAdGroups() const {
  const std::string prefix = K({"g", ""});
  std::vector<AdGroup> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    FORYOU_ASSIGN_OR_RETURN(AdGroup g, Stored(ParseAdGroup(keys::V(it->value()))));
    out.push_back(std::move(g));
  }
  FORYOU_RETURN_IF_ERROR(FromRocks(it->status(), "scan"));
  return out;
}

absl::StatusOr<std::vector<Ad>> AdsStore::AdsOf(absl::string_view ad_group) const {
  FORYOU_ASSIGN_OR_RETURN(std::vector<std::string> ids, Children("gd", ad_group));
  std::vector<Ad> out;
  for (const std::string& id : ids) {
    FORYOU_ASSIGN_OR_RETURN(Ad ad, GetAd(id));
    out.push_back(std::move(ad));
  }
  return out;
}

absl::Status AdsStore::PutAudience(const Audience& a, const std::vector<std::string>& users) {
  FORYOU_RETURN_IF_ERROR(Validate(a));
  if (users.size() > kMaxAudience) {
    return absl::InvalidArgumentError(absl::StrCat("audience.users: at most ", kMaxAudience));
  }
  for (const std::string& u : users) FORYOU_RETURN_IF_ERROR(ValidateUser("audience.users", u));
  common::MutexLock lock(&mu_);
  FORYOU_RETURN_IF_ERROR(Get("a", a.account).status());
  absl::StatusOr<Audience> old = GetAudience(a.id);
  if (old.ok() && old->account != a.account) {
    return absl::InvalidArgumentError(absl::StrCat("audience ", a.id, " is another account's"));
  }
  if (!old.ok() && !absl::IsNotFound(old.status())) return old.status();
  // The new member list replaces the old one in the same batch.
  rocksdb::WriteBatch batch;
  FORYOU_ASSIGN_OR_RETURN(std::vector<std::string> members, Children("ma", a.id));
  for (const std::string& u : members) {
    batch.Delete(K({"ma", a.id, u}));
    batch.Delete(K({"am", u, a.id}));
  }
  std::vector<std::string> sorted = users;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (const std::string& u : sorted) {
    batch.Put(K({"ma", a.id, u}), "");
    batch.Put(K({"am", u, a.id}), "");
  }
  Audience stored = a;
  stored.size = static_cast<int64_t>(sorted.size());
  batch.Put(K({"u", a.id}), AudienceToJson(stored));
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  return FromRocks(db_->Write(wo, &batch), "write");
}

absl::StatusOr<Audience> AdsStore::GetAudience(absl::string_view id) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), K({"u", id}), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("audience ", id, " not found"));
  FORYOU_RETURN_IF_ERROR(FromRocks(s, "read"));
  return Stored(ParseAudience(value));
}

absl::StatusOr<std::vector<std::string>> AdsStore::AudienceMembers(absl::string_view id) const {
  return Children("ma", id);
}

absl::StatusOr<std::vector<std::string>> AdsStore::AudiencesOf(absl::string_view user) const {
  return Children("am", user);
}

absl::Status AdsStore::HideAdvertiser(absl::string_view user, absl::string_view account) {
  FORYOU_RETURN_IF_ERROR(ValidateUser("user", user));
  FORYOU_RETURN_IF_ERROR(ValidateId("account", account));
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  return FromRocks(db_->Put(wo, K({"h", user, account}), ""), "write");
}

absl::StatusOr<std::vector<std::string>> AdsStore::HiddenAdvertisers(absl::string_view user) const {
  return Children("h", user);
}

}  // namespace foryou::ads
