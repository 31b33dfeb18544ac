#include "media/graph_spec.h"

#include "gtest/gtest.h"
#include "media/effects.h"

namespace foryou::media {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

GraphInputs Clip() {
  GraphInputs in;
  in.width = 320;
  in.height = 240;
  in.duration_ms = 4000;
  in.has_audio = true;
  return in;
}

TEST(GraphSpecTest, PlainClipSplitsIntoTwoRenditions) {
  absl::StatusOr<GraphSpec> g = BuildGraphSpec(Clip());
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_THAT(g->description, HasSubstr("split=2[s720][s360]"));
  EXPECT_THAT(g->description, HasSubstr("scale=-2:720"));
  EXPECT_THAT(g->description, HasSubstr("scale=-2:360"));
  EXPECT_TRUE(g->uses_main_audio);
  EXPECT_TRUE(g->has_audio);
  EXPECT_FALSE(g->uses_second_video);
  EXPECT_EQ(g->duration_ms, 4000);
}

TEST(GraphSpecTest, ClipWithoutAudioHasNoAudioOutput) {
  GraphInputs in = Clip();
  in.has_audio = false;
  absl::StatusOr<GraphSpec> g = BuildGraphSpec(in);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->has_audio);
  EXPECT_THAT(g->description, Not(HasSubstr("[oa]")));
}

TEST(GraphSpecTest, SpeedEffectChangesDurationAndAudio) {
  GraphInputs in = Clip();
  in.effect = FindEffect("slowmo");
  ASSERT_NE(in.effect, nullptr);
  absl::StatusOr<GraphSpec> g = BuildGraphSpec(in);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->duration_ms, 8000);
  EXPECT_THAT(g->description, HasSubstr("atempo=0.5"));
  EXPECT_THAT(g->description, HasSubstr("setpts=2.0*PTS"));
}

TEST(GraphSpecTest, SoundReplacesTheClipsAudio) {
  GraphInputs in = Clip();
  in.composition = Composition::kSound;
  in.second_has_audio = true;
  in.second_sample_rate = 48000;
  absl::StatusOr<GraphSpec> g = BuildGraphSpec(in);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->uses_main_audio);
  EXPECT_TRUE(g->uses_second_audio);
  EXPECT_THAT(g->description, HasSubstr("aloop=loop=-1"));
  in.second_has_audio = false;
  EXPECT_EQ(BuildGraphSpec(in).status().message(), "sound input has no audio");
}

TEST(GraphSpecTest, DuetLastsTheShorterInput) {
  GraphInputs in = Clip();
  in.composition = Composition::kDuet;
  in.second_has_video = true;
  in.second_duration_ms = 3000;
  absl::StatusOr<GraphSpec> g = BuildGraphSpec(in);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->duration_ms, 3000);
  EXPECT_THAT(g->description, HasSubstr("[vl][vr]hstack"));
}

TEST(GraphSpecTest, StitchTakesAtMostFiveSecondsOfTheOriginal) {
  GraphInputs in = Clip();
  in.composition = Composition::kStitch;
  in.second_has_video = true;
  in.second_duration_ms = 9000;
  absl::StatusOr<GraphSpec> g = BuildGraphSpec(in);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->duration_ms, 9000);  // 5 s of the original + the 4 s clip
  // The original has no audio: silence stands in for it.
  EXPECT_THAT(g->description, HasSubstr("anullsrc"));
  EXPECT_THAT(g->description, HasSubstr("concat=n=2:v=1:a=1"));
}

TEST(GraphSpecTest, EveryEffectHasANameTitleAndFilter) {
  ASSERT_GE(Effects().size(), 4u);
  for (const Effect& e : Effects()) {
    EXPECT_FALSE(e.name.empty());
    EXPECT_FALSE(e.title.empty());
    EXPECT_FALSE(e.video_filter.empty());
    EXPECT_EQ(FindEffect(e.name), &e);
  }
  EXPECT_EQ(FindEffect("sepia-deluxe"), nullptr);
}

}  // namespace
}  // namespace foryou::media
