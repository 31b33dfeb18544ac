// The auction of one slot over N eligible-looking ad groups (targeting, caps and budgets
// checked for each), as a feed request runs it. docs/design/ads.md quotes its numbers.
//
//   build/release/src/ads/auction_benchmark --benchmark_filter=Auction
#include <deque>
#include <random>
#include <vector>

#include "ads/auction.h"
#include "benchmark/benchmark.h"

namespace foryou::ads {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

struct World {
  Campaign campaign;
  std::deque<AdGroup> groups;
  std::deque<Ad> ads;
  std::vector<AdCandidate> candidates;
  ViewerProfile viewer;
};

World Make(int n) {
  World w;
  w.campaign.id = "c1";
  w.campaign.account = "a1";
  std::mt19937_64 rng(3);
  const char* countries[] = {"US", "GB", "DE", "FR", "BR"};
  for (int i = 0; i < n; ++i) {
    AdGroup& g = w.groups.emplace_back();
    g.id = "g" + std::to_string(i);
    g.bid_strategy = static_cast<BidStrategy>(i % 3);
    g.goal = g.bid_strategy == BidStrategy::kBidCap ? Goal::kClick : Goal::kConversion;
    g.bid_micros = g.bid_strategy == BidStrategy::kLowestCost ? 0 : 100'000 + rng() % 2'000'000;
    g.targeting.countries = {countries[i % 5], countries[(i + 1) % 5]};
    g.targeting.interests = {"i" + std::to_string(rng() % 50), "i" + std::to_string(rng() % 50)};
    g.targeting.excluded_audiences = {"buyers"};
    g.frequency_cap.impressions = 3;
    Ad& ad = w.ads.emplace_back();
    ad.id = "d" + std::to_string(i);
    ad.approval = Approval::kApproved;
    AdCandidate c;
    c.campaign = &w.campaign;
    c.group = &g;
    c.ad = &ad;
    c.p_action = 0.001 + static_cast<double>(rng() % 1000) / 20'000;
    c.experience_micros = static_cast<double>(rng() % 2000) - 1000;
    c.delivery = {.goal_events = static_cast<int64_t>(rng() % 200), .spend_micros = 50 * kMicros};
    c.budget_left_micros = 10 * kMicros;
    w.candidates.push_back(c);
  }
  w.viewer.user = "u1";
  w.viewer.country = "US";
  for (int k = 0; k < 20; ++k) w.viewer.interests.insert("i" + std::to_string(k));
  w.viewer.audiences = {"newsletter"};
  return w;
}

void BM_Auction(benchmark::State& state) {
  World w = Make(static_cast<int>(state.range(0)));
  AuctionRequest req;
  req.viewer = &w.viewer;
  req.now_ms = kNow;
  req.reserve_micros = 500;
  AuctionOptions options;
  int eligible = 0;
  for (auto _ : state) {
    AuctionResult r = RunAuction(options, req, w.candidates);
    eligible = r.eligible;
    benchmark::DoNotOptimize(r);
  }
  state.counters["eligible"] = eligible;
}
BENCHMARK(BM_Auction)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace foryou::ads

BENCHMARK_MAIN();
