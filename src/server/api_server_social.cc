// ApiServer routes of comments (docs/api.md, "Social"), the counts added to videos and feed
// items, public routes and the social store's catch-up after an ingest.
#include "server/api_server.h"  // first: see api_handlers.h

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_json.h"
#include "server/api_handlers.h"
#include "server/http_status.h"
#include "server/social_json.h"
#include "social/text_check.h"

namespace foryou::server {

// ---- Shared pieces (social_json.h) ----

json CountsJson(const social::VideoCounts& c) {
  return {{"likes", c.likes}, {"comments", c.comments}, {"shares", c.shares},
          {"views", c.views}, {"favorites", c.favorites}};
}

json StatsJson(const social::VideoStats& s) {
  json sources = json::object();
  for (int i = 0; i < social::kNumSurfaces; ++i) {
    sources[std::string(social::kSurfaces[i])] = s.sources[i];
  }
  return {{"views", s.views},       {"watch_ms", s.watch_ms},
          {"likes", s.likes},       {"shares", s.shares},
          {"comments", s.comments}, {"followers_gained", s.followers_gained},
          {"sources", std::move(sources)}};
}

json CommentJson(const social::Comment& c, bool liked) {
  return {{"id", c.id},           {"video", c.video},     {"user", c.author},
          {"text", c.text},       {"parent", c.parent},   {"time_ms", c.time_ms},
          {"likes", c.likes},     {"replies", c.replies}, {"pinned", c.pinned},
          {"deleted", c.deleted}, {"liked", liked}};
}

std::string ViewerOf(const HttpRequest& req, const Caller& caller) {
  if (caller.session.has_value()) return caller.session->account.handle;
  if (caller.key != nullptr) return req.get_param_value("user");
  return "";
}

bool IsModerator(const Caller& caller) {
  if (caller.session.has_value()) {
    const accounts::RoleSet roles = caller.session->account.roles;
    return accounts::Has(roles, accounts::AccountRole::kModerator) ||
           accounts::Has(roles, accounts::AccountRole::kAdmin);
  }
  return caller.key != nullptr && Grants(caller.key->role, Role::kModerator);
}

absl::StatusOr<std::string> BodyUser(const json& body) {
  if (!body.is_object() || !body.contains("user") || !body["user"].is_string()) {
    return absl::InvalidArgumentError("user: required (a string)");
  }
  std::string user = body["user"].get<std::string>();
  if (absl::Status st = catalog::ValidateId("user", user); !st.ok()) return st;
  return user;
}

absl::StatusOr<int> CountParam(const HttpRequest& req) { return IntParam(req, "count", 20, 1, 100); }

json NextCursor(const std::string& cursor) { return cursor.empty() ? json(nullptr) : json(cursor); }

// ---- ApiServer ----

void ApiServer::CatchUpSocial() {
  if (deps_.social == nullptr) return;
  if (absl::Status st = deps_.social->CatchUp(deps_.loop->log()); !st.ok()) {
    std::cerr << "foryou serve: social store catch-up: " << st << "\n";
  }
}

void ApiServer::AddSocialFields(json* items, const std::string& viewer) {
  if (deps_.social == nullptr) return;
  social::SocialStore& s = *deps_.social;
  for (json& item : *items) {
    const std::string video = item.value("video", "");
    const std::string creator = item.value("creator", "");
    absl::StatusOr<social::VideoCounts> counts = s.Counts(video);
    item["counts"] = CountsJson(counts.ok() ? *counts : social::VideoCounts{});
    if (viewer.empty()) continue;
    item["liked"] = s.Liked(viewer, video).value_or(false);
    item["favorited"] = s.Favorited(viewer, video).value_or(false);
    item["following"] = s.Follows(viewer, creator).value_or(false);
  }
}

void ApiServer::SocialRoutes() {
  if (deps_.social == nullptr) return;
  HttpServer& s = *http_;
  social::SocialStore* social = deps_.social;

  // A video the public may see (approved), else NotFound.
  auto visible_video = [this](const std::string& id) -> absl::StatusOr<catalog::Video> {
    absl::StatusOr<catalog::Video> v = deps_.store->GetVideo(id);
    if (!v.ok()) return v.status();
    if (v->moderation != catalog::Moderation::kApproved) {
      return absl::NotFoundError(absl::StrCat("video '", id, "' not found"));
    }
    return v;
  };

  s.Get(R"(/v1/videos/([^/]+)/comments)",
        PublicRoute("/v1/videos/ID/comments", [social, visible_video](
                                                  const auto& req, auto& res, const Caller& caller) {
    const std::string video = req.matches[1].str();
    if (absl::Status st = visible_video(video).status(); !st.ok()) return SendError(res, st);
    absl::StatusOr<int> count = CountParam(req);
    if (!count.ok()) return SendError(res, count.status());
    const std::string parent = req.get_param_value("parent");
    if (!parent.empty()) {
      absl::StatusOr<social::Comment> p = social->GetComment(parent);
      if (!p.ok()) return SendError(res, p.status());
      if (p->video != video) {
        return SendError(res, absl::NotFoundError(
                                  absl::StrCat("comment '", parent, "' is not on video '", video, "'")));
      }
    }
    absl::StatusOr<social::Page<social::Comment>> page =
        social->Comments(video, parent, req.get_param_value("cursor"), *count);
    if (!page.ok()) return SendError(res, page.status());
    const std::string viewer = ViewerOf(req, caller);
    json list = json::array();
    for (const social::Comment& c : page->items) {
      list.push_back(CommentJson(c, !viewer.empty() && social->CommentLiked(viewer, c.id).value_or(false)));
    }
    SendJson(res, 200, {{"comments", list}, {"next_cursor", NextCursor(page->next_cursor)}});
  }));

  s.Post(R"(/v1/videos/([^/]+)/comments)",
         RouteAs("/v1/videos/ID/comments", Role::kApp, [this, social, visible_video](
                                                           const auto& req, auto& res,
                                                           const Caller& caller) {
    const std::string video = req.matches[1].str();
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    absl::StatusOr<std::string> user = BodyUser(*body);
    if (!user.ok()) return SendError(res, user.status());
    if (absl::Status st = ActsAs(caller, *user); !st.ok()) return SendError(res, st);
    if (!body->contains("text") || !(*body)["text"].is_string()) {
      return SendError(res, absl::InvalidArgumentError("text: required (a string)"));
    }
    const std::string text = (*body)["text"].get<std::string>();
    std::string parent;
    if (body->contains("parent") && !(*body)["parent"].is_null()) {
      if (!(*body)["parent"].is_string()) {
        return SendError(res, absl::InvalidArgumentError("parent: must be a comment id (a string)"));
      }
      parent = (*body)["parent"].get<std::string>();
    }
    for (const auto& [k, v] : body->items()) {
      if (k != "user" && k != "text" && k != "parent") {
        return SendError(res, absl::InvalidArgumentError(absl::StrCat(k, ": unknown field")));
      }
    }
    if (absl::Status st = social::CheckCommentText(text); !st.ok()) return SendError(res, st);
    if (absl::Status st = visible_video(video).status(); !st.ok()) return SendError(res, st);
    if (absl::Status st = deps_.feed->GetUser(*user).status(); !st.ok()) return SendError(res, st);
    const int64_t now = Now();
    absl::StatusOr<social::Comment> c = social->AddComment(video, *user, parent, text, now);
    if (!c.ok()) return SendError(res, c.status());
    // The model learns from the comment as from a `comment` event; the social store treats
    // logged comment events as training signals only, so this is not a second comment.
    stream::Event e{.type = stream::EventType::kComment, .user = *user, .time_ms = now,
                    .video = video, .text = text};
    stream::Event resolved = e;
    if (deps_.feed->ResolveEvent(&resolved).ok()) {
      absl::StatusOr<uint64_t> offset = deps_.loop->Ingest({resolved}, now);
      if (offset.ok()) {
        m_->events_by_type[static_cast<int>(stream::EventType::kComment)]->Inc();
        deps_.feed->Observe({e});
        CatchUpSocial();
      } else {
        std::cerr << "foryou serve: comment " << c->id << " not logged for the model: "
                  << offset.status() << "\n";
      }
    }
    SendJson(res, 201, CommentJson(*c, false));
  }));

  // The actions on one comment: `body` has "user", who must be the caller (or the app key's
  // user); `act` does the rest.
  using CommentAction = std::function<void(const social::Comment&, const std::string& user,
                                           const catalog::Video& video, const json& body,
                                           const Caller&, HttpResponse&)>;
  auto on_comment = [this, social](std::string name, CommentAction act) {
    return RouteAs(std::move(name), Role::kApp, [this, social, act = std::move(act)](
                                                    const HttpRequest& req, HttpResponse& res,
                                                    const Caller& caller) {
      absl::StatusOr<json> body = ParseBody(req);
      if (!body.ok()) return SendError(res, body.status());
      absl::StatusOr<std::string> user = BodyUser(*body);
      if (!user.ok()) return SendError(res, user.status());
      if (absl::Status st = ActsAs(caller, *user); !st.ok()) return SendError(res, st);
      absl::StatusOr<social::Comment> c = social->GetComment(req.matches[1].str());
      if (!c.ok()) return SendError(res, c.status());
      absl::StatusOr<catalog::Video> video = deps_.store->GetVideo(c->video);
      if (!video.ok()) return SendError(res, video.status());
      act(*c, *user, *video, *body, caller, res);
    });
  };
  auto like = [social](bool on) {
    return [social, on](const social::Comment& c, const std::string& user, const catalog::Video&,
                        const json&, const Caller&, HttpResponse& res) {
      absl::StatusOr<int64_t> likes = social->SetCommentLike(c.id, user, on);
      if (!likes.ok()) return SendError(res, likes.status());
      SendJson(res, 200, {{"likes", *likes}, {"liked", on}});
    };
  };
  s.Post(R"(/v1/comments/([^/]+)/like)", on_comment("/v1/comments/ID/like", like(true)));
  s.Delete(R"(/v1/comments/([^/]+)/like)", on_comment("/v1/comments/ID/like", like(false)));

  auto pin = [social](bool on) {
    return [social, on](const social::Comment& c, const std::string& user,
                        const catalog::Video& video, const json&, const Caller& caller,
                        HttpResponse& res) {
      if (user != video.creator && !IsModerator(caller)) {
        return SendError(res, absl::PermissionDeniedError(
                                  "only the video's creator or a moderator may pin a comment"));
      }
      if (absl::Status st = social->SetPinned(c.id, on); !st.ok()) return SendError(res, st);
      absl::StatusOr<social::Comment> now = social->GetComment(c.id);
      if (!now.ok()) return SendError(res, now.status());
      SendJson(res, 200, CommentJson(*now, social->CommentLiked(user, c.id).value_or(false)));
    };
  };
  s.Post(R"(/v1/comments/([^/]+)/pin)", on_comment("/v1/comments/ID/pin", pin(true)));
  s.Delete(R"(/v1/comments/([^/]+)/pin)", on_comment("/v1/comments/ID/pin", pin(false)));

  s.Delete(R"(/v1/comments/([^/]+))",
           on_comment("/v1/comments/ID", [social](const social::Comment& c, const std::string& user,
                                                  const catalog::Video& video, const json&,
                                                  const Caller& caller, HttpResponse& res) {
    if (user != c.author && user != video.creator && !IsModerator(caller)) {
      return SendError(res, absl::PermissionDeniedError(
                                "only the comment's author, the video's creator or a moderator may "
                                "delete a comment"));
    }
    if (absl::Status st = social->DeleteComment(c.id); !st.ok()) return SendError(res, st);
    absl::StatusOr<social::Comment> now = social->GetComment(c.id);
    if (!now.ok()) return SendError(res, now.status());
    SendJson(res, 200, CommentJson(*now, false));
  }));

  s.Post(R"(/v1/comments/([^/]+)/report)",
         on_comment("/v1/comments/ID/report", [this, social](
                                                  const social::Comment& c, const std::string& user,
                                                  const catalog::Video&, const json& body,
                                                  const Caller&, HttpResponse& res) {
    if (!body.contains("reason") || !body["reason"].is_string()) {
      return SendError(res, absl::InvalidArgumentError("reason: required (a string)"));
    }
    const std::string reason = body["reason"].get<std::string>();
    if (reason.empty() || reason.size() > stream::kMaxReasonBytes) {
      return SendError(res, absl::InvalidArgumentError("reason: 1..256 bytes"));
    }
    if (absl::Status st = social->ReportComment(c.id, user, reason, Now()); !st.ok()) {
      return SendError(res, st);
    }
    SendJson(res, 202, {{"reported", c.id}});
  }));
}

}  // namespace foryou::server
