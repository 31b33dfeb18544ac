// JSON <-> records. Every setter validates into a copy, so a refused request changes nothing;
// nlohmann can throw only on a type mismatch we check first, but every entry point still catches
// json::exception as a last line of defence (a library exception must never escape the API).
#include "catalog/catalog_json.h"

#include "catalog/internal.h"
#include "common/absl_view.h"
#include "common/utf8.h"

#include <limits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace foryou::catalog {
namespace {

using json = nlohmann::json;

using common::A;

using internal::Bad;

// Text a client sent (a key), made safe and short for an error message.
std::string ClientText(const std::string& key) {
  constexpr size_t kMax = 64;
  std::string s = absl::CHexEscape(key.size() > kMax ? key.substr(0, kMax) : key);
  if (key.size() > kMax) s += "...";
  return s;
}


absl::Status CheckUtf8(std::string_view field, std::string_view s, size_t min_bytes,
                       size_t max_bytes) {
  if (s.size() < min_bytes) return Bad(field, "must not be empty");
  if (s.size() > max_bytes) {
    return Bad(field, absl::StrCat("must be at most ", max_bytes, " bytes, got ", s.size()));
  }
  if (size_t at = common::InvalidUtf8At(s); at != std::string_view::npos) {
    return Bad(field, absl::StrCat("not valid UTF-8 at byte ", at));
  }
  return absl::OkStatus();
}

// 0..max_bytes of printable ASCII without space (language, country, device, media_url, types).
absl::Status CheckToken(std::string_view field, std::string_view s, size_t max_bytes) {
  if (s.size() > max_bytes) {
    return Bad(field, absl::StrCat("must be at most ", max_bytes, " bytes, got ", s.size()));
  }
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x21 || c > 0x7E) {
      return Bad(field, absl::StrCat("byte ", i, " is 0x", absl::Hex(c, absl::kZeroPad2),
                                     "; must be printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

using internal::GetString;

absl::Status GetInt(const json& v, std::string_view field, int64_t lo, int64_t hi, int64_t* out) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi))
      return Bad(field, absl::StrCat("must be <= ", hi, ", got ", u));
    *out = static_cast<int64_t>(u);
  } else if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    if (*out > hi) return Bad(field, absl::StrCat("must be <= ", hi, ", got ", *out));
  } else {
    return Bad(field, "must be an integer");
  }
  if (*out < lo) return Bad(field, absl::StrCat("must be >= ", lo, ", got ", *out));
  return absl::OkStatus();
}

// A JSON array of strings, each checked and normalized by `check(field_i, in, &out)`; duplicates
// (after normalization) are dropped, the first kept.
template <typename Check>
absl::Status GetList(const json& v, std::string_view field, size_t max_entries, Check&& check,
                     std::vector<std::string>* out) {
  if (!v.is_array()) return Bad(field, "must be an array of strings");
  if (v.size() > max_entries) {
    return Bad(field, absl::StrCat("at most ", max_entries, " entries, got ", v.size()));
  }
  std::vector<std::string> list;
  absl::flat_hash_set<std::string> seen;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string item_field = absl::StrCat(A(field), "[", i, "]");
    if (!v[i].is_string()) return Bad(item_field, "must be a string");
    std::string item;
    FORYOU_RETURN_IF_ERROR(check(item_field, v[i].get_ref<const std::string&>(), &item));
    if (seen.insert(item).second) list.push_back(std::move(item));
  }
  *out = std::move(list);
  return absl::OkStatus();
}

absl::Status IdItem(std::string_view field, const std::string& in, std::string* out) {
  FORYOU_RETURN_IF_ERROR(ValidateId(field, in));
  *out = in;
  return absl::OkStatus();
}

absl::Status HashtagItem(std::string_view field, const std::string& in, std::string* out) {
  FORYOU_ASSIGN_OR_RETURN(*out, NormalizeHashtag(field, in));
  return absl::OkStatus();
}

absl::Status KeywordItem(std::string_view field, const std::string& in, std::string* out) {
  FORYOU_RETURN_IF_ERROR(CheckUtf8(field, in, 1, kMaxKeywordBytes));
  *out = absl::AsciiStrToLower(in);
  return absl::OkStatus();
}

absl::Status ProfileItem(std::string_view field, const std::string& in, std::string* out) {
  FORYOU_RETURN_IF_ERROR(CheckUtf8(field, in, 0, kMaxShortBytes));
  *out = in;
  return absl::OkStatus();
}

