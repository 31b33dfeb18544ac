// Event rules, the JSON form of the HTTP API and the binary log record (docs/formats/events.md).
#include "stream/event.h"

#include "common/utf8.h"

#include <array>
#include <limits>
#include <type_traits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "stream/varint.h"

namespace foryou::stream {
namespace {

using nlohmann::json;

// Optional fields, numbered as the bits of the binary record's presence bitmap. The order is
// the order of their payloads in a record and of their keys in EventToJson; the most common
// fields come first so that the bitmap of the frequent types fits in one varint byte.
enum Field : int {
  kRequestId = 0,
  kVideo,
  kWatchMs,
  kCompleted,  // no payload: the bit is the value
  kReplays,
  kPosition,
  kSurface,
  kCreator,
  kSound,
  kText,
  kReason,
  kNumFields
};
constexpr std::array<const char*, kNumFields> kFieldNames = {
    "request_id", "video",   "watch_ms", "completed", "replays", "position",
    "surface",    "creator", "sound",    "text",      "reason"};
constexpr uint64_t Bit(Field f) { return uint64_t{1} << f; }
constexpr uint64_t kKnownBits = (uint64_t{1} << kNumFields) - 1;

struct TypeInfo {
  const char* name;
  uint64_t required;       // strings that must be non-empty
  uint64_t json_required;  // numbers the JSON form must carry (0 and "absent" differ only there)
  uint64_t json_always;    // numbers EventToJson writes even when 0 / false
};
// Indexed by the EventType value; entry 0 stands for "no type".
constexpr uint64_t kPlayNumbers = Bit(kWatchMs) | Bit(kCompleted) | Bit(kReplays);
constexpr std::array<TypeInfo, kNumEventTypes + 1> kTypes = {{
    {"unknown", 0, 0, 0},
    {"impression", Bit(kRequestId) | Bit(kVideo), Bit(kPosition), Bit(kPosition)},
    {"play", Bit(kVideo), Bit(kWatchMs), kPlayNumbers},
    {"like", Bit(kVideo), 0, 0},
    {"unlike", Bit(kVideo), 0, 0},
    {"share", Bit(kVideo), 0, 0},
    {"comment", Bit(kVideo) | Bit(kText), 0, 0},
    {"follow", Bit(kCreator), 0, 0},
    {"unfollow", Bit(kCreator), 0, 0},
    {"favorite", Bit(kVideo), 0, 0},
    {"not_interested", Bit(kVideo), 0, 0},
    {"report", Bit(kVideo) | Bit(kReason), 0, 0},
    {"hide_creator", Bit(kCreator), 0, 0},
    {"hide_sound", Bit(kSound), 0, 0},
    {"skip", Bit(kVideo), Bit(kWatchMs), Bit(kWatchMs)},
    {"ad_click", Bit(kRequestId) | Bit(kVideo), Bit(kPosition), Bit(kPosition)},
}};

bool KnownType(EventType t) {
  return static_cast<int>(t) >= 1 && static_cast<int>(t) <= kNumEventTypes;
}
const TypeInfo& Info(EventType t) { return kTypes[KnownType(t) ? static_cast<int>(t) : 0]; }

// The string fields of an event, by Field (nullptr for the numeric ones). E is Event or const
// Event.
template <typename E>
auto Strings(E& e) {
  using S = std::conditional_t<std::is_const_v<E>, const std::string, std::string>;
  std::array<S*, kNumFields> s{};
  s[kRequestId] = &e.request_id;
  s[kVideo] = &e.video;
  s[kSurface] = &e.surface;
  s[kCreator] = &e.creator;
  s[kSound] = &e.sound;
  s[kText] = &e.text;
  s[kReason] = &e.reason;
  return s;
}

// Upper bound of each string field in bytes (0 for the numeric ones).
constexpr size_t MaxBytes(int f) {
  switch (f) {
    case kSurface:
      return kMaxSurfaceBytes;
    case kText:
      return kMaxTextBytes;
    case kReason:
      return kMaxReasonBytes;
    case kRequestId:
    case kVideo:
    case kCreator:
    case kSound:
      return kMaxIdBytes;
    default:
      return 0;
  }
}

absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(what)));
}

