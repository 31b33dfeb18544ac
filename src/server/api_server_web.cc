// ApiServer routes of the web app: the dashboard's stats, media files with Range, the app's
// static files and /dashboard (docs/api.md, docs/design/web.md).
#include "server/api_server.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "server/api_handlers.h"
#include "server/http_status.h"

namespace foryou::server {

void ApiServer::WebRoutes() {
  HttpServer& s = *http_;
  // ---- Dashboard: the sampler's time series, trending now, rule totals ----
  s.Get("/v1/admin/stats", Route("/v1/admin/stats", Role::kAdmin, [this](const auto& req,
                                                                          auto& res) {
    int64_t since = -1;
    if (req.has_param("since") && !absl::SimpleAtoi(req.get_param_value("since"), &since)) {
      return SendError(res, absl::InvalidArgumentError("since: must be an integer (t_ms)"));
    }
    const int64_t now = Now();
    const auto index = deps_.feed->index();
    json trending = json::array();
    for (uint64_t key : deps_.feed->engagement().Trending("*", 50, now)) {
      if (trending.size() >= 10) break;
      const feed::VideoEntry* e = index->Find(key);
      if (e == nullptr || e->video.moderation != catalog::Moderation::kApproved) continue;
      trending.push_back({{"video", e->video.id}, {"caption", e->video.caption},
                          {"creator", e->video.creator}, {"hashtags", e->video.hashtags},
                          {"media_url", e->video.media_url},
                          {"score", deps_.feed->engagement().Score("*", key, now)}});
    }
    json rules = json::object();
    const feed::RuleStats totals = deps_.feed->rule_stats();
    for (const auto& [name, field] : kRules) rules[name] = totals.*field;
    SendJson(res, 200, {{"interval_ms", stats_->interval_ms()}, {"samples", stats_->Samples(since)},
                        {"trending", trending}, {"rules", rules}});
  }));

  // ---- Files: media, the web app and its dashboard ----
  // HttpServer streams mounted files with single Range requests (206 + Content-Range, 416), the
  // Content-Type from the opened file's own extension; paths with NUL or ".." are refused (400).
  if (!options_.media_dir.empty()) {
    // Accept-Ranges tells a player on the first (200) answer that it may seek by Range.
    s.set_mount_point("/media/", options_.media_dir,
                      {{"Accept-Ranges", "bytes"}, {"Cache-Control", "public, max-age=3600"}});
  }
  if (!options_.static_dir.empty()) {
    auto dashboard = Route("/dashboard", std::nullopt, [this](const auto&, auto& res) {
      absl::StatusOr<std::string> html = common::ReadFile(options_.static_dir + "/dashboard.html");
      if (!html.ok()) {
        return SendError(res, absl::NotFoundError("no dashboard.html in the web app"));
      }
      res.set_content(*html, "text/html; charset=utf-8");
    });
    s.Get("/dashboard", dashboard);
    s.Get("/dashboard/", dashboard);
    s.set_mount_point("/", options_.static_dir);
  }
}

}  // namespace foryou::server
