// The feed's per-request work around the model: ranking 500 candidates (impressions, the
// audience and watch-next priors, the source bonus, the sort), eligibility and the rules that
// follow (not-interested penalties, the arrangement), over a scorer that costs nothing, so the
// figures are the feed's own overhead (the model's forward pass is ~1 ms on top of it).
// Run: build/release/src/feed/ranking_benchmark
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "feed/eligibility.h"
#include "feed/ranking.h"
#include "feed/rules.h"
#include "feed/video_index.h"

namespace foryou::feed {
namespace {

constexpr int kVideos = 7500, kCandidates = 500;

// Predictions from the video key alone: no model, no state.
class ConstantScorer : public Scorer {
 public:
  absl::Status Score(absl::Span<const model::Impression> impressions,
                     float* probs) const override {
    for (size_t i = 0; i < impressions.size(); ++i) {
      for (int t = 0; t < model::kNumTasks; ++t) {
        probs[i * model::kNumTasks + t] =
            static_cast<float>((impressions[i].video_id >> (t * 4)) & 0xff) / 512.0f;
      }
    }
    return absl::OkStatus();
  }
  int embedding_dim() const override { return 1; }
  absl::Status VideoEmbeddings(absl::Span<const uint64_t> keys, float* out) const override {
    for (size_t i = 0; i < keys.size(); ++i) out[i] = 1;
    return absl::OkStatus();
  }
};

struct World {
  VideoIndex index;
  std::shared_ptr<const VideoIndex::Snapshot> snapshot;
  EngagementStats engagement;
  WatchNext watch_next;
  ConstantScorer scorer;
  std::vector<Candidate> candidates;  // kCandidates, from several sources

  World() {
    std::vector<catalog::Video> videos;
    for (int i = 0; i < kVideos; ++i) {
      catalog::Video v;
      v.id = absl::StrCat(1000 + i);
      v.creator = absl::StrCat("c", i % 900);
      v.sound = absl::StrCat("s", i % 300);
      v.hashtags = {absl::StrCat("cat", i % 40), absl::StrCat("t", i % 97)};
      v.duration_ms = 15'000;
      v.moderation = catalog::Moderation::kApproved;
      videos.push_back(v);
    }
    index.Build(videos);
    snapshot = index.snapshot();
    std::mt19937_64 rng(7);
    for (int k = 0; k < 2000; ++k) {
      const uint64_t key = snapshot->all[rng() % kVideos]->proto.video_key;
      watch_next.Observe(absl::StrCat(k % 50), key, 1'000'000 + k, WatchNext::kImpression);
    }
    for (int k = 0; k < kCandidates; ++k) {
      Candidate c = snapshot->all[(k * 13) % kVideos]->proto;
      c.sources = SourceBit(static_cast<Source>(k % static_cast<int>(Source::kNumSources)));
      candidates.push_back(c);
    }
  }
};

World& TheWorld() {
  static World* world = new World();
  return *world;
}

FeedOptions Options() {
  FeedOptions o;
  o.scoring_threads = 1;  // the overhead alone, on the calling thread
  return o;
}

void BM_Rank(benchmark::State& state) {
  World& w = TheWorld();
  const FeedOptions options = Options();
  const Ranker ranker(options, &w.scorer, &w.engagement, &w.watch_next);
  const SessionEvidence evidence = EvidenceOf({}, *w.snapshot, {"cat1", "cat2"});
  for (auto _ : state) {
    std::vector<Candidate> cs = w.candidates;
    absl::Status s = ranker.Rank("7", evidence, 2'000'000, "", &cs);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * kCandidates);
}
BENCHMARK(BM_Rank);

// Eligibility against a full seen set, then the rules down to a page of 10.
void BM_EligibleAndRules(benchmark::State& state) {
  World& w = TheWorld();
  const FeedOptions options = Options();
  SeenSet seen;
  for (int i = 0; i < 5000; ++i) seen.insert(w.snapshot->all[(i * 7 + 3) % kVideos]->proto.video_key);
  catalog::User user;
  user.hidden_creators = {"c1", "c2"};
  user.keyword_filters = {"spoiler"};
  const UserFilters filters = FiltersOf(user);
  NotInterested not_interested;
  not_interested.creators[AttributeKey("c5")] = 1;
  std::vector<Candidate> ranked = w.candidates;
  for (size_t i = 0; i < ranked.size(); ++i) ranked[i].value = ranked[i].score = -static_cast<float>(i);
  const std::vector<Candidate> previous;
  for (auto _ : state) {
    RuleStats stats;
    std::vector<Candidate> cs = KeepEligible(ranked, filters, seen, &stats);
    ApplyNotInterested(not_interested, options.rules, &cs, &stats);
    std::mt19937_64 rng(1);
    std::vector<Candidate> page = Arrange(std::move(cs), 10, options.rules, previous, rng, &stats);
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * kCandidates);
}
BENCHMARK(BM_EligibleAndRules);

}  // namespace
}  // namespace foryou::feed

BENCHMARK_MAIN();
