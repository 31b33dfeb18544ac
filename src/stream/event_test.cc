// Event schema: every validation rule is an InvalidArgument naming the field; JSON and binary
// forms round-trip every type and random events exactly; the decoder survives every truncation
// and random corruption; a batch keeps its good events whatever the bad ones do.
#include "stream/event.h"

#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace foryou::stream {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1700000000000;  // 2023-11-14T22:13:20Z
constexpr int64_t kTime = kNow - 5000;

std::vector<EventType> AllTypes() {
  std::vector<EventType> types;
  for (int t = 1; t <= kNumEventTypes; ++t) types.push_back(static_cast<EventType>(t));
  return types;
}

// A realistic valid event of `type` with every field its type uses.
Event Typical(EventType type) {
  Event e;
  e.type = type;
  e.user = "u8412345";
  e.time_ms = kTime;
  e.request_id = "r93f2a1c07b";
  switch (type) {
    case EventType::kFollow:
    case EventType::kUnfollow:
    case EventType::kHideCreator:
      e.creator = "c771203";
      e.video = "v5550123";
      break;
    case EventType::kHideSound:
      e.sound = "s190022";
      break;
    default:
      e.video = "v5550123";
  }
  if (type == EventType::kImpression) {
    e.position = 3;
    e.surface = "foryou";
  }
  if (type == EventType::kPlay) {
    e.watch_ms = 15230;
    e.completed = true;
    e.replays = 2;
  }
  if (type == EventType::kSkip) e.watch_ms = 840;
  if (type == EventType::kComment) e.text = "so good \xF0\x9F\x98\x82";  // an emoji
  if (type == EventType::kReport) e.reason = "spam";
  return e;
}

std::string Encode(const Event& e) {
  std::string out;
  EncodeEvent(e, &out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Types

TEST(EventTypeTest, NamesRoundTripAndValuesAreStable) {
  for (EventType t : AllTypes()) {
    ASSERT_EQ(ParseEventType(EventTypeName(t)), t) << EventTypeName(t);
  }
  // These numbers are on disk: changing one breaks every log written before.
  EXPECT_EQ(static_cast<int>(EventType::kImpression), 1);
  EXPECT_EQ(static_cast<int>(EventType::kLike), 3);
  EXPECT_EQ(static_cast<int>(EventType::kComment), 6);
  EXPECT_EQ(static_cast<int>(EventType::kHideSound), 13);
  EXPECT_EQ(static_cast<int>(EventType::kSkip), 14);
  EXPECT_EQ(EventTypeName(EventType::kNotInterested), "not_interested");
  EXPECT_EQ(EventTypeName(static_cast<EventType>(0)), "unknown");
  EXPECT_EQ(EventTypeName(static_cast<EventType>(200)), "unknown");
  EXPECT_FALSE(ParseEventType("unknown").has_value());
  EXPECT_FALSE(ParseEventType("Like").has_value());
  EXPECT_FALSE(ParseEventType("").has_value());
}

// ---------------------------------------------------------------------------------------------
// ValidateEvent: one case per rule.

struct ValidationCase {
  const char* name;
  EventType type;
  std::function<void(Event&)> edit;
  const char* message;  // the whole expected message
};

class ValidationTest : public testing::TestWithParam<ValidationCase> {};

TEST_P(ValidationTest, RefusedWithMessageNamingTheField) {
  const ValidationCase& c = GetParam();
  Event e = Typical(c.type);
  ASSERT_TRUE(ValidateEvent(e, kNow).ok());
  c.edit(e);
  absl::Status s = ValidateEvent(e, kNow);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), c.message);
}

// 666 three-byte euro signs and "ok": exactly kMaxTextBytes.
const std::string kUtf8Text2000 = [] {
  std::string s;
  for (int i = 0; i < 666; ++i) s += "\xE2\x82\xAC";
  return s + "ok";
}();

