// The arrangement rules (creator / sound spacing, category runs, the exploration share, across
// pages), CheckFeed's report of every violation, and a property test over random candidate sets.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "feed/rules.h"
#include "feed/rules_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace foryou::feed {
namespace {

using catalog::Moderation;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// ---------------------------------------------------------------------------------------------
// Arrangement

struct ArrangeResult {
  std::vector<Candidate> feed;
  RuleStats stats;
};

ArrangeResult ArrangeAndCheck(std::vector<Candidate> ranked, int count, const RuleOptions& o,
                              const std::vector<Candidate>& previous = {}, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  ArrangeResult r;
  r.feed = Arrange(std::move(ranked), count, o, previous, rng, &r.stats);
  EXPECT_THAT(CheckFeed(r.feed, previous, o, kNoFilters, kNoneSeen), IsEmpty());
  return r;
}

TEST(ArrangeTest, KeepsRankOrderWhenNothingCollides) {
  World w;
  auto r = ArrangeAndCheck({w.Item("a"), w.Item("b"), w.Item("c"), w.Item("d")}, 3, NoExplore());
  EXPECT_EQ(Creators(r.feed), "abc");
  EXPECT_EQ(r.stats.creator_spacing + r.stats.sound_spacing + r.stats.category_run, 0u);
}

TEST(ArrangeTest, NoSameCreatorTwiceInARow) {
  World w;
  auto r = ArrangeAndCheck({w.Item("a"), w.Item("a"), w.Item("a"), w.Item("b"), w.Item("b")}, 5,
                           NoExplore());
  EXPECT_EQ(Creators(r.feed), "ababa");
  EXPECT_EQ(r.stats.creator_spacing, 2u + 0 + 1 + 0);  // deferrals at positions 1..4
}

TEST(ArrangeTest, CreatorAtMostOncePerKItems) {
  World w;
  std::vector<Candidate> ranked;
  for (const char* c : {"a", "a", "a", "b", "b", "b", "c", "c", "c"}) ranked.push_back(w.Item(c));
  auto r = ArrangeAndCheck(ranked, 9, NoExplore(/*k=*/3));
  EXPECT_EQ(Creators(r.feed), "abcabcabc");
  EXPECT_GT(r.stats.creator_spacing, 0u);
}

TEST(ArrangeTest, NoSameSoundTwiceInARowButOriginalSoundNeverCollides) {
  World w;
  auto r = ArrangeAndCheck({w.Item("a", "s"), w.Item("b", "s"), w.Item("c", "t")}, 3, NoExplore());
  EXPECT_EQ(Creators(r.feed), "acb");
  EXPECT_EQ(r.stats.sound_spacing, 1u);
  auto r0 = ArrangeAndCheck({w.Item("a", ""), w.Item("b", ""), w.Item("c", "")}, 3, NoExplore());
  EXPECT_EQ(Creators(r0.feed), "abc");
  EXPECT_EQ(r0.stats.sound_spacing, 0u);
}

TEST(ArrangeTest, CategoryRunsAreCappedAtR) {
  World w;
  std::vector<Candidate> ranked;
  for (const char* c : {"a", "b", "c", "d", "e"}) ranked.push_back(w.Item(c, "", "dance"));
  ranked.push_back(w.Item("f", "", "food"));
  ranked.push_back(w.Item("g", "", ""));
  auto r = ArrangeAndCheck(ranked, 7, NoExplore(2, /*r=*/2));
  EXPECT_EQ(Creators(r.feed), "abfcdge");
  EXPECT_EQ(r.stats.category_run, 3u + 1);  // c, d, e; then e
}

TEST(ArrangeTest, NoCategoryIsNotARun) {
  World w;
  auto r =
      ArrangeAndCheck({w.Item("a"), w.Item("b"), w.Item("c"), w.Item("d")}, 4, NoExplore(2, 1));
  EXPECT_EQ(Creators(r.feed), "abcd");
}

TEST(ArrangeTest, RulesHoldAcrossThePreviousPage) {
  World w;
  const RuleOptions o = NoExplore(/*k=*/3, /*r=*/2);
  // Creator: "a" was second to last on the previous page, so it waits one more item.
  auto r =
      ArrangeAndCheck({w.Item("a"), w.Item("b"), w.Item("c")}, 3, o, {w.Item("a"), w.Item("x")});
  EXPECT_EQ(Creators(r.feed), "bac");
  // Sound.
  r = ArrangeAndCheck({w.Item("a", "s"), w.Item("b", "t")}, 2, o, {w.Item("x", "s")});
  EXPECT_EQ(Creators(r.feed), "ba");
  // Category: the previous page ended with two "dance" items.
  r = ArrangeAndCheck({w.Item("a", "", "dance"), w.Item("b", "", "food")}, 2, o,
                      {w.Item("x", "", "dance"), w.Item("y", "", "dance")});
  EXPECT_EQ(Creators(r.feed), "ba");
}

TEST(ArrangeTest, NeverRepeatsAVideoOrThePreviousPage) {
  World w;
  const Candidate a = w.Item("a");
  const Candidate b = w.Item("b");
  const Candidate c = w.Item("c");
  const Candidate d = w.Item("d");
  auto r = ArrangeAndCheck({a, b, a, c, b, d}, 10, NoExplore(), {c});
  EXPECT_THAT(Ids(r.feed), ElementsAre(a.video->id, b.video->id, d.video->id));
}

TEST(ArrangeTest, ShorterFeedWhenNothingFits) {
  World w;
  auto r = ArrangeAndCheck({w.Item("a"), w.Item("a"), w.Item("a")}, 3, NoExplore());
  EXPECT_EQ(Creators(r.feed), "a");
  r = ArrangeAndCheck({w.Item("a"), w.Item("b"), w.Item("a"), w.Item("b")}, 4, NoExplore(/*k=*/3));
  EXPECT_EQ(Creators(r.feed), "ab");  // a third creator would be needed
  r = ArrangeAndCheck({w.Item("a", "", "x"), w.Item("b", "", "x"), w.Item("c", "", "x")}, 3,
                      NoExplore(2, 2));
  EXPECT_EQ(Creators(r.feed), "ab");
  EXPECT_THAT(ArrangeAndCheck({}, 5, NoExplore()).feed, IsEmpty());
  EXPECT_THAT(ArrangeAndCheck({w.Item("a")}, 0, NoExplore()).feed, IsEmpty());
  EXPECT_THAT(ArrangeAndCheck({w.Item("a")}, -3, NoExplore()).feed, IsEmpty());
}

uint32_t Explore() { return SourceBit(Source::kExplore); }

int CountExplore(const std::vector<Candidate>& feed) {
  return static_cast<int>(std::count_if(
      feed.begin(), feed.end(), [](const Candidate& c) { return c.from(Source::kExplore); }));
}

TEST(ArrangeTest, ExploreShareIsExactAndTakesTheBestExploreCandidates) {
  World w;
  std::vector<Candidate> ranked;
  for (int i = 0; i < 40; ++i) ranked.push_back(w.Item(absl::StrCat("m", i)));
  for (int i = 0; i < 10; ++i) ranked.push_back(w.Item(absl::StrCat("e", i), "", "", Explore()));
  RuleOptions o = NoExplore(5, 2);
  o.explore_share = 0.25;
  absl::flat_hash_set<std::vector<int>> layouts;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto r = ArrangeAndCheck(ranked, 20, o, {}, seed);
    ASSERT_THAT(r.feed, SizeIs(20));
    EXPECT_EQ(CountExplore(r.feed), 5);
    EXPECT_EQ(r.stats.explore_inserted, 5u);
    std::vector<int> at;
    std::string explore_creators;
    for (int i = 0; i < 20; ++i) {
      if (r.feed[i].from(Source::kExplore)) {
        at.push_back(i);
        explore_creators += r.feed[i].video->creator;
      }
    }
    EXPECT_EQ(explore_creators, "e0e1e2e3e4");
    layouts.insert(at);
  }
  EXPECT_GT(layouts.size(), 10u);  // positions come from the rng
  o.explore_share = 0.1;
  EXPECT_EQ(CountExplore(ArrangeAndCheck(ranked, 10, o).feed), 1);
  EXPECT_EQ(CountExplore(ArrangeAndCheck(ranked, 14, o).feed), 1);  // round(1.4)
  EXPECT_EQ(CountExplore(ArrangeAndCheck(ranked, 15, o).feed), 2);  // round(1.5)
}