// An optional id: "" = none.
absl::Status GetOptionalId(const json& v, std::string_view field, std::string* out) {
  std::string s;
  FORYOU_RETURN_IF_ERROR(GetString(v, field, &s));
  if (!s.empty()) FORYOU_RETURN_IF_ERROR(ValidateId(field, s));
  *out = std::move(s);
  return absl::OkStatus();
}

absl::Status GetToken(const json& v, std::string_view field, size_t max_bytes, std::string* out) {
  std::string s;
  FORYOU_RETURN_IF_ERROR(GetString(v, field, &s));
  FORYOU_RETURN_IF_ERROR(CheckToken(field, s, max_bytes));
  *out = std::move(s);
  return absl::OkStatus();
}

// The user settings (the patchable fields). Sets *known = false for any other key.
absl::Status SetUserSetting(const std::string& k, const json& v, User* u, bool* known) {
  *known = true;
  if (k == "language") return GetToken(v, k, kMaxShortBytes, &u->language);
  if (k == "country") return GetToken(v, k, kMaxShortBytes, &u->country);
  if (k == "device") return GetToken(v, k, kMaxShortBytes, &u->device);
  if (k == "interests") return GetList(v, k, kMaxListEntries, HashtagItem, &u->interests);
  if (k == "following") return GetList(v, k, kMaxListEntries, IdItem, &u->following);
  if (k == "hidden_creators") return GetList(v, k, kMaxListEntries, IdItem, &u->hidden_creators);
  if (k == "hidden_sounds") return GetList(v, k, kMaxListEntries, IdItem, &u->hidden_sounds);
  if (k == "keyword_filters")
    return GetList(v, k, kMaxListEntries, KeywordItem, &u->keyword_filters);
  if (k == "hashtag_filters")
    return GetList(v, k, kMaxListEntries, HashtagItem, &u->hashtag_filters);
  *known = false;
  return absl::OkStatus();
}

absl::Status SetModerationField(const json& v, Moderation* out) {
  std::string s;
  FORYOU_RETURN_IF_ERROR(GetString(v, "moderation", &s));
  if (!ParseModeration(s, out)) {
    return Bad("moderation", absl::StrCat("unknown state \"", ClientText(s),
                                          "\"; one of pending, approved, limited, removed"));
  }
  return absl::OkStatus();
}

// The video fields a PATCH may set. Sets *known = false for any other key.
absl::Status SetVideoPatchable(const std::string& k, const json& v, Video* out, bool* known) {
  *known = true;
  if (k == "moderation") return SetModerationField(v, &out->moderation);
  if (k == "caption") {
    std::string s;
    FORYOU_RETURN_IF_ERROR(GetString(v, k, &s));
    FORYOU_RETURN_IF_ERROR(CheckUtf8(k, s, 0, kMaxCaptionBytes));
    out->caption = std::move(s);
    return absl::OkStatus();
  }
  if (k == "hashtags") return GetList(v, k, kMaxVideoHashtags, HashtagItem, &out->hashtags);
  if (k == "media_url") return GetToken(v, k, kMaxMediaUrlBytes, &out->media_url);
  *known = false;
  return absl::OkStatus();
}

absl::StatusOr<User> UserFromJsonImpl(const json& j, int64_t now_ms) {
  if (!j.is_object()) return Bad("user", "must be a JSON object");
  User u;
  u.created_ms = now_ms;
  bool has_id = false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    bool known = true;
    if (k == "id") {
      FORYOU_RETURN_IF_ERROR(GetString(v, k, &u.id));
      FORYOU_RETURN_IF_ERROR(ValidateId(k, u.id));
      has_id = true;
    } else if (k == "created_ms") {
      const int64_t hi = now_ms > std::numeric_limits<int64_t>::max() - kMaxClockSkewMs
                             ? std::numeric_limits<int64_t>::max()
                             : now_ms + kMaxClockSkewMs;
      FORYOU_RETURN_IF_ERROR(GetInt(v, k, 0, hi, &u.created_ms));
    } else if (k == "epoch") {
      int64_t e = 0;
      FORYOU_RETURN_IF_ERROR(GetInt(v, k, 0, std::numeric_limits<uint32_t>::max(), &e));
      u.epoch = static_cast<uint32_t>(e);
    } else if (k == "profile") {
      FORYOU_RETURN_IF_ERROR(GetList(v, k, kMaxProfileEntries, ProfileItem, &u.profile));
    } else {
      FORYOU_RETURN_IF_ERROR(SetUserSetting(k, v, &u, &known));
    }
    if (!known) return Bad(ClientText(k), "unknown field");
  }
  if (!has_id) return Bad("id", "required");
  return u;
}

