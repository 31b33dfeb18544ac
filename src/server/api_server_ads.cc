// ApiServer routes of the Ads Manager's records (docs/api.md, "Ads"): advertiser accounts,
// campaigns, ad groups and ads (create, get, list, update, pause and resume), and an admin's
// approval of an ad. The records, their validation and their store are the ads module's
// (src/ads/model.h, ads_store.h); this file maps HTTP to them and decides who may touch which
// record (ads_access.h). Conversions and reports: api_server_ads_delivery.cc.
#include "server/api_server.h"  // first: see api_handlers.h

#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/status_macros.h"
#include "server/ads_access.h"
#include "server/api_handlers.h"
#include "server/http_status.h"

namespace foryou::server {

absl::StatusOr<AdsActor> AdsActorOf(const Caller& caller) {
  using accounts::AccountRole;
  if (caller.session.has_value()) {
    const accounts::Account& a = caller.session->account;
    if (accounts::Has(a.roles, AccountRole::kAdmin)) return AdsActor{true, a.handle};
    if (accounts::Has(a.roles, AccountRole::kAdvertiser)) return AdsActor{false, a.handle};
    return absl::PermissionDeniedError(absl::StrCat(
        "the ads routes need the advertiser or admin role (this account has: ",
        absl::StrJoin(accounts::RoleNames(a.roles), ", "), ")"));
  }
  if (caller.key != nullptr && caller.key->role == Role::kAdmin) return AdsActor{true, ""};
  return absl::PermissionDeniedError(
      "the ads routes need an advertiser or admin account, or an admin key");
}

absl::StatusOr<AdsChain> ResolveAds(const ads::AdsStore& store, const AdsActor& actor,
                                    absl::string_view kind, absl::string_view id) {
  const absl::Status hidden = absl::NotFoundError(absl::StrCat(kind, " ", id, " not found"));
  AdsChain chain;
  if (kind == "ad") {
    FORYOU_ASSIGN_OR_RETURN(chain.ad, store.GetAd(id));
    id = chain.ad.ad_group;
  }
  if (kind == "ad" || kind == "ad group") {
    FORYOU_ASSIGN_OR_RETURN(chain.group, store.GetAdGroup(id));
    id = chain.group.campaign;
  }
  if (kind != "account") {
    FORYOU_ASSIGN_OR_RETURN(chain.campaign, store.GetCampaign(id));
    id = chain.campaign.account;
  }
  absl::StatusOr<ads::Account> account = store.GetAccount(id);
  // A parent that vanished cannot happen (records are never deleted); treat it as not found.
  if (absl::IsNotFound(account.status())) return hidden;
  if (!account.ok()) return account.status();
  if (!actor.admin && account->owner != actor.user) return hidden;
  chain.account = std::move(*account);
  return chain;
}

namespace {

// The levels of the hierarchy, as the routes name them.
enum class Level { kAccount, kCampaign, kAdGroup, kAd };
struct LevelInfo {
  const char* path;    // "/v1/ads/<path>"
  const char* record;  // the JSON record's name in error messages: "ad_group.bid_micros"
  const char* kind;    // the store's and ResolveAds's name: "ad group"
  const char* parent;  // the field naming the parent ("" for an account)
  const char* list;    // the list's member in a list answer
  const char* id_prefix;
};
constexpr LevelInfo kLevels[] = {
    {"accounts", "account", "account", "", "accounts", "acc_"},
    {"campaigns", "campaign", "campaign", "account", "campaigns", "cmp_"},
    {"ad_groups", "ad_group", "ad group", "campaign", "ad_groups", "grp_"},
    {"ads", "ad", "ad", "ad_group", "ads", "ad_"},
};
const LevelInfo& Info(Level l) { return kLevels[static_cast<int>(l)]; }

// Serialises the existence check and the write of a create, and the read-modify-write of an
// update, so two requests cannot both create one id or lose each other's change.
common::Mutex write_mu;

std::string NewId(const char* prefix) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string id = prefix;
  for (int i = 0; i < 12; ++i) id.push_back(kChars[rd() % (sizeof(kChars) - 1)]);
  return id;
}

json RecordJson(Level l, const AdsChain& c) {
  switch (l) {
    case Level::kAccount: return json::parse(ads::AccountToJson(c.account));
    case Level::kCampaign: return json::parse(ads::CampaignToJson(c.campaign));
    case Level::kAdGroup: return json::parse(ads::AdGroupToJson(c.group));
    case Level::kAd: return json::parse(ads::AdToJson(c.ad));
  }
  return json();
}

// An ad's video must be a catalog video posted by the account's owner; an approved ad's video
// must also be approved by moderation.
absl::Status CheckAdVideo(const catalog::CatalogStore& catalog, const ads::Ad& ad,
                          const ads::Account& account, bool approving) {
  absl::StatusOr<catalog::Video> v = catalog.GetVideo(ad.video);
  if (absl::IsNotFound(v.status())) {
    return absl::InvalidArgumentError(
        absl::StrCat("ad.video: no video '", ad.video, "' in the catalog"));
  }
  if (!v.ok()) return v.status();
  if (v->creator != account.owner) {
    return absl::InvalidArgumentError(absl::StrCat("ad.video: '", ad.video, "' was posted by '",
                                                   v->creator, "', not by the account's owner '",
                                                   account.owner, "'"));
  }
  if (approving && v->moderation != catalog::Moderation::kApproved) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ad.video: '", ad.video, "' is ", std::string(catalog::ModerationName(v->moderation)),
        " by moderation; only an approved video can run as an ad"));
  }
  return absl::OkStatus();
}

