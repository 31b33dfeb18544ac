// Served ads in the ads database (see served_ads.h; keys in docs/formats/ads.md).
#include "ads/served_ads.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "ads/store_keys.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace foryou::ads {
namespace {

using nlohmann::json;

constexpr char kServedTag[] = "sv";

std::string ServedKeyOf(absl::string_view request_id, int32_t position) {
  return keys::K({kServedTag, request_id, keys::BE(static_cast<uint32_t>(position))});
}

absl::Status ServedFieldError(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("served_ad.", field, ": ", why));
}

absl::Status ValidateServed(const ServedAd& s) {
  // A request id is an event id's request_id: printable ASCII, no NUL.
  if (s.request_id.empty() || s.request_id.size() > 128 ||
      s.request_id.find('\0') != std::string::npos) {
    return ServedFieldError("request_id", "must be 1-128 bytes without NUL");
  }
  if (s.position < 0) return ServedFieldError("position", "must be >= 0");
  FORYOU_RETURN_IF_ERROR(ValidateUser("served_ad.user", s.user));
  FORYOU_RETURN_IF_ERROR(ValidateId("served_ad.account", s.account));
  FORYOU_RETURN_IF_ERROR(ValidateId("served_ad.campaign", s.campaign));
  FORYOU_RETURN_IF_ERROR(ValidateId("served_ad.ad_group", s.ad_group));
  FORYOU_RETURN_IF_ERROR(ValidateId("served_ad.ad", s.ad));
  if (s.video.empty()) return ServedFieldError("video", "required");
  if (s.charge_micros < 0) return ServedFieldError("charge_micros", "must be >= 0");
  if (s.served_ms < 0) return ServedFieldError("served_ms", "must be >= 0");
  return absl::OkStatus();
}

}  // namespace

std::string ServedAdToJson(const ServedAd& s) {
  return json{{"request_id", s.request_id}, {"position", s.position},
              {"user", s.user},             {"account", s.account},
              {"campaign", s.campaign},     {"ad_group", s.ad_group},
              {"ad", s.ad},                 {"video", s.video},
              {"billed", Name(s.billed)},   {"charge_micros", s.charge_micros},
              {"served_ms", s.served_ms}}
      .dump();
}

absl::StatusOr<ServedAd> ParseServedAd(absl::string_view text) {
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("served_ad: not a JSON object");
  }
  ServedAd s;
  for (const auto& [key, v] : j.items()) {
    std::string* str = key == "request_id" ? &s.request_id
                       : key == "user"     ? &s.user
                       : key == "account"  ? &s.account
                       : key == "campaign" ? &s.campaign
                       : key == "ad_group" ? &s.ad_group
                       : key == "ad"       ? &s.ad
                       : key == "video"    ? &s.video
                                           : nullptr;
    if (str != nullptr) {
      if (!v.is_string()) return ServedFieldError(key, "must be a string");
      *str = v.get<std::string>();
    } else if (key == "position" || key == "charge_micros" || key == "served_ms") {
      if (!v.is_number_integer()) return ServedFieldError(key, "must be an integer");
      const int64_t n = v.get<int64_t>();
      if (key == "position") {
        if (n < 0 || n > INT32_MAX) return ServedFieldError(key, "out of range");
        s.position = static_cast<int32_t>(n);
      } else {
        (key == "charge_micros" ? s.charge_micros : s.served_ms) = n;
      }
    } else if (key == "billed") {
      if (!v.is_string()) return ServedFieldError(key, "must be a string");
      const std::string name = v.get<std::string>();
      bool found = false;
      for (Goal g : {Goal::kImpression, Goal::kClick, Goal::kView, Goal::kConversion}) {
        if (Name(g) == name) {
          s.billed = g;
          found = true;
        }
      }
      if (!found) return ServedFieldError(key, absl::StrCat("'", name, "' is not a goal"));
    } else {
      return ServedFieldError(key, "unknown field");
    }
  }
  FORYOU_RETURN_IF_ERROR(ValidateServed(s));
  return s;
}

absl::Status PutServedAds(AdsStore* store, absl::Span<const ServedAd> served) {
  rocksdb::WriteBatch batch;
  for (const ServedAd& s : served) {
    FORYOU_RETURN_IF_ERROR(ValidateServed(s));
    batch.Put(ServedKeyOf(s.request_id, s.position), ServedAdToJson(s));
  }
  if (batch.Count() == 0) return absl::OkStatus();
  return keys::FromRocks(store->db()->Write(rocksdb::WriteOptions(), &batch), "write served ads");
}

absl::Status DeleteServedAds(AdsStore* store,
                             absl::Span<const std::pair<std::string, int32_t>> slots) {
  rocksdb::WriteBatch batch;
  for (const auto& [request_id, position] : slots) {
    batch.Delete(ServedKeyOf(request_id, position));
  }
  if (batch.Count() == 0) return absl::OkStatus();
  return keys::FromRocks(store->db()->Write(rocksdb::WriteOptions(), &batch),
                         "delete served ads");
}

absl::StatusOr<std::vector<ServedAd>> LoadServedAds(const AdsStore& store) {
  std::vector<ServedAd> out;
  const std::string prefix = std::string(kServedTag) + '\0';
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    absl::StatusOr<ServedAd> s = ParseServedAd(keys::V(it->value()));
    if (!s.ok()) {
      return absl::DataLossError(absl::StrCat("ads store: served ad: ", s.status().message()));
    }
    out.push_back(*std::move(s));
  }
  FORYOU_RETURN_IF_ERROR(keys::FromRocks(it->status(), "read served ads"));
  return out;
}

}  // namespace foryou::ads
