// UserDirectory: the user cache and user writes (see the header).
#include "feed/user_directory.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/id_key.h"
#include "common/status_macros.h"

namespace foryou::feed {

UserDirectory::UserDirectory(catalog::CatalogStore* store,
                             std::shared_ptr<const model::Catalog> model_catalog)
    : store_(store), model_catalog_(std::move(model_catalog)) {}

void UserDirectory::Publish(catalog::User user) {
  model_catalog_->AddUser(common::UserKey(ModelUserOf(user)), ToUserInfo(user));
  std::string id = user.id;
  users_[std::move(id)] = std::make_shared<const catalog::User>(std::move(user));
}

absl::Status UserDirectory::Create(const catalog::User& user) {
  common::MutexLock lock(&mu_);
  FORYOU_RETURN_IF_ERROR(store_->CreateUser(user));
  Publish(user);
  return absl::OkStatus();
}

absl::Status UserDirectory::Update(const catalog::User& user) {
  common::MutexLock lock(&mu_);
  FORYOU_RETURN_IF_ERROR(store_->GetUser(user.id).status());
  FORYOU_RETURN_IF_ERROR(store_->PutUser(user));
  Publish(user);
  return absl::OkStatus();
}

absl::StatusOr<catalog::User> UserDirectory::Modify(
    std::string_view id, const std::function<absl::Status(catalog::User*)>& fn) {
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(catalog::User u, store_->GetUser(id));
  FORYOU_RETURN_IF_ERROR(fn(&u));
  if (u.id != id) return absl::InvalidArgumentError("id: not patchable");
  FORYOU_RETURN_IF_ERROR(store_->PutUser(u));
  Publish(u);
  return u;
}

absl::StatusOr<catalog::User> UserDirectory::StartOver(std::string_view id) {
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(catalog::User u, store_->GetUser(id));
  ++u.epoch;
  FORYOU_RETURN_IF_ERROR(store_->PutUser(u));
  Publish(u);
  return u;
}

absl::Status UserDirectory::Delete(std::string_view id) {
  common::MutexLock lock(&mu_);
  FORYOU_RETURN_IF_ERROR(store_->DeleteUser(id));
  users_.erase(std::string(id));
  return absl::OkStatus();
}

void UserDirectory::Reload(std::string_view id) {
  common::MutexLock lock(&mu_);
  absl::StatusOr<catalog::User> u = store_->GetUser(id);
  if (u.ok()) {
    Publish(std::move(*u));
  } else {
    users_.erase(std::string(id));
  }
}

absl::StatusOr<std::shared_ptr<const catalog::User>> UserDirectory::Get(std::string_view id) {
  {
    common::MutexLock lock(&mu_);
    // absl::string_view: the lookup neither allocates nor copies the id.
    if (auto it = users_.find(absl::string_view(id.data(), id.size())); it != users_.end()) {
      return it->second;
    }
  }
  // A miss reads the store without the lock, so requests and events for other users never wait
  // on the disk. A write that published the user meanwhile wins (its record is the newer): the
  // cache only ever gains the stored record if nothing is cached yet.
  FORYOU_ASSIGN_OR_RETURN(catalog::User u, store_->GetUser(id));
  auto p = std::make_shared<const catalog::User>(std::move(u));
  common::MutexLock lock(&mu_);
  return users_.try_emplace(std::string(id), std::move(p)).first->second;
}

std::string ModelUserOf(const catalog::User& user) {
  return user.epoch == 0 ? user.id : absl::StrCat(user.id, "#", user.epoch);
}

model::UserInfo ToUserInfo(const catalog::User& u) {
  model::UserInfo info;
  for (size_t i = 0; i < u.profile.size() && i < static_cast<size_t>(model::kLanguage); ++i) {
    info.profile[i] = model::ValueId(u.profile[i]);
  }
  info.profile[model::kLanguage] = model::ValueId(u.language);
  info.profile[model::kCountry] = model::ValueId(u.country);
  info.profile[model::kDevice] = model::ValueId(u.device);
  return info;
}

std::vector<std::string> RegionsOf(const catalog::User& user) {
  std::vector<std::string> regions;
  if (!user.country.empty()) regions.push_back(absl::StrCat("country:", user.country));
  if (!user.language.empty()) regions.push_back(absl::StrCat("lang:", user.language));
  regions.push_back("*");
  return regions;
}

}  // namespace foryou::feed
