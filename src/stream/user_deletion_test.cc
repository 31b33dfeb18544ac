// The deletion marker record: round trip, refusal of damaged records, and that event readers
// never take it for an event.
#include "stream/user_deletion.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stream/event.h"

namespace foryou::stream {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(UserDeletionTest, RoundTrips) {
  const UserDeletion d{.user = "u8412345", .epochs = 300, .time_ms = 1700000000000};
  std::string rec;
  EncodeUserDeletion(d, &rec);
  ASSERT_TRUE(IsUserDeletionRecord(rec));
  absl::StatusOr<UserDeletion> back = DecodeUserDeletion(rec);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->user, d.user);
  EXPECT_EQ(back->epochs, 300u);
  EXPECT_EQ(back->time_ms, d.time_ms);
}

TEST(UserDeletionTest, DocumentedBytes) {
  std::string rec;
  EncodeUserDeletion({.user = "u42", .epochs = 2, .time_ms = 1700000000000}, &rec);
  EXPECT_EQ(rec, std::string("\xd1\x02\x80\xa0\xab\xfe\xf9\x62u42", 11));
}

TEST(UserDeletionTest, EventReadersRefuseIt) {
  std::string rec;
  EncodeUserDeletion({.user = "u1", .epochs = 0, .time_ms = 1700000000000}, &rec);
  absl::StatusOr<Event> e = DecodeEvent(rec);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(absl::IsDataLoss(e.status()));
  std::string event_record;
  Event like;
  like.type = EventType::kLike;
  like.user = "u1";
  like.video = "v1";
  like.time_ms = 1700000000000;
  EncodeEvent(like, &event_record);
  EXPECT_FALSE(IsUserDeletionRecord(event_record));
  EXPECT_FALSE(DecodeUserDeletion(event_record).ok());
}

TEST(UserDeletionTest, RefusesEveryTruncationAndBadIds) {
  std::string rec;
  EncodeUserDeletion({.user = "u42", .epochs = 1000, .time_ms = 1700000000000}, &rec);
  const size_t header = rec.size() - 3;
  for (size_t n = 0; n <= header; ++n) {
    absl::StatusOr<UserDeletion> d = DecodeUserDeletion(rec.substr(0, n));
    ASSERT_FALSE(d.ok()) << n;
    EXPECT_THAT(d.status().message(), HasSubstr("deletion record: ")) << n;
  }
  std::string spaced = rec.substr(0, header) + "u 4";
  EXPECT_THAT(DecodeUserDeletion(spaced).status().message(), HasSubstr("'user' byte 1"));
  std::string longer = rec.substr(0, header) + std::string(129, 'x');
  EXPECT_THAT(DecodeUserDeletion(longer).status().message(), HasSubstr("1..128 bytes"));
  std::string overlong = std::string("\xd1\x80\x00", 3) + rec.substr(2);
  EXPECT_FALSE(DecodeUserDeletion(overlong).ok());
}

TEST(UserDeletionTest, CoversTheUserAndTheirModelIdentitiesOnly) {
  const UserDeletion d{.user = "u4", .epochs = 2, .time_ms = 0};
  EXPECT_THAT(d.ModelIdentities(), ElementsAre("u4", "u4#1", "u4#2"));
  EXPECT_TRUE(d.Covers("u4"));
  EXPECT_TRUE(d.Covers("u4#7"));
  EXPECT_FALSE(d.Covers("u42"));
  EXPECT_FALSE(d.Covers("u"));
  EXPECT_FALSE(d.Covers("u4x#1"));
}

}  // namespace
}  // namespace foryou::stream
