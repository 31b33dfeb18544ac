// ApiServer routes of the catalog: users, videos, creator / sound / hashtag pages, the hashtag
// list for sign-up (docs/api.md).
#include "server/api_server.h"

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_json.h"
#include "common/clock.h"
#include "realtime/joiner.h"
#include "server/api_handlers.h"
#include "server/http_status.h"

namespace foryou::server {

void ApiServer::CatalogRoutes() {
  HttpServer& s = *http_;
  // ---- Users ----
  s.Post("/v1/users", RouteAs("/v1/users", Role::kApp, [this](const auto& req, auto& res,
                                                               const Caller& caller) {
    if (caller.session.has_value()) {
      return SendError(res, absl::PermissionDeniedError(
                                "a session cannot create users (sign up: POST /v1/auth/signup)"));
    }
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    // Fields the platform owns (they round-trip through ToJson, but a client may not set them).
    for (const char* owned : {"created_ms", "epoch", "profile"}) {
      if (body->is_object() && body->contains(owned)) {
        return SendError(res, absl::InvalidArgumentError(absl::StrCat(owned, ": set by the server")));
      }
    }
    absl::StatusOr<catalog::User> user = catalog::UserFromJson(*body, Now());
    if (!user.ok()) return SendError(res, user.status());
    if (absl::Status st = deps_.feed->CreateUser(*user); !st.ok()) return SendError(res, st);
    SendJson(res, 201, catalog::ToJson(*user));
  }));
  s.Get("/v1/users", Route("/v1/users", Role::kAdmin, [this](const auto& req, auto& res) {
    absl::StatusOr<int> limit = IntParam(req, "limit", 100, 1, 1000);
    if (!limit.ok()) return SendError(res, limit.status());
    auto users = deps_.store->ListUsers(req.get_param_value("after"), *limit);
    if (!users.ok()) return SendError(res, users.status());
    json list = json::array();
    for (const auto& u : *users) list.push_back(catalog::ToJson(u));
    SendJson(res, 200, {{"users", list}, {"next", users->empty() ? "" : users->back().id}});
  }));
  // GET /v1/users/ID: api_server_people.cc (public, with the profile and counts).
  s.Patch(R"(/v1/users/([^/]+))", Route("/v1/users/ID", Role::kAdmin, [this](const auto& req, auto& res) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    absl::StatusOr<catalog::User> updated = deps_.feed->ModifyUser(
        req.matches[1].str(), [&](catalog::User* u) { return catalog::ApplyUserPatch(*body, u); });
    if (!updated.ok()) return SendError(res, updated.status());
    SendJson(res, 200, catalog::ToJson(*updated));
  }));
  s.Post(R"(/v1/users/([^/]+)/refresh)", RouteAs("/v1/users/ID/refresh", Role::kApp, [this](
                                                     const auto& req, auto& res,
                                                     const Caller& caller) {
    if (absl::Status st = ActsAs(caller, req.matches[1].str()); !st.ok()) return SendError(res, st);
    if (absl::Status st = deps_.feed->Refresh(req.matches[1].str()); !st.ok()) return SendError(res, st);
    auto user = deps_.feed->GetUser(req.matches[1].str());
    if (!user.ok()) return SendError(res, user.status());
    SendJson(res, 200, {{"user", (*user)->id}, {"epoch", (*user)->epoch},
                        {"model_user", feed::ModelUserOf(**user)}});
  }));

