#include "feed/request_id.h"

#include <gtest/gtest.h>

namespace foryou::feed {
namespace {

TEST(RequestIdTest, OwnIdsAreRecognisedAndOthersAreNot) {
  for (uint64_t n : {1ull, 2ull, 42ull, 1ull << 40}) {
    const std::string id = MakeRequestId(7, n);
    EXPECT_EQ(id[0], 'r');
    EXPECT_TRUE(IsOwnRequestId(id, 7)) << id;
    EXPECT_FALSE(IsOwnRequestId(id, 8)) << id;  // another feed's (another seed)
  }
  EXPECT_NE(MakeRequestId(7, 1), MakeRequestId(7, 2));
  std::string tampered = MakeRequestId(7, 5);
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  for (const std::string& id : {std::string(), std::string("k1834"), std::string("r"),
                                std::string("r5-"), std::string("r-5"), std::string("r0-0"),
                                std::string("rzz-1"), MakeRequestId(7, 5) + "0", tampered,
                                std::string(" ") + MakeRequestId(7, 5)}) {
    EXPECT_FALSE(IsOwnRequestId(id, 7)) << id;
  }
}

}  // namespace
}  // namespace foryou::feed
