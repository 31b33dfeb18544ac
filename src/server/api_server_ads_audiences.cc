// ApiServer routes of custom audiences (docs/api.md, "Ads"): an advertiser uploads a list of
// users as an audience of one of its accounts (`POST /v1/ads/audiences`, a new one;
// `PUT /v1/ads/audiences/ID`, its members replaced) and reads it back; its ad groups then
// target or exclude it (`targeting.audiences`, `targeting.excluded_audiences`). The audiences
// and their members are the ads store's (src/ads/ads_store.h); access as for the other records
// (ads_access.h); every write is audited by AdsRoute.
#include "server/api_server.h"  // first: see api_handlers.h

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/mutex.h"
#include "server/ads_access.h"
#include "server/api_handlers.h"
#include "server/http_status.h"

namespace foryou::server {
namespace {

// Serialises an audience's existence check and its write.
common::Mutex audience_write_mu;

// The body of an upload: `name`, `users` (a list of user ids), and for a new audience `id`
// (optional: a fresh `aud_` id) and `account`. InvalidArgument naming the field.
struct AudienceUpload {
  ads::Audience audience;
  std::vector<std::string> users;
};
absl::StatusOr<AudienceUpload> ParseAudienceUpload(const json& body, bool create) {
  if (!body.is_object()) return absl::InvalidArgumentError("body: must be a JSON object");
  AudienceUpload up;
  bool has_users = false;
  for (const auto& [key, v] : body.items()) {
    if (key == "users") {
      if (!v.is_array()) return absl::InvalidArgumentError("audience.users: must be a list");
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string()) {
          return absl::InvalidArgumentError(
              absl::StrCat("audience.users[", i, "]: must be a string"));
        }
        up.users.push_back(v[i].get<std::string>());
      }
      has_users = true;
    } else if (key == "name" || (create && (key == "id" || key == "account"))) {
      if (!v.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat("audience.", key, ": must be a string"));
      }
      std::string& out = key == "name" ? up.audience.name
                         : key == "id" ? up.audience.id
                                       : up.audience.account;
      out = v.get<std::string>();
    } else if (key == "size") {
      return absl::InvalidArgumentError("audience.size: set by the server");
    } else if (key == "id" || key == "account") {
      return absl::InvalidArgumentError(absl::StrCat("audience.", key, ": cannot be changed"));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("audience.", key, ": unknown field"));
    }
  }
  if (!has_users) return absl::InvalidArgumentError("audience.users: required");
  if (create && up.audience.account.empty()) {
    return absl::InvalidArgumentError("audience.account: required");
  }
  return up;
}

std::string NewAudienceId() {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string id = "aud_";
  for (int i = 0; i < 12; ++i) id.push_back(kChars[rd() % (sizeof(kChars) - 1)]);
  return id;
}

json AudienceJson(const ads::Audience& a) { return json::parse(ads::AudienceToJson(a)); }

// The audience `id` if the actor may see it (its account's owner, or an admin); NotFound alike
// for a missing one and another advertiser's.
absl::StatusOr<ads::Audience> VisibleAudience(const ads::AdsStore& store, const AdsActor& actor,
                                              const std::string& id) {
  absl::StatusOr<ads::Audience> a = store.GetAudience(id);
  if (!a.ok()) return a.status();
  absl::StatusOr<AdsChain> owner = ResolveAds(store, actor, "account", a->account);
  if (absl::IsNotFound(owner.status())) {
    return absl::NotFoundError(absl::StrCat("audience ", id, " not found"));
  }
  if (!owner.ok()) return owner.status();
  return a;
}

}  // namespace

void ApiServer::AdsAudienceRoutes() {
  HttpServer& s = *http_;
  ads::AdsStore& store = *deps_.ads;

  s.Post("/v1/ads/audiences", AdsRoute("/v1/ads/audiences", [&store](const HttpRequest& req,
                                                                     HttpResponse& res,
                                                                     const Caller& caller) {
    const AdsActor actor = *AdsActorOf(caller);
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    absl::StatusOr<AudienceUpload> up = ParseAudienceUpload(*body, /*create=*/true);
    if (!up.ok()) return SendError(res, up.status());
    if (up->audience.id.empty()) up->audience.id = NewAudienceId();
    if (absl::Status st = ads::Validate(up->audience); !st.ok()) return SendError(res, st);
    absl::StatusOr<AdsChain> account = ResolveAds(store, actor, "account", up->audience.account);
    if (!account.ok()) {
      return SendError(res, absl::IsNotFound(account.status())
                                ? absl::NotFoundError(absl::StrCat(
                                      "audience.account: ", account.status().message()))
                                : account.status());
    }
    common::MutexLock lock(&audience_write_mu);
    absl::StatusOr<ads::Audience> old = store.GetAudience(up->audience.id);
    if (old.ok()) {
      return SendError(res, absl::AlreadyExistsError(absl::StrCat(
                                "audience.id: audience ", up->audience.id, " already exists")));
    }
    if (!absl::IsNotFound(old.status())) return SendError(res, old.status());
    if (absl::Status st = store.PutAudience(up->audience, up->users); !st.ok()) {
      return SendError(res, st);
    }
    absl::StatusOr<ads::Audience> stored = store.GetAudience(up->audience.id);
    if (!stored.ok()) return SendError(res, stored.status());
    SendJson(res, 201, AudienceJson(*stored));
  }));

  s.Get(R"(/v1/ads/audiences/([^/]+))",
        AdsRoute("/v1/ads/audiences/ID", [&store](const HttpRequest& req, HttpResponse& res,
                                                  const Caller& caller) {
    absl::StatusOr<ads::Audience> a =
        VisibleAudience(store, *AdsActorOf(caller), req.matches[1].str());
    if (!a.ok()) return SendError(res, a.status());
    SendJson(res, 200, AudienceJson(*a));
  }));

  // A new member list (and optionally a new name) for an existing audience, whole.
  s.Put(R"(/v1/ads/audiences/([^/]+))",
        AdsRoute("/v1/ads/audiences/ID", [&store](const HttpRequest& req, HttpResponse& res,
                                                  const Caller& caller) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    absl::StatusOr<AudienceUpload> up = ParseAudienceUpload(*body, /*create=*/false);
    if (!up.ok()) return SendError(res, up.status());
    common::MutexLock lock(&audience_write_mu);
    absl::StatusOr<ads::Audience> old =
        VisibleAudience(store, *AdsActorOf(caller), req.matches[1].str());
    if (!old.ok()) return SendError(res, old.status());
    ads::Audience a = *old;
    if (!up->audience.name.empty() || body->contains("name")) a.name = up->audience.name;
    if (absl::Status st = store.PutAudience(a, up->users); !st.ok()) return SendError(res, st);
    absl::StatusOr<ads::Audience> stored = store.GetAudience(a.id);
    if (!stored.ok()) return SendError(res, stored.status());
    SendJson(res, 200, AudienceJson(*stored));
  }));
}

}  // namespace foryou::server
