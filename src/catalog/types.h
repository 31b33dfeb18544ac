// The catalog's records: users, videos, creators, sounds and hashtags, as the API and the feed
// service see them. Ids are the application's strings (printable ASCII, no spaces, 1..128 bytes,
// the same rule as events; see stream/event.h); the model keys them with common::VideoKey /
// UserKey (a decimal id is its own key, anything else is hashed).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace foryou::catalog {

// What moderation decided. Only kApproved videos reach every feed; kLimited ones only through the
// fresh-upload pool; kPending and kRemoved never appear.
enum class Moderation : uint8_t { kPending = 0, kApproved = 1, kLimited = 2, kRemoved = 3 };
std::string_view ModerationName(Moderation m);  // "pending", "approved", "limited", "removed"
bool ParseModeration(std::string_view name, Moderation* out);

struct User {
  std::string id;
  std::string language;  // "en", "zh", ... ("" = unknown)
  std::string country;   // "US", "CN", ... ("" = unknown)
  std::string device;    // "ios", "android", "web", ... ("" = unknown)
  std::vector<std::string> interests;         // hashtags picked at sign-up (the cold start)
  std::vector<std::string> following;         // creator ids
  std::vector<std::string> hidden_creators;   // never shown
  std::vector<std::string> hidden_sounds;     // never shown
  std::vector<std::string> keyword_filters;   // a video whose caption contains one is never shown
  std::vector<std::string> hashtag_filters;   // a video with one of these hashtags is never shown
  int64_t created_ms = 0;
  // Bumped by POST /v1/users/ID/refresh: the feed starts over as for a new user (the model
  // keys the user as "<id>#<epoch>" from then on; filters and hidden creators are kept).
  uint32_t epoch = 0;
  // Free-form profile values from an import, in the order the model config's profile_fields
  // names them (docs/design/model.md); empty for users created through the API.
  std::vector<std::string> profile;

  friend bool operator==(const User&, const User&) = default;
};

struct Video {
  std::string id;
  std::string creator;                 // creator id (required)
  std::string caption;                 // UTF-8, <= 2,200 bytes
  std::vector<std::string> hashtags;   // without '#'; the first is the video's category
  std::string sound;                   // sound id ("" = original sound, no shared sound)
  uint32_t duration_ms = 0;            // > 0
  int64_t upload_ms = 0;               // when it was posted, ms since the Unix epoch
  std::string duet_of;                 // the video this one duets ("" = none)
  std::string stitch_of;               // the video this one stitches ("" = none)
  Moderation moderation = Moderation::kPending;
  std::string media_url;               // "" = no media (the player shows a poster card)
  // The video's type and how it was made, when an import knows them ("" otherwise).
  std::string video_type, upload_type;
  // Media of an uploaded video (src/uploads): the 360p rendition beside media_url's 720p, the
  // cover image, and the perceptual frame hashes (16 hex digits each, about one per second,
  // comma-separated); "" = none.
  std::string media_url_360, cover_url, frame_hash;
  // Whether others may duet / stitch this video (the creator's choice at upload).
  bool allow_duet = true, allow_stitch = true;

  friend bool operator==(const Video&, const Video&) = default;
};

struct Creator {
  std::string id;
  std::string name;
  int64_t created_ms = 0;
  friend bool operator==(const Creator&, const Creator&) = default;
};

struct Sound {
  std::string id;
  std::string title;
  std::string creator;  // who first used it ("" = unknown)
  // The sound's audio file, a URL under the server's /media/ ("" = none: the sound is a name
  // only and a post cannot borrow its audio), and the video it was taken from ("" = unknown).
  std::string audio_url;
  std::string original_video;
  friend bool operator==(const Sound&, const Sound&) = default;
};

struct Hashtag {
  std::string name;  // without '#'
  uint64_t videos = 0;  // how many videos carry it (maintained by the store)
  friend bool operator==(const Hashtag&, const Hashtag&) = default;
};

}  // namespace foryou::catalog
