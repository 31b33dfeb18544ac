// Event schema: type names and their on-disk numbers, every validation rule (an InvalidArgument
// naming the field), and batches of events as the API receives them (good events survive bad ones).
#include "stream/event.h"

#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "stream/event_test_util.h"

namespace foryou::stream {
namespace {

// ---------------------------------------------------------------------------------------------
// Types

TEST(EventTypeTest, NamesRoundTripAndValuesAreStable) {
  for (EventType t : AllTypes()) {
    ASSERT_EQ(ParseEventType(EventTypeName(t)), t) << EventTypeName(t);
  }
  // These numbers are on disk and these names on the wire (docs/formats/events.md): changing
  // one breaks every log written before, or every client.
  const std::vector<std::pair<EventType, std::string>> kOnDisk = {
      {EventType::kImpression, "impression"},
      {EventType::kPlay, "play"},
      {EventType::kLike, "like"},
      {EventType::kUnlike, "unlike"},
      {EventType::kShare, "share"},
      {EventType::kComment, "comment"},
      {EventType::kFollow, "follow"},
      {EventType::kUnfollow, "unfollow"},
      {EventType::kFavorite, "favorite"},
      {EventType::kNotInterested, "not_interested"},
      {EventType::kReport, "report"},
      {EventType::kHideCreator, "hide_creator"},
      {EventType::kHideSound, "hide_sound"},
      {EventType::kSkip, "skip"},
      {EventType::kAdClick, "ad_click"}};
  ASSERT_EQ(kOnDisk.size(), static_cast<size_t>(kNumEventTypes));
  for (size_t i = 0; i < kOnDisk.size(); ++i) {
    EXPECT_EQ(static_cast<int>(kOnDisk[i].first), static_cast<int>(i) + 1) << kOnDisk[i].second;
    EXPECT_EQ(EventTypeName(kOnDisk[i].first), kOnDisk[i].second);
  }
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
                       [](Event& e) { e.type = static_cast<EventType>(16); },
                       "type: unknown event type 16"},
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