absl::Status CheckId(std::string_view field, const std::string& s, size_t max_bytes) {
  if (s.empty()) return Bad(field, "required");
  if (s.size() > max_bytes) {
    return Bad(field, absl::StrCat("must be 1..", max_bytes, " bytes, got ", s.size()));
  }
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x21 || c > 0x7E) {
      return Bad(field, absl::StrCat("byte ", i, " is 0x", absl::Hex(c, absl::kZeroPad2),
                                     "; ids are printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}


absl::Status CheckText(std::string_view field, const std::string& s, size_t max_bytes) {
  if (s.empty()) return Bad(field, "required");
  if (s.size() > max_bytes) {
    return Bad(field, absl::StrCat("must be at most ", max_bytes, " bytes, got ", s.size()));
  }
  if (size_t at = common::InvalidUtf8At(s); at != std::string_view::npos) {
    return Bad(field, absl::StrCat("not valid UTF-8 at byte ", at));
  }
  return absl::OkStatus();
}

absl::Status CheckRange(std::string_view field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo) return Bad(field, absl::StrCat("must be >= ", lo, ", got ", v));
  if (v > hi) return Bad(field, absl::StrCat("must be <= ", hi, ", got ", v));
  return absl::OkStatus();
}

// Every rule; the future bound only when now_ms is given.
absl::Status CheckEvent(const Event& e, std::optional<int64_t> now_ms) {
  if (!KnownType(e.type)) {
    return Bad("type", absl::StrCat("unknown event type ", static_cast<int>(e.type)));
  }
  const TypeInfo& info = Info(e.type);
  FORYOU_RETURN_IF_ERROR(CheckId("user", e.user, kMaxIdBytes));
  if (e.time_ms < kMinTimeMs) {
    return Bad("time_ms",
               absl::StrCat(e.time_ms, " is before 2020-01-01T00:00:00Z (", kMinTimeMs, ")"));
  }
  if (now_ms.has_value() && *now_ms <= std::numeric_limits<int64_t>::max() - kMaxFutureMs &&
      e.time_ms > *now_ms + kMaxFutureMs) {
    return Bad("time_ms", absl::StrCat(e.time_ms, " is more than 24 h after now (", *now_ms, ")"));
  }
  const auto strings = Strings(e);
  for (int f = 0; f < kNumFields; ++f) {
    if ((info.required & Bit(Field(f))) && strings[f]->empty()) {
      return Bad(kFieldNames[f], absl::StrCat("required for ", info.name));
    }
  }
  for (int f = 0; f < kNumFields; ++f) {
    if (strings[f] == nullptr || strings[f]->empty()) continue;
    const bool utf8 = f == kText || f == kReason;
    absl::Status s = utf8 ? CheckText(kFieldNames[f], *strings[f], MaxBytes(f))
                          : CheckId(kFieldNames[f], *strings[f], MaxBytes(f));
    if (!s.ok()) return s;
  }
  FORYOU_RETURN_IF_ERROR(
      CheckRange("position", e.position, 0, std::numeric_limits<int32_t>::max()));
  FORYOU_RETURN_IF_ERROR(CheckRange("watch_ms", e.watch_ms, 0, kMaxWatchMs));
  return CheckRange("replays", e.replays, 0, std::numeric_limits<int32_t>::max());
}

// ---- JSON ----

// Text a client sent (a key, a type name), made safe and short for an error message.
std::string ClientText(const std::string& key) {
  constexpr size_t kMax = 64;
  std::string s = absl::CHexEscape(key.size() > kMax ? key.substr(0, kMax) : key);
  if (key.size() > kMax) s += "...";
  return s;
}

absl::Status JsonInt(const json& v, std::string_view field, int64_t lo, int64_t hi, int64_t* out) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi))
      return Bad(field, absl::StrCat("must be <= ", hi, ", got ", u));
    *out = static_cast<int64_t>(u);
    return absl::OkStatus();
  }
  if (!v.is_number_integer()) return Bad(field, "must be an integer");
  *out = v.get<int64_t>();
  return CheckRange(field, *out, lo, hi);
}

}  // namespace

std::string_view EventTypeName(EventType type) { return Info(type).name; }

