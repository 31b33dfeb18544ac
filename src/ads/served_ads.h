// Served ads: which ad the feed's ad stage placed in which slot of which page, kept in the ads
// database (docs/formats/ads.md, "Served ads") until the ad's billing window ends, so the
// viewer's events on it (impression, views, click) bill it after a restart too. The stage
// (feed/ad_stage.h) writes a page's ads before the page is served and deletes them when their
// window ends; at start it reads back the ones still in their window.
//
// Writes are not synced: they survive a crash of the process (RocksDB's write-ahead log is in
// the operating system's hands when Put returns), not a power loss, which loses at most the
// newest pages' holds; an event of such a slot is then not billed, never billed twice (the
// ledger is idempotent on the event id).
//
// Thread-safe (RocksDB's own).
//
// Example:
//   FORYOU_RETURN_IF_ERROR(PutServedAds(store, {served}));
//   FORYOU_ASSIGN_OR_RETURN(std::vector<ServedAd> all, LoadServedAds(store));
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ads/ads_store.h"
#include "ads/model.h"

namespace foryou::ads {

struct ServedAd {
  std::string request_id;  // the feed page (its request id) and the ad's position on it
  int32_t position = 0;
  std::string user, account, campaign, ad_group, ad, video;
  Goal billed = Goal::kImpression;  // the event that pays for it
  int64_t charge_micros = 0;        // per billed event
  int64_t served_ms = 0;

  friend bool operator==(const ServedAd&, const ServedAd&) = default;
};

// `{"request_id", "position", "user", "account", "campaign", "ad_group", "ad", "video",
// "billed", "charge_micros", "served_ms"}`, and back. Parse: InvalidArgument naming the field.
std::string ServedAdToJson(const ServedAd& s);
[[nodiscard]] absl::StatusOr<ServedAd> ParseServedAd(absl::string_view json);

// Writes `served` in one batch. InvalidArgument (nothing written) for an invalid id, user or
// negative number; Unavailable for a RocksDB error.
[[nodiscard]] absl::Status PutServedAds(AdsStore* store, absl::Span<const ServedAd> served);
// Deletes the served ads of (request id, position), present or not, in one batch.
[[nodiscard]] absl::Status DeleteServedAds(
    AdsStore* store, absl::Span<const std::pair<std::string, int32_t>> slots);
// Every served ad stored, by request id and position. DataLoss for a record that does not
// parse.
[[nodiscard]] absl::StatusOr<std::vector<ServedAd>> LoadServedAds(const AdsStore& store);

}  // namespace foryou::ads
