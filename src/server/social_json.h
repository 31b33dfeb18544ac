// Internal to src/server: the JSON of the social routes (api_server_social.cc,
// api_server_people.cc): counts, comments, who is asking, cursors.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "server/api_server.h"
#include "social/social_store.h"

namespace foryou::server {

// {"likes","comments","shares","views","favorites"}.
nlohmann::json CountsJson(const social::VideoCounts& c);
// A video's numbers for its creator: {"views","watch_ms","likes","shares","comments",
// "followers_gained","sources":{"foryou",...,"other"}} (social::kSurfaces).
nlohmann::json StatsJson(const social::VideoStats& s);
// A comment as the API shows it; `liked`: by the requesting user.
nlohmann::json CommentJson(const social::Comment& c, bool liked);
// Whose "liked" / "followed" a public read shows: the session's user, the app key's `?user=`,
// or "" (nobody).
std::string ViewerOf(const HttpRequest& req, const Caller& caller);
// A moderator or admin account, or a moderator or admin key.
bool IsModerator(const Caller& caller);
// The body's "user" (an id); InvalidArgument naming it.
absl::StatusOr<std::string> BodyUser(const nlohmann::json& body);
// ?count= (1..100, default 20).
absl::StatusOr<int> CountParam(const HttpRequest& req);
// A page's "next_cursor": null on the last page.
nlohmann::json NextCursor(const std::string& cursor);

}  // namespace foryou::server
