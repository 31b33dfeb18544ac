// Challenge records: validation, JSON forms and the binary encoding (see challenge.h).
#include "catalog/challenge.h"

#include <limits>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog_json.h"
#include "catalog/internal.h"
#include "common/absl_view.h"
#include "common/binary_io.h"
#include "common/status_macros.h"
#include "common/utf8.h"

namespace foryou::catalog {
namespace {

using json = nlohmann::json;

using common::A;

using internal::Bad;

absl::Status CheckText(std::string_view field, std::string_view s, size_t min_bytes,
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

using internal::GetString;

absl::Status GetTime(const json& v, std::string_view field, int64_t* out) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Bad(field, "too large");
    }
    *out = static_cast<int64_t>(u);
  } else if (v.is_number_integer()) {
    *out = v.get<int64_t>();
  } else {
    return Bad(field, "must be an integer (ms since the Unix epoch)");
  }
  if (*out < 0) return Bad(field, absl::StrCat("must be >= 0, got ", *out));
  return absl::OkStatus();
}

// Sets the patchable fields present in `j` on `c`.
absl::Status SetFields(const json& j, bool allow_name, Challenge* c) {
  if (!j.is_object()) return absl::InvalidArgumentError("body: must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "name" && allow_name) {
      FORYOU_RETURN_IF_ERROR(GetString(v, "name", &c->name));
    } else if (key == "title") {
      FORYOU_RETURN_IF_ERROR(GetString(v, "title", &c->title));
    } else if (key == "description") {
      FORYOU_RETURN_IF_ERROR(GetString(v, "description", &c->description));
    } else if (key == "sponsor") {
      FORYOU_RETURN_IF_ERROR(GetString(v, "sponsor", &c->sponsor));
    } else if (key == "start_ms") {
      FORYOU_RETURN_IF_ERROR(GetTime(v, "start_ms", &c->start_ms));
    } else if (key == "end_ms") {
      FORYOU_RETURN_IF_ERROR(GetTime(v, "end_ms", &c->end_ms));
    } else if (key == "name" || key == "created_ms") {
      return Bad(key, "not patchable");
    } else {
      constexpr size_t kMax = 64;
      return Bad(absl::CHexEscape(key.size() > kMax ? key.substr(0, kMax) : key), "unknown field");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateChallenge(const Challenge& c) {
  FORYOU_ASSIGN_OR_RETURN(std::string canonical, NormalizeHashtag("name", c.name));
  if (canonical != c.name) {
    return Bad("name", absl::StrCat("not a canonical hashtag (want '", canonical, "')"));
  }
  FORYOU_RETURN_IF_ERROR(CheckText("title", c.title, 1, kMaxChallengeTitleBytes));
  FORYOU_RETURN_IF_ERROR(CheckText("description", c.description, 0, kMaxChallengeDescriptionBytes));
  if (c.start_ms >= c.end_ms) {
    return Bad("end_ms", absl::StrCat("must be after start_ms (", c.start_ms, "), got ", c.end_ms));
  }
  if (!c.sponsor.empty()) FORYOU_RETURN_IF_ERROR(ValidateId("sponsor", c.sponsor));
  return absl::OkStatus();
}

absl::StatusOr<Challenge> ChallengeFromJson(const json& j, int64_t now_ms) {
  try {
    Challenge c;
    FORYOU_RETURN_IF_ERROR(SetFields(j, /*allow_name=*/true, &c));
    for (const char* required : {"name", "title", "start_ms", "end_ms"}) {
      if (!j.contains(required)) return Bad(required, "required");
    }
    c.created_ms = now_ms;
    FORYOU_RETURN_IF_ERROR(ValidateChallenge(c));
    return c;
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("body: ", e.what()));
  }
}

absl::Status ApplyChallengePatch(const json& j, Challenge* c) {
  try {
    Challenge copy = *c;
    FORYOU_RETURN_IF_ERROR(SetFields(j, /*allow_name=*/false, &copy));
    FORYOU_RETURN_IF_ERROR(ValidateChallenge(copy));
    *c = std::move(copy);
    return absl::OkStatus();
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("body: ", e.what()));
  }
}

json ToJson(const Challenge& c) {
  return {{"name", c.name},
          {"title", c.title},
          {"description", c.description},
          {"start_ms", c.start_ms},
          {"end_ms", c.end_ms},
          {"sponsor", c.sponsor},
          {"created_ms", c.created_ms}};
}

namespace codec {

// Version 1: u8 1, then the strings (u64 length + bytes) name, title, description, i64
// start_ms, i64 end_ms, string sponsor, i64 created_ms. Its own key prefix ("g/"), so stores
// written before challenges existed read unchanged (docs/formats/catalog.md).
std::string Encode(const Challenge& c) {
  std::string out;
  common::BinaryWriter w(&out);
  w.Put<uint8_t>(1);
  w.PutString(c.name);
  w.PutString(c.title);
  w.PutString(c.description);
  w.Put<int64_t>(c.start_ms);
  w.Put<int64_t>(c.end_ms);
  w.PutString(c.sponsor);
  w.Put<int64_t>(c.created_ms);
  return out;
}

bool Decode(std::string_view bytes, std::string_view name, Challenge* c) {
  common::BinaryReader r(bytes);
  Challenge x;
  uint8_t version = 0;
  if (!r.Get(&version) || version != 1 || !r.GetString(&x.name) || x.name != name ||
      !r.GetString(&x.title) || !r.GetString(&x.description) || !r.Get(&x.start_ms) ||
      !r.Get(&x.end_ms) || !r.GetString(&x.sponsor) || !r.Get(&x.created_ms) || !r.done()) {
    return false;
  }
  *c = std::move(x);
  return true;
}

}  // namespace codec
}  // namespace foryou::catalog