std::optional<EventType> ParseEventType(std::string_view name) {
  for (int t = 1; t <= kNumEventTypes; ++t) {
    if (name == kTypes[t].name) return static_cast<EventType>(t);
  }
  return std::nullopt;
}

absl::Status ValidateEvent(const Event& e, int64_t now_ms) { return CheckEvent(e, now_ms); }

absl::StatusOr<Event> EventFromJson(const json& j, int64_t now_ms) {
  if (!j.is_object()) return Bad("event", "must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    bool known = k == "type" || k == "user" || k == "time_ms";
    for (const char* name : kFieldNames) known = known || k == name;
    if (!known) return Bad(ClientText(k), "unknown field");
  }
  Event e;
  auto type_it = j.find("type");
  if (type_it == j.end()) return Bad("type", "required");
  if (!type_it->is_string()) return Bad("type", "must be a string");
  const auto type = ParseEventType(type_it->get_ref<const std::string&>());
  if (!type.has_value()) {
    return Bad("type", absl::StrCat("unknown event type '",
                                    ClientText(type_it->get_ref<const std::string&>()), "'"));
  }
  e.type = *type;
  const TypeInfo& info = Info(e.type);

  const auto strings = Strings(e);
  for (int f = -1; f < kNumFields; ++f) {
    std::string* dst = f < 0 ? &e.user : strings[f];
    if (dst == nullptr) continue;
    const char* name = f < 0 ? "user" : kFieldNames[f];
    auto it = j.find(name);
    if (it == j.end()) continue;  // ValidateEvent reports the required ones
    if (!it->is_string()) return Bad(name, "must be a string");
    *dst = it->get<std::string>();
    if (dst->empty()) return Bad(name, "must not be empty (omit the field instead)");
  }

  auto time_it = j.find("time_ms");
  if (time_it == j.end()) return Bad("time_ms", "required");
  FORYOU_RETURN_IF_ERROR(JsonInt(*time_it, "time_ms", std::numeric_limits<int64_t>::min(),
                                 std::numeric_limits<int64_t>::max(), &e.time_ms));
  struct IntField {
    Field field;
    int64_t hi;
  };
  for (const IntField& n :
       {IntField{kPosition, std::numeric_limits<int32_t>::max()}, IntField{kWatchMs, kMaxWatchMs},
        IntField{kReplays, std::numeric_limits<int32_t>::max()}}) {
    const char* name = kFieldNames[n.field];
    auto it = j.find(name);
    if (it == j.end()) {
      if (info.json_required & Bit(n.field))
        return Bad(name, absl::StrCat("required for ", info.name));
      continue;
    }
    int64_t v = 0;
    FORYOU_RETURN_IF_ERROR(JsonInt(*it, name, 0, n.hi, &v));
    if (n.field == kPosition) e.position = static_cast<int32_t>(v);
    if (n.field == kWatchMs) e.watch_ms = v;
    if (n.field == kReplays) e.replays = static_cast<int32_t>(v);
  }
  if (auto it = j.find("completed"); it != j.end()) {
    if (!it->is_boolean()) return Bad("completed", "must be true or false");
    e.completed = it->get<bool>();
  }
  FORYOU_RETURN_IF_ERROR(ValidateEvent(e, now_ms));
  return e;
}