INSTANTIATE_TEST_SUITE_P(
    Rules, ValidationTest,
    testing::Values(
        ValidationCase{"TypeZero", EventType::kLike,
                       [](Event& e) { e.type = static_cast<EventType>(0); },
                       "type: unknown event type 0"},
        ValidationCase{"TypeTooLarge", EventType::kLike,
                       [](Event& e) { e.type = static_cast<EventType>(15); },
                       "type: unknown event type 15"},
        ValidationCase{"UserMissing", EventType::kLike, [](Event& e) { e.user.clear(); },
                       "user: required"},
        ValidationCase{"UserTooLong", EventType::kLike,
                       [](Event& e) { e.user = std::string(129, 'u'); },
                       "user: must be 1..128 bytes, got 129"},
        ValidationCase{"UserSpace", EventType::kLike, [](Event& e) { e.user = "a b"; },
                       "user: byte 1 is 0x20; ids are printable ASCII without spaces"},
        ValidationCase{"UserControlChar", EventType::kLike,
                       [](Event& e) { e.user = std::string("ab\0", 3); },
                       "user: byte 2 is 0x00; ids are printable ASCII without spaces"},
        ValidationCase{"UserDelete", EventType::kLike, [](Event& e) { e.user = "x\x7F"; },
                       "user: byte 1 is 0x7f; ids are printable ASCII without spaces"},
        ValidationCase{"UserNonAscii", EventType::kLike, [](Event& e) { e.user = "\xC3\xA9"; },
                       "user: byte 0 is 0xc3; ids are printable ASCII without spaces"},
        ValidationCase{"TimeBefore2020", EventType::kLike,
                       [](Event& e) { e.time_ms = 1577836799999; },
                       "time_ms: 1577836799999 is before 2020-01-01T00:00:00Z (1577836800000)"},
        ValidationCase{"TimeZero", EventType::kLike, [](Event& e) { e.time_ms = 0; },
                       "time_ms: 0 is before 2020-01-01T00:00:00Z (1577836800000)"},
        ValidationCase{"TimeInFuture", EventType::kLike,
                       [](Event& e) { e.time_ms = kNow + 86400000 + 1; },
                       "time_ms: 1700086400001 is more than 24 h after now (1700000000000)"},
        ValidationCase{"ImpressionWithoutRequestId", EventType::kImpression,
                       [](Event& e) { e.request_id.clear(); },
                       "request_id: required for impression"},
        ValidationCase{"ImpressionWithoutVideo", EventType::kImpression,
                       [](Event& e) { e.video.clear(); }, "video: required for impression"},
        ValidationCase{"LikeWithoutVideo", EventType::kLike, [](Event& e) { e.video.clear(); },
                       "video: required for like"},
        ValidationCase{"CommentWithoutText", EventType::kComment, [](Event& e) { e.text.clear(); },
                       "text: required for comment"},
        ValidationCase{"ReportWithoutReason", EventType::kReport,
                       [](Event& e) { e.reason.clear(); }, "reason: required for report"},
        ValidationCase{"FollowWithoutCreator", EventType::kFollow,
                       [](Event& e) { e.creator.clear(); }, "creator: required for follow"},
        ValidationCase{"HideCreatorWithoutCreator", EventType::kHideCreator,
                       [](Event& e) { e.creator.clear(); }, "creator: required for hide_creator"},
        ValidationCase{"HideSoundWithoutSound", EventType::kHideSound,
                       [](Event& e) { e.sound.clear(); }, "sound: required for hide_sound"},
        ValidationCase{"VideoTooLong", EventType::kLike,
                       [](Event& e) { e.video = std::string(129, 'v'); },
                       "video: must be 1..128 bytes, got 129"},
        ValidationCase{"VideoBadChar", EventType::kLike, [](Event& e) { e.video = "v\t1"; },
                       "video: byte 1 is 0x09; ids are printable ASCII without spaces"},
        ValidationCase{"RequestIdTooLong", EventType::kLike,
                       [](Event& e) { e.request_id = std::string(200, 'r'); },
                       "request_id: must be 1..128 bytes, got 200"},
        ValidationCase{"CreatorBadChar", EventType::kFollow, [](Event& e) { e.creator = "c 1"; },
                       "creator: byte 1 is 0x20; ids are printable ASCII without spaces"},
        ValidationCase{"SoundTooLong", EventType::kHideSound,
                       [](Event& e) { e.sound = std::string(129, 's'); },
                       "sound: must be 1..128 bytes, got 129"},
        ValidationCase{"SurfaceTooLong", EventType::kImpression,
                       [](Event& e) { e.surface = std::string(65, 'f'); },
                       "surface: must be 1..64 bytes, got 65"},
        ValidationCase{"SurfaceBadChar", EventType::kImpression,
                       [](Event& e) { e.surface = "for you"; },
                       "surface: byte 3 is 0x20; ids are printable ASCII without spaces"},
        ValidationCase{"TextTooLong", EventType::kComment,
                       [](Event& e) { e.text = kUtf8Text2000 + "!"; },
                       "text: must be at most 2000 bytes, got 2001"},
        ValidationCase{"TextLoneContinuationByte", EventType::kComment,
                       [](Event& e) { e.text = "ab\x80"; }, "text: not valid UTF-8 at byte 2"},
        ValidationCase{"TextOverlongEncoding", EventType::kComment,
                       [](Event& e) { e.text = "\xC0\xAF"; }, "text: not valid UTF-8 at byte 0"},
        ValidationCase{"TextSurrogate", EventType::kComment,
                       [](Event& e) { e.text = "x\xED\xA0\x80"; },
                       "text: not valid UTF-8 at byte 1"},
        ValidationCase{"TextAboveU10FFFF", EventType::kComment,
                       [](Event& e) { e.text = "\xF4\x90\x80\x80"; },
                       "text: not valid UTF-8 at byte 0"},
        ValidationCase{"TextCutInsideCharacter", EventType::kComment,
                       [](Event& e) { e.text = "ok\xF0\x9F\x98"; },
                       "text: not valid UTF-8 at byte 2"},
        ValidationCase{"ReasonTooLong", EventType::kReport,
                       [](Event& e) { e.reason = std::string(257, 'r'); },
                       "reason: must be at most 256 bytes, got 257"},
        ValidationCase{"ReasonInvalidUtf8", EventType::kReport, [](Event& e) { e.reason = "\xFF"; },
                       "reason: not valid UTF-8 at byte 0"},
        ValidationCase{"NegativePosition", EventType::kImpression,
                       [](Event& e) { e.position = -1; }, "position: must be >= 0, got -1"},
        ValidationCase{"NegativeWatchMs", EventType::kPlay, [](Event& e) { e.watch_ms = -5; },
                       "watch_ms: must be >= 0, got -5"},
        ValidationCase{"WatchMsOver24h", EventType::kSkip, [](Event& e) { e.watch_ms = 86400001; },
                       "watch_ms: must be <= 86400000, got 86400001"},
        ValidationCase{"NegativeReplays", EventType::kPlay, [](Event& e) { e.replays = -2; },
                       "replays: must be >= 0, got -2"},
        // Fields a type does not use are ignored by the type rules but still held to limits.
        ValidationCase{"UnusedFieldStillChecked", EventType::kLike,
                       [](Event& e) { e.creator = "bad id"; },
                       "creator: byte 3 is 0x20; ids are printable ASCII without spaces"}),
    [](const testing::TestParamInfo<ValidationCase>& info) { return info.param.name; });