TEST(ArrangeTest, ExploreFallsBackBothWays) {
  World w;
  RuleOptions o = NoExplore();
  o.explore_share = 0.5;
  // No explore candidates: main fills every slot.
  auto r = ArrangeAndCheck({w.Item("a"), w.Item("b"), w.Item("c"), w.Item("d")}, 4, o);
  EXPECT_EQ(Creators(r.feed), "abcd");
  EXPECT_EQ(r.stats.explore_inserted, 0u);
  // Only explore candidates: they fill the main slots too.
  r = ArrangeAndCheck({w.Item("a", "", "", Explore()), w.Item("b", "", "", Explore()),
                       w.Item("c", "", "", Explore())},
                      3, o);
  EXPECT_EQ(Creators(r.feed), "abc");
  EXPECT_EQ(r.stats.explore_inserted, 3u);
  // The only explore candidate cannot follow its own creator: the main pool fills in.
  o.explore_share = 1;
  r = ArrangeAndCheck({w.Item("a", "", "", Explore()), w.Item("a", "", "", Explore()), w.Item("b")},
                      3, o);
  EXPECT_EQ(Creators(r.feed), "aba");
  EXPECT_EQ(r.stats.explore_inserted, 2u);
}

TEST(ArrangeTest, ExploreNeverPlacesANotInterestedCandidate) {
  World w;
  RuleOptions o = NoExplore();
  o.explore_share = 0.5;  // 2 of 3 slots
  Candidate rejected = w.Item("x", "", "", Explore());
  rejected.penalty = 2;
  // Ranked after the penalty: a, b, e (explore), x (explore, penalised).
  std::vector<Candidate> ranked = {w.Item("a"), w.Item("b"), w.Item("e", "", "", Explore())};
  ranked.push_back(rejected);
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto r = ArrangeAndCheck(ranked, 3, o, {}, seed);
    ASSERT_THAT(r.feed, SizeIs(3));
    EXPECT_EQ(r.stats.explore_inserted, 1u) << "seed " << seed;
    for (const Candidate& c : r.feed) EXPECT_NE(c.video->creator, "x") << "seed " << seed;
  }
  // It still competes in the main pool at its (penalised) rank: the only one left fills in.
  auto r = ArrangeAndCheck(ranked, 4, o);
  EXPECT_THAT(Creators(r.feed), testing::HasSubstr("x"));
}

