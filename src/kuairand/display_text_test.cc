// The generated display text of KuaiRand's ids: readable topic names, creator and sound names
// and captions that are deterministic, carry their "generated" mark and read as text.
#include "kuairand/display_text.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace foryou::kuairand {
namespace {

TEST(DisplayTextTest, TopicNamesAreReadable) {
  EXPECT_EQ(KuaiRandTopicName("topic39"), "Topic 39");
  EXPECT_EQ(KuaiRandTopicName("topic7"), "Topic 7");
  EXPECT_EQ(KuaiRandTopicName(""), "Untagged");
  // Anything that is not a KuaiRand topic stays as it is.
  EXPECT_EQ(KuaiRandTopicName("dance"), "dance");
  EXPECT_EQ(KuaiRandTopicName("topic"), "topic");
  EXPECT_EQ(KuaiRandTopicName("topicx1"), "topicx1");
}

TEST(DisplayTextTest, CreatorNamesAreDeterministicAndMarked) {
  EXPECT_EQ(GeneratedCreatorName(7349781), GeneratedCreatorName(7349781));
  std::set<std::string> names;
  for (uint64_t id = 0; id < 1000; ++id) {
    const std::string name = GeneratedCreatorName(id);
    ASSERT_TRUE(name.ends_with(kGeneratedNameMark)) << name;
    // Two capitalised words before the mark, no digits: a name, not an id.
    const std::string words = name.substr(0, name.size() - kGeneratedNameMark.size());
    ASSERT_EQ(std::count(words.begin(), words.end(), ' '), 1) << name;
    ASSERT_TRUE(std::none_of(words.begin(), words.end(), ::isdigit)) << name;
    names.insert(name);
  }
  EXPECT_GT(names.size(), 800u);  // 4,096 pairs: about 887 distinct expected
}

TEST(DisplayTextTest, NamesDoNotDependOnTheHashOfTheLibrary) {
  // Fixed values: the same id gives the same name on every machine and every import; a change
  // of word list or hash shows here (and would rename every demo creator of a re-import).
  EXPECT_EQ(GeneratedCreatorName(0), "Fern Lynx (generated name)");
  EXPECT_EQ(GeneratedSoundTitle(0), "Hollow Rivers (generated title)");
}

TEST(DisplayTextTest, SoundTitlesAreDeterministicAndMarked) {
  EXPECT_EQ(GeneratedSoundTitle(9155697141), GeneratedSoundTitle(9155697141));
  EXPECT_NE(GeneratedSoundTitle(9155697141), GeneratedSoundTitle(6355810746));
  std::set<std::string> titles;
  for (uint64_t id = 5000000000; id < 5000001000; ++id) {
    const std::string title = GeneratedSoundTitle(id);
    ASSERT_TRUE(title.ends_with(kGeneratedTitleMark)) << title;
    titles.insert(title);
  }
  EXPECT_GT(titles.size(), 800u);
}

TEST(DisplayTextTest, CaptionsAreBuiltFromTheData) {
  EXPECT_EQ(GeneratedCaption({"topic39", "topic68"}, 87433, 20220410),
            "Topic 39 (also Topic 68) · 1:27 · posted 10 Apr 2022"
            " (generated caption; KuaiRand has no text)");
  EXPECT_EQ(GeneratedCaption({"topic3"}, 218066, 20221231),
            "Topic 3 · 3:38 · posted 31 Dec 2022 (generated caption; KuaiRand has no text)");
  // Unknown fields are said so or left out, never invented.
  EXPECT_EQ(GeneratedCaption({}, 0, 0),
            "Untagged · length not given (generated caption; KuaiRand has no text)");
  EXPECT_EQ(GeneratedCaption({"topic1"}, 9600, 20221301),  // month 13: no date
            "Topic 1 · 0:10 (generated caption; KuaiRand has no text)");
  const std::string caption = GeneratedCaption({"topic17"}, 15000, 20220401);
  EXPECT_TRUE(caption.ends_with(kGeneratedCaptionMark));
  EXPECT_FALSE(absl::StrContains(caption, "tag")) << caption;  // no raw ids
}

}  // namespace
}  // namespace foryou::kuairand
