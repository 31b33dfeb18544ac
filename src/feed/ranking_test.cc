// Ranker over a fake Scorer (fixed predictions per video): the weighted value, the source bonus
// and its evidence, the audience and watch-next priors, the order, and the scoring pool.
#include "feed/ranking.h"

#include <atomic>
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/id_key.h"
#include "common/mutex.h"
#include "feed/sources.h"
#include "gtest/gtest.h"

namespace foryou::feed {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

// Predicts fixed probabilities per video; counts its calls and remembers the surfaces scored.
class FakeScorer : public Scorer {
 public:
  absl::Status Score(absl::Span<const model::Impression> impressions,
                     float* probs) const override {
    calls_.fetch_add(1);
    if (fail_) return absl::UnavailableError("model not loaded");
    for (size_t i = 0; i < impressions.size(); ++i) {
      {
        common::MutexLock lock(&mu_);
        tabs_.push_back(impressions[i].tab);
      }
      auto it = probs_.find(impressions[i].video_id);
      for (int t = 0; t < model::kNumTasks; ++t) {
        probs[i * model::kNumTasks + t] = it == probs_.end() ? 0.0f : it->second[t];
      }
    }
    return absl::OkStatus();
  }
  int embedding_dim() const override { return 1; }
  absl::Status VideoEmbeddings(absl::Span<const uint64_t> keys, float* out) const override {
    for (size_t i = 0; i < keys.size(); ++i) out[i] = 1;
    return absl::OkStatus();
  }

  void Set(const std::string& video, std::array<float, model::kNumTasks> p) {
    probs_[common::VideoKey(video)] = p;
  }
  void Fail() { fail_ = true; }
  int calls() const { return calls_.load(); }
  std::vector<uint32_t> tabs() const {
    common::MutexLock lock(&mu_);
    return tabs_;
  }

 private:
  absl::flat_hash_map<uint64_t, std::array<float, model::kNumTasks>> probs_;
  bool fail_ = false;
  mutable std::atomic<int> calls_{0};
  mutable common::Mutex mu_;
  mutable std::vector<uint32_t> tabs_ ABSL_GUARDED_BY(mu_);
};

// A catalog of `n` videos "v0".."v<n-1>": creator c<i>, sound s<i % 3>, hashtags cat<i % 4>.
class RankerTest : public ::testing::Test {
 protected:
  void Build(int n) {
    std::vector<catalog::Video> videos;
    for (int i = 0; i < n; ++i) {
      catalog::Video v;
      v.id = absl::StrCat("v", i);
      v.creator = absl::StrCat("c", i);
      v.sound = absl::StrCat("s", i % 3);
      v.hashtags = {absl::StrCat("cat", i % 4)};
      v.duration_ms = 15'000;
      v.moderation = catalog::Moderation::kApproved;
      videos.push_back(v);
    }
    index_.Build(videos);
    snapshot_ = index_.snapshot();
  }
  Candidate Find(const std::string& video, std::initializer_list<Source> sources = {}) const {
    Candidate c = snapshot_->Find(common::VideoKey(video))->proto;
    for (Source s : sources) c.sources |= SourceBit(s);
    return c;
  }
  static FeedOptions NoPriors() {
    FeedOptions o;
    o.popularity_weight = 0;
    o.watch_next_weight = 0;
    o.watch_next_foreign_weight = 0;
    o.source_bonus.fill(0);
    o.scoring_threads = 1;
    return o;
  }
  static const Candidate& ByVideo(const std::vector<Candidate>& cs, const std::string& video) {
    for (const Candidate& c : cs) {
      if (c.video->id == video) return c;
    }
    ADD_FAILURE() << video << " not ranked";
    return cs.front();
  }

