// ApiServer routes of a user's own data (docs/api.md, "Your data"): the export of everything the
// service holds about a user (profile, account, events and what they derive) and the deletion
// of the account with the user's catalog record, feed session and embedding rows. A session
// uses /v1/me; an admin (key or account) names the user in /v1/users/ID/export and
// DELETE /v1/users/ID. What stays after a deletion, and for how long: docs/design/accounts.md.
// Also the creator's totals over their videos (GET /v1/me/stats, docs/design/social.md).
#include "server/api_server.h"  // first: see api_handlers.h


#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_json.h"
#include "common/status_macros.h"
#include "server/api_handlers.h"
#include "server/http_status.h"
#include "server/social_json.h"
#include "stream/event.h"
#include "stream/user_deletion.h"

namespace foryou::server {
namespace {

constexpr size_t kExportReadBatch = 4096;  // log records per read of the export's scan
constexpr int kMaxStatsVideos = 2000;       // the newest videos GET /v1/me/stats adds up

// True if the log's user `logged` is `user`: the id itself or a model identity "<id>#<epoch>"
// written after a refresh (feed::ModelUserOf).
bool IsUser(std::string_view logged, std::string_view user) {
  return logged == user ||
         (logged.size() > user.size() && logged.substr(0, user.size()) == user &&
          logged[user.size()] == '#');
}

// The user's events in the log, oldest first, and what they derive: the videos liked now (like
// minus a later unlike), the creators followed now, every comment. A scan of the whole retained
// log: O(log size) reads (docs/design/accounts.md, "Export").
absl::Status ScanEvents(stream::EventLog& log, const std::string& user, json* out) {
  json events = json::array(), comments = json::array();
  std::map<std::string, int64_t> likes, follows;  // id -> time of the latest like / follow
  std::vector<stream::LogRecord> records;
  const uint64_t end = log.EndOffset();
  for (uint64_t offset = log.StartOffset(); offset < end;) {
    records.clear();
    FORYOU_RETURN_IF_ERROR(log.Read(offset, kExportReadBatch, &records));
    if (records.empty()) break;
    for (const stream::LogRecord& r : records) {
      absl::StatusOr<stream::Event> e = stream::DecodeEvent(r.payload);
      if (!e.ok() && stream::IsUserDeletionRecord(r.payload)) {
        // The events before a deletion of this id were another account's.
        absl::StatusOr<stream::UserDeletion> d = stream::DecodeUserDeletion(r.payload);
        if (d.ok() && d->Covers(user)) {
          events = json::array();
          comments = json::array();
          likes.clear();
          follows.clear();
        }
        continue;
      }
      if (!e.ok() || !IsUser(e->user, user)) continue;  // undecodable records hold no user's data
      e->user = user;  // the export names the user as they know themselves
      events.push_back(json::parse(stream::EventToJson(*e)));
      switch (e->type) {
        case stream::EventType::kLike: likes[e->video] = e->time_ms; break;
        case stream::EventType::kUnlike: likes.erase(e->video); break;
        case stream::EventType::kFollow: follows[e->creator] = e->time_ms; break;
        case stream::EventType::kUnfollow: follows.erase(e->creator); break;
        case stream::EventType::kComment:
          comments.push_back({{"video", e->video}, {"text", e->text}, {"time_ms", e->time_ms}});
          break;
        default: break;
      }
    }
    offset = records.back().offset + 1;
  }
  json liked = json::array(), followed = json::array();
  for (const auto& [video, t] : likes) liked.push_back({{"video", video}, {"time_ms", t}});
  for (const auto& [creator, t] : follows) {
    followed.push_back({{"creator", creator}, {"time_ms", t}});
  }
  (*out)["events"] = std::move(events);
  (*out)["likes"] = std::move(liked);
  (*out)["follows"] = std::move(followed);
  (*out)["comments"] = std::move(comments);
  return absl::OkStatus();
}

// What the social store holds of `user`: profile, comments, likes, favorites, follows.
absl::StatusOr<json> SocialExport(social::SocialStore& social, const std::string& user) {
  FORYOU_ASSIGN_OR_RETURN(social::Profile p, social.GetProfile(user));
  FORYOU_ASSIGN_OR_RETURN(std::vector<social::Comment> comments, social.CommentsBy(user));
  json out = {{"profile", {{"name", p.name}, {"bio", p.bio}, {"avatar", !p.avatar_type.empty()}}}};
  json list = json::array();
  for (const social::Comment& c : comments) {
    list.push_back({{"id", c.id}, {"video", c.video}, {"parent", c.parent}, {"text", c.text},
                    {"time_ms", c.time_ms}, {"deleted", c.deleted}});
  }
  out["comments"] = std::move(list);
  auto entries = [](const std::vector<social::Entry>& es, const char* field) {
    json l = json::array();
    for (const social::Entry& e : es) l.push_back({{field, e.id}, {"time_ms", e.time_ms}});
    return l;
  };
  FORYOU_ASSIGN_OR_RETURN(std::vector<social::Entry> likes, social.AllLikes(user));
  FORYOU_ASSIGN_OR_RETURN(std::vector<social::Entry> favorites, social.AllFavorites(user));
  FORYOU_ASSIGN_OR_RETURN(std::vector<social::Entry> following, social.AllFollowing(user));
  out["likes"] = entries(likes, "video");
  out["favorites"] = entries(favorites, "video");
  out["following"] = entries(following, "creator");
  return out;
}

// Removes the user_id rows of `user`'s model identities and appends the deletion marker of
// `user` (with their refreshes so far) when the service knows them: a catalog user or an
// account; NotFound otherwise. Unavailable when the log cannot store the marker now. Returns the
// rows removed: the trainer applies the marker by itself, so they are counted before it can.
absl::StatusOr<uint64_t> LogDeletion(const ServerDeps& deps, const std::string& user,
                                     int64_t now_ms) {
  absl::StatusOr<catalog::User> u = deps.store->GetUser(user);
  if (!u.ok() && !absl::IsNotFound(u.status())) return u.status();
  bool known = u.ok();
  if (!known && deps.accounts != nullptr) {
    absl::StatusOr<accounts::Account> a = deps.accounts->Get(user);
    if (!a.ok() && !absl::IsNotFound(a.status())) return a.status();
    known = a.ok();
  }
  if (!known) return absl::NotFoundError(absl::StrCat("user '", user, "' not found"));
  const stream::UserDeletion d{.user = user, .epochs = u.ok() ? u->epoch : 0, .time_ms = now_ms};
  FORYOU_ASSIGN_OR_RETURN(const uint64_t rows, deps.loop->RemoveUserRows(d.ModelIdentities()));
  FORYOU_RETURN_IF_ERROR(deps.loop->LogUserDeletion(d).status());
  return rows;
}

}  // namespace

void ApiServer::MeRoutes() {
  HttpServer& s = *http_;

  // Everything held about `user`, as a JSON download. NotFound if there is neither a catalog
  // user nor an account of that id.
  auto export_user = [this](const std::string& user, HttpResponse& res) {
    json out = {{"id", user}, {"exported_ms", Now()}};
    absl::StatusOr<catalog::User> u = deps_.store->GetUser(user);
    if (!u.ok() && !absl::IsNotFound(u.status())) return SendError(res, u.status());
    out["user"] = u.ok() ? catalog::ToJson(*u) : json(nullptr);
    out["account"] = nullptr;
    if (deps_.accounts != nullptr) {
      absl::StatusOr<accounts::Account> a = deps_.accounts->Get(user);
      if (!a.ok() && !absl::IsNotFound(a.status())) return SendError(res, a.status());
      // Never the password hash.
      if (a.ok()) {
        out["account"] = {{"handle", a->handle}, {"roles", accounts::RoleNames(a->roles)},
                          {"created_ms", a->created_ms}};
      }
    }
    if (!u.ok() && out["account"].is_null()) {
      return SendError(res, absl::NotFoundError(absl::StrCat("user '", user, "' not found")));
    }
    if (absl::Status st = ScanEvents(deps_.loop->log(), user, &out); !st.ok()) {
      return SendError(res, st);
    }
    if (deps_.social != nullptr) {
      absl::StatusOr<json> social = SocialExport(*deps_.social, user);
      if (!social.ok()) return SendError(res, social.status());
      out["social"] = std::move(*social);
    }
    res.set_header("Content-Disposition",
                   absl::StrCat("attachment; filename=\"foryou-", user, ".json\""));
    SendJson(res, 200, out);
  };
  s.Get("/v1/me/export", RouteAs("/v1/me/export", Role::kApp, [export_user](
                                     const auto&, auto& res, const Caller& caller) {
    if (!caller.session.has_value()) {
      return SendError(res, absl::InvalidArgumentError(
                                "this route needs a session token; keys use /v1/users/ID/export"));
    }
    export_user(caller.session->account.handle, res);
  }));
  // The sums of the account's numbers over its newest kMaxStatsVideos videos, and its followers.
  s.Get("/v1/me/stats", RouteAs("/v1/me/stats", Role::kApp, [this](
                                    const auto&, auto& res, const Caller& caller) {
    if (!caller.session.has_value()) {
      return SendError(res, absl::InvalidArgumentError("this route needs a session token"));
    }
    if (deps_.social == nullptr) {
      return SendError(res, absl::UnavailableError("this server keeps no social counts"));
    }
    const std::string& user = caller.session->account.handle;
    auto videos = deps_.store->VideosByCreator(user, kMaxStatsVideos);
    if (!videos.ok()) return SendError(res, videos.status());
    social::VideoStats total;
    for (const catalog::Video& v : *videos) {
      absl::StatusOr<social::VideoStats> st = deps_.social->Stats(v.id);
      if (!st.ok()) return SendError(res, st.status());
      total.views += st->views;
      total.watch_ms += st->watch_ms;
      total.likes += st->likes;
      total.shares += st->shares;
      total.comments += st->comments;
      total.followers_gained += st->followers_gained;
      for (int i = 0; i < social::kNumSurfaces; ++i) total.sources[i] += st->sources[i];
    }
    absl::StatusOr<social::UserCounts> counts = deps_.social->CountsOf(user);
    if (!counts.ok()) return SendError(res, counts.status());
    SendJson(res, 200, {{"videos", videos->size()},
                        {"truncated", videos->size() == static_cast<size_t>(kMaxStatsVideos)},
                        {"followers", counts->followers},
                        {"stats", StatsJson(total)}});
  }));
  s.Get(R"(/v1/users/([^/]+)/export)",
        Route("/v1/users/ID/export", Role::kAdmin, [export_user](const auto& req, auto& res) {
    export_user(req.matches[1].str(), res);
  }));

  // Deletes `user`: the user_id rows and the deletion marker in the log first
  // (docs/design/security.md), then the account (sign-in and every token then fail at once), the
  // catalog user and the feed's session of them, then any user_id row an example trained since
  // brought back.
  auto delete_user = [this](const std::string& user, HttpResponse& res) {
    absl::StatusOr<uint64_t> rows_first = LogDeletion(deps_, user, Now());
    if (!rows_first.ok()) {
      if (absl::IsUnavailable(rows_first.status())) res.set_header("Retry-After", "5");
      return SendError(res, rows_first.status());  // nothing else is deleted: the client may retry
    }
    bool had_account = false;
    if (deps_.accounts != nullptr) {
      absl::Status st = deps_.accounts->Delete(user);
      if (!st.ok() && !absl::IsNotFound(st)) return SendError(res, st);
      had_account = st.ok();
    }
    // The model's identities of the user: "<id>" and one per refresh before this deletion.
    std::vector<std::string> model_users = {user};
    absl::StatusOr<catalog::User> u = deps_.store->GetUser(user);
    if (!u.ok() && !absl::IsNotFound(u.status())) return SendError(res, u.status());
    if (u.ok()) {
      for (uint32_t epoch = 1; epoch <= u->epoch; ++epoch) {
        model_users.push_back(absl::StrCat(user, "#", epoch));
      }
      if (absl::Status st = deps_.feed->DeleteUser(user); !st.ok() && !absl::IsNotFound(st)) {
        return SendError(res, st);
      }
    }
    if (!u.ok() && !had_account) {
      return SendError(res, absl::NotFoundError(absl::StrCat("user '", user, "' not found")));
    }
    if (deps_.social != nullptr) {
      // Every logged event of the user applied first, so none comes back after the deletion.
      absl::Status st = deps_.social->CatchUp(deps_.loop->log());
      if (st.ok()) st = deps_.social->DeleteUser(user);
      if (!st.ok()) return SendError(res, st);
    }
    absl::StatusOr<uint64_t> rows = deps_.loop->RemoveUserRows(model_users);
    if (!rows.ok()) return SendError(res, rows.status());
    SendJson(res, 200, {{"deleted", user}, {"account", had_account}, {"catalog_user", u.ok()},
                        {"embedding_rows", *rows_first + *rows}});
  };
  s.Delete("/v1/me", RouteAs("/v1/me", Role::kApp, [this, delete_user](
                                 const auto& req, auto& res, const Caller& caller) {
    if (!caller.session.has_value()) {
      return SendError(res, absl::InvalidArgumentError(
                                "this route needs a session token; keys use DELETE /v1/users/ID"));
    }
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    if (!body->is_object() || !body->contains("password") || !(*body)["password"].is_string()) {
      return SendError(res, absl::InvalidArgumentError("password: required (a string)"));
    }
    const std::string& user = caller.session->account.handle;
    // The password again: a stolen session alone cannot delete the account.
    const std::string password = (*body)["password"].get<std::string>();
    if (absl::Status st = deps_.accounts->CheckPassword(user, password); !st.ok()) {
      return SendError(res, st);
    }
    res.set_header("Set-Cookie", "foryou_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    delete_user(user, res);
  }));
  s.Delete(R"(/v1/users/([^/]+))",
           Route("/v1/users/ID", Role::kAdmin, [delete_user](const auto& req, auto& res) {
    delete_user(req.matches[1].str(), res);
  }));
}

}  // namespace foryou::server
