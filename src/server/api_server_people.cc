// ApiServer routes of people (docs/api.md, "Social"): user pages with profiles and counts, the
// profile edit and avatar, a user's videos / likes / favorites, followers and following, the
// Following feed and the inbox.
#include "server/api_server.h"  // first: see api_handlers.h

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog_json.h"
#include "common/id_key.h"
#include "common/utf8.h"
#include "server/api_handlers.h"
#include "server/http_status.h"
#include "server/social_json.h"
#include "social/text_check.h"

namespace foryou::server {
namespace {

constexpr size_t kMaxAvatarBytes = 256 * 1024;
constexpr int kCreatorVideosRead = 2000;  // a creator's videos read for their page
constexpr int kFollowingCreators = 200;   // followed creators the Following feed reads
constexpr int kFollowingPerCreator = 30;  // newest videos read per followed creator

json AvatarUrl(const std::string& user, const social::Profile& p) {
  if (p.avatar_type.empty()) return nullptr;
  return absl::StrCat("/v1/users/", user, "/avatar?v=", p.avatar_version);
}

// The image type of `bytes` by its magic bytes: "image/png", "image/jpeg", "image/webp" or "".
std::string ImageType(absl::string_view b) {
  if (absl::StartsWith(b, "\x89PNG\r\n\x1a\n")) return "image/png";
  if (absl::StartsWith(b, "\xFF\xD8\xFF")) return "image/jpeg";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  return "";
}

// A data: URL's image bytes and type. InvalidArgument naming the problem.
absl::Status DecodeAvatar(const std::string& url, std::string* bytes, std::string* type) {
  const size_t comma = url.find(',');
  if (!absl::StartsWith(url, "data:") || comma == std::string::npos ||
      !absl::EndsWith(absl::string_view(url).substr(0, comma), ";base64")) {
    return absl::InvalidArgumentError("avatar: must be a base64 data: URL or null");
  }
  if ((url.size() - comma - 1) / 4 * 3 > kMaxAvatarBytes + 3) {
    return absl::InvalidArgumentError("avatar: larger than 256 KB");
  }
  if (!absl::Base64Unescape(absl::string_view(url).substr(comma + 1), bytes)) {
    return absl::InvalidArgumentError("avatar: not valid base64");
  }
  if (bytes->size() > kMaxAvatarBytes) return absl::InvalidArgumentError("avatar: larger than 256 KB");
  *type = ImageType(*bytes);
  if (type->empty()) return absl::InvalidArgumentError("avatar: not a PNG, JPEG or WebP image");
  return absl::OkStatus();
}

bool Visible(const catalog::Video& v) { return v.moderation == catalog::Moderation::kApproved; }

// A page cursor over a list held in memory: the decimal index of the next item.
absl::StatusOr<size_t> IndexCursor(const std::string& cursor) {
  size_t i = 0;
  if (!cursor.empty() && !absl::SimpleAtoi(cursor, &i)) {
    return absl::InvalidArgumentError("cursor: not a cursor of this list");
  }
  return i;
}

}  // namespace

void ApiServer::PeopleRoutes() {
  HttpServer& s = *http_;
  social::SocialStore* social = deps_.social;

  // A user object: the catalog's fields for the user themself or the app key, the public ones
  // for anyone else, and the profile, counts and whether the viewer follows them.
  auto user_json = [this, social](const catalog::User& u, const std::string& viewer,
                                  bool private_fields) -> absl::StatusOr<json> {
    json out = private_fields ? catalog::ToJson(u) : json{{"id", u.id}, {"created_ms", u.created_ms}};
    if (social == nullptr) return out;
    absl::StatusOr<social::Profile> p = social->GetProfile(u.id);
    if (!p.ok()) return p.status();
    absl::StatusOr<social::UserCounts> c = social->CountsOf(u.id);
    if (!c.ok()) return c.status();
    absl::StatusOr<std::vector<catalog::Video>> videos =
        deps_.store->VideosByCreator(u.id, kCreatorVideosRead);
    if (!videos.ok()) return videos.status();
    const int64_t n = std::count_if(videos->begin(), videos->end(), Visible);
    out["name"] = p->name.empty() ? u.id : p->name;
    out["bio"] = p->bio;
    out["avatar"] = AvatarUrl(u.id, *p);
    out["counts"] = {{"followers", c->followers}, {"following", c->following},
                     {"likes", c->likes}, {"videos", n}};
    out["followed"] = !viewer.empty() && viewer != u.id && social->Follows(viewer, u.id).value_or(false);
    return out;
  };
  s.Get(R"(/v1/users/([^/]+))", PublicRoute("/v1/users/ID", [this, user_json](
                                                const auto& req, auto& res, const Caller& caller) {
    const std::string id = req.matches[1].str();
    auto user = deps_.feed->GetUser(id);
    if (!user.ok()) return SendError(res, user.status());
    const bool own = caller.key != nullptr ||
                     (caller.session.has_value() && caller.session->account.handle == id);
    absl::StatusOr<json> out = user_json(**user, ViewerOf(req, caller), own);
    if (!out.ok()) return SendError(res, out.status());
    SendJson(res, 200, *out);
  }));
  if (social == nullptr) return;

  s.Patch("/v1/me/profile", RouteAs("/v1/me/profile", Role::kApp, [this, social, user_json](
                                        const auto& req, auto& res, const Caller& caller) {
    if (!caller.session.has_value()) {
      return SendError(res, absl::InvalidArgumentError("this route needs a session token"));
    }
    const std::string& id = caller.session->account.handle;
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    if (!body->is_object()) return SendError(res, absl::InvalidArgumentError("body: must be an object"));
    std::optional<std::string> name, bio, avatar;
    std::string type;
    for (const auto& [k, v] : body->items()) {
      if (k == "avatar") {
        if (v.is_null()) {
          avatar = "";
          continue;
        }
        if (!v.is_string()) return SendError(res, absl::InvalidArgumentError("avatar: a data: URL or null"));
        std::string bytes;
        if (absl::Status st = DecodeAvatar(v.template get<std::string>(), &bytes, &type); !st.ok()) {
          return SendError(res, st);
        }
        avatar = std::move(bytes);
        continue;
      }
      if (k != "name" && k != "bio") {
        return SendError(res, absl::InvalidArgumentError(absl::StrCat(k, ": unknown field")));
      }
      if (!v.is_string()) return SendError(res, absl::InvalidArgumentError(absl::StrCat(k, ": must be a string")));
      const std::string text = v.template get<std::string>();
      if (common::InvalidUtf8At(text) != std::string::npos) {
        return SendError(res, absl::InvalidArgumentError(absl::StrCat(k, ": invalid UTF-8")));
      }
      const size_t n = social::CodePoints(text);
      if (k == "name" && (n < 1 || n > 50)) {
        return SendError(res, absl::InvalidArgumentError("name: 1..50 characters"));
      }
      if (k == "bio" && n > 160) return SendError(res, absl::InvalidArgumentError("bio: 0..160 characters"));
      (k == "name" ? name : bio) = text;
    }
    auto user = deps_.feed->GetUser(id);
    if (!user.ok()) return SendError(res, user.status());
    absl::StatusOr<social::Profile> p = social->UpdateProfile(id, name, bio, avatar, type);
    if (!p.ok()) return SendError(res, p.status());
    absl::StatusOr<json> out = user_json(**user, id, true);
    if (!out.ok()) return SendError(res, out.status());
    SendJson(res, 200, *out);
  }));

  s.Get(R"(/v1/users/([^/]+)/avatar)", PublicRoute("/v1/users/ID/avatar", [social](
                                                       const auto& req, auto& res, const Caller&) {
    const std::string id = req.matches[1].str();
    absl::StatusOr<social::Profile> p = social->GetProfile(id);
    if (!p.ok()) return SendError(res, p.status());
    absl::StatusOr<std::string> bytes = social->Avatar(id);
    if (!bytes.ok()) return SendError(res, bytes.status());
    res.set_header("Cache-Control", "public, max-age=3600");
    res.set_content(*bytes, p->avatar_type);
  }));

  // A page of videos as the API shows them, each with its counts.
  auto video_list = [social](const std::vector<catalog::Video>& videos) {
    json list = json::array();
    for (const catalog::Video& v : videos) {
      json j = catalog::ToJson(v);
      absl::StatusOr<social::VideoCounts> c = social->Counts(v.id);
      j["counts"] = CountsJson(c.ok() ? *c : social::VideoCounts{});
      list.push_back(std::move(j));
    }
    return list;
  };
  s.Get(R"(/v1/users/([^/]+)/videos)", PublicRoute("/v1/users/ID/videos", [this, video_list](
                                                       const auto& req, auto& res, const Caller&) {
    absl::StatusOr<int> count = CountParam(req);
    if (!count.ok()) return SendError(res, count.status());
    absl::StatusOr<size_t> from = IndexCursor(req.get_param_value("cursor"));
    if (!from.ok()) return SendError(res, from.status());
    auto videos = deps_.store->VideosByCreator(req.matches[1].str(), kCreatorVideosRead);
    if (!videos.ok()) return SendError(res, videos.status());
    std::erase_if(*videos, [](const catalog::Video& v) { return !Visible(v); });
    std::vector<catalog::Video> page;
    for (size_t i = *from; i < videos->size() && static_cast<int>(page.size()) < *count; ++i) {
      page.push_back((*videos)[i]);
    }
    const size_t next = *from + page.size();
    SendJson(res, 200, {{"videos", video_list(page)},
                        {"next_cursor", next < videos->size() ? json(std::to_string(next)) : json(nullptr)}});
  }));
  auto liked_list = [this, social, video_list](bool favorites) {
    return [this, social, video_list, favorites](const HttpRequest& req, HttpResponse& res,
                                                 const Caller& caller) {
      const std::string id = req.matches[1].str();
      if (favorites && caller.key == nullptr &&
          !(caller.session.has_value() && caller.session->account.handle == id)) {
        return SendError(res, absl::PermissionDeniedError("favorites are visible to their owner only"));
      }
      absl::StatusOr<int> count = CountParam(req);
      if (!count.ok()) return SendError(res, count.status());
      const std::string cursor = req.get_param_value("cursor");
      absl::StatusOr<social::Page<social::Entry>> page =
          favorites ? social->FavoriteVideos(id, cursor, *count) : social->LikedVideos(id, cursor, *count);
      if (!page.ok()) return SendError(res, page.status());
      std::vector<catalog::Video> videos;
      for (const social::Entry& e : page->items) {
        absl::StatusOr<catalog::Video> v = deps_.store->GetVideo(e.id);
        if (v.ok() && Visible(*v)) videos.push_back(std::move(*v));
      }
      SendJson(res, 200, {{"videos", video_list(videos)}, {"next_cursor", NextCursor(page->next_cursor)}});
    };
  };
  s.Get(R"(/v1/users/([^/]+)/liked)", PublicRoute("/v1/users/ID/liked", liked_list(false)));
  s.Get(R"(/v1/users/([^/]+)/favorites)", PublicRoute("/v1/users/ID/favorites", liked_list(true)));

  auto people = [social](bool followers) {
    return [social, followers](const HttpRequest& req, HttpResponse& res, const Caller&) {
      absl::StatusOr<int> count = CountParam(req);
      if (!count.ok()) return SendError(res, count.status());
      const std::string id = req.matches[1].str(), cursor = req.get_param_value("cursor");
      absl::StatusOr<social::Page<social::Entry>> page =
          followers ? social->Followers(id, cursor, *count) : social->Following(id, cursor, *count);
      if (!page.ok()) return SendError(res, page.status());
      json list = json::array();
      for (const social::Entry& e : page->items) {
        social::Profile p = social->GetProfile(e.id).value_or(social::Profile{});
        list.push_back({{"id", e.id}, {"name", p.name.empty() ? e.id : p.name}, {"avatar", AvatarUrl(e.id, p)}});
      }
      SendJson(res, 200, {{"users", list}, {"next_cursor", NextCursor(page->next_cursor)}});
    };
  };
  s.Get(R"(/v1/users/([^/]+)/followers)", PublicRoute("/v1/users/ID/followers", people(true)));
  s.Get(R"(/v1/users/([^/]+)/following)", PublicRoute("/v1/users/ID/following", people(false)));

  // ---- The Following feed: newest videos of followed creators not yet shown ----
  s.Get("/v1/feed/following", RouteAs("/v1/feed/following", Role::kApp, [this, social](
                                          const auto& req, auto& res, const Caller& caller) {
    absl::StatusOr<std::string> user = RequiredParam(req, "user");
    if (!user.ok()) return SendError(res, user.status());
    if (absl::Status st = ActsAs(caller, *user); !st.ok()) return SendError(res, st);
    absl::StatusOr<int> count = IntParam(req, "count", 10, 1, deps_.feed->options().max_count);
    if (!count.ok()) return SendError(res, count.status());
    if (absl::Status st = deps_.feed->GetUser(*user).status(); !st.ok()) return SendError(res, st);
    absl::StatusOr<social::Page<social::Entry>> creators =
        social->Following(*user, "", kFollowingCreators);
    if (!creators.ok()) return SendError(res, creators.status());
    const feed::SeenSet shown = deps_.feed->ShownVideos(*user);
    std::vector<catalog::Video> videos;
    for (const social::Entry& c : creators->items) {
      auto list = deps_.store->VideosByCreator(c.id, kFollowingPerCreator);
      if (!list.ok()) return SendError(res, list.status());
      for (catalog::Video& v : *list) {
        if (Visible(v) && !shown.contains(common::VideoKey(v.id))) videos.push_back(std::move(v));
      }
    }
    std::sort(videos.begin(), videos.end(), [](const auto& a, const auto& b) {
      return a.upload_ms != b.upload_ms ? a.upload_ms > b.upload_ms : a.id < b.id;
    });
    if (static_cast<int>(videos.size()) > *count) videos.resize(*count);
    static std::atomic<uint64_t> requests{0};
    const std::string request_id = absl::StrCat("following-", Now(), "-", requests.fetch_add(1));
    json items = json::array();
    std::vector<uint64_t> keys;
    for (size_t i = 0; i < videos.size(); ++i) {
      const catalog::Video& v = videos[i];
      keys.push_back(common::VideoKey(v.id));
      items.push_back({{"position", i}, {"video", v.id}, {"creator", v.creator}, {"sound", v.sound},
                       {"hashtags", v.hashtags}, {"caption", v.caption},
                       {"duration_ms", v.duration_ms}, {"media_url", v.media_url},
                       {"upload_ms", v.upload_ms}, {"sources", json::array({"following"})},
                       {"reason", "from a creator you follow"}});
    }
    deps_.feed->RecordShown(*user, keys);
    AddSocialFields(&items, *user);
    SendJson(res, 200, {{"request_id", request_id}, {"user", *user}, {"items", items}});
  }));

  // ---- Inbox ----
  s.Get("/v1/inbox", RouteAs("/v1/inbox", Role::kApp, [social](const auto& req, auto& res,
                                                               const Caller& caller) {
    absl::StatusOr<std::string> user = RequiredParam(req, "user");
    if (!user.ok()) return SendError(res, user.status());
    if (absl::Status st = ActsAs(caller, *user); !st.ok()) return SendError(res, st);
    absl::StatusOr<int> count = CountParam(req);
    if (!count.ok()) return SendError(res, count.status());
    absl::StatusOr<social::Page<social::InboxEntry>> page =
        social->Inbox(*user, req.get_param_value("cursor"), *count);
    if (!page.ok()) return SendError(res, page.status());
    absl::StatusOr<int64_t> unread = social->Unread(*user);
    if (!unread.ok()) return SendError(res, unread.status());
    json items = json::array();
    for (const social::InboxEntry& e : page->items) {
      json j = {{"type", e.type}, {"actor", e.actor}, {"time_ms", e.time_ms}};
      if (!e.video.empty()) j["video"] = e.video;
      if (!e.comment.empty()) j["comment"] = e.comment;
      if (!e.text.empty()) j["text"] = e.text;
      items.push_back(std::move(j));
    }
    SendJson(res, 200, {{"items", items}, {"next_cursor", NextCursor(page->next_cursor)},
                        {"unread", *unread}});
  }));
  s.Post("/v1/inbox/read", RouteAs("/v1/inbox/read", Role::kApp, [social](
                                       const auto& req, auto& res, const Caller& caller) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    absl::StatusOr<std::string> user = BodyUser(*body);
    if (!user.ok()) return SendError(res, user.status());
    if (absl::Status st = ActsAs(caller, *user); !st.ok()) return SendError(res, st);
    if (absl::Status st = social->MarkRead(*user); !st.ok()) return SendError(res, st);
    SendJson(res, 200, {{"unread", 0}});
  }));
}

}  // namespace foryou::server