  VideoIndex index_;
  std::shared_ptr<const VideoIndex::Snapshot> snapshot_;
  FakeScorer scorer_;
  EngagementStats engagement_;
};

TEST_F(RankerTest, ValueIsTheWeightedSumOfThePredictionsHighestFirst) {
  Build(3);
  scorer_.Set("v0", {0.5f, 0.2f, 0.1f, 0, 0, 0, 0, 0.3f});
  scorer_.Set("v1", {0.9f, 0.8f, 0.5f, 0.1f, 0.1f, 0.1f, 0, 0.9f});
  scorer_.Set("v2", {0.9f, 0.8f, 0.5f, 0.1f, 0.1f, 0.1f, 0.9f, 0.9f});  // v1 + "not interested"
  FeedOptions o = NoPriors();
  const Ranker ranker(o, &scorer_, &engagement_, nullptr);
  std::vector<Candidate> cs = {Find("v0"), Find("v1"), Find("v2")};
  ASSERT_TRUE(ranker.Rank("u1", {}, kNow, "", &cs).ok());
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].video->id, "v1");
  EXPECT_EQ(cs[1].video->id, "v0");
  EXPECT_EQ(cs[2].video->id, "v2");  // -4 x 0.9 sinks it
  for (const Candidate& c : cs) {
    float value = 0;
    for (int t = 0; t < model::kNumTasks; ++t) value += o.weights[t] * c.probs[t];
    EXPECT_FLOAT_EQ(c.value, value) << c.video->id;
    EXPECT_EQ(c.score, c.value);
    EXPECT_EQ(c.bonus, 0.0f);
    EXPECT_EQ(c.popularity, 0.0f);
  }
  EXPECT_FLOAT_EQ(ByVideo(cs, "v0").probs[model::kClick], 0.5f);
}

TEST_F(RankerTest, EqualScoresKeepTheRetrievalOrder) {
  Build(4);
  const Ranker ranker(NoPriors(), &scorer_, &engagement_, nullptr);  // every prediction 0
  std::vector<Candidate> cs = {Find("v2"), Find("v0"), Find("v3"), Find("v1")};
  ASSERT_TRUE(ranker.Rank("u1", {}, kNow, "", &cs).ok());
  EXPECT_EQ(cs[0].video->id, "v2");
  EXPECT_EQ(cs[1].video->id, "v0");
  EXPECT_EQ(cs[2].video->id, "v3");
  EXPECT_EQ(cs[3].video->id, "v1");
}

TEST_F(RankerTest, SourceBonusIsScaledByTheSessionsEvidence) {
  Build(8);
  FeedOptions o = NoPriors();
  o.source_bonus[static_cast<int>(Source::kFollowing)] = 0.15f;
  o.source_bonus[static_cast<int>(Source::kSimilar)] = 0.05f;
  o.source_bonus[static_cast<int>(Source::kSameSound)] = 0.2f;
  o.source_bonus[static_cast<int>(Source::kSameHashtag)] = 0.5f;
  o.source_bonus[static_cast<int>(Source::kTrending)] = 7.0f;  // trending: never a bonus
  const Ranker ranker(o, &scorer_, &engagement_, nullptr);
  // Four likes: v0 and v4 (cat0, sounds s0 and s1), v1 (cat1, s1), v5 (cat1, s2); interest cat2.
  std::vector<uint64_t> likes;
  for (const char* v : {"v0", "v4", "v1", "v5"}) likes.push_back(common::VideoKey(v));
  const std::vector<std::string> interests = {"cat2"};
  const SessionEvidence evidence = EvidenceOf(likes, *snapshot_, interests);
  EXPECT_FLOAT_EQ(evidence.hashtag_share.at(AttributeKey("cat0")), 0.5f);
  EXPECT_FLOAT_EQ(evidence.hashtag_share.at(AttributeKey("cat1")), 0.5f);
  EXPECT_FLOAT_EQ(evidence.hashtag_share.at(AttributeKey("cat2")), 0.5f);  // the interest
  EXPECT_FLOAT_EQ(evidence.sound_share.at(AttributeKey("s1")), 0.5f);  // v4 and v1
  EXPECT_FLOAT_EQ(evidence.sound_share.at(AttributeKey("s0")), 0.25f);

  std::vector<Candidate> cs = {
      Find("v2", {Source::kFollowing, Source::kSimilar}),  // 0.15 + 0.05
      Find("v3", {Source::kSameSound}),                    // s0: 0.2 x 0.25
      Find("v6", {Source::kSameHashtag}),                  // cat2: 0.5 x 0.5
      Find("v7", {Source::kSameHashtag, Source::kTrending}),  // cat3: no evidence
  };
  ASSERT_TRUE(ranker.Rank("u1", evidence, kNow, "", &cs).ok());
  EXPECT_FLOAT_EQ(ByVideo(cs, "v2").bonus, 0.2f);
  EXPECT_FLOAT_EQ(ByVideo(cs, "v3").bonus, 0.05f);
  EXPECT_FLOAT_EQ(ByVideo(cs, "v6").bonus, 0.25f);
  EXPECT_FLOAT_EQ(ByVideo(cs, "v7").bonus, 0.0f);
  for (const Candidate& c : cs) EXPECT_FLOAT_EQ(c.value, c.bonus) << c.video->id;
  EXPECT_EQ(cs[0].video->id, "v6");
}