std::string EventToJson(const Event& e) {
  const TypeInfo& info = Info(e.type);
  nlohmann::ordered_json j;
  j["type"] = info.name;
  j["user"] = e.user;
  j["time_ms"] = e.time_ms;
  const auto strings = Strings(e);
  for (int f = 0; f < kNumFields; ++f) {
    const char* name = kFieldNames[f];
    const bool always = info.json_always & Bit(Field(f));
    if (strings[f] != nullptr) {
      if (!strings[f]->empty()) j[name] = *strings[f];
    } else if (f == kCompleted) {
      if (e.completed || always) j[name] = e.completed;
    } else {
      const int64_t v = f == kWatchMs ? e.watch_ms : f == kReplays ? e.replays : e.position;
      if (v != 0 || always) j[name] = v;
    }
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<BatchParseResult> ParseEventBatch(std::string_view body, int64_t now_ms,
                                                 size_t max_body_bytes, size_t max_events) {
  if (body.size() > max_body_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "body: ", body.size(), " bytes is over the limit of ", max_body_bytes, " bytes"));
  }
  json root;
  try {
    root = json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    return Bad("body", absl::StrCat("not valid JSON (error at byte ", e.byte, ")"));
  } catch (const json::exception&) {  // out_of_range 406: a number beyond double, e.g. 1e400
    return Bad("body", "not valid JSON (a number is out of range)");
  }
  const json* events = &root;
  if (root.is_object()) {
    for (auto it = root.begin(); it != root.end(); ++it) {
      if (it.key() != "events") return Bad(ClientText(it.key()), "unknown field");
    }
    auto it = root.find("events");
    if (it == root.end()) return Bad("events", "required");
    if (!it->is_array()) return Bad("events", "must be an array");
    events = &*it;
  } else if (!root.is_array()) {
    return Bad("body", "must be a JSON object {\"events\": [...]} or a JSON array");
  }
  if (events->size() > max_events) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "events: ", events->size(), " events is over the limit of ", max_events, " per request"));
  }
  BatchParseResult result;
  result.accepted.reserve(events->size());
  for (size_t i = 0; i < events->size(); ++i) {
    absl::StatusOr<Event> e = EventFromJson((*events)[i], now_ms);
    if (e.ok()) {
      result.accepted.push_back(*std::move(e));
    } else {
      result.rejected.emplace_back(static_cast<int>(i), std::string(e.status().message()));
    }
  }
  return result;
}

// ---- Binary record ----
//
// version u8 | type u8 | presence varint | user str | time_ms zigzag varint | one payload per
// presence bit, in bit order. A "str" is one varint h followed by bytes: h even -> h/2 raw bytes;
// h odd -> the string is the decimal rendering of h/2 (ids that are canonical decimal numbers
// below 2^63, the common case, take at most 10 bytes instead of up to 20). Layout and rationale:
// docs/formats/events.md.
namespace {

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t u) { return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1); }

// The value of `s` if it is the canonical decimal form (no sign, no leading zero) of a number
// below 2^63.
std::optional<uint64_t> CanonicalDecimal(const std::string& s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');  // 19 digits < 2^64: no overflow
  }
  if (v >> 63) return std::nullopt;
  return v;
}

void PutString(const std::string& s, std::string* out) {
  if (std::optional<uint64_t> n = CanonicalDecimal(s)) {
    PutVarint((*n << 1) | 1, out);
  } else {
    PutVarint(static_cast<uint64_t>(s.size()) << 1, out);
    out->append(s);
  }
}

