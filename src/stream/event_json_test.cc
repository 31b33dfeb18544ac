// Event JSON form: every type and random events round-trip exactly, the output is compact and in
// schema order, documented examples parse, and each malformed field is refused by name.
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "stream/event.h"
#include "stream/event_test_util.h"

namespace foryou::stream {
namespace {

using nlohmann::json;

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
        R"("watch_ms":840})",
        R"({"type":"ad_click","user":"u8412345","time_ms":1700000025000,)"
        R"("request_id":"r93f2a1c07b","video":"v5550125","position":4})"}) {
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
        JsonCase{"AdClickWithoutPosition",
                 R"({"type":"ad_click","user":"u1","time_ms":1700000000000,)"
                 R"("request_id":"r1","video":"v1"})",
                 "position: required for ad_click"},
        JsonCase{"AdClickWithoutRequestId",
                 R"({"type":"ad_click","user":"u1","time_ms":1700000000000,)"
                 R"("video":"v1","position":4})",
                 "request_id: required for ad_click"},
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

}  // namespace
}  // namespace foryou::stream