TEST(ValidateEventTest, EveryVideoActionRequiresAVideo) {
  for (EventType t : AllTypes()) {
    Event e = Typical(t);
    e.video.clear();
    absl::Status s = ValidateEvent(e, kNow);
    const bool video_optional = t == EventType::kFollow || t == EventType::kUnfollow ||
                                t == EventType::kHideCreator || t == EventType::kHideSound;
    if (video_optional) {
      EXPECT_TRUE(s.ok()) << EventTypeName(t) << ": " << s;
    } else {
      EXPECT_EQ(std::string(s.message()),
                absl::StrCat("video: required for ", std::string(EventTypeName(t))));
    }
  }
}

TEST(ValidateEventTest, BoundariesAreAccepted) {
  Event e = Typical(EventType::kPlay);
  e.time_ms = kMinTimeMs;
  e.watch_ms = kMaxWatchMs;
  e.replays = std::numeric_limits<int32_t>::max();
  e.user = std::string(kMaxIdBytes, '~');
  e.video = "!";
  EXPECT_TRUE(ValidateEvent(e, kNow).ok());
  e.time_ms = kNow + kMaxFutureMs;  // exactly 24 h ahead (client clock skew)
  EXPECT_TRUE(ValidateEvent(e, kNow).ok());
  e.time_ms = std::numeric_limits<int64_t>::max();  // no overflow in now + 24 h
  EXPECT_TRUE(ValidateEvent(e, std::numeric_limits<int64_t>::max()).ok());

  Event c = Typical(EventType::kComment);
  c.text = kUtf8Text2000;
  ASSERT_EQ(c.text.size(), kMaxTextBytes);
  EXPECT_TRUE(ValidateEvent(c, kNow).ok());
  c.text = "line one\nline two \xE4\xBD\xA0\xE5\xA5\xBD";
  EXPECT_TRUE(ValidateEvent(c, kNow).ok());
}

TEST(ValidateEventTest, IrrelevantFieldsAreIgnored) {
  Event e = Typical(EventType::kLike);
  e.position = 7;
  e.surface = "following";
  e.watch_ms = 100;
  e.text = "not a comment";
  e.sound = "s1";
  EXPECT_TRUE(ValidateEvent(e, kNow).ok());
  Event f = Typical(EventType::kFollow);
  f.video.clear();
  f.request_id.clear();
  EXPECT_TRUE(ValidateEvent(f, kNow).ok());
}

// ---------------------------------------------------------------------------------------------
// JSON

absl::StatusOr<Event> FromJson(std::string_view text) {
  return EventFromJson(json::parse(text), kNow);
}

TEST(EventJsonTest, EveryTypeRoundTrips) {
  for (EventType t : AllTypes()) {
    const Event e = Typical(t);
    const std::string text = EventToJson(e);
    absl::StatusOr<Event> back = FromJson(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.status();
    EXPECT_EQ(*back, e) << text;
  }
}

TEST(EventJsonTest, OptionalNumbersMayBeOmitted) {
  absl::StatusOr<Event> play =
      FromJson(R"({"type":"play","user":"u1","time_ms":1700000000000,"video":"v1","watch_ms":0})");
  ASSERT_TRUE(play.ok()) << play.status();
  EXPECT_EQ(play->watch_ms, 0);
  EXPECT_FALSE(play->completed);
  EXPECT_EQ(play->replays, 0);
  absl::StatusOr<Event> impression =
      FromJson(R"({"type":"impression","user":"u1","time_ms":1700000000000,"video":"v1",)"
               R"("request_id":"r1","position":0})");
  ASSERT_TRUE(impression.ok()) << impression.status();
  EXPECT_EQ(impression->surface, "");
}

TEST(EventJsonTest, OutputIsCompactAndInSchemaOrder) {
  EXPECT_EQ(EventToJson(Typical(EventType::kLike)),
            R"({"type":"like","user":"u8412345","time_ms":1699999995000,)"
            R"("request_id":"r93f2a1c07b","video":"v5550123"})");
  Event play = Typical(EventType::kPlay);
  play.completed = false;
  play.replays = 0;
  play.request_id.clear();
  // A play always carries its numbers, even zero / false.
  EXPECT_EQ(EventToJson(play),
            R"({"type":"play","user":"u8412345","time_ms":1699999995000,"video":"v5550123",)"
            R"("watch_ms":15230,"completed":false,"replays":0})");
}

TEST(EventJsonTest, DocumentedExamplesParse) {
  for (const char* text :
       {R"({"type":"impression","user":"u8412345","time_ms":1700000000000,)"
        R"("request_id":"r93f2a1c07b","video":"v5550123","position":3,"surface":"foryou"})",
        R"({"type":"play","user":"u8412345","time_ms":1700000015230,)"
        R"("request_id":"r93f2a1c07b","video":"v5550123","watch_ms":15230,"completed":true,)"
        R"("replays":1})",
        R"({"type":"like","user":"u8412345","time_ms":1700000016000,"video":"v5550123"})",
        R"({"type":"comment","user":"u8412345","time_ms":1700000020000,)"
        R"("video":"v5550123","text":"so good \ud83d\ude02"})",
        R"({"type":"follow","user":"u8412345","time_ms":1700000021000,"creator":"c771203"})",
        R"({"type":"report","user":"u8412345","time_ms":1700000022000,"video":"v5550123",)"
        R"("reason":"spam"})",
        R"({"type":"hide_sound","user":"u8412345","time_ms":1700000023000,"sound":"s190022"})",
        R"({"type":"skip","user":"u8412345","time_ms":1700000024000,"video":"v5550124",)"
        R"("watch_ms":840})"}) {
    absl::StatusOr<Event> e = EventFromJson(json::parse(text), kNow + 60000);
    EXPECT_TRUE(e.ok()) << text << ": " << e.status();
  }
}

struct JsonCase {
  const char* name;
  const char* json;
  const char* message;
};

class EventJsonErrorTest : public testing::TestWithParam<JsonCase> {};

TEST_P(EventJsonErrorTest, RefusedWithMessageNamingTheField) {
  absl::StatusOr<Event> e = FromJson(GetParam().json);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(e.status().message()), GetParam().message);
}