// Bounds-checked reading of one record; every error names the field being read.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  absl::Status Varint(std::string_view field, uint64_t* v) {
    uint64_t result = 0;
    for (int i = 0; i < 10; ++i) {
      if (pos_ >= in_.size()) return Error(field, "truncated");
      const auto b = static_cast<uint8_t>(in_[pos_++]);
      // The 10th byte holds bit 63 only; a final 0x00 after other bytes is a non-minimal form.
      if ((i == 9 && b > 1) || (i > 0 && b == 0)) return Error(field, "overlong varint");
      result |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        *v = result;
        return absl::OkStatus();
      }
    }
    return Error(field, "overlong varint");
  }

  absl::Status Signed(std::string_view field, int64_t lo, int64_t hi, int64_t* v) {
    uint64_t u = 0;
    FORYOU_RETURN_IF_ERROR(Varint(field, &u));
    *v = UnZigZag(u);
    if (*v < lo || *v > hi) return Error(field, absl::StrCat("value ", *v, " out of range"));
    return absl::OkStatus();
  }

  absl::Status String(std::string_view field, size_t max_bytes, std::string* s) {
    uint64_t h = 0;
    FORYOU_RETURN_IF_ERROR(Varint(field, &h));
    if (h & 1) {
      *s = absl::StrCat(h >> 1);
      return absl::OkStatus();
    }
    const uint64_t len = h >> 1;
    if (len == 0) return Error(field, "present but empty");
    if (len > max_bytes) {
      return Error(field, absl::StrCat(len, " bytes, over the limit of ", max_bytes));
    }
    if (len > in_.size() - pos_) {
      return Error(field,
                   absl::StrCat("truncated (", len, " bytes, ", in_.size() - pos_, " left)"));
    }
    s->assign(in_.data() + pos_, len);
    pos_ += len;
    return absl::OkStatus();
  }

  size_t pos() const { return pos_; }

  static absl::Status Error(std::string_view field, std::string_view what) {
    return absl::DataLossError(
        absl::StrCat("event record: '", std::string(field), "' ", std::string(what)));
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

void EncodeEvent(const Event& e, std::string* out) {
  const auto strings = Strings(e);
  uint64_t presence = 0;
  for (int f = 0; f < kNumFields; ++f) {
    if (strings[f] != nullptr && !strings[f]->empty()) presence |= Bit(Field(f));
  }
  if (e.watch_ms != 0) presence |= Bit(kWatchMs);
  if (e.completed) presence |= Bit(kCompleted);
  if (e.replays != 0) presence |= Bit(kReplays);
  if (e.position != 0) presence |= Bit(kPosition);

  out->push_back(static_cast<char>(kEventFormatVersion));
  out->push_back(static_cast<char>(e.type));
  PutVarint(presence, out);
  PutString(e.user, out);
  PutVarint(ZigZag(e.time_ms), out);
  for (int f = 0; f < kNumFields; ++f) {
    if (!(presence & Bit(Field(f)))) continue;
    switch (f) {
      case kWatchMs:
        PutVarint(ZigZag(e.watch_ms), out);
        break;
      case kCompleted:
        break;
      case kReplays:
        PutVarint(ZigZag(e.replays), out);
        break;
      case kPosition:
        PutVarint(ZigZag(e.position), out);
        break;
      default:
        PutString(*strings[f], out);
        break;
    }
  }
}

absl::StatusOr<Event> DecodeEvent(std::string_view record) {
  if (record.empty()) return absl::DataLossError("event record: empty");
  const auto version = static_cast<uint8_t>(record[0]);
  if (version != kEventFormatVersion) {
    return absl::DataLossError(absl::StrCat("event record: unknown format version ", version,
                                            " (this build reads ", kEventFormatVersion, ")"));
  }
  if (record.size() < 2) return Reader::Error("type", "truncated");
  Event e;
  e.type = static_cast<EventType>(static_cast<uint8_t>(record[1]));
  if (!KnownType(e.type)) {
    return absl::DataLossError(
        absl::StrCat("event record: unknown event type ", static_cast<int>(e.type)));
  }
  Reader r(record.substr(2));
  uint64_t presence = 0;
  FORYOU_RETURN_IF_ERROR(r.Varint("presence", &presence));
  if (presence & ~kKnownBits) {
    return absl::DataLossError(
        absl::StrCat("event record: unknown presence bits 0x", absl::Hex(presence & ~kKnownBits)));
  }
  FORYOU_RETURN_IF_ERROR(r.String("user", kMaxIdBytes, &e.user));
  constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
  constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
  constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
  constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
  FORYOU_RETURN_IF_ERROR(r.Signed("time_ms", kInt64Min, kInt64Max, &e.time_ms));
  const auto strings = Strings(e);
  for (int f = 0; f < kNumFields; ++f) {
    if (!(presence & Bit(Field(f)))) continue;
    const char* name = kFieldNames[f];
    int64_t v = 0;
    absl::Status s;
    switch (f) {
      case kWatchMs:
        s = r.Signed(name, kInt64Min, kInt64Max, &e.watch_ms);
        break;
      case kCompleted:
        e.completed = true;
        break;
      case kReplays:
        s = r.Signed(name, kInt32Min, kInt32Max, &v);
        e.replays = static_cast<int32_t>(v);
        break;
      case kPosition:
        s = r.Signed(name, kInt32Min, kInt32Max, &v);
        e.position = static_cast<int32_t>(v);
        break;
      default:
        s = r.String(name, MaxBytes(f), strings[f]);
        break;
    }
    if (!s.ok()) return s;
  }
  if (const size_t used = 2 + r.pos(); used != record.size()) {
    return absl::DataLossError(
        absl::StrCat("event record: ", record.size() - used, " trailing bytes"));
  }
  if (absl::Status s = CheckEvent(e, std::nullopt); !s.ok()) {
    return absl::DataLossError(absl::StrCat("event record: invalid event: ", s.message()));
  }
  return e;
}

}  // namespace foryou::stream