TEST_F(RankerTest, EvidenceRecencyLetsTheNewestLikesLead) {
  Build(8);
  // Likes, oldest first: v0, v4 (cat0), then v1, v5 (cat1). Alike, both categories hold half.
  std::vector<uint64_t> likes;
  for (const char* v : {"v0", "v4", "v1", "v5"}) likes.push_back(common::VideoKey(v));
  const SessionEvidence alike = EvidenceOf(likes, *snapshot_, {}, 1.0f);
  EXPECT_FLOAT_EQ(alike.hashtag_share.at(AttributeKey("cat0")), 0.5f);
  EXPECT_FLOAT_EQ(alike.hashtag_share.at(AttributeKey("cat1")), 0.5f);
  // At 0.5 the weights are 1, 0.5, 0.25, 0.125 over 1.875, newest first: the changed taste
  // (cat1) leads and the shares still sum to 1.
  const SessionEvidence recent = EvidenceOf(likes, *snapshot_, {}, 0.5f);
  EXPECT_FLOAT_EQ(recent.hashtag_share.at(AttributeKey("cat1")), 1.5f / 1.875f);
  EXPECT_FLOAT_EQ(recent.hashtag_share.at(AttributeKey("cat0")), 0.375f / 1.875f);
  // At 0 only the newest like counts.
  const SessionEvidence newest = EvidenceOf(likes, *snapshot_, {}, 0.0f);
  EXPECT_FLOAT_EQ(newest.hashtag_share.at(AttributeKey("cat1")), 1.0f);
  const auto older = newest.hashtag_share.find(AttributeKey("cat0"));
  EXPECT_TRUE(older == newest.hashtag_share.end() || older->second == 0.0f);
}

TEST_F(RankerTest, AudiencePriorIsLogEngagementOverTheCandidatesMaximum) {
  Build(3);
  auto like = [&](const std::string& video, int n) {
    stream::Event e;
    e.type = stream::EventType::kLike;
    e.user = "someone";
    e.video = video;
    e.time_ms = kNow;
    for (int i = 0; i < n; ++i) engagement_.Observe(e, common::VideoKey(video), {"*"});
  };
  like("v0", 1);
  like("v1", 3);
  FeedOptions o = NoPriors();
  o.popularity_weight = 2.0f;
  const Ranker ranker(o, &scorer_, &engagement_, nullptr);
  std::vector<Candidate> cs = {Find("v0"), Find("v1"), Find("v2")};
  ASSERT_TRUE(ranker.Rank("u1", {}, kNow, "", &cs).ok());
  const double e0 = engagement_.Score("*", common::VideoKey("v0"), kNow);
  const double e1 = engagement_.Score("*", common::VideoKey("v1"), kNow);
  ASSERT_GT(e1, e0);
  EXPECT_FLOAT_EQ(ByVideo(cs, "v1").popularity, 2.0f);
  EXPECT_FLOAT_EQ(ByVideo(cs, "v0").popularity,
                  static_cast<float>(2.0 * std::log1p(e0) / std::log1p(e1)));
  EXPECT_EQ(ByVideo(cs, "v2").popularity, 0.0f);
  EXPECT_EQ(cs[0].video->id, "v1");
}

