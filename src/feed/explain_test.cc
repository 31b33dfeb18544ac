// Explanations: reasons true of the viewer, and an item's parts adding up to its score in words
// (explain.h).
#include "feed/explain.h"

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "feed/rules_testing.h"
#include "gtest/gtest.h"

namespace foryou::feed {
namespace {

uint32_t Bits(std::initializer_list<Source> sources) {
  uint32_t bits = 0;
  for (Source s : sources) bits |= SourceBit(s);
  return bits;
}

TEST(ExplainTest, ReasonsAreTrueOfTheViewer) {
  World w;
  catalog::User user;
  user.id = "u";
  user.country = "US";
  ReasonContext blank;  // watched nothing, liked nothing, picked nothing, follows no one
  blank.user = &user;
  auto reason = [&](uint32_t sources, const ReasonContext& viewer,
                    std::vector<std::string> tags = {}) {
    return ReasonFor(w.Make({.creator = "c", .sources = sources, .more_hashtags = tags}), viewer);
  };
  EXPECT_EQ(reason(Bits({Source::kWatchNext}), blank), "what viewers are watching right now");
  EXPECT_EQ(reason(Bits({Source::kExplore}), blank), "something new, to find out what you like");
  // Reasons that would be untrue yield to the next source.
  EXPECT_EQ(reason(Bits({Source::kFollowing, Source::kSimilar, Source::kSameSound,
                         Source::kSameHashtag, Source::kTrending}),
                   blank, {"cats"}),
            "trending right now");
  EXPECT_EQ(reason(Bits({Source::kSimilar}), blank), "recommended");

  ReasonContext watched = blank;
  watched.watched = true;
  watched.liked_hashtags.insert(AttributeKey("cats"));
  EXPECT_EQ(reason(Bits({Source::kWatchNext}), watched),
            "people who watched what you watched are watching it");
  EXPECT_EQ(reason(Bits({Source::kExplore}), watched),
            "something different from what you usually watch");
  // The hashtag named is the one the viewer liked, not the video's first.
  EXPECT_EQ(reason(Bits({Source::kSameHashtag}), watched, {"dogs", "cats"}),
            "#cats, like videos you liked");
  watched.interests.insert(AttributeKey("dogs"));
  EXPECT_EQ(reason(Bits({Source::kSameHashtag}), watched, {"dogs", "cats"}),
            "#dogs, one of your interests");
  user.following = {"c"};
  EXPECT_EQ(reason(Bits({Source::kFollowing}), watched), "from @c, whom you follow");
}

TEST(ExplainTest, PartsAddUpToTheServedScoreInWords) {
  catalog::User user;
  user.id = "u";
  ServedItem item;
  item.request_id = "r1-abc";
  item.position = 3;
  item.sources = Bits({Source::kSameHashtag, Source::kFresh});
  std::array<float, model::kNumTasks> weights{};
  for (int t = 0; t < model::kNumTasks; ++t) {
    item.probs[t] = 0.1f * static_cast<float>(t);  // is_click: 0 (but weighted: "under 0.1%")
    weights[t] = t == model::kHate ? -4.0f : 1.0f;
  }
  item.probs[model::kHate] = 0.004f;
  float tasks = 0;
  for (int t = 0; t < model::kNumTasks; ++t) tasks += weights[t] * item.probs[t];
  item.bonus = 0.25f;
  item.next_prior = 0.5f;
  item.popularity = 1.0f + item.next_prior;
  item.value = tasks + item.bonus + item.popularity;
  item.penalty = 0.5f;
  item.fresh_lift = 0.2f;
  item.interest_lift = 0.75f;
  item.score = item.value - item.penalty + item.fresh_lift + item.interest_lift;
  item.reason = "#cats, one of your interests";
  item.source_reasons = {"a new upload", item.reason};
  RuleStats why;
  why.seen = 1;
  const Explanation x =
      Describe(user, "v1", item, /*served=*/true, /*can_serve=*/false, why, weights);
  EXPECT_TRUE(x.served);
  EXPECT_EQ(x.request_id, "r1-abc");
  EXPECT_EQ(x.position, 3);
  EXPECT_EQ(x.sources, (std::vector<std::string>{"fresh", "same_hashtag"}));
  double sum = 0;
  std::set<std::string> names;
  for (const ScorePart& p : x.parts) {
    sum += p.value;
    names.insert(p.name);
    for (const char* task : model::kTaskNames) {
      EXPECT_EQ(p.label.find(task), std::string::npos) << p.label;
    }
  }
  EXPECT_NEAR(sum, x.score, 1e-5);
  for (const char* name : {"popularity", "source_bonus", "watch_next", "not_interested",
                           "fresh_slot", "interests_first", "is_hate"}) {
    EXPECT_TRUE(names.count(name)) << name;
  }
  for (size_t i = 1; i < x.parts.size(); ++i) {
    EXPECT_GE(std::fabs(x.parts[i - 1].value), std::fabs(x.parts[i].value));
  }
  bool hate = false;
  for (const std::string& s : x.sentences) {
    EXPECT_EQ(s.find(" 0%"), std::string::npos) << s;
    for (const char* task : model::kTaskNames) EXPECT_EQ(s.find(task), std::string::npos) << s;
    hate |= s == "The chance you say not interested (0.4%): -0.02";
  }
  EXPECT_TRUE(hate) << "a small probability keeps its digits";
  EXPECT_EQ(x.sentences.front(),
            "In your feed because: a new upload; "
            "#cats, one of your interests.");
  EXPECT_EQ(x.sentences.back(), "The feed will not show it to you again: already shown to you.");
}

}  // namespace
}  // namespace foryou::feed