// How much of an ad's video Store checks: nothing (a pause must work whatever became of the
// video), its owner (a new or changed video), or its owner and its moderation (an approval).
enum class VideoCheck { kNone, kOwner, kApproved };

// Validates `record` (the whole record as JSON) as level `l`, checks the actor may write it
// under its parent, and stores it; the stored record. `create`: AlreadyExists for an id in use.
absl::StatusOr<AdsChain> Store(const ServerDeps& deps, const AdsActor& actor, Level l,
                               const json& record, bool create,
                               VideoCheck video = VideoCheck::kOwner) {
  ads::AdsStore& store = *deps.ads;
  const LevelInfo& info = Info(l);
  const std::string text = record.dump();
  AdsChain chain;
  std::string id;
  // The parent as the actor sees it; NotFound names the field that points to it.
  auto parent = [&](const char* kind, const std::string& pid) -> absl::StatusOr<AdsChain> {
    absl::StatusOr<AdsChain> p = ResolveAds(store, actor, kind, pid);
    if (absl::IsNotFound(p.status())) {
      return absl::NotFoundError(absl::StrCat(info.record, ".", info.parent, ": ",
                                              p.status().message()));
    }
    return p;
  };
  switch (l) {
    case Level::kAccount: {
      FORYOU_ASSIGN_OR_RETURN(chain.account, ads::ParseAccount(text));
      id = chain.account.id;
      if (!actor.admin && chain.account.owner != actor.user) {
        return absl::PermissionDeniedError(absl::StrCat(
            "account.owner: an advertiser's accounts are its own ('", actor.user, "')"));
      }
      if (deps.accounts != nullptr) {
        absl::StatusOr<accounts::Account> owner = deps.accounts->Get(chain.account.owner);
        if (absl::IsNotFound(owner.status())) {
          return absl::InvalidArgumentError(
              absl::StrCat("account.owner: no user account '", chain.account.owner, "'"));
        }
        if (!owner.ok()) return owner.status();
      }
      break;
    }
    case Level::kCampaign: {
      FORYOU_ASSIGN_OR_RETURN(ads::Campaign c, ads::ParseCampaign(text));
      FORYOU_ASSIGN_OR_RETURN(chain, parent("account", c.account));
      chain.campaign = std::move(c);
      id = chain.campaign.id;
      break;
    }
    case Level::kAdGroup: {
      FORYOU_ASSIGN_OR_RETURN(ads::AdGroup g, ads::ParseAdGroup(text));
      FORYOU_ASSIGN_OR_RETURN(chain, parent("campaign", g.campaign));
      chain.group = std::move(g);
      id = chain.group.id;
      break;
    }
    case Level::kAd: {
      FORYOU_ASSIGN_OR_RETURN(ads::Ad ad, ads::ParseAd(text));
      FORYOU_ASSIGN_OR_RETURN(chain, parent("ad group", ad.ad_group));
      chain.ad = std::move(ad);
      id = chain.ad.id;
      if (video != VideoCheck::kNone) {
        FORYOU_RETURN_IF_ERROR(CheckAdVideo(*deps.store, chain.ad, chain.account,
                                            video == VideoCheck::kApproved));
      }
      break;
    }
  }
  if (create) {
    absl::Status exists = absl::NotFoundError("");
    switch (l) {
      case Level::kAccount: exists = store.GetAccount(id).status(); break;
      case Level::kCampaign: exists = store.GetCampaign(id).status(); break;
      case Level::kAdGroup: exists = store.GetAdGroup(id).status(); break;
      case Level::kAd: exists = store.GetAd(id).status(); break;
    }
    if (exists.ok()) {
      return absl::AlreadyExistsError(absl::StrCat(info.record, ".id: ", info.kind, " ", id,
                                                   " already exists"));
    }
    if (!absl::IsNotFound(exists)) return exists;
  }
  switch (l) {
    case Level::kAccount: FORYOU_RETURN_IF_ERROR(store.PutAccount(chain.account)); break;
    case Level::kCampaign: FORYOU_RETURN_IF_ERROR(store.PutCampaign(chain.campaign)); break;
    case Level::kAdGroup: FORYOU_RETURN_IF_ERROR(store.PutAdGroup(chain.group)); break;
    case Level::kAd: FORYOU_RETURN_IF_ERROR(store.PutAd(chain.ad)); break;
  }
  return chain;
}

