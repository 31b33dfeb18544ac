// Reports from the ledger (see report.h). One pass over the account's entries; reach needs the
// distinct viewers per row, kept as a set per row while the pass runs.
#include "ads/report.h"

#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "common/status_macros.h"

namespace foryou::ads {

absl::StatusOr<std::vector<ReportRow>> BuildReport(const Ledger& ledger, const ReportQuery& q) {
  FORYOU_RETURN_IF_ERROR(ValidateId("report.account", q.account));
  if (q.to_ms <= q.from_ms) return absl::InvalidArgumentError("report: to_ms must be after from_ms");
  struct Acc {
    ReportRow row;
    absl::flat_hash_set<std::string> viewers;
  };
  std::map<std::pair<int64_t, std::string>, Acc> rows;
  FORYOU_RETURN_IF_ERROR(ledger.ForEach(q.account, [&](const LedgerEntry& e) {
    if (e.time_ms < q.from_ms || e.time_ms >= q.to_ms) return true;
    int64_t bucket = q.from_ms;
    if (q.bucket == Bucket::kHour) bucket = e.time_ms - e.time_ms % kHourMs;
    if (q.bucket == Bucket::kDay) bucket = e.time_ms - e.time_ms % kDayMs;
    const std::string& id = q.level == Level::kAccount    ? e.account
                            : q.level == Level::kCampaign ? e.campaign
                            : q.level == Level::kAdGroup  ? e.ad_group
                                                          : e.ad;
    Acc& acc = rows[{bucket, id}];
    ReportRow& r = acc.row;
    r.spend_micros += e.charge_micros;
    switch (e.kind) {
      case EventKind::kImpression:
        ++r.impressions;
        if (acc.viewers.insert(e.user).second) ++r.reach;
        break;
      case EventKind::kClick:
        ++r.clicks;
        break;
      case EventKind::kView2s:
        ++r.views_2s;
        break;
      case EventKind::kView6s:
        ++r.views_6s;
        break;
      case EventKind::kConversion:
        if (!e.attributed_to.empty()) ++r.conversions;
        break;
    }
    return true;
  }));
  std::vector<ReportRow> out;
  out.reserve(rows.size());
  for (auto& [key, acc] : rows) {
    acc.row.bucket_ms = key.first;
    acc.row.id = key.second;
    out.push_back(std::move(acc.row));
  }
  return out;
}

}  // namespace foryou::ads