absl::Status ApplyUserPatchImpl(const json& j, User* user) {
  if (!j.is_object()) return Bad("user", "must be a JSON object");
  User u = *user;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "id" || k == "created_ms" || k == "epoch" || k == "profile") {
      return Bad(k, "not patchable");
    }
    bool known = true;
    FORYOU_RETURN_IF_ERROR(SetUserSetting(k, it.value(), &u, &known));
    if (!known) return Bad(ClientText(k), "unknown field");
  }
  *user = std::move(u);
  return absl::OkStatus();
}

absl::StatusOr<Video> VideoFromJsonImpl(const json& j, int64_t now_ms) {
  if (!j.is_object()) return Bad("video", "must be a JSON object");
  Video vid;
  vid.upload_ms = now_ms;
  bool has_id = false, has_creator = false, has_duration = false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    bool known = true;
    if (k == "id" || k == "creator") {
      std::string* out = k == "id" ? &vid.id : &vid.creator;
      FORYOU_RETURN_IF_ERROR(GetString(v, k, out));
      FORYOU_RETURN_IF_ERROR(ValidateId(k, *out));
      (k == "id" ? has_id : has_creator) = true;
    } else if (k == "duration_ms") {
      int64_t d = 0;
      FORYOU_RETURN_IF_ERROR(GetInt(v, k, 1, kMaxDurationMs, &d));
      vid.duration_ms = static_cast<uint32_t>(d);
      has_duration = true;
    } else if (k == "upload_ms") {
      const int64_t hi = now_ms > std::numeric_limits<int64_t>::max() - kMaxClockSkewMs
                             ? std::numeric_limits<int64_t>::max()
                             : now_ms + kMaxClockSkewMs;
      FORYOU_RETURN_IF_ERROR(GetInt(v, k, 0, hi, &vid.upload_ms));
    } else if (k == "sound") {
      FORYOU_RETURN_IF_ERROR(GetOptionalId(v, k, &vid.sound));
    } else if (k == "duet_of") {
      FORYOU_RETURN_IF_ERROR(GetOptionalId(v, k, &vid.duet_of));
    } else if (k == "stitch_of") {
      FORYOU_RETURN_IF_ERROR(GetOptionalId(v, k, &vid.stitch_of));
    } else if (k == "video_type") {
      FORYOU_RETURN_IF_ERROR(GetToken(v, k, kMaxShortBytes, &vid.video_type));
    } else if (k == "upload_type") {
      FORYOU_RETURN_IF_ERROR(GetToken(v, k, kMaxShortBytes, &vid.upload_type));
    } else if (k == "media_url_360") {
      FORYOU_RETURN_IF_ERROR(GetToken(v, k, kMaxMediaUrlBytes, &vid.media_url_360));
    } else if (k == "cover_url") {
      FORYOU_RETURN_IF_ERROR(GetToken(v, k, kMaxMediaUrlBytes, &vid.cover_url));
    } else if (k == "frame_hash") {
      FORYOU_RETURN_IF_ERROR(GetToken(v, k, kMaxFrameHashBytes, &vid.frame_hash));
    } else if (k == "allow_duet" || k == "allow_stitch") {
      if (!v.is_boolean()) return Bad(k, "must be true or false");
      (k == "allow_duet" ? vid.allow_duet : vid.allow_stitch) = v.get<bool>();
    } else {
      FORYOU_RETURN_IF_ERROR(SetVideoPatchable(k, v, &vid, &known));
    }
    if (!known) return Bad(ClientText(k), "unknown field");
  }
  if (!has_id) return Bad("id", "required");
  if (!has_creator) return Bad("creator", "required");
  if (!has_duration) return Bad("duration_ms", "required");
  if (!vid.duet_of.empty() && vid.duet_of == vid.id)
    return Bad("duet_of", "a video cannot duet itself");
  if (!vid.stitch_of.empty() && vid.stitch_of == vid.id) {
    return Bad("stitch_of", "a video cannot stitch itself");
  }
  return vid;
}