#define LIKE_ R"("type":"like","user":"u1","time_ms":1700000000000)"
INSTANTIATE_TEST_SUITE_P(
    Errors, EventJsonErrorTest,
    testing::Values(
        JsonCase{"NotAnObject", R"(["like"])", "event: must be a JSON object"},
        JsonCase{"UnknownField", "{" LIKE_ R"(,"video":"v1","colour":"red"})",
                 "colour: unknown field"},
        JsonCase{"UnknownFieldEscaped", "{" LIKE_ R"(,"video":"v1","a\nb":1})",
                 "a\\nb: unknown field"},
        JsonCase{"TypeMissing", R"({"user":"u1","time_ms":1700000000000,"video":"v1"})",
                 "type: required"},
        JsonCase{"TypeNotString", R"({"type":3,"user":"u1","time_ms":1700000000000})",
                 "type: must be a string"},
        JsonCase{"TypeUnknown", R"({"type":"poke","user":"u1","time_ms":1700000000000})",
                 "type: unknown event type 'poke'"},
        JsonCase{"UserMissing", R"({"type":"like","time_ms":1700000000000,"video":"v1"})",
                 "user: required"},
        JsonCase{"UserNotString", R"({"type":"like","user":17,"time_ms":1,"video":"v1"})",
                 "user: must be a string"},
        JsonCase{"VideoNull", "{" LIKE_ R"(,"video":null})", "video: must be a string"},
        JsonCase{"VideoEmpty", "{" LIKE_ R"(,"video":""})",
                 "video: must not be empty (omit the field instead)"},
        JsonCase{"VideoMissing", "{" LIKE_ "}", "video: required for like"},
        JsonCase{"TimeMissing", R"({"type":"like","user":"u1","video":"v1"})", "time_ms: required"},
        JsonCase{"TimeString", R"({"type":"like","user":"u1","time_ms":"1700000000000"})",
                 "time_ms: must be an integer"},
        JsonCase{"TimeFraction", R"({"type":"like","user":"u1","time_ms":1700000000000.5})",
                 "time_ms: must be an integer"},
        JsonCase{"TimeTooLargeForInt64",
                 R"({"type":"like","user":"u1","time_ms":18446744073709551615})",
                 "time_ms: must be <= 9223372036854775807, got 18446744073709551615"},
        JsonCase{"TimeTooOld", R"({"type":"like","user":"u1","time_ms":1000,"video":"v1"})",
                 "time_ms: 1000 is before 2020-01-01T00:00:00Z (1577836800000)"},
        JsonCase{"ImpressionWithoutPosition",
                 R"({"type":"impression","user":"u1","time_ms":1700000000000,)"
                 R"("request_id":"r1","video":"v1"})",
                 "position: required for impression"},
        JsonCase{"PlayWithoutWatchMs",
                 R"({"type":"play","user":"u1","time_ms":1700000000000,"video":"v1"})",
                 "watch_ms: required for play"},
        JsonCase{"SkipWithoutWatchMs",
                 R"({"type":"skip","user":"u1","time_ms":1700000000000,"video":"v1"})",
                 "watch_ms: required for skip"},
        JsonCase{"WatchMsNegative", "{" LIKE_ R"(,"video":"v1","watch_ms":-5})",
                 "watch_ms: must be >= 0, got -5"},
        JsonCase{"WatchMsOver24h", "{" LIKE_ R"(,"video":"v1","watch_ms":86400001})",
                 "watch_ms: must be <= 86400000, got 86400001"},
        JsonCase{"WatchMsBool", "{" LIKE_ R"(,"video":"v1","watch_ms":true})",
                 "watch_ms: must be an integer"},
        JsonCase{"PositionFloat", "{" LIKE_ R"(,"video":"v1","position":1.5})",
                 "position: must be an integer"},
        JsonCase{"PositionOverInt32", "{" LIKE_ R"(,"video":"v1","position":3000000000})",
                 "position: must be <= 2147483647, got 3000000000"},
        JsonCase{"ReplaysNegative", "{" LIKE_ R"(,"video":"v1","replays":-1})",
                 "replays: must be >= 0, got -1"},
        JsonCase{"CompletedNotBool", "{" LIKE_ R"(,"video":"v1","completed":1})",
                 "completed: must be true or false"},
        JsonCase{"TextNotString", "{" LIKE_ R"(,"video":"v1","text":["hi"]})",
                 "text: must be a string"},
        JsonCase{"BadIdFromValidation", "{" LIKE_ R"(,"video":"v 1"})",
                 "video: byte 1 is 0x20; ids are printable ASCII without spaces"}),
    [](const testing::TestParamInfo<JsonCase>& info) { return info.param.name; });
