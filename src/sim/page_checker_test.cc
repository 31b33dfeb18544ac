#include "sim/page_checker.h"

#include <gtest/gtest.h>

namespace foryou::sim {
namespace {

ServedItem Item(std::string video, std::string creator, std::string sound, std::string category) {
  return {std::move(video), std::move(creator), std::move(sound), std::move(category)};
}

const auto kNothingBlocked = [](const std::string&) { return false; };

TEST(PageCheckerTest, CleanPagesPass) {
  PageChecker c({.creator_once_per = 3, .max_category_run = 2});
  RuleViolations v;
  std::vector<std::string> m;
  c.Check({Item("v1", "a", "s1", "x"), Item("v2", "b", "", "x"), Item("v3", "c", "", "y")}, {},
          kNothingBlocked, &v, &m);
  // Across the boundary: creator a is 3 back (allowed with K=3), "" sounds never match.
  c.Check({Item("v4", "a", "s1", "x"), Item("v5", "b", "s2", "")}, {}, kNothingBlocked, &v, &m);
  EXPECT_EQ(v.total(), 0u) << v.ToString();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(c.served(), 5u);
}

TEST(PageCheckerTest, EachRuleIsCaught) {
  PageChecker c({.creator_once_per = 5, .max_category_run = 2});
  RuleViolations v;
  std::vector<std::string> m;
  c.Check({Item("v1", "a", "s1", "x"), Item("v2", "b", "s2", "x")}, {}, kNothingBlocked, &v, &m);
  ASSERT_EQ(v.total(), 0u);
  // Next page: v1 again (served), x a third time in a row (run), same sound s2 as v2, creator a
  // within 5 (window), then b right after b (adjacent) with a hidden creator and a blocked video.
  c.Check({Item("v1", "c", "s2", "x"), Item("v3", "a", "", "y"), Item("v4", "b", "", "z"),
           Item("v5", "b", "", "w"), Item("v5", "d", "", "q")},
          {"b"}, [](const std::string& id) { return id == "v5"; }, &v, &m);
  EXPECT_EQ(v.already_served, 1u);
  EXPECT_EQ(v.category_run, 1u);
  EXPECT_EQ(v.sound_adjacent, 1u);
  EXPECT_EQ(v.creator_window, 2u);    // a (v3) and b (v4): both within the last 4
  EXPECT_EQ(v.creator_adjacent, 1u);  // v5 after v4
  EXPECT_EQ(v.hidden_creator, 2u);
  EXPECT_EQ(v.duplicate_in_page, 1u);
  EXPECT_EQ(v.moderation, 2u);
  EXPECT_EQ(m.size(), v.total());
  EXPECT_NE(m[0].find("item 0"), std::string::npos);
}

TEST(PageCheckerTest, AddAndTotal) {
  RuleViolations a, b;
  a.moderation = 2;
  b.category_run = 3;
  a.Add(b);
  EXPECT_EQ(a.total(), 5u);
  EXPECT_NE(a.ToString().find("category_run=3"), std::string::npos);
}

}  // namespace
}  // namespace foryou::sim
