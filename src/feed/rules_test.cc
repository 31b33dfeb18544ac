// The per-candidate feed rules: attribute keys and source names, moderation, eligibility (each
// rule counted once, in order) and the not-interested penalties.
#include "feed/rules.h"

#include <random>
#include <string>
#include <vector>

#include "feed/rules_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "xxhash.h"

namespace foryou::feed {
namespace {

using catalog::Moderation;
using ::testing::IsEmpty;

// ---------------------------------------------------------------------------------------------
// candidate.h

TEST(CandidateTest, SourceNames) {
  EXPECT_EQ(SourceName(Source::kTrending), "trending");
  EXPECT_EQ(SourceName(Source::kFresh), "fresh");
  EXPECT_EQ(SourceName(Source::kFollowing), "following");
  EXPECT_EQ(SourceName(Source::kSimilar), "similar");
  EXPECT_EQ(SourceName(Source::kSameSound), "same_sound");
  EXPECT_EQ(SourceName(Source::kSameHashtag), "same_hashtag");
  EXPECT_EQ(SourceName(Source::kExplore), "explore");
}

TEST(CandidateTest, AttributeKeyIsXxh3AndZeroOnlyForEmpty) {
  EXPECT_EQ(AttributeKey(""), 0u);
  EXPECT_EQ(AttributeKey("dance"), XXH3_64bits("dance", 5));
  EXPECT_NE(AttributeKey("dance"), AttributeKey("Dance"));
  EXPECT_NE(AttributeKey("a"), 0u);
}

// ---------------------------------------------------------------------------------------------
// Eligibility

TEST(ModerationTest, ApprovedAlwaysLimitedOnlyFromFreshPool) {
  World w;
  auto with = [&](Moderation m, uint32_t sources) {
    return ModerationAllows(w.Make({.sources = sources, .moderation = m}));
  };
  const uint32_t fresh = SourceBit(Source::kFresh);
  const uint32_t trending = SourceBit(Source::kTrending);
  EXPECT_TRUE(with(Moderation::kApproved, trending));
  EXPECT_TRUE(with(Moderation::kApproved, 0));
  EXPECT_FALSE(with(Moderation::kLimited, trending));
  EXPECT_FALSE(with(Moderation::kLimited, SourceBit(Source::kExplore)));
  EXPECT_TRUE(with(Moderation::kLimited, fresh));
  EXPECT_TRUE(with(Moderation::kLimited, fresh | trending));
  EXPECT_FALSE(with(Moderation::kPending, fresh));
  EXPECT_FALSE(with(Moderation::kRemoved, fresh | trending));
  EXPECT_FALSE(ModerationAllows(Candidate{}));  // no video
}

TEST(EligibleTest, EachReasonIsCountedInItsCounter) {
  World w;
  UserFilters f;
  f.hidden_creators.insert(AttributeKey("hidden"));
  f.hidden_sounds.insert(AttributeKey("banned_song"));
  f.hashtag_filters.insert(AttributeKey("spiders"));
  f.keywords.push_back("spoiler");
  const Candidate ok =
      w.Make({.creator = "a", .sound = "s", .category = "cats", .caption = "just a cat"});
  const Candidate seen_one = w.Make({.creator = "a"});
  SeenSet seen = {seen_one.video_key};

  RuleStats st;
  EXPECT_TRUE(Eligible(ok, f, seen, &st));
  EXPECT_FALSE(Eligible(w.Make({.moderation = Moderation::kPending}), f, seen, &st));
  EXPECT_FALSE(Eligible(seen_one, f, seen, &st));
  EXPECT_FALSE(Eligible(w.Make({.creator = "hidden"}), f, seen, &st));
  EXPECT_FALSE(Eligible(w.Make({.sound = "banned_song"}), f, seen, &st));
  EXPECT_FALSE(Eligible(w.Make({.category = "pets", .more_hashtags = {"spiders"}}), f, seen, &st));
  EXPECT_FALSE(Eligible(w.Make({.caption = "huge spoiler ahead"}), f, seen, &st));
  EXPECT_EQ(st.moderation, 1u);
  EXPECT_EQ(st.seen, 1u);
  EXPECT_EQ(st.hidden_creator, 1u);
  EXPECT_EQ(st.hidden_sound, 1u);
  EXPECT_EQ(st.keyword, 2u);  // hashtag filter and keyword share the counter
  EXPECT_TRUE(Eligible(ok, f, seen, nullptr));
}

TEST(EligibleTest, OnlyTheFirstFailingRuleIsCounted) {
  World w;
  UserFilters f;
  f.hidden_creators.insert(AttributeKey("hidden"));
  f.keywords.push_back("x");
  const Candidate c =
      w.Make({.creator = "hidden", .moderation = Moderation::kRemoved, .caption = "x"});
  const Candidate d = w.Make({.creator = "hidden", .caption = "x"});
  SeenSet seen = {c.video_key, d.video_key};
  RuleStats st;
  EXPECT_FALSE(Eligible(c, f, seen, &st));
  EXPECT_FALSE(Eligible(d, f, seen, &st));
  EXPECT_EQ(st.moderation, 1u);
  EXPECT_EQ(st.seen, 1u);
  EXPECT_EQ(st.hidden_creator + st.keyword, 0u);
}

TEST(EligibleTest, OriginalSoundIsNeverHidden) {
  World w;
  UserFilters f;
  f.hidden_sounds.insert(0);  // e.g. built from an empty string
  f.hidden_creators.insert(0);
  EXPECT_TRUE(Eligible(w.Make({.creator = "a", .sound = ""}), f, kNoneSeen, nullptr));
  f.hidden_sounds.insert(AttributeKey("s"));
  EXPECT_FALSE(Eligible(w.Make({.creator = "a", .sound = "s"}), f, kNoneSeen, nullptr));
}

TEST(EligibleTest, KeywordIsCaseInsensitiveAsciiAndBytesForUtf8) {
  World w;
  UserFilters f;
  f.keywords = {"cats", "café"};
  auto ok = [&](const std::string& caption) {
    return Eligible(w.Make({.caption = caption}), f, kNoneSeen, nullptr);
  };
  EXPECT_FALSE(ok("I love CATS"));
  EXPECT_FALSE(ok("bobcatsss"));  // substring, not word
  EXPECT_FALSE(ok("CAFé time"));  // ASCII letters folded, the UTF-8 bytes of é equal
  EXPECT_TRUE(ok("CAFÉ time"));   // É is not é byte for byte: no Unicode folding
  EXPECT_TRUE(ok("a cat"));
  EXPECT_TRUE(ok(""));
  f.keywords = {"DOGS", ""};  // not lower-case as promised; an empty keyword filters nothing
  EXPECT_FALSE(ok("dogs!"));
  EXPECT_TRUE(ok("cats!"));
}

// ---------------------------------------------------------------------------------------------
// Not interested

TEST(NotInterestedTest, PenalisesCreatorSoundAndHashtagsThenResorts) {
  World w;
  std::vector<Candidate> c = {
      w.Make({.creator = "bad", .score = 10}),               // -2*2 = 6
      w.Make({.creator = "a", .sound = "meh", .score = 9}),  // -1 = 8
      w.Make({.creator = "b", .category = "x", .score = 8, .more_hashtags = {"y", "x"}}),  // 6.5
      w.Make({.creator = "c", .score = 7}),                 // untouched
      w.Make({.creator = "d", .score = 7}),                 // ties keep order
      w.Make({.creator = "e", .sound = "", .score = 6.5}),  // original sound
  };
  NotInterested sig;
  sig.creators[AttributeKey("bad")] = 2;
  sig.sounds[AttributeKey("meh")] = 1;
  sig.sounds[0] = 5;  // "not interested" in an original-sound video is not about sound 0
  sig.hashtags[AttributeKey("x")] = 1;
  sig.hashtags[AttributeKey("y")] = 2;
  RuleOptions o;  // 2, 1, 0.5
  RuleStats st;
  ApplyNotInterested(sig, o, &c, &st);
  EXPECT_EQ(Creators(c), "acdbebad");
  EXPECT_FLOAT_EQ(c[0].score, 8);
  EXPECT_FLOAT_EQ(c[0].penalty, 1);
  EXPECT_FLOAT_EQ(c[3].penalty, 1.5);  // x counted once though listed twice, y twice
  EXPECT_FLOAT_EQ(c[3].score, 6.5);
  EXPECT_FLOAT_EQ(c[5].penalty, 4);
  EXPECT_FLOAT_EQ(c[5].score, 6);
  EXPECT_EQ(c[4].penalty, 0);
  EXPECT_EQ(st.not_interested, 3u);
}

TEST(NotInterestedTest, TiesKeepTheirRankOrder) {
  World w;
  std::vector<Candidate> c;
  for (int i = 0; i < 200; ++i) {  // large enough that an unstable sort would reorder
    c.push_back(w.Make({.creator = i % 3 == 0 ? "bad" : "ok", .score = i % 2 == 0 ? 5.0f : 3.0f}));
  }
  std::vector<std::string> before = Ids(c);
  NotInterested sig;
  sig.creators[AttributeKey("bad")] = 1;  // 5 - 2 = 3 ties with the 3s; 3 - 2 = 1
  ApplyNotInterested(sig, RuleOptions{}, &c, nullptr);
  auto score = [](int i) { return (i % 2 == 0 ? 5 : 3) - (i % 3 == 0 ? 2 : 0); };
  std::vector<std::string> expected;
  for (int want : {5, 3, 1}) {
    for (int i = 0; i < 200; ++i) {
      if (score(i) == want) expected.push_back(before[i]);
    }
  }
  EXPECT_EQ(Ids(c), expected);
}

TEST(NotInterestedTest, ScoreIsRecomputedFromValueNotAccumulated) {
  World w;
  std::vector<Candidate> c = {w.Make({.creator = "bad", .score = 10})};
  NotInterested sig;
  sig.creators[AttributeKey("bad")] = 1;
  ApplyNotInterested(sig, RuleOptions{}, &c, nullptr);
  ApplyNotInterested(sig, RuleOptions{}, &c, nullptr);
  EXPECT_FLOAT_EQ(c[0].score, 8);
}

}  // namespace
}  // namespace foryou::feed