// The fields a client never sets: the server's (an ad group's creation time) and an admin
// review's (an ad's approval).
absl::Status RefuseServerFields(Level l, const json& body) {
  if (l == Level::kAdGroup && body.contains("created_ms")) {
    return absl::InvalidArgumentError("ad_group.created_ms: set by the server");
  }
  if (l == Level::kAd && body.contains("approval")) {
    return absl::InvalidArgumentError(
        "ad.approval: set by an admin's review (POST /v1/ads/ads/ID/approval)");
  }
  return absl::OkStatus();
}

absl::StatusOr<json> ObjectBody(const HttpRequest& req) {
  FORYOU_ASSIGN_OR_RETURN(json body, ParseBody(req));
  if (!body.is_object()) return absl::InvalidArgumentError("body: must be a JSON object");
  return body;
}

}  // namespace

ApiServer::Handler ApiServer::AdsRoute(std::string name, CallerHandler fn) {
  return RouteAs(name, Role::kApp, [this, name, fn = std::move(fn)](
                                       const HttpRequest& req, HttpResponse& res,
                                       const Caller& caller) {
    if (absl::StatusOr<AdsActor> actor = AdsActorOf(caller); !actor.ok()) {
      SendError(res, actor.status());
    } else {
      fn(req, res, caller);
    }
    if (req.method == "GET" || deps_.accounts == nullptr) return;
    // Every advertiser's and admin's action, refused ones included. The target: the path's id,
    // else the id of the record the request created.
    std::string target = req.matches.size() > 1 ? req.matches[1].str() : "";
    if (target.empty() && res.status / 100 == 2) {
      const json body = json::parse(res.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_object() && body.contains("id") && body["id"].is_string()) target = body["id"];
    }
    accounts::AuditRecord r{.t_ms = common::WallMs(),
                            .who = caller.Who(),
                            .route = name,
                            .target = std::move(target),
                            .from = req.remote_addr,
                            .status = res.status};
    if (auto seq = deps_.accounts->store().AppendAudit(std::move(r)); !seq.ok()) {
      std::cerr << "foryou serve: audit log: " << seq.status() << "\n";
    }
  });
}

