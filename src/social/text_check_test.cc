#include "social/text_check.h"

#include "gtest/gtest.h"

namespace foryou::social {
namespace {

TEST(CheckCommentText, RefusesBannedTermsThroughDisguises) {
  EXPECT_TRUE(CheckCommentText("nice dance").ok());
  for (const char* text : {"free followers here", "FREE FOLLOWERS", "F.r.e.e f-o-l-l-o-w-e-r-s",
                           "fr\u200Bee followers", "frée föllowers", "clickmylink"}) {
    absl::Status st = CheckCommentText(text);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_NE(st.message().find("banned term"), std::string_view::npos) << text;
  }
  EXPECT_EQ(CheckCommentText("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckCommentText("bad \xFF byte").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace foryou::social