absl::Status ApplyVideoPatchImpl(const json& j, Video* video) {
  if (!j.is_object()) return Bad("video", "must be a JSON object");
  Video vid = *video;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    bool known = true;
    FORYOU_RETURN_IF_ERROR(SetVideoPatchable(k, it.value(), &vid, &known));
    if (known) continue;
    static constexpr std::string_view kFixed[] = {"id",        "creator",    "duration_ms",
                                                  "upload_ms", "sound",      "duet_of",
                                                  "stitch_of", "video_type", "upload_type"};
    for (std::string_view f : kFixed) {
      if (k == f) return Bad(k, "not patchable");
    }
    return Bad(ClientText(k), "unknown field");
  }
  *video = std::move(vid);
  return absl::OkStatus();
}

absl::Status Thrown(const std::exception& e) {
  return absl::InvalidArgumentError(absl::StrCat("json: ", e.what()));
}

}  // namespace

absl::Status ValidateId(std::string_view field, std::string_view id) {
  if (id.empty()) return Bad(field, "required");
  if (id.size() > kMaxIdBytes) {
    return Bad(field, absl::StrCat("must be 1..", kMaxIdBytes, " bytes, got ", id.size()));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    const auto c = static_cast<unsigned char>(id[i]);
    if (c < 0x21 || c > 0x7E) {
      return Bad(field, absl::StrCat("byte ", i, " is 0x", absl::Hex(c, absl::kZeroPad2),
                                     "; ids are printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeHashtag(std::string_view field, std::string_view tag) {
  if (!tag.empty() && tag.front() == '#') tag.remove_prefix(1);
  FORYOU_RETURN_IF_ERROR(CheckUtf8(field, tag, 1, kMaxHashtagBytes));
  for (size_t i = 0; i < tag.size(); ++i) {
    const auto c = static_cast<unsigned char>(tag[i]);
    if (c <= 0x20 || c == 0x7F || c == '#') {
      return Bad(field, absl::StrCat("byte ", i, " is 0x", absl::Hex(c, absl::kZeroPad2),
                                     "; hashtags have no spaces, control bytes or inner '#'"));
    }
  }
  std::string out(tag);
  absl::AsciiStrToLower(&out);
  return out;
}

absl::StatusOr<User> UserFromJson(const json& j, int64_t now_ms) {
  try {
    return UserFromJsonImpl(j, now_ms);
  } catch (const std::exception& e) {
    return Thrown(e);
  }
}

absl::Status ApplyUserPatch(const json& j, User* user) {
  try {
    return ApplyUserPatchImpl(j, user);
  } catch (const std::exception& e) {
    return Thrown(e);
  }
}

absl::StatusOr<Video> VideoFromJson(const json& j, int64_t now_ms) {
  try {
    return VideoFromJsonImpl(j, now_ms);
  } catch (const std::exception& e) {
    return Thrown(e);
  }
}

absl::Status ApplyVideoPatch(const json& j, Video* video) {
  try {
    return ApplyVideoPatchImpl(j, video);
  } catch (const std::exception& e) {
    return Thrown(e);
  }
}

json ToJson(const User& u) {
  return json{{"id", u.id},
              {"language", u.language},
              {"country", u.country},
              {"device", u.device},
              {"interests", u.interests},
              {"following", u.following},
              {"hidden_creators", u.hidden_creators},
              {"hidden_sounds", u.hidden_sounds},
              {"keyword_filters", u.keyword_filters},
              {"hashtag_filters", u.hashtag_filters},
              {"created_ms", u.created_ms},
              {"epoch", u.epoch},
              {"profile", u.profile}};
}

json ToJson(const Video& v) {
  return json{{"id", v.id},
              {"creator", v.creator},
              {"caption", v.caption},
              {"hashtags", v.hashtags},
              {"sound", v.sound},
              {"duration_ms", v.duration_ms},
              {"upload_ms", v.upload_ms},
              {"duet_of", v.duet_of},
              {"stitch_of", v.stitch_of},
              {"moderation", std::string(ModerationName(v.moderation))},
              {"media_url", v.media_url},
              {"video_type", v.video_type},
              {"upload_type", v.upload_type},
              {"media_url_360", v.media_url_360},
              {"cover_url", v.cover_url},
              {"frame_hash", v.frame_hash},
              {"allow_duet", v.allow_duet},
              {"allow_stitch", v.allow_stitch}};
}

json ToJson(const Creator& c) {
  return json{{"id", c.id}, {"name", c.name}, {"created_ms", c.created_ms}};
}

json ToJson(const Sound& s) {
  return json{{"id", s.id},
              {"title", s.title},
              {"creator", s.creator},
              {"audio_url", s.audio_url},
              {"original_video", s.original_video}};
}

json ToJson(const Hashtag& h) { return json{{"name", h.name}, {"videos", h.videos}}; }

}  // namespace foryou::catalog