#undef LIKE_

// ---------------------------------------------------------------------------------------------
// Random valid events (shared by the JSON and binary round trips).

class RandomEvents {
 public:
  explicit RandomEvents(uint64_t seed) : rng_(seed) {}

  Event Next() {
    Event e;
    e.type = static_cast<EventType>(Uniform(1, kNumEventTypes));
    e.user = Id(kMaxIdBytes);
    e.time_ms = Uniform(0, 3) == 0 ? kMinTimeMs + Uniform(0, 1) : Uniform(kMinTimeMs, kNow);
    const EventType t = e.type;
    const bool creator_type =
        t == EventType::kFollow || t == EventType::kUnfollow || t == EventType::kHideCreator;
    if (t == EventType::kImpression || Coin()) e.request_id = Id(kMaxIdBytes);
    if ((!creator_type && t != EventType::kHideSound) || Coin()) e.video = Id(kMaxIdBytes);
    if (creator_type || Coin(8)) e.creator = Id(kMaxIdBytes);
    if (t == EventType::kHideSound || Coin(8)) e.sound = Id(kMaxIdBytes);
    if (t == EventType::kComment || Coin(8)) e.text = Utf8(kMaxTextBytes);
    if (t == EventType::kReport || Coin(8)) e.reason = Utf8(kMaxReasonBytes);
    if (Coin(4)) e.surface = Id(kMaxSurfaceBytes);
    if (Coin(3)) e.position = static_cast<int32_t>(Number(std::numeric_limits<int32_t>::max()));
    if (Coin(3)) e.watch_ms = Number(kMaxWatchMs);
    if (Coin(3)) e.replays = static_cast<int32_t>(Number(std::numeric_limits<int32_t>::max()));
    e.completed = Coin(3);
    return e;
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool Coin(int one_in = 2) { return Uniform(1, one_in) == 1; }

  // 0, the maximum, or a value of random magnitude (so every varint length occurs).
  int64_t Number(int64_t max) {
    switch (Uniform(0, 3)) {
      case 0:
        return 0;
      case 1:
        return max;
      default:
        return Uniform(0, max) >> Uniform(0, 62);
    }
  }

  std::string Id(size_t max_bytes) {
    switch (Uniform(0, 5)) {
      case 0:
        return std::to_string(Uniform(0, std::numeric_limits<int64_t>::max()) >>
                              Uniform(0, 62));  // numeric: packed form
      case 1:
        return "0" + std::to_string(Uniform(0, 99999));  // leading zero: raw form
      case 2:
        return "9223372036854775808";  // 2^63: raw form
      case 3:
        return std::string(max_bytes, static_cast<char>(Uniform(0x21, 0x7E)));
      default: {
        std::string s(static_cast<size_t>(Uniform(1, 24)), ' ');
        for (char& c : s) c = static_cast<char>(Uniform(0x21, 0x7E));
        return s;
      }
    }
  }

  std::string Utf8(size_t max_bytes) {
    const size_t target = static_cast<size_t>(Uniform(1, static_cast<int64_t>(max_bytes)));
    std::string s;
    while (true) {
      std::string c;
      const int64_t cp = Uniform(0, 3) == 0 ? Uniform(0x20, 0x7E)
                         : Uniform(0, 1)    ? Uniform(0x80, 0xD7FF)
                                            : Uniform(0xE000, 0x10FFFF);
      if (cp < 0x80) {
        c = static_cast<char>(cp);
      } else if (cp < 0x800) {
        c = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
      } else if (cp < 0x10000) {
        c = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
             static_cast<char>(0x80 | (cp & 0x3F))};
      } else {
        c = {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
             static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
      }
      if (s.size() + c.size() > target) break;
      s += c;
    }
    return s.empty() ? "x" : s;
  }

  std::mt19937_64 rng_;
};

TEST(EventJsonTest, RandomEventsRoundTrip) {
  RandomEvents gen(7);
  for (int i = 0; i < 2000; ++i) {
    const Event e = gen.Next();
    ASSERT_TRUE(ValidateEvent(e, kNow).ok()) << i << ": " << ValidateEvent(e, kNow);
    const std::string text = EventToJson(e);
    absl::StatusOr<Event> back = FromJson(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.status();
    ASSERT_EQ(*back, e) << text;
  }
}

// ---------------------------------------------------------------------------------------------
// Binary record

TEST(EventBinaryTest, EveryTypeRoundTrips) {
  for (EventType t : AllTypes()) {
    const Event e = Typical(t);
    absl::StatusOr<Event> back = DecodeEvent(Encode(e));
    ASSERT_TRUE(back.ok()) << EventTypeName(t) << ": " << back.status();
    EXPECT_EQ(*back, e) << EventTypeName(t);
  }
}

TEST(EventBinaryTest, RandomEventsRoundTripExactly) {
  RandomEvents gen(42);
  std::string log;  // also checks that EncodeEvent appends
  std::vector<std::pair<size_t, size_t>> spans;
  std::vector<Event> events;
  for (int i = 0; i < 10000; ++i) {
    events.push_back(gen.Next());
    const size_t start = log.size();
    EncodeEvent(events.back(), &log);
    spans.emplace_back(start, log.size() - start);
  }
  for (size_t i = 0; i < events.size(); ++i) {
    absl::StatusOr<Event> back =
        DecodeEvent(std::string_view(log).substr(spans[i].first, spans[i].second));
    ASSERT_TRUE(back.ok()) << i << ": " << back.status() << " " << EventToJson(events[i]);
    ASSERT_EQ(*back, events[i]) << i << ": " << EventToJson(events[i]);
  }
}

// The example of docs/formats/events.md, byte for byte.
TEST(EventBinaryTest, DocumentedLikeRecord) {
  Event e;
  e.type = EventType::kLike;
  e.user = "8412345";
  e.time_ms = 1700000000000;
  e.request_id = "r93f2a1c07b";
  e.video = "7261849302918374912";
  const std::string want =
      "\x01\x03\x03"                               // version 1, like, presence {request_id, video}
      "\xF3\xF2\x82\x08"                           // user "8412345" (numeric)
      "\x80\xA0\xAB\xFE\xF9\x62"                   // time_ms 1700000000000 (zigzag)
      "\x16r93f2a1c07b"                            // request_id, 11 raw bytes
      "\x81\x98\xF1\x8D\xEA\xDD\xA2\xC7\xC9\x01";  // video "7261849302918374912" (numeric)
  EXPECT_EQ(Encode(e), want);
  EXPECT_EQ(want.size(), 35u);
}

// Sizes reported in docs/formats/events.md; the like stays under 40 bytes.
TEST(EventBinaryTest, TypicalSizes) {
  Event like = Typical(EventType::kLike);
  EXPECT_EQ(Encode(like).size(), 39u);  // alphanumeric ids, with request_id
  like.request_id.clear();
  EXPECT_EQ(Encode(like).size(), 27u);
  Event numeric = like;  // TikTok-style numeric ids
  numeric.user = "6812345678901234567";
  numeric.video = "7261849302918374912";
  numeric.request_id = "7301234567890123456";
  EXPECT_EQ(Encode(numeric).size(), 39u);
  EXPECT_EQ(Encode(Typical(EventType::kImpression)).size(), 47u);
  EXPECT_EQ(Encode(Typical(EventType::kPlay)).size(), 43u);
  EXPECT_EQ(Encode(Typical(EventType::kFollow)).size(), 48u);
  EXPECT_EQ(Encode(Typical(EventType::kComment)).size(), 53u);
}

struct DecodeCase {
  const char* name;
  std::string record;
  const char* message;
};

class DecodeErrorTest : public testing::TestWithParam<DecodeCase> {};

TEST_P(DecodeErrorTest, RefusedAsDataLoss) {
  absl::StatusOr<Event> e = DecodeEvent(GetParam().record);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(std::string(e.status().message()), GetParam().message);
}

// version 1, like, presence {video}, user "u1", time_ms 1700000000000 ...
const std::string kHead = std::string("\x01\x03\x02\x04u1", 6);
const std::string kTime1700 = "\x80\xA0\xAB\xFE\xF9\x62";
const std::string kGoodLike = kHead + kTime1700 + "\x04v1";

INSTANTIATE_TEST_SUITE_P(
    Errors, DecodeErrorTest,
    testing::Values(
        DecodeCase{"Empty", "", "event record: empty"},
        DecodeCase{"UnknownVersion", "\x02" + kGoodLike.substr(1),
                   "event record: unknown format version 2 (this build reads 1)"},
        DecodeCase{"VersionZero", std::string("\0", 1) + kGoodLike.substr(1),
                   "event record: unknown format version 0 (this build reads 1)"},
        DecodeCase{"OnlyVersion", "\x01", "event record: 'type' truncated"},
        DecodeCase{"UnknownType", "\x01\x0F" + kGoodLike.substr(2),
                   "event record: unknown event type 15"},
        DecodeCase{"TypeZero", std::string("\x01\x00", 2) + kGoodLike.substr(2),
                   "event record: unknown event type 0"},
        DecodeCase{"UnknownPresenceBit", std::string("\x01\x03\x82\x10\x04u1", 7) + kTime1700,
                   "event record: unknown presence bits 0x800"},
        DecodeCase{"OverlongVarint", std::string("\x01\x03\x82\x00\x04u1", 7) + kTime1700,
                   "event record: 'presence' overlong varint"},
        DecodeCase{"VarintOver64Bits",
                   kHead + std::string("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x02", 10),
                   "event record: 'time_ms' overlong varint"},
        DecodeCase{"VarintElevenBytes", kHead + std::string(10, '\xFF') + "\x01",
                   "event record: 'time_ms' overlong varint"},
        DecodeCase{"TruncatedVarint", kHead + "\x80\xD0", "event record: 'time_ms' truncated"},
        DecodeCase{"TruncatedString", kHead + kTime1700 + "\x08v1",
                   "event record: 'video' truncated (4 bytes, 2 left)"},
        DecodeCase{"MissingField", kHead + kTime1700, "event record: 'video' truncated"},
        DecodeCase{"HugeStringLength", kHead + kTime1700 + "\xFE\xFF\xFF\xFF\x0F",
                   "event record: 'video' 2147483647 bytes, over the limit of 128"},
        DecodeCase{"EmptyPresentString", kHead + kTime1700 + std::string("\x00", 1),
                   "event record: 'video' present but empty"},
        DecodeCase{"TrailingBytes", kGoodLike + "xyz", "event record: 3 trailing bytes"},
        DecodeCase{"PositionOverInt32",
                   std::string("\x01\x03\x22\x04u1", 6) + kTime1700 + "\x04v1\x80\x80\x80\x80\x10",
                   "event record: 'position' value 2147483648 out of range"},
        DecodeCase{"InvalidId", std::string("\x01\x03\x02\x06u 1", 7) + kTime1700 + "\x04v1",
                   "event record: invalid event: user: byte 1 is 0x20; ids are printable ASCII "
                   "without spaces"},
        DecodeCase{"MissingRequiredField", std::string("\x01\x03\x00\x04u1", 6) + kTime1700,
                   "event record: invalid event: video: required for like"},
        DecodeCase{"NegativeWatchMs",
                   std::string("\x01\x03\x06\x04u1", 6) + kTime1700 + "\x04v1\x09",
                   "event record: invalid event: watch_ms: must be >= 0, got -5"},
        DecodeCase{"TimeBefore2020", std::string("\x01\x03\x02\x04u1\x02\x04v1", 10),
                   "event record: invalid event: time_ms: 1 is before 2020-01-01T00:00:00Z "
                   "(1577836800000)"}),
    [](const testing::TestParamInfo<DecodeCase>& info) { return info.param.name; });

TEST(EventBinaryTest, HandBuiltRecordDecodes) {
  absl::StatusOr<Event> e = DecodeEvent(kGoodLike);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->user, "u1");
  EXPECT_EQ(e->video, "v1");
  EXPECT_EQ(e->time_ms, 1700000000000);
  EXPECT_EQ(Encode(*e), kGoodLike);
}

TEST(EventBinaryTest, RecordsFromTheFutureStillDecode) {
  // The future bound is about the clock at ingestion; a log is read later, or by a machine
  // whose clock is behind.
  Event e = Typical(EventType::kLike);
  e.time_ms = std::numeric_limits<int64_t>::max();
  absl::StatusOr<Event> back = DecodeEvent(Encode(e));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, e);
}

