// ApiServer routes of moderation (docs/api.md, "Moderation"): the review queue and decisions
// (moderator or admin; audit-logged), a video's transition history (its creator, or a
// moderator), the creator's appeal, and the viewers' reports counted from the events route.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_json.h"
#include "server/api_handlers.h"
#include "server/api_server.h"
#include "server/http_status.h"
#include "server/social_json.h"

namespace foryou::server {
namespace {

json ReasonsJson(const std::vector<moderation::Reason>& reasons) {
  json a = json::array();
  for (const auto& r : reasons) a.push_back({{"code", r.code}, {"text", r.text}});
  return a;
}

// Who a transition names: the account id of a signed-in caller, else "key:<name>".
std::string WhoOf(const Caller& caller) {
  return caller.session.has_value() ? caller.session->account.handle : caller.Who();
}

// A string member of a JSON object body, `max` bytes at most; InvalidArgument naming it.
absl::StatusOr<std::string> TextField(const json& body, const char* name, size_t max,
                                      bool required) {
  if (!body.is_object()) return absl::InvalidArgumentError("body: must be a JSON object");
  const auto it = body.find(name);
  if (it == body.end()) {
    if (!required) return std::string();
    return absl::InvalidArgumentError(absl::StrCat(name, ": required (a string)"));
  }
  if (!it->is_string()) return absl::InvalidArgumentError(absl::StrCat(name, ": must be a string"));
  std::string s = it->get<std::string>();
  if ((required && s.empty()) || s.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": 1..", max, " bytes"));
  }
  return s;
}

}  // namespace

void ApiServer::ModerationRoutes() {
  if (deps_.moderation == nullptr) return;
  HttpServer& s = *http_;
  moderation::ModerationService* mod = deps_.moderation;

  s.Get("/v1/moderation/queue", Route("/v1/moderation/queue", Role::kModerator, [this, mod](
                                                                  const auto& req, auto& res) {
    absl::StatusOr<int> limit = IntParam(req, "limit", 20, 1, 100);
    if (!limit.ok()) return SendError(res, limit.status());
    absl::StatusOr<moderation::QueuePage> page = mod->Queue(req.get_param_value("cursor"), *limit);
    if (!page.ok()) return SendError(res, page.status());
    json items = json::array();
    for (const moderation::QueueItem& item : page->items) {
      absl::StatusOr<catalog::Video> video = deps_.store->GetVideo(item.video);
      json similar = json::array();
      if (deps_.similar_videos) {
        for (const auto& m : deps_.similar_videos(item.video)) {
          similar.push_back({{"video", m.video}, {"share", m.matched_share}, {"distance", m.distance}});
        }
      }
      items.push_back({{"video", video.ok() ? catalog::ToJson(*video) : json{{"id", item.video}}},
                       {"state", moderation::StateName(item.record.state)},
                       {"queued_ms", item.queued_ms},
                       {"reasons", ReasonsJson(item.record.queue_reasons)},
                       {"reports", item.record.reports},
                       {"reports_total", item.record.reports_total},
                       {"similar", std::move(similar)}});
    }
    SendJson(res, 200, {{"items", std::move(items)}, {"next_cursor", page->next_cursor}});
  }));

  s.Post(R"(/v1/moderation/videos/([^/]+)/decision)",
         RouteAs("/v1/moderation/videos/ID/decision", Role::kModerator,
                 [this, mod](const auto& req, auto& res, const Caller& caller) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    absl::StatusOr<std::string> state = TextField(*body, "state", 32, true);
    if (!state.ok()) return SendError(res, state.status());
    std::optional<moderation::State> to = moderation::ParseState(*state);
    if (!to || !moderation::IsDecision(*to)) {
      return SendError(res, absl::InvalidArgumentError(
                                "state: one of \"approved\", \"limited\", \"removed\""));
    }
    absl::StatusOr<std::string> reason = TextField(*body, "reason", 1000, false);
    if (!reason.ok()) return SendError(res, reason.status());
    const std::string id = req.matches[1].str();
    absl::Status st = mod->Decide(id, *to, WhoOf(caller), {"decision", *reason}, Now());
    if (!st.ok()) return SendError(res, st);
    SendJson(res, 200, {{"video", id}, {"state", *state}});
  }));

  s.Get(R"(/v1/videos/([^/]+)/moderation)",
        RouteAs("/v1/videos/ID/moderation", Role::kApp, [this, mod](const auto& req, auto& res,
                                                                      const Caller& caller) {
    absl::StatusOr<catalog::Video> video = deps_.store->GetVideo(req.matches[1].str());
    if (!video.ok()) return SendError(res, video.status());
    if (!IsModerator(caller)) {
      if (absl::Status st = ActsAs(caller, video->creator); !st.ok()) {
        return SendError(res, absl::PermissionDeniedError(
                                  "a video's moderation history is for its creator and moderators"));
      }
    }
    auto history = mod->History(video->id);
    if (!history.ok()) return SendError(res, history.status());
    auto record = mod->Get(video->id);
    if (!record.ok()) return SendError(res, record.status());
    json list = json::array();
    for (const moderation::Transition& t : *history) {
      list.push_back({{"from", t.from ? json(moderation::StateName(*t.from)) : json(nullptr)},
                      {"to", moderation::StateName(t.to)},
                      {"who", t.who},
                      {"t_ms", t.t_ms},
                      {"reasons", ReasonsJson(t.reasons)}});
    }
    json out = {{"video", video->id},
                {"serving", catalog::ModerationName(video->moderation)},
                {"transitions", std::move(list)}};
    if (record->has_value()) {
      out["state"] = moderation::StateName((*record)->state);
      out["appealed"] = (*record)->appealed;
      out["queued"] = (*record)->queued_ms != 0;
    }
    SendJson(res, 200, out);
  }));

  s.Post(R"(/v1/videos/([^/]+)/appeal)",
         RouteAs("/v1/videos/ID/appeal", Role::kApp, [this, mod](const auto& req, auto& res,
                                                                  const Caller& caller) {
    absl::StatusOr<catalog::Video> video = deps_.store->GetVideo(req.matches[1].str());
    if (!video.ok()) return SendError(res, video.status());
    if (absl::Status st = ActsAs(caller, video->creator); !st.ok()) {
      return SendError(res, absl::PermissionDeniedError("only the video's creator may appeal"));
    }
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    absl::StatusOr<std::string> message = TextField(*body, "message", 1000, true);
    if (!message.ok()) return SendError(res, message.status());
    if (absl::Status st = mod->Appeal(video->id, WhoOf(caller), *message, Now()); !st.ok()) {
      return SendError(res, st);
    }
    SendJson(res, 202, {{"video", video->id}, {"state", "appealed"}});
  }));
}

void ApiServer::CountReports(const std::vector<stream::Event>& events) {
  if (deps_.moderation == nullptr) return;
  for (const stream::Event& e : events) {
    if (e.type != stream::EventType::kReport) continue;
    int64_t views = 0;
    if (deps_.social != nullptr) {
      absl::StatusOr<social::VideoCounts> counts = deps_.social->Counts(e.video);
      if (counts.ok()) views = counts->views;
    }
    absl::StatusOr<moderation::ReportOutcome> out =
        deps_.moderation->Report(e.video, e.user, e.reason, views, Now());
    if (!out.ok()) {
      std::cerr << "moderation: report of video '" << e.video << "' not counted: " << out.status()
                << "\n";
    }
  }
}

}  // namespace foryou::server
