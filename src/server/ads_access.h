// Internal to src/server: who may touch which Ads Manager record (api_server_ads.cc,
// api_server_ads_delivery.cc). An advertiser (an account with the advertiser role) sees and
// changes only the ads accounts it owns and everything under them; an admin (an admin account
// or an admin key) sees and changes all. A record of another advertiser answers the same
// NotFound as a missing one, so its id tells nothing.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ads/ads_store.h"
#include "ads/model.h"
#include "server/api_server.h"

namespace foryou::server {

struct AdsActor {
  bool admin = false;
  std::string user;  // the signed-in account's handle; "" for an admin key
};

// The actor of a request: PermissionDenied unless it is an advertiser or admin account, or an
// admin key.
[[nodiscard]] absl::StatusOr<AdsActor> AdsActorOf(const Caller& caller);

// A record with its ancestors, as far as the record's level goes (an ad has all four).
struct AdsChain {
  ads::Account account;
  ads::Campaign campaign;
  ads::AdGroup group;
  ads::Ad ad;
};

// The record `id` of `kind` ("account", "campaign", "ad group", "ad") and its ancestors, if
// `actor` may see it; NotFound "<kind> <id> not found" otherwise (missing or not the actor's).
[[nodiscard]] absl::StatusOr<AdsChain> ResolveAds(const ads::AdsStore& store,
                                                  const AdsActor& actor, absl::string_view kind,
                                                  absl::string_view id);

}  // namespace foryou::server
