// The event schema of the real-time loop: what a client reports (an impression, a play, a like,
// ...), the rules an event must satisfy, its JSON form (the HTTP API) and its compact binary
// form (one record of the durable log). Formats and every error message are documented in
// docs/formats/events.md.
//
// Example (HTTP handler):
//   FORYOU_ASSIGN_OR_RETURN(BatchParseResult batch, ParseEventBatch(body, clock.NowMs()));
//   for (const Event& e : batch.accepted) {
//     std::string record;
//     EncodeEvent(e, &record);
//     FORYOU_RETURN_IF_ERROR(log.Append(record));
//   }
//   // batch.rejected goes back to the client: [index, "video: required for like"] ...
//
// Example (log reader):
//   FORYOU_ASSIGN_OR_RETURN(Event e, DecodeEvent(record));
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json_fwd.hpp"

namespace foryou::stream {

// What happened. The numeric values are stored in the log: never renumber, only append.
enum class EventType : uint8_t {
  kImpression = 1,  // a video was shown (request_id, video, position, surface)
  kPlay = 2,        // a video was watched (watch_ms, completed, replays)
  kLike = 3,
  kUnlike = 4,
  kShare = 5,
  kComment = 6,   // text
  kFollow = 7,    // creator
  kUnfollow = 8,  // creator
  kFavorite = 9,  // long press -> "add to favorites"
  kNotInterested = 10,
  kReport = 11,       // reason
  kHideCreator = 12,  // creator
  kHideSound = 13,    // sound
  kSkip = 14,         // swiped away after watch_ms
  kAdClick = 15,      // the call to action of a served ad was tapped (request_id, video, position)
};
inline constexpr int kNumEventTypes = 15;  // values 1..kNumEventTypes are the known types

// "impression", "play", "like", ..., "skip", "ad_click" (the JSON "type"); "unknown" for a
// value outside 1..kNumEventTypes.
std::string_view EventTypeName(EventType type);
// The inverse of EventTypeName; nullopt for any other string (including "unknown").
std::optional<EventType> ParseEventType(std::string_view name);

// Limits (docs/formats/events.md, "Limits").
inline constexpr size_t kMaxIdBytes = 128;      // user, video, creator, sound, request_id
inline constexpr size_t kMaxSurfaceBytes = 64;  // same characters as ids
inline constexpr size_t kMaxTextBytes = 2000;   // comment text, UTF-8
inline constexpr size_t kMaxReasonBytes = 256;  // report reason, UTF-8
inline constexpr int64_t kMaxWatchMs = 24LL * 3600 * 1000;
inline constexpr int64_t kMinTimeMs = 1577836800000;         // 2020-01-01T00:00:00Z
inline constexpr int64_t kMaxFutureMs = 24LL * 3600 * 1000;  // time_ms may lead now_ms by this
inline constexpr uint8_t kEventFormatVersion = 1;            // first byte of every record

// One event. Ids are strings chosen by the application: 1..kMaxIdBytes bytes of printable ASCII
// without spaces (0x21..0x7E). An empty string means "not given"; a zero / false number means
// "not given" too (and is also the value a type that uses it assumes). Which fields a type
// requires is in the table in docs/formats/events.md; fields a type does not use are kept and
// checked against their limits but otherwise ignored.
struct Event {
  EventType type{};        // 0 (no type) until set; ValidateEvent refuses it
  std::string user;        // required for every type
  int64_t time_ms = 0;     // when it happened on the client, ms since the Unix epoch
  std::string request_id;  // the feed request that showed the video; required by impressions
  std::string video;       // required by every video action (all but follow/unfollow/hide_*)
  std::string creator;     // required by follow, unfollow, hide_creator
  std::string sound;       // required by hide_sound
  int32_t position = 0;    // impression: 0-based slot in the feed response
  std::string surface;     // impression: "foryou", "following", ... (id characters)
  int64_t watch_ms = 0;    // play, skip: time on screen, 0..kMaxWatchMs
  bool completed = false;  // play: watched to the end at least once
  int32_t replays = 0;     // play: loops after the first full view
  std::string text;        // comment: 1..kMaxTextBytes bytes of valid UTF-8
  std::string reason;      // report: 1..kMaxReasonBytes bytes of valid UTF-8

  friend bool operator==(const Event&, const Event&) = default;
};

// OK if `e` obeys every rule of docs/formats/events.md at wall-clock time `now_ms`; otherwise
// InvalidArgument "<field>: <problem>", e.g. "video: required for like", "user: byte 3 is 0x20;
// ids are printable ASCII without spaces", "time_ms: 1700000000000 is more than 24 h after now
// (1690000000000)". Reports the first problem found.
[[nodiscard]] absl::Status ValidateEvent(const Event& e, int64_t now_ms);

// Parses one JSON object of the HTTP API into a valid event. InvalidArgument "<field>: ..." for
// an unknown field, a field of the wrong JSON type ("watch_ms: must be an integer"), an empty
// string, a missing required field, or any ValidateEvent error. Never throws.
[[nodiscard]] absl::StatusOr<Event> EventFromJson(const nlohmann::json& j, int64_t now_ms);

// The JSON object of `e`, compact, fields in schema order. Emits non-empty strings, the numbers
// its type uses (even when 0) and any other non-zero number, so EventFromJson(EventToJson(e))
// == e for every valid e. Never throws (invalid UTF-8 in an unvalidated event is replaced).
std::string EventToJson(const Event& e);

// The outcome of parsing one POST body of events.
struct BatchParseResult {
  std::vector<Event> accepted;  // valid events, in request order
  // (index in the request's array, "<field>: <problem>") for each refused event, in order.
  std::vector<std::pair<int, std::string>> rejected;
};

// Parses a body `{"events": [e0, e1, ...]}` or a bare array `[e0, e1, ...]`. Each element is
// parsed with EventFromJson on its own: a bad element is listed in `rejected` and never costs
// the good ones. Returns an error only when the body as a whole is unusable:
//   ResourceExhausted  body longer than max_body_bytes, or more than max_events elements;
//   InvalidArgument    not JSON, not an object/array, no "events" array, an unknown top key.
[[nodiscard]] absl::StatusOr<BatchParseResult> ParseEventBatch(std::string_view body,
                                                               int64_t now_ms,
                                                               size_t max_body_bytes = 1 << 20,
                                                               size_t max_events = 10000);

// Appends the binary record of `e` to *out (docs/formats/events.md, "Binary record"). The
// record is not self-delimiting: the log frames it (length, checksum). `e` should have passed
// ValidateEvent; an event breaking a rule is still encoded, but DecodeEvent refuses the record.
void EncodeEvent(const Event& e, std::string* out);

// Decodes exactly one record, as written by EncodeEvent. DataLoss ("event record: ...") for an
// empty or truncated record, an unknown version, type or presence bit, an overlong varint, an
// out-of-range number, trailing bytes, or a decoded event breaking any rule of ValidateEvent
// except the "not in the future" bound (records are read long after they were written). Reads
// only inside `record` and allocates at most record.size() bytes of strings.
[[nodiscard]] absl::StatusOr<Event> DecodeEvent(std::string_view record);

}  // namespace foryou::stream