TEST(ArrangeTest, CandidateInBothPoolsIsUsedOnce) {
  World w;
  RuleOptions o = NoExplore();
  o.explore_share = 0.5;
  const Candidate both = w.Item("a", "", "", Explore() | SourceBit(Source::kTrending));
  auto r = ArrangeAndCheck({both, w.Item("b"), w.Item("c"), w.Item("d")}, 4, o);
  EXPECT_THAT(r.feed, SizeIs(4));
  EXPECT_EQ(std::count_if(r.feed.begin(), r.feed.end(),
                          [&](const Candidate& c) { return c.video_key == both.video_key; }),
            1);
}

TEST(ArrangeTest, DeterministicForASeededRng) {
  World w;
  std::vector<Candidate> ranked;
  std::mt19937_64 gen(7);
  for (int i = 0; i < 300; ++i) {
    ranked.push_back(w.Item(absl::StrCat("c", gen() % 12), absl::StrCat("s", gen() % 3),
                            absl::StrCat("h", gen() % 4), gen() % 3 == 0 ? Explore() : 1));
  }
  RuleOptions o;
  o.explore_share = 0.3;
  EXPECT_EQ(Ids(ArrangeAndCheck(ranked, 30, o, {}, 99).feed),
            Ids(ArrangeAndCheck(ranked, 30, o, {}, 99).feed));
  std::mt19937_64 a(5), b(5);
  EXPECT_EQ(Ids(Arrange(ranked, 30, o, {}, a, nullptr)),
            Ids(Arrange(ranked, 30, o, {}, b, nullptr)));
  EXPECT_EQ(a(), b());  // and the rng advanced identically
}

