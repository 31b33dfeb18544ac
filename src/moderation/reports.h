// Viewers' reports of videos: the reason codes a report may carry and when reports limit a video
// (docs/design/moderation.md, "Reports").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace foryou::moderation {

// The reason codes of the `report` event (docs/api.md).
inline constexpr std::string_view kReportReasons[] = {
    "spam", "nudity", "violence", "hate", "harassment", "misinformation", "self_harm", "other"};
bool IsReportReason(std::string_view reason);
// "spam, nudity, ...": the list for error messages.
std::string ReportReasonList();

struct ReportPolicy {
  // Reports (distinct viewers) needed at all, and per 1,000 views: a video is limited once it
  // has at least min_reports and at least per_thousand_views per 1,000 views.
  int64_t min_reports = 3;
  double per_thousand_views = 10;
};

// True if `reports` distinct viewers' reports at `views` views cross the policy's threshold.
bool ReportsTrip(const ReportPolicy& policy, int64_t reports, int64_t views);

struct ReportOutcome {
  bool counted = false;   // false: this viewer had reported the video already
  int64_t reports = 0;    // distinct viewers who reported it
  bool tripped = false;   // this report limited the video and queued it
};

}  // namespace foryou::moderation