TEST_F(RankerTest, WatchNextPriorAddsTheScoreAboveTheCandidatesMinimum) {
  Build(4);
  WatchNextOptions wo;
  wo.w_sequence = 0;  // counters and co-visitation only: no random initialisation in the score
  WatchNext watch_next(wo);
  // Everyone who watched v0 went on to v1; v2 was long-viewed once.
  for (int u = 0; u < 5; ++u) {
    const std::string user = absl::StrCat("w", u);
    watch_next.Observe(user, common::VideoKey("v0"), kNow - 1000, WatchNext::kLongView);
    watch_next.Observe(user, common::VideoKey("v1"), kNow - 500, WatchNext::kLongView);
  }
  watch_next.Observe("w9", common::VideoKey("v2"), kNow - 500, WatchNext::kLongView);
  watch_next.Observe("u1", common::VideoKey("v0"), kNow - 100, WatchNext::kLongView);

  FeedOptions o = NoPriors();
  o.watch_next_weight = 0.5f;
  o.engagement_weight = 1.0f;
  const Ranker ranker(o, &scorer_, &engagement_, &watch_next);
  std::vector<Candidate> cs = {Find("v1"), Find("v2"), Find("v3")};
  std::vector<uint64_t> keys;
  for (const Candidate& c : cs) keys.push_back(c.video_key);
  std::vector<float> s(keys.size());
  watch_next.Scores("u1", keys, kNow, s.data());  // engagement is empty: s is WatchNext's score
  const float s_min = std::min({s[0], s[1], s[2]});
  ASSERT_TRUE(ranker.Rank("u1", {}, kNow, "", &cs).ok());
  EXPECT_FLOAT_EQ(ByVideo(cs, "v1").popularity, 0.5f * (s[0] - s_min));
  EXPECT_FLOAT_EQ(ByVideo(cs, "v2").popularity, 0.5f * (s[1] - s_min));
  EXPECT_FLOAT_EQ(ByVideo(cs, "v3").popularity, 0.5f * (s[2] - s_min));
  EXPECT_EQ(ByVideo(cs, "v3").popularity, 0.0f);  // never watched: the minimum
  EXPECT_EQ(cs[0].video->id, "v1");                // what follows v0

  // Weight 0 turns the prior off.
  o.watch_next_weight = 0;
  const Ranker off(o, &scorer_, &engagement_, &watch_next);
  ASSERT_TRUE(off.Rank("u1", {}, kNow, "", &cs).ok());
  for (const Candidate& c : cs) EXPECT_EQ(c.popularity, 0.0f);
}

// The foreign prior weighs in by the share of the user's exposures another recommender chose:
// nothing for a user this feed served, all of it for one an imported log brought.
TEST_F(RankerTest, ForeignWatchNextPriorScalesWithTheForeignShare) {
  Build(3);
  WatchNextOptions wo;
  wo.w_sequence = 0;
  WatchNext watch_next(wo);
  for (int u = 0; u < 5; ++u) {
    const std::string user = absl::StrCat("w", u);
    watch_next.Observe(user, common::VideoKey("v0"), kNow - 1000, WatchNext::kLongView);
    watch_next.Observe(user, common::VideoKey("v1"), kNow - 500, WatchNext::kLongView);
  }
  watch_next.Observe("u1", common::VideoKey("v0"), kNow - 100, WatchNext::kLongView);
  FeedOptions o = NoPriors();
  o.watch_next_foreign_weight = 2.0f;
  const Ranker ranker(o, &scorer_, &engagement_, &watch_next);
  std::vector<Candidate> cs = {Find("v1"), Find("v2")};
  const std::vector<uint64_t> keys = {cs[0].video_key, cs[1].video_key};
  std::vector<float> s(2);
  watch_next.Scores("u1", keys, kNow, s.data());
  ASSERT_GT(s[0], s[1]);  // v1 follows v0
  for (float share : {0.0f, 0.25f, 1.0f}) {
    SessionEvidence evidence;
    evidence.foreign_share = share;
    ASSERT_TRUE(ranker.Rank("u1", evidence, kNow, "", &cs).ok());
    EXPECT_FLOAT_EQ(ByVideo(cs, "v1").popularity, 2.0f * share * (s[0] - s[1])) << share;
    EXPECT_EQ(ByVideo(cs, "v2").popularity, 0.0f);
  }
}

TEST_F(RankerTest, ThePoolScoresLikeOneThread) {
  Build(700);
  for (int i = 0; i < 700; ++i) {
    const float p = static_cast<float>((i * 37) % 101) / 101.0f;
    scorer_.Set(absl::StrCat("v", i), {p, 1 - p, p / 2, 0, 0, 0, 0, p});
  }
  std::vector<Candidate> one, pooled;
  for (int i = 0; i < 700; ++i) one.push_back(Find(absl::StrCat("v", i)));
  pooled = one;
  FeedOptions o = NoPriors();
  const Ranker single(o, &scorer_, &engagement_, nullptr);
  ASSERT_TRUE(single.Rank("u1", {}, kNow, "", &one).ok());
  EXPECT_EQ(scorer_.calls(), 1);
  o.scoring_threads = 4;
  const Ranker pool(o, &scorer_, &engagement_, nullptr);
  ASSERT_TRUE(pool.Rank("u1", {}, kNow, "", &pooled).ok());
  EXPECT_EQ(scorer_.calls(), 1 + 4);  // 700 candidates: four chunks of at least 128
  ASSERT_EQ(one.size(), pooled.size());
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].video_key, pooled[i].video_key) << i;
    EXPECT_EQ(one[i].probs, pooled[i].probs) << i;
    EXPECT_EQ(one[i].score, pooled[i].score) << i;
  }
}

