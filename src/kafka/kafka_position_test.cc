#include "kafka/kafka_position.h"

#include <gtest/gtest.h>

namespace foryou::kafka {
namespace {

TEST(KafkaPositionTest, EncodeDecodeRoundTrip) {
  KafkaPosition p;
  p.Set(0, 17);
  p.Set(3, 1ll << 40);  // partitions 1 and 2 stay unset
  ASSERT_EQ(p.next.size(), 4u);
  EXPECT_EQ(p.Next(1), KafkaPosition::kUnset);
  EXPECT_EQ(p.Next(9), KafkaPosition::kUnset);
  absl::StatusOr<KafkaPosition> back = DecodeKafkaPosition(EncodeKafkaPosition(p));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, p);
  EXPECT_EQ(EncodeKafkaPosition(p).size(), 5u + 4 * 8);
}

TEST(KafkaPositionTest, DecodeRefusesDamage) {
  KafkaPosition p;
  p.Set(1, 5);
  const std::string good = EncodeKafkaPosition(p);
  EXPECT_TRUE(absl::IsDataLoss(DecodeKafkaPosition("").status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeKafkaPosition(good.substr(0, good.size() - 1)).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeKafkaPosition(good + "x").status()));
  std::string bad_version = good;
  bad_version[0] = 2;
  EXPECT_TRUE(absl::IsDataLoss(DecodeKafkaPosition(bad_version).status()));
  std::string negative = good;
  negative[5 + 8 + 7] = static_cast<char>(0x80);  // partition 1's offset: a large negative
  absl::Status s = DecodeKafkaPosition(negative).status();
  EXPECT_TRUE(absl::IsDataLoss(s));
  EXPECT_NE(s.message().find("partition 1"), std::string::npos) << s;
  std::string huge = good;
  huge[1] = huge[2] = huge[3] = huge[4] = static_cast<char>(0xff);
  EXPECT_TRUE(absl::IsDataLoss(DecodeKafkaPosition(huge).status()));
}

TEST(KafkaPositionTest, Covers) {
  KafkaPosition a, b;
  a.Set(0, 5);
  a.Set(1, 3);
  b.Set(0, 5);
  EXPECT_TRUE(a.Covers(b));
  EXPECT_FALSE(b.Covers(a));  // partition 1: unset (0) < 3
  b.Set(1, 3);
  EXPECT_TRUE(b.Covers(a));
  b.Set(2, 0);
  EXPECT_TRUE(a.Covers(b));  // an empty partition is covered by unset
}

}  // namespace
}  // namespace foryou::kafka
