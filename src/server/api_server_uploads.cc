// ApiServer routes of uploads (docs/api.md, "Uploads"): the effects a post may pick, opening an
// upload, its chunks with Content-Range, its state, completing it into a post, and the creator's
// own videos with their processing state. Any signed-in account may post
// (docs/design/uploads.md, "Who may upload").
#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog_json.h"
#include "media/effects.h"
#include "server/api_handlers.h"
#include "server/api_server.h"
#include "server/http_status.h"
#include "server/social_json.h"
#include "uploads/errors.h"
#include "uploads/upload_service.h"

namespace foryou::server {
namespace {

// The uploads' own answers (409 with the bytes received, 507, 413), then the usual mapping.
void SendUploadError(HttpResponse& res, const absl::Status& st) {
  const std::string msg(st.message());
  if (uploads::IsConflict(st)) {
    json body = json::parse(ErrorBody("conflict", msg));
    if (auto offset = uploads::ConflictOffset(st)) body["received"] = *offset;
    return SendJson(res, 409, body);
  }
  if (uploads::IsInsufficientStorage(st)) {
    return SendJson(res, 507, json::parse(ErrorBody("insufficient_storage", msg)));
  }
  if (uploads::IsTooLarge(st)) return SendError(res, PayloadTooLargeError(msg));
  SendError(res, st);
}

// "bytes A-B/N" -> A, B, N (B >= A, B < N).
bool ParseContentRange(const std::string& header, uint64_t* first, uint64_t* last,
                       uint64_t* size) {
  const std::string prefix = "bytes ";
  if (header.rfind(prefix, 0) != 0) return false;
  const std::string rest = header.substr(prefix.size());
  const size_t dash = rest.find('-'), slash = rest.find('/');
  if (dash == std::string::npos || slash == std::string::npos || slash < dash) return false;
  return absl::SimpleAtoi(rest.substr(0, dash), first) &&
         absl::SimpleAtoi(rest.substr(dash + 1, slash - dash - 1), last) &&
         absl::SimpleAtoi(rest.substr(slash + 1), size) && *first <= *last && *last < *size;
}

json UploadJson(const uploads::Upload& up, uint64_t chunk_bytes) {
  return {{"id", up.id},
          {"size", up.size},
          {"type", up.type},
          {"received", up.received},
          {"state", std::string(uploads::UploadStateName(up.state))},
          {"video", up.video},
          {"chunk_bytes", chunk_bytes}};
}

}  // namespace

void ApiServer::UploadRoutes() {
  HttpServer& s = *http_;
  // The effect picker's list, in media::Effects() order (the names a post may ask for).
  s.Get("/v1/effects", PublicRoute("/v1/effects", [](const auto&, auto& res, const Caller&) {
    json list = json::array();
    for (const media::Effect& e : media::Effects()) {
      list.push_back(json{{"name", e.name}, {"title", e.title}});
    }
    SendJson(res, 200, {{"effects", list}});
  }));
  if (deps_.uploads == nullptr) return;
  uploads::UploadService* svc = deps_.uploads;
  // A chunk is bounded by the store's limit and by the server's body limit, whichever is lower.
  const uint64_t chunk_bytes =
      std::min<uint64_t>(svc->store().limits().max_chunk_bytes, options_.max_body_bytes);
  // Uploads belong to accounts: a key has no user to own them.
  auto poster = [](const Caller& caller, HttpResponse& res) -> const std::string* {
    if (caller.session.has_value()) return &caller.session->account.handle;
    SendError(res, absl::PermissionDeniedError("uploads need a signed-in account (a session token)"));
    return nullptr;
  };

  s.Post("/v1/uploads", RouteAs("/v1/uploads", Role::kApp, [this, svc, poster, chunk_bytes](
                                    const auto& req, auto& res, const Caller& caller) {
    const std::string* user = poster(caller, res);
    if (user == nullptr) return;
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    if (!body->is_object() || !body->contains("size") || !(*body)["size"].is_number_unsigned()) {
      return SendError(res, absl::InvalidArgumentError("size: required, a whole number of bytes"));
    }
    if (!body->contains("type") || !(*body)["type"].is_string()) {
      return SendError(res, absl::InvalidArgumentError("type: required, e.g. \"video/mp4\""));
    }
    absl::StatusOr<uploads::Upload> up = svc->store().Create(
        *user, (*body)["size"].get<uint64_t>(), (*body)["type"].get<std::string>(), Now());
    if (!up.ok()) return SendUploadError(res, up.status());
    SendJson(res, 201, UploadJson(*up, chunk_bytes));
  }));

  s.Put(R"(/v1/uploads/([^/]+))", RouteAs("/v1/uploads/ID", Role::kApp, [this, svc, poster](
                                               const auto& req, auto& res, const Caller& caller) {
    const std::string* user = poster(caller, res);
    if (user == nullptr) return;
    uint64_t first = 0, last = 0, size = 0;
    if (!ParseContentRange(req.get_header_value("Content-Range"), &first, &last, &size)) {
      return SendError(res, absl::InvalidArgumentError(
                                "Content-Range: required as \"bytes FIRST-LAST/SIZE\""));
    }
    if (last - first + 1 != req.body.size()) {
      return SendError(res, absl::InvalidArgumentError(absl::StrCat(
                                "Content-Range: names ", last - first + 1, " bytes, the body has ",
                                req.body.size())));
    }
    absl::StatusOr<uploads::Upload> up = svc->store().Get(req.matches[1].str(), *user);
    if (!up.ok()) return SendUploadError(res, up.status());
    if (size != up->size) {
      return SendError(res, absl::InvalidArgumentError(absl::StrCat(
                                "Content-Range: the size ", size, " is not the upload's ", up->size)));
    }
    absl::StatusOr<uint64_t> received =
        svc->store().Append(up->id, *user, first, req.body, Now());
    if (!received.ok()) return SendUploadError(res, received.status());
    SendJson(res, 200, {{"id", up->id}, {"received", *received}, {"size", up->size}});
  }));

  s.Get(R"(/v1/uploads/([^/]+))", RouteAs("/v1/uploads/ID", Role::kApp, [svc, poster, chunk_bytes](
                                               const auto& req, auto& res, const Caller& caller) {
    const std::string* user = poster(caller, res);
    if (user == nullptr) return;
    absl::StatusOr<uploads::Upload> up = svc->store().Get(req.matches[1].str(), *user);
    if (!up.ok()) return SendUploadError(res, up.status());
    SendJson(res, 200, UploadJson(*up, chunk_bytes));
  }));

  s.Post(R"(/v1/uploads/([^/]+)/complete)",
         RouteAs("/v1/uploads/ID/complete", Role::kApp, [svc, poster](
                     const auto& req, auto& res, const Caller& caller) {
    const std::string* user = poster(caller, res);
    if (user == nullptr) return;
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    absl::StatusOr<uploads::Submitted> done = svc->Complete(req.matches[1].str(), *user, *body);
    if (!done.ok()) return SendUploadError(res, done.status());
    SendJson(res, 202, {{"video", done->video}, {"job", done->job}, {"state", "processing"}});
  }));

  s.Get("/v1/me/videos", RouteAs("/v1/me/videos", Role::kApp, [this, svc, poster](
                                     const auto& req, auto& res, const Caller& caller) {
    const std::string* user = poster(caller, res);
    if (user == nullptr) return;
    absl::StatusOr<int> limit = IntParam(req, "limit", 100, 1, 1000);
    if (!limit.ok()) return SendError(res, limit.status());
    auto videos = deps_.store->VideosByCreator(*user, *limit);
    if (!videos.ok()) return SendError(res, videos.status());
    json list = json::array();
    for (const catalog::Video& v : *videos) {
      json item = catalog::ToJson(v);
      // The state a creator reads: processing, failed (with the reason), or the moderation
      // state once the media is there.
      std::string state(catalog::ModerationName(v.moderation));
      std::string reason;
      int64_t processed_ms = 0;
      absl::StatusOr<uploads::Job> job = svc->queue().JobOfVideo(v.id);
      if (job.ok()) {
        if (job->state == uploads::JobState::kQueued || job->state == uploads::JobState::kRunning) {
          state = "processing";
        } else {
          processed_ms = job->finished_ms;
          if (job->state == uploads::JobState::kFailed) state = "failed", reason = job->error;
        }
      } else if (!absl::IsNotFound(job.status())) {
        return SendError(res, job.status());
      }
      item["state"] = state;
      item["reason"] = reason;
      item["processed_ms"] = processed_ms;
      if (deps_.social != nullptr) {  // the creator's numbers (docs/design/social.md)
        absl::StatusOr<social::VideoStats> stats = deps_.social->Stats(v.id);
        if (!stats.ok()) return SendError(res, stats.status());
        item["stats"] = StatsJson(*stats);
      }
      list.push_back(std::move(item));
    }
    SendJson(res, 200, {{"videos", list}});
  }));

  // The files behind /media/ in the order the mounts look (--media-dir first): where a post's
  // sound or the original of its duet / stitch is found.
  if (!options_.media_dir.empty()) {
    svc->SetMediaDirs({options_.media_dir, svc->pipeline().options().media_dir});
  }
  // The processed media, beside the --media-dir files under the same prefix (with Range); a
  // video not shown to everyone only to its creator and moderators (MayReadMedia).
  s.set_mount_point("/media/", svc->pipeline().options().media_dir, {{"Accept-Ranges", "bytes"}},
                    [this](const HttpRequest& req, std::string_view rest, HttpResponse& res) {
                      return MayReadMedia(req, rest, res);
                    });
}

}  // namespace foryou::server