TEST(EventBinaryTest, EveryTruncationIsDataLoss) {
  RandomEvents gen(3);
  std::vector<Event> events;
  for (EventType t : AllTypes()) events.push_back(Typical(t));
  for (int i = 0; i < 200; ++i) events.push_back(gen.Next());
  for (const Event& e : events) {
    const std::string record = Encode(e);
    for (size_t n = 0; n < record.size(); ++n) {
      absl::StatusOr<Event> d = DecodeEvent(std::string_view(record).substr(0, n));
      ASSERT_FALSE(d.ok()) << EventToJson(e) << " cut at " << n;
      ASSERT_EQ(d.status().code(), absl::StatusCode::kDataLoss) << d.status();
    }
  }
}

// Decoding corrupted records either fails with DataLoss or yields an event that passes every
// rule (and re-encodes to a record that decodes to the same event); never a crash or a read
// outside the record (ASan run).
TEST(EventBinaryTest, RandomCorruptionNeverCrashes) {
  RandomEvents gen(11);
  std::mt19937_64& rng = gen.rng();
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string record = Encode(gen.Next());
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      const size_t at = rng() % record.size();
      if (rng() % 2) {
        record[at] = static_cast<char>(record[at] ^ (1 << (rng() % 8)));
      } else {
        record[at] = static_cast<char>(rng());
      }
    }
    // Exact copy on the heap so ASan sees any read past the end.
    std::unique_ptr<char[]> exact(new char[record.size()]);
    std::memcpy(exact.get(), record.data(), record.size());
    absl::StatusOr<Event> e = DecodeEvent(std::string_view(exact.get(), record.size()));
    if (!e.ok()) {
      ASSERT_EQ(e.status().code(), absl::StatusCode::kDataLoss) << e.status();
      continue;
    }
    ++decoded;
    ASSERT_TRUE(ValidateEvent(*e, std::numeric_limits<int64_t>::max()).ok());
    absl::StatusOr<Event> again = DecodeEvent(Encode(*e));
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(*again, *e);
  }
  EXPECT_GT(decoded, 0);  // some flips land in string bytes and still make a valid event
}

