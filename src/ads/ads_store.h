// AdsStore: accounts, campaigns, ad groups, ads and the hidden advertisers of each viewer in one
// RocksDB database (docs/formats/ads.md); the billing ledger (ledger.h) lives in the same
// database under its own keys.
//
// Every write is validated first (a record whose parent does not exist is refused) and synced
// before it returns. Thread-safe: writes are serialised by one lock; reads go to RocksDB.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto store, AdsStore::Open(dir + "/ads"));
//   FORYOU_RETURN_IF_ERROR(store->PutCampaign(campaign));
//   FORYOU_ASSIGN_OR_RETURN(std::vector<AdGroup> groups, store->AdGroupsOf(campaign.id));
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ads/model.h"
#include "common/mutex.h"

namespace rocksdb {
class DB;
}

namespace foryou::ads {

class AdsStore {
 public:
  // Opens (creating) the database in `dir`. FailedPrecondition for another format version.
  // With sync = false record writes are not synced (a simulation's throwaway store).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AdsStore>> Open(const std::string& dir,
                                                                      bool sync = true);
  ~AdsStore();

  // Create or replace. InvalidArgument for an invalid record, NotFound when its parent (the
  // campaign's account, the group's campaign, the ad's group) does not exist, InvalidArgument
  // when a replacement names another parent than the stored record, or when an ad group
  // targets or excludes an audience that is not its account's.
  [[nodiscard]] absl::Status PutAccount(const Account& a);
  [[nodiscard]] absl::Status PutCampaign(const Campaign& c);
  [[nodiscard]] absl::Status PutAdGroup(const AdGroup& g);
  [[nodiscard]] absl::Status PutAd(const Ad& ad);

  // NotFound when absent; DataLoss when the stored record does not parse.
  [[nodiscard]] absl::StatusOr<Account> GetAccount(absl::string_view id) const;
  [[nodiscard]] absl::StatusOr<Campaign> GetCampaign(absl::string_view id) const;
  [[nodiscard]] absl::StatusOr<AdGroup> GetAdGroup(absl::string_view id) const;
  [[nodiscard]] absl::StatusOr<Ad> GetAd(absl::string_view id) const;

  // Every account in id order (the admin's view; one scan of the account records).
  [[nodiscard]] absl::StatusOr<std::vector<Account>> Accounts() const;
  // Children in id order.
  [[nodiscard]] absl::StatusOr<std::vector<Campaign>> CampaignsOf(absl::string_view account) const;
  [[nodiscard]] absl::StatusOr<std::vector<AdGroup>> AdGroupsOf(absl::string_view campaign) const;
  [[nodiscard]] absl::StatusOr<std::vector<Ad>> AdsOf(absl::string_view ad_group) const;
  // Every ad group of every account, in id order.
  [[nodiscard]] absl::StatusOr<std::vector<AdGroup>> AllAdGroups() const;
  // Counts the successful writes of accounts, campaigns, ad groups and ads: a reader that
  // keeps records in memory re-reads them when it moves.
  uint64_t generation() const { return generation_.load(); }

  // Creates or replaces an audience with exactly `users` as members (duplicates count once).
  // NotFound for an unknown account; InvalidArgument for an invalid audience or user id, or
  // more than kMaxAudience users.
  static constexpr size_t kMaxAudience = 1'000'000;
  [[nodiscard]] absl::Status PutAudience(const Audience& a, const std::vector<std::string>& users);
  [[nodiscard]] absl::StatusOr<Audience> GetAudience(absl::string_view id) const;
  // The members of audience `id`, in id order (empty for an unknown audience).
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> AudienceMembers(absl::string_view id) const;
  // The audiences `user` is in, in id order (ViewerProfile::audiences).
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> AudiencesOf(absl::string_view user) const;

  // "Not interested" to an ad of `account`: the viewer sees none of its ads again.
  [[nodiscard]] absl::Status HideAdvertiser(absl::string_view user, absl::string_view account);
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> HiddenAdvertisers(
      absl::string_view user) const;

  // The database, for the ledger (ledger.h) that shares it.
  rocksdb::DB* db() const { return db_.get(); }

 private:
  AdsStore(std::unique_ptr<rocksdb::DB> db, bool sync);
  [[nodiscard]] absl::Status Put(absl::string_view tag, absl::string_view id,
                                 absl::string_view parent_tag, absl::string_view parent,
                                 absl::string_view child_index, std::string value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  [[nodiscard]] absl::StatusOr<std::string> Get(absl::string_view tag, absl::string_view id) const;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> Children(absl::string_view index,
                                                                  absl::string_view parent) const;

  std::unique_ptr<rocksdb::DB> db_;
  const bool sync_;
  common::Mutex mu_;  // serialises writes (the parent check and the write)
  std::atomic<uint64_t> generation_{0};
};

}  // namespace foryou::ads