void ApiServer::AdsRoutes() {
  if (deps_.ads == nullptr) return;
  HttpServer& s = *http_;
  ads::AdsStore& store = *deps_.ads;

  for (Level l : {Level::kAccount, Level::kCampaign, Level::kAdGroup, Level::kAd}) {
    const LevelInfo& info = Info(l);
    const std::string base = absl::StrCat("/v1/ads/", info.path);
    const std::string one = absl::StrCat(base, "/([^/]+)");
    const std::string one_name = absl::StrCat(base, "/ID");

    // Create: the id is the client's or a fresh one; 201 and the stored record.
    s.Post(base, AdsRoute(base, [this, l, &info](const HttpRequest& req, HttpResponse& res,
                                                 const Caller& caller) {
      const AdsActor actor = *AdsActorOf(caller);
      absl::StatusOr<json> body = ObjectBody(req);
      if (!body.ok()) return SendError(res, body.status());
      if (absl::Status st = RefuseServerFields(l, *body); !st.ok()) return SendError(res, st);
      if (!body->contains("id")) (*body)["id"] = NewId(info.id_prefix);
      if (l == Level::kAccount && !body->contains("owner") && !actor.user.empty()) {
        (*body)["owner"] = actor.user;
      }
      if (l == Level::kAdGroup) (*body)["created_ms"] = Now();
      absl::StatusOr<AdsChain> stored;
      {
        common::MutexLock lock(&write_mu);
        stored = Store(deps_, actor, l, *body, /*create=*/true);
      }
      if (!stored.ok()) return SendError(res, stored.status());
      SendJson(res, 201, RecordJson(l, *stored));
    }));

    s.Get(one, AdsRoute(one_name, [this, l, &info](const HttpRequest& req, HttpResponse& res,
                                                   const Caller& caller) {
      absl::StatusOr<AdsChain> chain =
          ResolveAds(*deps_.ads, *AdsActorOf(caller), info.kind, req.matches[1].str());
      if (!chain.ok()) return SendError(res, chain.status());
      SendJson(res, 200, RecordJson(l, *chain));
    }));

    // Update: the body's fields replace the stored ones (objects merge: "targeting": {"countries":
    // [...]} keeps the other lists); pause and resume are {"paused": true|false}.
    s.Patch(one, AdsRoute(one_name, [this, l, &info](const HttpRequest& req, HttpResponse& res,
                                                     const Caller& caller) {
      const AdsActor actor = *AdsActorOf(caller);
      absl::StatusOr<json> body = ObjectBody(req);
      if (!body.ok()) return SendError(res, body.status());
      if (absl::Status st = RefuseServerFields(l, *body); !st.ok()) return SendError(res, st);
      for (const auto& [key, value] : body->items()) {
        if (value.is_null()) {
          return SendError(res, absl::InvalidArgumentError(
                                    absl::StrCat(info.record, ".", key, ": null is not a value")));
        }
      }
      common::MutexLock lock(&write_mu);
      absl::StatusOr<AdsChain> old =
          ResolveAds(*deps_.ads, actor, info.kind, req.matches[1].str());
      if (!old.ok()) return SendError(res, old.status());
      json record = RecordJson(l, *old);
      for (const char* fixed : {"id", info.parent}) {
        if (*fixed != '\0' && body->contains(fixed) && (*body)[fixed] != record[fixed]) {
          return SendError(res, absl::InvalidArgumentError(
                                    absl::StrCat(info.record, ".", fixed, ": cannot be changed")));
        }
      }
      if (l == Level::kAccount && !actor.admin && body->contains("owner") &&
          (*body)["owner"] != record["owner"]) {
        return SendError(res, absl::PermissionDeniedError(
                                  "account.owner: only an admin gives an account to another user"));
      }
      json merged = record;
      merged.merge_patch(*body);
      // A changed creative is reviewed again.
      if (l == Level::kAd) {
        for (const char* field : {"video", "call_to_action", "landing_url", "challenge"}) {
          if (merged[field] != record[field]) merged["approval"] = "pending";
        }
      }
      const VideoCheck video = l == Level::kAd && merged["video"] != record["video"]
                                   ? VideoCheck::kOwner
                                   : VideoCheck::kNone;
      absl::StatusOr<AdsChain> stored = Store(deps_, actor, l, merged, /*create=*/false, video);
      if (!stored.ok()) return SendError(res, stored.status());
      SendJson(res, 200, RecordJson(l, *stored));
    }));
  }

  // ---- Lists: an advertiser's accounts (all of them for an admin), then a parent's children ----
  s.Get("/v1/ads/accounts", AdsRoute("/v1/ads/accounts", [&store](const HttpRequest&,
                                                                   HttpResponse& res,
                                                                   const Caller& caller) {
    const AdsActor actor = *AdsActorOf(caller);
    absl::StatusOr<std::vector<ads::Account>> all = store.Accounts();
    if (!all.ok()) return SendError(res, all.status());
    json list = json::array();
    for (const ads::Account& a : *all) {
      if (actor.admin || a.owner == actor.user) list.push_back(json::parse(ads::AccountToJson(a)));
    }
    SendJson(res, 200, {{"accounts", list}});
  }));
  auto children = [&](Level l, auto list_fn, auto to_json) {
    const LevelInfo& info = Info(l);
    const LevelInfo& up = Info(static_cast<Level>(static_cast<int>(l) - 1));
    const std::string path = absl::StrCat("/v1/ads/", info.path);
    s.Get(path, AdsRoute(path, [&store, &info, &up, list_fn, to_json](
                                   const HttpRequest& req, HttpResponse& res,
                                   const Caller& caller) {
      absl::StatusOr<std::string> parent = RequiredParam(req, info.parent);
      if (!parent.ok()) return SendError(res, parent.status());
      absl::StatusOr<AdsChain> chain = ResolveAds(store, *AdsActorOf(caller), up.kind, *parent);
      if (!chain.ok()) return SendError(res, chain.status());
      auto records = (store.*list_fn)(*parent);
      if (!records.ok()) return SendError(res, records.status());
      json list = json::array();
      for (const auto& r : *records) list.push_back(json::parse(to_json(r)));
      SendJson(res, 200, {{info.list, list}});
    }));
  };
  children(Level::kCampaign, &ads::AdsStore::CampaignsOf,
           [](const ads::Campaign& c) { return ads::CampaignToJson(c); });
  children(Level::kAdGroup, &ads::AdsStore::AdGroupsOf,
           [](const ads::AdGroup& g) { return ads::AdGroupToJson(g); });
  children(Level::kAd, &ads::AdsStore::AdsOf, [](const ads::Ad& ad) { return ads::AdToJson(ad); });

  // ---- An admin's review of an ad: approved (its video approved by moderation), rejected,
  // or back to pending ----
  s.Post(R"(/v1/ads/ads/([^/]+)/approval)",
         AdsRoute("/v1/ads/ads/ID/approval", [this](const HttpRequest& req, HttpResponse& res,
                                                    const Caller& caller) {
    const AdsActor actor = *AdsActorOf(caller);
    if (!actor.admin) {
      return SendError(res, absl::PermissionDeniedError("an ad's approval is an admin's"));
    }
    absl::StatusOr<json> body = ObjectBody(req);
    if (!body.ok()) return SendError(res, body.status());
    for (const auto& [key, value] : body->items()) {
      if (key != "approval") {
        return SendError(res, absl::InvalidArgumentError(absl::StrCat(key, ": unknown field")));
      }
    }
    const json approval = body->contains("approval") ? (*body)["approval"] : json();
    if (approval != "approved" && approval != "rejected" && approval != "pending") {
      return SendError(res, absl::InvalidArgumentError(
                                "approval: required, one of approved, rejected, pending"));
    }
    common::MutexLock lock(&write_mu);
    absl::StatusOr<AdsChain> old = ResolveAds(*deps_.ads, actor, "ad", req.matches[1].str());
    if (!old.ok()) return SendError(res, old.status());
    json record = RecordJson(Level::kAd, *old);
    record["approval"] = approval;
    absl::StatusOr<AdsChain> stored =
        Store(deps_, actor, Level::kAd, record, /*create=*/false,
              approval == "approved" ? VideoCheck::kApproved : VideoCheck::kNone);
    if (!stored.ok()) return SendError(res, stored.status());
    SendJson(res, 200, RecordJson(Level::kAd, *stored));
  }));

  AdsDeliveryRoutes();
  AdsAudienceRoutes();
}

}  // namespace foryou::server
