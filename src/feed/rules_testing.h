// Test fixtures for the feed rules' tests (rules_test.cc, arrange_test.cc): candidates built
// over videos the fixture owns, and short ways to read a feed back.
//
// Example:
//   World w;
//   std::vector<Candidate> ranked = {w.Item("a", "s1", "cats"), w.Item("b")};  // best first
//   EXPECT_EQ(Creators(Arrange(ranked, 2, NoExplore(), {}, rng, nullptr)), "ab");
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "feed/rules.h"

namespace foryou::feed {

// Owns the videos candidates point at (a deque keeps their addresses stable).
class World {
 public:
  struct Spec {
    std::string creator = "c";
    std::string sound;     // "" = original sound
    std::string category;  // first hashtag; "" = none
    uint32_t sources = SourceBit(Source::kTrending);
    float score = 0;
    catalog::Moderation moderation = catalog::Moderation::kApproved;
    std::string caption;
    std::vector<std::string> more_hashtags;
  };

  Candidate Make(const Spec& s) {
    catalog::Video& v = videos_.emplace_back();
    v.id = absl::StrCat("v", videos_.size());
    v.creator = s.creator;
    v.sound = s.sound;
    if (!s.category.empty()) v.hashtags.push_back(s.category);
    for (const std::string& h : s.more_hashtags) v.hashtags.push_back(h);
    v.caption = s.caption;
    v.moderation = s.moderation;
    Candidate c;
    c.video = &v;
    c.video_key = AttributeKey(v.id);
    c.creator = AttributeKey(v.creator);
    c.sound = AttributeKey(v.sound);
    c.category = v.hashtags.empty() ? 0 : AttributeKey(v.hashtags[0]);
    for (const std::string& h : v.hashtags) c.hashtags.push_back(AttributeKey(h));
    c.sources = s.sources;
    c.value = c.score = s.score;
    return c;
  }

  // Shorthand: creator, sound, category; scores fall with each call so the order is the rank.
  Candidate Item(const std::string& creator, const std::string& sound = "",
                 const std::string& category = "",
                 uint32_t sources = SourceBit(Source::kTrending)) {
    return Make({.creator = creator,
                 .sound = sound,
                 .category = category,
                 .sources = sources,
                 .score = next_score_--});
  }

 private:
  std::deque<catalog::Video> videos_;
  float next_score_ = 1000;
};

inline std::string Creators(const std::vector<Candidate>& feed) {
  std::string out;
  for (const Candidate& c : feed) out += c.video->creator;
  return out;
}

inline std::vector<std::string> Ids(const std::vector<Candidate>& feed) {
  std::vector<std::string> out;
  for (const Candidate& c : feed) out.push_back(c.video->id);
  return out;
}

inline RuleOptions NoExplore(int k = 2, int r = 100) {
  RuleOptions o;
  o.creator_once_per = k;
  o.max_category_run = r;
  o.explore_share = 0;
  return o;
}

inline const UserFilters kNoFilters;
inline const SeenSet kNoneSeen;

}  // namespace foryou::feed