// ---------------------------------------------------------------------------------------------
// CheckFeed: a hand-built bad feed for every rule.

TEST(CheckFeedTest, ReportsEveryArrangementViolation) {
  World w;
  const RuleOptions o = NoExplore(/*k=*/3, /*r=*/2);
  auto check = [&](const std::vector<Candidate>& feed, const std::vector<Candidate>& prev = {}) {
    return CheckFeed(feed, prev, o, kNoFilters, kNoneSeen);
  };
  EXPECT_THAT(check({w.Item("a"), w.Item("b"), w.Item("c"), w.Item("a")}), IsEmpty());
  EXPECT_THAT(check({w.Item("a"), w.Item("a")}), ElementsAre("item 1: same creator as item 0"));
  EXPECT_THAT(check({w.Item("a", "s"), w.Item("b", "s")}),
              ElementsAre("item 1: same sound as item 0"));
  EXPECT_THAT(check({w.Item("a", ""), w.Item("b", "")}), IsEmpty());
  EXPECT_THAT(check({w.Item("a"), w.Item("b"), w.Item("a")}),
              ElementsAre("item 2: creator also at item 0, within 3 items"));
  EXPECT_THAT(check({w.Item("a", "", "x"), w.Item("b", "", "x"), w.Item("c", "", "x"),
                     w.Item("d", "", "x")}),
              ElementsAre(HasSubstr("item 2: run of 3 items"), HasSubstr("item 3: run of 4")));
  EXPECT_THAT(check({w.Item("a", "", ""), w.Item("b", "", ""), w.Item("c", "", "")}), IsEmpty());
  const Candidate v = w.Item("a");
  EXPECT_THAT(check({v, w.Item("b"), v}),
              ElementsAre(absl::StrCat("item 2: video ", v.video->id, " already at item 0"),
                          "item 2: creator also at item 0, within 3 items"));
  // Across the page boundary.
  EXPECT_THAT(check({v}, {v}), ElementsAre(HasSubstr("already at previous item 0 of 1"),
                                           HasSubstr("same creator as previous item 0")));
  EXPECT_THAT(check({w.Item("a", "s", "x")},
                    {w.Item("b", "", "x"), w.Item("a", "", "x"), w.Item("c", "s", "x")}),
              ElementsAre("item 0: same sound as previous item 2 of 3",
                          "item 0: creator also at previous item 1 of 3, within 3 items",
                          "item 0: run of 4 items of one category (max 2)"));
  // Violations inside the previous page alone are not this feed's.
  EXPECT_THAT(check({w.Item("z")}, {w.Item("a"), w.Item("a")}), IsEmpty());
}

TEST(CheckFeedTest, ReportsEveryEligibilityViolation) {
  World w;
  UserFilters f;
  f.hidden_creators.insert(AttributeKey("hc"));
  f.hidden_sounds.insert(AttributeKey("hs"));
  f.hashtag_filters.insert(AttributeKey("ht"));
  f.keywords.push_back("kw");
  const Candidate seen_one = w.Make({.creator = "s"});
  std::vector<Candidate> feed = {
      w.Make({.creator = "a"}),
      w.Make({.creator = "b",
              .sources = SourceBit(Source::kTrending),
              .moderation = Moderation::kLimited}),
      seen_one,
      w.Make({.creator = "hc"}),
      w.Make({.creator = "c", .sound = "hs"}),
      w.Make({.creator = "d", .category = "ht"}),
      w.Make({.creator = "e", .caption = "KW"}),
  };
  EXPECT_THAT(
      CheckFeed(feed, {}, NoExplore(), f, {seen_one.video_key}),
      ElementsAre("item 1: not eligible (moderation)", "item 2: not eligible (already seen)",
                  "item 3: not eligible (hidden creator)", "item 4: not eligible (hidden sound)",
                  "item 5: not eligible (keyword or hashtag filter)",
                  "item 6: not eligible (keyword or hashtag filter)"));
}

