// Delivery reports computed from the billing ledger: per hour or day and per campaign, ad group
// or ad, so every figure is a sum over ledger entries and the spend equals the ledger's to the
// micro.
//
// Example:
//   ReportQuery q{.account = "a1", .from_ms = day, .to_ms = day + kDayMs,
//                 .bucket = Bucket::kHour, .level = Level::kAdGroup};
//   FORYOU_ASSIGN_OR_RETURN(std::vector<ReportRow> rows, BuildReport(ledger, q));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ads/ledger.h"

namespace foryou::ads {

enum class Bucket { kHour, kDay, kAll };
enum class Level { kAccount, kCampaign, kAdGroup, kAd };

struct ReportQuery {
  std::string account;
  int64_t from_ms = 0, to_ms = 0;  // entries with from_ms <= time < to_ms
  Bucket bucket = Bucket::kDay;
  Level level = Level::kCampaign;
};

struct ReportRow {
  int64_t bucket_ms = 0;  // the bucket's start (from_ms for kAll)
  std::string id;         // of the campaign, ad group or ad (the account for kAccount)
  int64_t impressions = 0;
  int64_t reach = 0;  // distinct viewers with an impression in the row
  int64_t clicks = 0, views_2s = 0, views_6s = 0;
  int64_t conversions = 0;  // attributed ones
  int64_t spend_micros = 0;

  double frequency() const { return reach ? static_cast<double>(impressions) / reach : 0; }
  double ctr() const { return impressions ? static_cast<double>(clicks) / impressions : 0; }
  // Spend per conversion in micros (rounded down); -1 without conversions.
  int64_t cpa_micros() const { return conversions ? spend_micros / conversions : -1; }
};

// Rows in (bucket, id) order; rows without any entry are left out. InvalidArgument when
// to_ms <= from_ms or the account id is invalid.
[[nodiscard]] absl::StatusOr<std::vector<ReportRow>> BuildReport(const Ledger& ledger,
                                                                 const ReportQuery& q);

}  // namespace foryou::ads
