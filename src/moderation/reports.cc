// Report reasons and the threshold (see the header).
#include "moderation/reports.h"

namespace foryou::moderation {

bool IsReportReason(std::string_view reason) {
  for (std::string_view r : kReportReasons) {
    if (r == reason) return true;
  }
  return false;
}

std::string ReportReasonList() {
  std::string list;
  for (std::string_view r : kReportReasons) {
    if (!list.empty()) list += ", ";
    list += r;
  }
  return list;
}

bool ReportsTrip(const ReportPolicy& policy, int64_t reports, int64_t views) {
  if (reports < policy.min_reports) return false;
  return static_cast<double>(reports) * 1000.0 >=
         policy.per_thousand_views * static_cast<double>(views < 0 ? 0 : views);
}

}  // namespace foryou::moderation
