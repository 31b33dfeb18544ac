// Event binary record (docs/formats/events.md): round trips, the documented bytes and sizes,
// every decode error as DataLoss, and no crash on any truncation, corruption or random bytes.
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "stream/event.h"
#include "stream/event_test_util.h"

namespace foryou::stream {
namespace {

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
        DecodeCase{"UnknownType", "\x01\x10" + kGoodLike.substr(2),
                   "event record: unknown event type 16"},
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

}  // namespace
}  // namespace foryou::stream
