#include "common/text_fold.h"

#include "gtest/gtest.h"

namespace foryou::common {
namespace {

TEST(FoldForMatch, RemovesWhatIsInsertedBetweenLetters) {
  EXPECT_EQ(FoldForMatch("B.a.n-n e d"), "banned");
  EXPECT_EQ(FoldForMatch("ba\u200Bnned"), "banned");          // zero-width space
  EXPECT_EQ(FoldForMatch("b\u00ADa\u2060n\uFEFFned"), "banned");  // soft hyphen, joiners, BOM
  EXPECT_EQ(FoldForMatch("b\u00A0a\u3000nned!!"), "banned");   // NBSP, ideographic space
}

TEST(FoldForMatch, FoldsAccentsCaseAndFullwidth) {
  EXPECT_EQ(FoldForMatch("BÄNNED"), "banned");
  EXPECT_EQ(FoldForMatch("ba\u0308nned"), "banned");  // a + combining diaeresis (NFD input)
  EXPECT_EQ(FoldForMatch("Straße Œuvre Łódź"), "strasseoeuvrelodz");
  EXPECT_EQ(FoldForMatch("\uFF22\uFF41\uFF4E"), "ban");  // fullwidth B a n
  EXPECT_EQ(FoldForMatch("猫 cats"), "猫cats");          // other scripts kept
}

TEST(FoldForMatch, LeetDigitsOnlyWhenAsked) {
  EXPECT_EQ(FoldForMatch("b4nn3d"), "b4nn3d");
  EXPECT_EQ(FoldForMatch("b4nn3d", {.leet = true}), "banned");
  EXPECT_EQ(FoldForMatch("$p@m 101", {.leet = true}), "spamioi");
}

TEST(FoldForMatch, DropsMalformedBytes) {
  EXPECT_EQ(FoldForMatch("ba\xFFnn\xC3"), "bann");
  EXPECT_EQ(FoldForMatch("\xE2\x80"), "");
}

TEST(TermMatcher, FindsFoldedTermsAndNamesThemAsGiven) {
  TermMatcher m({"Banned", "free followers"});
  EXPECT_EQ(m.FindIn("so B.a.n-n e d here"), "Banned");
  EXPECT_EQ(m.FindIn("BÄNNED"), "Banned");
  EXPECT_EQ(m.FindIn("ba\u200Bnned"), "Banned");
  EXPECT_EQ(m.FindIn("get FREE-followers now"), "free followers");
  EXPECT_EQ(m.FindIn("b4nned"), std::nullopt);
  EXPECT_EQ(m.FindIn("a fine caption"), std::nullopt);
  TermMatcher leet({"banned"}, {.leet = true});
  EXPECT_EQ(leet.FindIn("B4NN3D!"), "banned");
  TermMatcher empty({"...", ""});
  EXPECT_EQ(empty.FindIn("anything"), std::nullopt);
}

}  // namespace
}  // namespace foryou::common
