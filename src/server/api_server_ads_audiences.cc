// ApiServer routes of audiences (docs/api.md, "Ads"): an advertiser uploads a list of users as
// a custom audience of one of its accounts (`POST /v1/ads/audiences`, a new one;
// `PUT /v1/ads/audiences/ID`, its members replaced), or makes a lookalike of one
// (`POST /v1/ads/audiences` with `"kind": "lookalike"`, its members computed from the serving
// model by ads_lookalike.h; `POST /v1/ads/audiences/ID/refresh` computes them again), and reads
// it back; its ad groups then target or exclude it (`targeting.audiences`,
// `targeting.excluded_audiences`). The audiences and their members are the ads store's
// (src/ads/ads_store.h); access as for the other records (ads_access.h); every write is audited
// by AdsRoute.
#include "server/api_server.h"  // first: see api_handlers.h

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/mutex.h"
#include "common/status_macros.h"
#include "server/ads_access.h"
#include "server/ads_lookalike.h"
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
    } else if (key == "kind" && create) {
      if (v != "custom") {
        return absl::InvalidArgumentError(
            "audience.kind: must be \"custom\" or \"lookalike\"");
      }
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

// The body of a new lookalike: `kind` ("lookalike"), `account`, `name`, `seed` (an audience
// id), `size` (users asked for), optional `id` and `include_seed`; with create false (a
// refresh) only `name`, `size` and `include_seed`, each optional, change `a`. InvalidArgument
// naming the field; the ranges are Validate's.
absl::Status ParseLookalikeBody(const json& body, bool create, ads::Audience* a) {
  if (!body.is_object()) return absl::InvalidArgumentError("body: must be a JSON object");
  bool has_size = false;
  for (const auto& [key, v] : body.items()) {
    if (key == "size") {
      if (!v.is_number_integer()) {
        return absl::InvalidArgumentError("audience.size: must be an integer");
      }
      // Past int64 reads as too large, not as a wrapped value.
      a->requested_size = v.is_number_unsigned() && v.get<uint64_t>() > ads::kMaxLookalikeSize
                              ? ads::kMaxLookalikeSize + 1
                              : v.get<int64_t>();
      has_size = true;
    } else if (key == "include_seed") {
      if (!v.is_boolean()) {
        return absl::InvalidArgumentError("audience.include_seed: must be true or false");
      }
      a->include_seed = v.get<bool>();
    } else if (key == "name" ||
               (create && (key == "id" || key == "account" || key == "seed" || key == "kind"))) {
      if (!v.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat("audience.", key, ": must be a string"));
      }
      if (key == "kind") continue;  // the caller dispatched on it
      std::string& out = key == "name"      ? a->name
                         : key == "id"      ? a->id
                         : key == "account" ? a->account
                                            : a->seed;
      out = v.get<std::string>();
    } else if (key == "users") {
      return absl::InvalidArgumentError(
          "audience.users: a lookalike's members are computed from its seed");
    } else if (key == "id" || key == "account" || key == "seed" || key == "kind") {
      return absl::InvalidArgumentError(absl::StrCat("audience.", key, ": cannot be changed"));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("audience.", key, ": unknown field"));
    }
  }
  if (create) {
    if (a->account.empty()) return absl::InvalidArgumentError("audience.account: required");
    if (a->seed.empty()) return absl::InvalidArgumentError("audience.seed: required");
    if (!has_size) return absl::InvalidArgumentError("audience.size: required");
  }
  return absl::OkStatus();
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

// Computes lookalike `a` from its seed's members now and stores it (`computed_ms` = now_ms).
// `create`: AlreadyExists when the id is in use by then. Checks the seed first: NotFound for one
// the actor cannot see, InvalidArgument for another account's or a lookalike.
absl::StatusOr<ads::Audience> StoreLookalike(ads::AdsStore& store,
                                             const catalog::CatalogStore& catalog,
                                             realtime::RealtimeLoop* loop, const AdsActor& actor,
                                             ads::Audience a, bool create, int64_t now_ms) {
  absl::StatusOr<ads::Audience> seed = VisibleAudience(store, actor, a.seed);
  if (absl::IsNotFound(seed.status())) {
    return absl::NotFoundError(absl::StrCat("audience.seed: ", seed.status().message()));
  }
  if (!seed.ok()) return seed.status();
  if (seed->account != a.account) {
    return absl::InvalidArgumentError(absl::StrCat("audience.seed: audience ", a.seed,
                                                   " is not an audience of account ", a.account));
  }
  if (seed->kind != ads::AudienceKind::kCustom) {
    return absl::InvalidArgumentError(
        absl::StrCat("audience.seed: audience ", a.seed, " must be a custom audience"));
  }
  if (loop == nullptr) {
    return absl::UnavailableError("lookalike: this server has no serving model");
  }
  // The computation reads the catalog and the serving table without the write lock: a seed
  // replaced meanwhile is read either whole before or whole after.
  FORYOU_ASSIGN_OR_RETURN(std::vector<std::string> members,
                          ComputeLookalike(store, catalog, *loop->serving().shared_table(), a));
  a.computed_ms = now_ms;
  common::MutexLock lock(&audience_write_mu);
  absl::StatusOr<ads::Audience> old = store.GetAudience(a.id);
  if (create) {
    if (old.ok()) {
      return absl::AlreadyExistsError(
          absl::StrCat("audience.id: audience ", a.id, " already exists"));
    }
    if (!absl::IsNotFound(old.status())) return old.status();
  } else if (!old.ok()) {
    return old.status();
  }
  FORYOU_RETURN_IF_ERROR(store.PutAudience(a, members));
  return store.GetAudience(a.id);
}

}  // namespace