TEST(EventBinaryTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    const size_t n = rng() % 64;
    std::unique_ptr<char[]> bytes(new char[n + 1]);
    for (size_t k = 0; k < n; ++k) bytes[k] = static_cast<char>(rng());
    if (n > 0) bytes[0] = 1;  // get past the version byte
    if (n > 1) bytes[1] = static_cast<char>(1 + rng() % kNumEventTypes);
    absl::StatusOr<Event> e = DecodeEvent(std::string_view(bytes.get(), n));
    if (e.ok()) {
      ASSERT_TRUE(ValidateEvent(*e, std::numeric_limits<int64_t>::max()).ok());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Batches

std::string Like(int i) {
  return absl::StrCat(R"({"type":"like","user":"u)", i, R"(","time_ms":1700000000000,"video":"v)",
                      i, R"("})");
}

TEST(EventBatchTest, GoodEventsSurviveBadOnes) {
  const std::string body = absl::StrCat(
      R"({"events":[)", Like(0), ",",                                 // 0 ok
      R"({"type":"like","user":"u1","time_ms":1700000000000})", ",",  // 1 no video
      Like(2), ",",                                                   // 2 ok
      R"("not an object")", ",",                                      // 3
      R"({"type":"zap","user":"u4","time_ms":1700000000000})", ",",   // 4 bad type
      R"({"type":"like","user":"u5","time_ms":1700000000000,"video":"v5","x":1})", ",",  // 5
      Like(6), "]}");
  absl::StatusOr<BatchParseResult> r = ParseEventBatch(body, kNow);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->accepted.size(), 3u);
  EXPECT_EQ(r->accepted[0].user, "u0");
  EXPECT_EQ(r->accepted[1].user, "u2");
  EXPECT_EQ(r->accepted[2].user, "u6");
  using Rejected = std::vector<std::pair<int, std::string>>;
  EXPECT_EQ(r->rejected, (Rejected{{1, "video: required for like"},
                                   {3, "event: must be a JSON object"},
                                   {4, "type: unknown event type 'zap'"},
                                   {5, "x: unknown field"}}));
}