  // ---- Videos ----
  s.Post("/v1/videos", Route("/v1/videos", Role::kAdmin, [this](const auto& req, auto& res) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    for (const char* owned : {"video_type", "upload_type"}) {
      if (body->is_object() && body->contains(owned)) {
        return SendError(res, absl::InvalidArgumentError(absl::StrCat(owned, ": set by the server")));
      }
    }
    absl::StatusOr<catalog::Video> video = catalog::VideoFromJson(*body, Now());
    if (!video.ok()) return SendError(res, video.status());
    if (absl::Status st = deps_.feed->CreateVideo(*video); !st.ok()) return SendError(res, st);
    // A video created pending (an import) enters moderation's review queue. The video stands
    // if that fails: the machine adopts it, pending, the first time it is touched.
    if (deps_.moderation != nullptr && video->moderation == catalog::Moderation::kPending) {
      if (auto d = deps_.moderation->OnImported(*video, Now()); !d.ok()) {
        std::cerr << "moderation: video '" << video->id << "' not queued: " << d.status() << "\n";
      }
    }
    SendJson(res, 201, catalog::ToJson(*video));
  }));
  s.Get("/v1/videos", Route("/v1/videos", Role::kApp, [this](const auto& req, auto& res) {
    absl::StatusOr<int> limit = IntParam(req, "limit", 100, 1, 1000);
    if (!limit.ok()) return SendError(res, limit.status());
    auto videos = deps_.store->ListVideos(req.get_param_value("after"), *limit);
    if (!videos.ok()) return SendError(res, videos.status());
    json list = json::array();
    for (const auto& v : *videos) list.push_back(catalog::ToJson(v));
    SendJson(res, 200, {{"videos", list}, {"next", videos->empty() ? "" : videos->back().id}});
  }));
  s.Get(R"(/v1/videos/([^/]+))", PublicRoute("/v1/videos/ID", [this](const auto& req, auto& res,
                                                                      const Caller& caller) {
    auto video = deps_.store->GetVideo(req.matches[1].str());
    if (!video.ok()) return SendError(res, video.status());
    // Without a key or session only approved videos exist.
    if (caller.key == nullptr && !caller.session.has_value() &&
        video->moderation != catalog::Moderation::kApproved) {
      return SendError(res, absl::NotFoundError(absl::StrCat("video '", video->id, "' not found")));
    }
    json out = catalog::ToJson(*video);
    // Credit: the live (approved or limited) duets and stitches made of this video.
    auto derived = deps_.store->VideosByOriginal(video->id);
    if (!derived.ok()) return SendError(res, derived.status());
    int duets = 0, stitches = 0;
    for (const catalog::Video& d : *derived) {
      if (d.moderation != catalog::Moderation::kApproved &&
          d.moderation != catalog::Moderation::kLimited) {
        continue;
      }
      duets += d.duet_of == video->id;
      stitches += d.stitch_of == video->id;
    }
    out["duets"] = duets;
    out["stitches"] = stitches;
    if (deps_.social != nullptr) {
      json one = json::array({{{"video", video->id}, {"creator", video->creator}}});
      AddSocialFields(&one, "");
      out["counts"] = one[0]["counts"];
    }
    SendJson(res, 200, out);
  }));
  s.Patch(R"(/v1/videos/([^/]+))", RouteAs("/v1/videos/ID", Role::kModerator, [this](
                                                const auto& req, auto& res, const Caller& caller) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    // A moderator (an account without the admin role) changes the moderation state only.
    const bool admin = caller.session.has_value()
                           ? accounts::Has(caller.session->account.roles,
                                           accounts::AccountRole::kAdmin)
                           : caller.key != nullptr && caller.key->role == Role::kAdmin;
    if (!admin && (!body->is_object() || body->size() != 1 || !body->contains("moderation"))) {
      return SendError(res, absl::PermissionDeniedError(
                                "a moderator may change only \"moderation\" (the admin role "
                                "edits the rest)"));
    }
    auto video = deps_.store->GetVideo(req.matches[1].str());
    if (!video.ok()) return SendError(res, video.status());
    catalog::Video updated = *video;
    if (absl::Status st = catalog::ApplyVideoPatch(*body, &updated); !st.ok()) return SendError(res, st);
    if (deps_.moderation == nullptr || updated.moderation == video->moderation) {
      if (absl::Status st = deps_.feed->UpdateVideo(updated); !st.ok()) return SendError(res, st);
      return SendJson(res, 200, catalog::ToJson(updated));
    }
    // A change of "moderation" is a step of the moderation machine (recorded, checked: a
    // removed video is appealed first); the other fields are written before it.
    const catalog::Moderation target = updated.moderation;
    updated.moderation = video->moderation;
    if (updated != *video) {
      if (absl::Status st = deps_.feed->UpdateVideo(updated); !st.ok()) return SendError(res, st);
    }
    const std::string who = caller.session.has_value() ? caller.session->account.handle
                                                       : caller.Who();
    const moderation::Reason why{"patch", "set through PATCH /v1/videos/ID"};
    absl::Status st =
        target == catalog::Moderation::kPending
            ? deps_.moderation->Requeue(updated.id, who, why, Now())
            : deps_.moderation->Decide(updated.id, moderation::StateOfServing(target), who, why,
                                       Now());
    if (!st.ok()) return SendError(res, st);
    auto after = deps_.store->GetVideo(updated.id);
    if (!after.ok()) return SendError(res, after.status());
    SendJson(res, 200, catalog::ToJson(*after));
  }));

  // ---- Creator, sound and hashtag pages: their videos, most engaging first ----
  auto page = [this](const char* kind) {
    return [this, kind](const HttpRequest& req, HttpResponse& res, const Caller&) {
      const std::string id = req.matches[1].str();
      absl::StatusOr<int> limit = IntParam(req, "limit", 30, 1, 200);
      if (!limit.ok()) return SendError(res, limit.status());
      json head;
      absl::StatusOr<std::vector<catalog::Video>> videos;
      const std::string k = kind;
      if (k == "creator") {
        auto c = deps_.store->GetCreator(id);
        if (!c.ok()) return SendError(res, c.status());
        head = catalog::ToJson(*c);
        // A creator who is also a user (an account) has a profile: GET /v1/users/ID.
        head["is_user"] = deps_.feed->GetUser(id).ok();
        videos = deps_.store->VideosByCreator(id, 2000);
      } else if (k == "sound") {
        auto c = deps_.store->GetSound(id);
        if (!c.ok()) return SendError(res, c.status());
        head = catalog::ToJson(*c);
        // Every video of the sound: the original is the oldest, the end of the list.
        videos = deps_.store->VideosBySound(id);
      } else {
        auto c = deps_.store->GetHashtag(id);
        if (!c.ok()) return SendError(res, c.status());
        head = catalog::ToJson(*c);
        videos = deps_.store->VideosByHashtag(id, 2000);
      }
      if (!videos.ok()) return SendError(res, videos.status());
      const int64_t now = Now();
      std::vector<std::pair<double, const catalog::Video*>> ranked;
      for (const auto& v : *videos) {
        if (v.moderation != catalog::Moderation::kApproved) continue;
        ranked.emplace_back(deps_.feed->engagement().Score("*", common::VideoKey(v.id), now), &v);
      }
      // A sound's original: the video its record names (a processed upload's own sound) while
      // that video is live; else the first approved video that used it, by upload time (ties:
      // the smaller id); `ranked` is still newest first here.
      const catalog::Video* original = nullptr;
      std::optional<catalog::Video> named;
      if (k == "sound" && !head.value("original_video", "").empty()) {
        auto v = deps_.store->GetVideo(head["original_video"].get<std::string>());
        if (v.ok() && (v->moderation == catalog::Moderation::kApproved ||
                       v->moderation == catalog::Moderation::kLimited)) {
          named = std::move(*v);
          original = &*named;
        }
      } else if (k == "sound") {
        for (const auto& [score, v] : ranked) {
          if (original == nullptr || v->upload_ms < original->upload_ms ||
              (v->upload_ms == original->upload_ms && v->id < original->id)) {
            original = v;
          }
        }
      }
      if (k == "sound") {
        head["original"] = nullptr;
        if (original != nullptr) {
          auto creator = deps_.store->GetCreator(original->creator);
          head["original"] = {{"video", catalog::ToJson(*original)},
                              {"creator", creator.ok() ? catalog::ToJson(*creator)
                                                       : json{{"id", original->creator}}}};
        }
      }
      std::stable_sort(ranked.begin(), ranked.end(),
                       [](const auto& a, const auto& b) { return a.first > b.first; });
      json list = json::array();
      for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < *limit; ++i) {
        json v = catalog::ToJson(*ranked[i].second);
        v["engagement"] = ranked[i].first;
        if (original != nullptr) v["original"] = ranked[i].second->id == original->id;
        list.push_back(std::move(v));
      }
      head["videos"] = std::move(list);
      SendJson(res, 200, head);
    };
  };
  // Public reads: the pages list approved videos only.
  s.Get(R"(/v1/creators/([^/]+))", PublicRoute("/v1/creators/ID", page("creator")));
  s.Get(R"(/v1/sounds/([^/]+))", PublicRoute("/v1/sounds/ID", page("sound")));
  s.Get(R"(/v1/hashtags/([^/]+))", PublicRoute("/v1/hashtags/ID", page("hashtag")));

  // ---- Sign-up: the hashtags to pick interests from, most used first. No key: the sign-up
  // screen shows them before anyone is signed in (public catalog data). ----
  s.Get("/v1/hashtags", Route("/v1/hashtags", std::nullopt, [this](const auto& req, auto& res) {
    absl::StatusOr<int> limit = IntParam(req, "limit", 100, 1, 1000);
    if (!limit.ok()) return SendError(res, limit.status());
    std::vector<catalog::Hashtag> tags;
    absl::Status st =
        deps_.store->ForEachHashtag([&](const catalog::Hashtag& h) { tags.push_back(h); });
    if (!st.ok()) return SendError(res, st);
    const size_t n = std::min(tags.size(), static_cast<size_t>(*limit));
    std::partial_sort(tags.begin(), tags.begin() + n, tags.end(), [](const auto& a, const auto& b) {
      return a.videos != b.videos ? a.videos > b.videos : a.name < b.name;
    });
    json list = json::array();
    for (size_t i = 0; i < n; ++i) {
      list.push_back({{"id", tags[i].name}, {"name", tags[i].name}, {"videos", tags[i].videos}});
    }
    SendJson(res, 200, {{"hashtags", list}});
  }));
}

}  // namespace foryou::server
