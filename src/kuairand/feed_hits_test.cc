// The feed-hits harness refuses bad arguments before it runs anything.
#include "kuairand/feed_hits.h"

#include <filesystem>
#include <sstream>

#include "gtest/gtest.h"

namespace foryou::kuairand {
namespace {

TEST(FeedHitsTest, AnUnwritablePartsFileIsRefusedBeforeAnythingRuns) {
  kuairand::ReplayOptions o;
  o.eval = "/nonexistent/eval.csv";  // never opened: the parts file is checked first
  o.videos = "/nonexistent/videos.csv";
  std::ostringstream progress;
  const std::string parts = "/nonexistent-dir-foryou/parts.txt";
  absl::StatusOr<FeedHitsResult> r =
      RunFeedHits(o, 10, 50, feed::FeedOptions{}, ::testing::TempDir(), progress, parts);
  ASSERT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("feed-hits-parts: cannot write"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(parts));
  EXPECT_TRUE(progress.str().empty());
}

}  // namespace
}  // namespace foryou::kuairand