TEST(EventBatchTest, BareArrayAndEmptyBatchAreAccepted) {
  absl::StatusOr<BatchParseResult> r =
      ParseEventBatch(absl::StrCat("[", Like(0), ",", Like(1), "]"), kNow);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted.size(), 2u);
  EXPECT_TRUE(r->rejected.empty());
  for (const char* empty : {"[]", R"({"events":[]})", " \n[ ]\n"}) {
    r = ParseEventBatch(empty, kNow);
    ASSERT_TRUE(r.ok()) << empty;
    EXPECT_TRUE(r->accepted.empty() && r->rejected.empty());
  }
}

TEST(EventBatchTest, OversizeBodyIsRefused) {
  const std::string body = absl::StrCat("[", Like(0), "]");
  absl::StatusOr<BatchParseResult> r = ParseEventBatch(body, kNow, body.size());
  EXPECT_TRUE(r.ok());
  r = ParseEventBatch(body, kNow, body.size() - 1);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(std::string(r.status().message()),
            absl::StrCat("body: ", body.size(), " bytes is over the limit of ", body.size() - 1,
                         " bytes"));
}

TEST(EventBatchTest, TooManyEventsAreRefused) {
  std::string body = "[";
  for (int i = 0; i < 11; ++i) absl::StrAppend(&body, i ? "," : "", Like(i));
  body += "]";
  EXPECT_TRUE(ParseEventBatch(body, kNow, 1 << 20, 11).ok());
  absl::StatusOr<BatchParseResult> r = ParseEventBatch(body, kNow, 1 << 20, 10);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(std::string(r.status().message()),
            "events: 11 events is over the limit of 10 per request");
  // The default limit, through the object form.
  std::string big = R"({"events":[)";
  for (int i = 0; i < 10001; ++i) absl::StrAppend(&big, i ? "," : "", "{}");
  big += "]}";
  r = ParseEventBatch(big, kNow);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
}

TEST(EventBatchTest, UnusableBodiesAreRefused) {
  struct Case {
    std::string body;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"", "body: not valid JSON (error at byte 1)"},
           {"{\"events\": [", "body: not valid JSON (error at byte 13)"},
           {"[{\"type\":\"like\"},]", "body: not valid JSON (error at byte 18)"},
           {"\x89PNG\r\n", "body: not valid JSON (error at byte 1)"},
           {"[\"\xFF\"]", "body: not valid JSON (error at byte 3)"},  // invalid UTF-8
           {"[1e400]", "body: not valid JSON (a number is out of range)"},
           {R"([{"type":"like","time_ms":-1e999}])",
            "body: not valid JSON (a number is out of range)"},
           {"42", "body: must be a JSON object {\"events\": [...]} or a JSON array"},
           {"\"events\"", "body: must be a JSON object {\"events\": [...]} or a JSON array"},
           {"{}", "events: required"},
           {R"({"events":{"type":"like"}})", "events: must be an array"},
           {R"({"events":[],"user":"u1"})", "user: unknown field"},
       }) {
    absl::StatusOr<BatchParseResult> r = ParseEventBatch(c.body, kNow);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_EQ(std::string(r.status().message()), c.message) << c.body;
  }
}

TEST(EventBatchTest, DeepNestingIsRejectedWithoutCrashing) {
  const size_t depth = 400000;  // within the 1 MiB default body limit
  const std::string body = "[" + std::string(depth, '[') + std::string(depth, ']') + "]";
  absl::StatusOr<BatchParseResult> r = ParseEventBatch(body, kNow);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->rejected.size(), 1u);
  EXPECT_EQ(r->rejected[0].second, "event: must be a JSON object");
}

}  // namespace
}  // namespace foryou::stream
