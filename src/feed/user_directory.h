// UserDirectory: the feed's users — a cache over the catalog store that every user write goes
// through, so the store, the cache and the model's catalog (the user's features) agree. Also the
// names the feed gives a user: the model's identity ("<id>#<epoch>") and their audience regions.
//
// Thread-safe: one mutex guards the cache and serialises writes (a write is a read-modify-write
// of the stored record, so concurrent changes to one user are never lost). Reads take the mutex
// only for the lookup: a miss reads the store outside it, then caches what it read unless a
// write cached the user meanwhile.
//
// Example:
//   UserDirectory users(store, model_catalog);
//   FORYOU_RETURN_IF_ERROR(users.Create(user));
//   FORYOU_ASSIGN_OR_RETURN(std::shared_ptr<const catalog::User> u, users.Get("u1"));
//   FORYOU_RETURN_IF_ERROR(users.Modify("u1", [](catalog::User* u) {
//     u->hidden_creators.push_back("c9");
//     return absl::OkStatus();
//   }).status());
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "catalog/catalog_store.h"
#include "catalog/types.h"
#include "common/mutex.h"
#include "model/features.h"

namespace foryou::feed {

class UserDirectory {
 public:
  // `store` must outlive the directory; `model_catalog` learns every user written.
  UserDirectory(catalog::CatalogStore* store, std::shared_ptr<const model::Catalog> model_catalog);
  UserDirectory(const UserDirectory&) = delete;
  UserDirectory& operator=(const UserDirectory&) = delete;

  // AlreadyExists (from the store) if the id is taken.
  [[nodiscard]] absl::Status Create(const catalog::User& user);
  // Replaces a user's record; NotFound if the user does not exist.
  [[nodiscard]] absl::Status Update(const catalog::User& user);
  // Read-modify-write of one user under the directory's lock. `fn` may refuse: its error is
  // returned and nothing changes. InvalidArgument if `fn` changes the id.
  [[nodiscard]] absl::StatusOr<catalog::User> Modify(
      std::string_view id, const std::function<absl::Status(catalog::User*)>& fn);
  // Bumps the user's epoch (the model sees a new user "<id>#<epoch>"); returns the new record.
  [[nodiscard]] absl::StatusOr<catalog::User> StartOver(std::string_view id);
  // Removes the user from the store and the cache (NotFound if unknown); the id may be created
  // again, as a new user at epoch 0.
  [[nodiscard]] absl::Status Delete(std::string_view id);
  // Reads the user's stored record again after a write made without the directory (a
  // replicated one, CatalogStore::ApplyChangelog): cached and told to the model's catalog, or
  // dropped from the cache when the store has none. Errors reading the store drop it too.
  void Reload(std::string_view id);
  // The user (cached after the first read); NotFound if unknown.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const catalog::User>> Get(std::string_view id);

 private:
  // Tells the model's catalog and caches `user`, already stored.
  void Publish(catalog::User user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  catalog::CatalogStore* const store_;
  const std::shared_ptr<const model::Catalog> model_catalog_;
  common::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const catalog::User>> users_
      ABSL_GUARDED_BY(mu_);
};

// The model's identity of a user: "<id>", or "<id>#<epoch>" after a refresh.
std::string ModelUserOf(const catalog::User& user);
// The model's view of a user's profile (language, country, device, imported fields).
model::UserInfo ToUserInfo(const catalog::User& user);
// The audience regions a user belongs to, narrowest first: "country:XX", "lang:xx", "*".
std::vector<std::string> RegionsOf(const catalog::User& user);

}  // namespace foryou::feed