// ---------------------------------------------------------------------------------------------
// Property: random candidate sets through the whole pipeline never break a rule, and the feed is
// short only when nothing left could go next.

// Independent of rules.cc: may `c` follow `timeline` (previous page + feed)?
bool FitsAfter(const std::vector<const Candidate*>& timeline, const Candidate& c, size_t k,
               size_t r) {
  const size_t n = timeline.size();
  for (size_t d = 1; d <= k - 1 && d <= n; ++d) {
    if (timeline[n - d]->creator == c.creator) return false;
  }
  if (n > 0 && c.sound != 0 && timeline[n - 1]->sound == c.sound) return false;
  if (c.category != 0) {
    size_t run = 0;
    while (run < n && timeline[n - 1 - run]->category == c.category) ++run;
    if (run >= r) return false;
  }
  return true;
}

TEST(RulesPropertyTest, RandomCandidateSetsNeverBreakARule) {
  const std::vector<std::string> words = {"cat", "Dog", "fun", "SPOILER", "café", "run", "x"};
  int full_by_bound = 0, short_feeds = 0;
  for (uint64_t iter = 0; iter < 3000; ++iter) {
    SCOPED_TRACE(absl::StrCat("iteration ", iter));
    std::mt19937_64 gen(iter);
    auto uniform = [&](int lo, int hi) { return lo + static_cast<int>(gen() % (hi - lo + 1)); };
    auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(gen) < p; };
    RuleOptions o;
    o.creator_once_per = uniform(2, 6);
    o.max_category_run = uniform(1, 3);
    o.explore_share = std::vector<double>{0, 0.1, 0.25, 0.5, 1}[uniform(0, 4)];
    const int count = uniform(1, 30);
    const int creators = uniform(1, 40), sounds = uniform(1, 8), tags = uniform(1, 6);
    const int n = uniform(0, 300);

    World w;
    auto random_item = [&]() {
      World::Spec s;
      s.creator = absl::StrCat("c", uniform(0, creators - 1));
      if (!chance(0.3)) s.sound = absl::StrCat("s", uniform(0, sounds - 1));
      if (!chance(0.3)) s.category = absl::StrCat("h", uniform(0, tags - 1));
      for (int i = uniform(0, 2); i > 0; --i)
        s.more_hashtags.push_back(absl::StrCat("h", uniform(0, 9)));
      s.sources = static_cast<uint32_t>(gen() % (1u << static_cast<int>(Source::kNumSources)));
      const int m = uniform(0, 9);
      s.moderation = m < 7    ? Moderation::kApproved
                     : m == 7 ? Moderation::kLimited
                     : m == 8 ? Moderation::kPending
                              : Moderation::kRemoved;
      for (int i = uniform(0, 3); i > 0; --i)
        s.caption += words[uniform(0, words.size() - 1)] + " ";
      Candidate c = w.Make(s);
      c.value = std::uniform_real_distribution<float>(0, 10)(gen);
      return c;
    };
    std::vector<Candidate> cands;
    for (int i = 0; i < n; ++i) {
      if (!cands.empty() && chance(0.02)) {
        cands.push_back(cands[uniform(0, cands.size() - 1)]);  // found twice
        cands.back().value -= 1;
      } else {
        cands.push_back(random_item());
      }
    }
    std::vector<Candidate> previous;
    for (int i = uniform(0, 6); i > 0; --i) {
      previous.push_back(!cands.empty() && chance(0.3) ? cands[uniform(0, cands.size() - 1)]
                                                       : random_item());
    }
    UserFilters f;
    SeenSet seen;
    NotInterested ni;
    for (int i = uniform(0, 2); i > 0; --i)
      f.hidden_creators.insert(AttributeKey(absl::StrCat("c", uniform(0, 40))));
    for (int i = uniform(0, 1); i > 0; --i)
      f.hidden_sounds.insert(AttributeKey(absl::StrCat("s", uniform(0, 8))));
    for (int i = uniform(0, 1); i > 0; --i)
      f.hashtag_filters.insert(AttributeKey(absl::StrCat("h", uniform(0, 9))));
    if (chance(0.3)) f.keywords.push_back(chance(0.5) ? "spoiler" : "dog");
    for (const Candidate& c : cands) {
      if (chance(0.05)) seen.insert(c.video_key);
    }
    for (int i = uniform(0, 3); i > 0; --i)
      ni.creators[AttributeKey(absl::StrCat("c", uniform(0, 40)))] = uniform(1, 3);
    for (int i = uniform(0, 3); i > 0; --i)
      ni.hashtags[AttributeKey(absl::StrCat("h", uniform(0, 9)))] = uniform(1, 3);

    RuleStats stats;
    std::erase_if(cands, [&](const Candidate& c) { return !Eligible(c, f, seen, &stats); });
    ApplyNotInterested(ni, o, &cands, &stats);
    ASSERT_TRUE(
        std::is_sorted(cands.begin(), cands.end(),
                       [](const Candidate& a, const Candidate& b) { return a.score > b.score; }));
    std::mt19937_64 rng(iter);
    const std::vector<Candidate> feed = Arrange(cands, count, o, previous, rng, &stats);

    ASSERT_THAT(CheckFeed(feed, previous, o, f, seen), IsEmpty());
    ASSERT_LE(feed.size(), static_cast<size_t>(count));
    ASSERT_LE(stats.explore_inserted, static_cast<uint64_t>(CountExplore(feed)));

    // What Arrange could use: eligible, each video once, none from the previous page.
    absl::flat_hash_set<uint64_t> keys, in_feed;
    for (const Candidate& p : previous) keys.insert(p.video_key);
    for (const Candidate& c : feed) in_feed.insert(c.video_key);
    std::vector<const Candidate*> usable;
    absl::flat_hash_map<uint64_t, int> per_creator, per_sound, per_category;
    int max_creator = 0, max_sound = 0, max_category = 0;
    for (const Candidate& c : cands) {
      if (!keys.insert(c.video_key).second) continue;
      usable.push_back(&c);
      max_creator = std::max(max_creator, ++per_creator[c.creator]);
      if (c.sound != 0) max_sound = std::max(max_sound, ++per_sound[c.sound]);
      if (c.category != 0) max_category = std::max(max_category, ++per_category[c.category]);
    }
    // Feasibility bound: while fewer than `count` items are placed, at most
    // (K-1)*max_creator + max_sound + max_category candidates are blocked, so one more fits.
    const int blocked = (o.creator_once_per - 1) * max_creator + max_sound + max_category;
    if (static_cast<int>(usable.size()) >= count + blocked) {
      ++full_by_bound;
      ASSERT_THAT(feed, SizeIs(count));
    }
    if (feed.size() < static_cast<size_t>(count)) {
      ++short_feeds;
      std::vector<const Candidate*> timeline;
      for (const Candidate& p : previous) timeline.push_back(&p);
      for (const Candidate& c : feed) timeline.push_back(&c);
      for (const Candidate* c : usable) {
        if (in_feed.contains(c->video_key)) continue;
        ASSERT_FALSE(FitsAfter(timeline, *c, o.creator_once_per, o.max_category_run))
            << "stopped early though " << c->video->id << " fits";
      }
    }
  }
  // Both branches were exercised often.
  EXPECT_GT(full_by_bound, 300);
  EXPECT_GT(short_feeds, 300);
}

}  // namespace
}  // namespace foryou::feed
