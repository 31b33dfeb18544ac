// The JSON forms of the catalog's records for the HTTP API (POST/PATCH/GET of users and videos,
// GET of creators, sounds and hashtags), and the validation rules every record obeys. Limits and
// field tables: docs/formats/catalog.md. Nothing here throws: nlohmann exceptions are caught and
// every refusal is InvalidArgument "<field>: <problem>".
//
// Example:
//   absl::StatusOr<catalog::User> user = catalog::UserFromJson(body, now_ms);
//   if (!user.ok()) return BadRequest(user.status());  // "interests[2]: must be a string"
//   FORYOU_RETURN_IF_ERROR(store->CreateUser(*user));
//   ...
//   catalog::User u = store->GetUser(id).value();
//   FORYOU_RETURN_IF_ERROR(catalog::ApplyUserPatch(patch_body, &u));  // u unchanged on error
//   FORYOU_RETURN_IF_ERROR(store->PutUser(u));
//   return catalog::ToJson(u).dump();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "catalog/types.h"
#include "nlohmann/json.hpp"

namespace foryou::catalog {

inline constexpr size_t kMaxIdBytes = 128;        // ids: user, video, creator, sound
inline constexpr size_t kMaxShortBytes = 64;      // language, country, device, types, profile
inline constexpr size_t kMaxListEntries = 100;    // each list of a user
inline constexpr size_t kMaxProfileEntries = 64;  // User::profile
inline constexpr size_t kMaxHashtagBytes = 100;   // without '#'
inline constexpr size_t kMaxKeywordBytes = 100;
inline constexpr size_t kMaxCaptionBytes = 2200;
inline constexpr size_t kMaxVideoHashtags = 30;
inline constexpr size_t kMaxMediaUrlBytes = 2048;
inline constexpr size_t kMaxFrameHashBytes = 64 * 1024;  // Video::frame_hash
inline constexpr uint32_t kMaxDurationMs = 3600 * 1000;   // one hour
inline constexpr int64_t kMaxClockSkewMs = 86400 * 1000;  // upload_ms / created_ms <= now + 24 h

// OK if `id` is 1..128 bytes of printable ASCII without space (0x21..0x7E), the rule of every
// id (the same as events, stream/event.h). Otherwise InvalidArgument naming `field`.
[[nodiscard]] absl::Status ValidateId(std::string_view field, std::string_view id);

// The canonical form of a hashtag: one leading '#' removed, ASCII lower-cased. OK if the result
// is 1..100 bytes of valid UTF-8 without '#', ASCII space or control bytes; otherwise
// InvalidArgument naming `field`.
[[nodiscard]] absl::StatusOr<std::string> NormalizeHashtag(std::string_view field,
                                                           std::string_view tag);

// POST /v1/users. Required: "id". Optional settings: "language", "country", "device" (0..64
// printable ASCII bytes), "interests" / "hashtag_filters" (hashtags, normalized),
// "following" / "hidden_creators" / "hidden_sounds" (ids), "keyword_filters" (1..100 bytes of
// UTF-8, ASCII lower-cased); each list at most 100 entries, duplicates dropped (first kept).
// Also accepted so that ToJson's output reads back exactly: "created_ms" (default now_ms),
// "epoch" (default 0), "profile" (at most 64 strings of 0..64 bytes UTF-8). Unknown fields, null
// and wrong types are refused.
[[nodiscard]] absl::StatusOr<User> UserFromJson(const nlohmann::json& j, int64_t now_ms);

// PATCH /v1/users/ID: sets the settings present in `j` (the optional settings of UserFromJson; a
// list replaces the whole list). "id", "created_ms", "epoch" and "profile" are refused as not
// patchable. All or nothing: on error `*user` is unchanged.
[[nodiscard]] absl::Status ApplyUserPatch(const nlohmann::json& j, User* user);

// POST /v1/videos. Required: "id", "creator" (ids), "duration_ms" (1..3,600,000). Optional:
// "caption" (0..2200 bytes UTF-8), "hashtags" (at most 30, normalized, duplicates dropped),
// "sound", "duet_of", "stitch_of" (ids, "" = none; not the video itself), "upload_ms"
// (0..now_ms + 24 h, default now_ms), "media_url" (0..2048 printable ASCII bytes),
// "moderation" (a ModerationName, default "pending"), "video_type", "upload_type" (0..64
// printable ASCII bytes), "media_url_360", "cover_url" (as media_url), "frame_hash" (0..65536
// printable ASCII bytes), "allow_duet", "allow_stitch" (booleans, default true). Unknown fields, null and wrong types are refused. Whether duet_of /
// stitch_of exist is the store's check (CatalogStore::CreateVideo).
[[nodiscard]] absl::StatusOr<Video> VideoFromJson(const nlohmann::json& j, int64_t now_ms);

// PATCH /v1/videos/ID: "moderation", "caption", "hashtags", "media_url", with the rules of
// VideoFromJson; any other field is refused. All or nothing: on error `*video` is unchanged.
[[nodiscard]] absl::Status ApplyVideoPatch(const nlohmann::json& j, Video* video);

// Every field of the record, empty ones included. For a valid record x (one FromJson could
// have produced), UserFromJson(ToJson(x), t) == x and VideoFromJson(ToJson(x), t) == x.
// Strings are copied as they are: a record that did not come through FromJson (a bulk import)
// could hold invalid UTF-8, so serialize with json::error_handler_t::replace, not the default
// (which throws).
nlohmann::json ToJson(const User& user);
nlohmann::json ToJson(const Video& video);
nlohmann::json ToJson(const Creator& creator);  // {"id", "name", "created_ms"}
// {"id", "title", "creator", "audio_url", "original_video"}
nlohmann::json ToJson(const Sound& sound);
nlohmann::json ToJson(const Hashtag& hashtag);  // {"name", "videos"}

}  // namespace foryou::catalog