void ApiServer::AdsAudienceRoutes() {
  HttpServer& s = *http_;
  ads::AdsStore& store = *deps_.ads;

  s.Post("/v1/ads/audiences", AdsRoute("/v1/ads/audiences", [this, &store](const HttpRequest& req,
                                                                           HttpResponse& res,
                                                                           const Caller& caller) {
    const AdsActor actor = *AdsActorOf(caller);
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    if (body->is_object() && body->contains("kind") && (*body)["kind"] == "lookalike") {
      ads::Audience a;
      a.kind = ads::AudienceKind::kLookalike;
      if (absl::Status st = ParseLookalikeBody(*body, /*create=*/true, &a); !st.ok()) {
        return SendError(res, st);
      }
      if (a.id.empty()) a.id = NewAudienceId();
      if (absl::Status st = ads::Validate(a); !st.ok()) return SendError(res, st);
      absl::StatusOr<AdsChain> account = ResolveAds(store, actor, "account", a.account);
      if (!account.ok()) {
        return SendError(res, absl::IsNotFound(account.status())
                                  ? absl::NotFoundError(absl::StrCat(
                                        "audience.account: ", account.status().message()))
                                  : account.status());
      }
      absl::StatusOr<ads::Audience> stored =
          StoreLookalike(store, *deps_.store, deps_.loop, actor, a, /*create=*/true, Now());
      if (!stored.ok()) return SendError(res, stored.status());
      return SendJson(res, 201, AudienceJson(*stored));
    }
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
    if (a.kind != ads::AudienceKind::kCustom) {
      return SendError(res, absl::InvalidArgumentError(absl::StrCat(
                                "audience.kind: a lookalike's members are computed from its seed; "
                                "POST /v1/ads/audiences/",
                                a.id, "/refresh computes them again")));
    }
    if (!up->audience.name.empty() || body->contains("name")) a.name = up->audience.name;
    if (absl::Status st = store.PutAudience(a, up->users); !st.ok()) return SendError(res, st);
    absl::StatusOr<ads::Audience> stored = store.GetAudience(a.id);
    if (!stored.ok()) return SendError(res, stored.status());
    SendJson(res, 200, AudienceJson(*stored));
  }));

  // A lookalike computed again from its seed's members and the serving model as they are now;
  // the body (optional) may change its `name`, `size` and `include_seed` first.
  s.Post(R"(/v1/ads/audiences/([^/]+)/refresh)",
         AdsRoute("/v1/ads/audiences/ID/refresh", [this, &store](const HttpRequest& req,
                                                                 HttpResponse& res,
                                                                 const Caller& caller) {
    const AdsActor actor = *AdsActorOf(caller);
    json body = json::object();
    if (!req.body.empty()) {
      absl::StatusOr<json> parsed = ParseBody(req);
      if (!parsed.ok()) return SendError(res, parsed.status());
      body = std::move(*parsed);
    }
    absl::StatusOr<ads::Audience> old = VisibleAudience(store, actor, req.matches[1].str());
    if (!old.ok()) return SendError(res, old.status());
    if (old->kind != ads::AudienceKind::kLookalike) {
      return SendError(res, absl::InvalidArgumentError(
                                absl::StrCat("audience.kind: audience ", old->id,
                                             " is a custom audience; only a lookalike refreshes")));
    }
    ads::Audience a = *old;
    if (absl::Status st = ParseLookalikeBody(body, /*create=*/false, &a); !st.ok()) {
      return SendError(res, st);
    }
    if (absl::Status st = ads::Validate(a); !st.ok()) return SendError(res, st);
    absl::StatusOr<ads::Audience> stored =
        StoreLookalike(store, *deps_.store, deps_.loop, actor, a, /*create=*/false, Now());
    if (!stored.ok()) return SendError(res, stored.status());
    SendJson(res, 200, AudienceJson(*stored));
  }));
}

}  // namespace foryou::server