TEST_F(RankerTest, ScoresOnTheRequestedSurface) {
  Build(2);
  const Ranker ranker(NoPriors(), &scorer_, &engagement_, nullptr);
  std::vector<Candidate> cs = {Find("v0"), Find("v1")};
  ASSERT_TRUE(ranker.Rank("u1", {}, kNow, "", &cs).ok());
  ASSERT_TRUE(ranker.Rank("u1", {}, kNow, "following", &cs).ok());
  const std::vector<uint32_t> tabs = scorer_.tabs();
  ASSERT_EQ(tabs.size(), 4u);
  EXPECT_EQ(tabs[0], static_cast<uint32_t>(common::IdKey("foryou")));  // the options' surface
  EXPECT_EQ(tabs[1], static_cast<uint32_t>(common::IdKey("foryou")));
  EXPECT_EQ(tabs[2], static_cast<uint32_t>(common::IdKey("following")));
  EXPECT_EQ(tabs[3], static_cast<uint32_t>(common::IdKey("following")));
}

TEST_F(RankerTest, ScorerErrorsAreReturnedAndNoCandidatesIsNoCall) {
  Build(2);
  const Ranker ranker(NoPriors(), &scorer_, &engagement_, nullptr);
  std::vector<Candidate> none;
  ASSERT_TRUE(ranker.Rank("u1", {}, kNow, "", &none).ok());
  EXPECT_EQ(scorer_.calls(), 0);
  scorer_.Fail();
  std::vector<Candidate> cs = {Find("v0"), Find("v1")};
  EXPECT_TRUE(absl::IsUnavailable(ranker.Rank("u1", {}, kNow, "", &cs)));
}


// The similar-videos source's brute force (sources.h): blocks of 8 rows, transposed, and each
// row's best dot product with the seeds as a plain loop computes it.
TEST(BestSeedDots, BlocksRowsAndFindsEachRowsBestSeed) {
  constexpr int kDim = 16;
  constexpr size_t kRows = 21;  // two whole blocks and a partial one
  std::vector<float> rows(kRows * kDim);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = std::sin(0.7f * static_cast<float>(i) + 0.3f);
  std::vector<float> blocks;
  BlockRows(rows.data(), kRows, kDim, &blocks);
  ASSERT_EQ(blocks.size(), 3 * kDim * kEmbeddingBlock);
  for (size_t r = 0; r < 3 * kEmbeddingBlock; ++r) {
    for (int d = 0; d < kDim; ++d) {
      const float want = r < kRows ? rows[r * kDim + d] : 0.0f;  // the last block padded
      EXPECT_EQ(blocks[((r / kEmbeddingBlock) * kDim + d) * kEmbeddingBlock + r % kEmbeddingBlock],
                want) << "row " << r << " dim " << d;
    }
  }
  std::vector<std::vector<float>> seed_rows = {std::vector<float>(kDim), std::vector<float>(kDim),
                                               std::vector<float>(kDim)};
  for (size_t s = 0; s < seed_rows.size(); ++s) {
    for (int d = 0; d < kDim; ++d) seed_rows[s][d] = std::cos(1.3f * static_cast<float>(s * kDim + d));
  }
  const std::vector<const float*> seeds = {seed_rows[0].data(), seed_rows[1].data(),
                                           seed_rows[2].data()};
  std::vector<float> best(kRows, 99.0f);
  BestSeedDots(seeds, blocks, kRows, kDim, best.data());
  for (size_t r = 0; r < kRows; ++r) {
    double want = -2;
    for (const float* seed : seeds) {
      double dot = 0;
      for (int d = 0; d < kDim; ++d) dot += static_cast<double>(seed[d]) * rows[r * kDim + d];
      want = std::max(want, dot);
    }
    EXPECT_NEAR(best[r], want, 1e-5) << "row " << r;
  }
  std::vector<float> none(kRows, 99.0f);
  BestSeedDots({}, blocks, kRows, kDim, none.data());
  EXPECT_EQ(none, std::vector<float>(kRows, -2.0f));
}

}  // namespace
}  // namespace foryou::feed
