// What the ads add to one For You request: AdStage::Place on an arranged page of 10 for a new
// viewer (so the slot at position 4 is open), with N eligible ad groups (every one targets
// everyone, fast pacing, a budget that never runs out), against the same page with ads off.
// Prints the added time's p50 and p99 per N. The model part is a constant scorer: the stage
// scores only its shortlist (16 rows), about 16/500 of a feed's scoring.
//
//   build/release/src/feed/ad_stage_benchmark [requests]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/id_key.h"
#include "feed/ad_stage.h"
#include "model/model_config.h"

namespace foryou::feed {
namespace {

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

constexpr int kOrganic = 100;

int Run(int groups, int requests) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           absl::StrCat("foryou_ad_stage_bench_", ::getpid(), "_", groups))
                              .string();
  std::filesystem::remove_all(dir);
  auto store = ads::AdsStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  ads::Ledger ledger(store->get(), /*sync=*/false);
  if (!ledger.Load().ok()) return 1;
  ads::Pacer pacer(&ledger, ads::PacerOptions{});
  std::vector<catalog::Video> videos;
  for (int v = 0; v < kOrganic + groups; ++v) {
    catalog::Video video;
    video.id = absl::StrCat("v", v);
    video.creator = v < kOrganic ? absl::StrCat("c", v % 20) : absl::StrCat("brand", v);
    video.hashtags = {absl::StrCat("tag", v % 7)};
    video.duration_ms = 15000;
    video.moderation = catalog::Moderation::kApproved;
    videos.push_back(video);
  }
  VideoIndex index;
  index.Build(videos);
  const auto snap = index.snapshot();
  for (int g = 0; g < groups; ++g) {
    const std::string n = std::to_string(g);
    ads::Campaign c;
    c.id = "c" + n;
    c.account = "a" + n;
    c.name = "C";
    ads::AdGroup group;
    group.id = "g" + n;
    group.campaign = c.id;
    group.name = "G";
    group.bid_strategy = ads::BidStrategy::kBidCap;
    group.goal = g % 2 == 0 ? ads::Goal::kImpression : ads::Goal::kClick;
    group.bid_micros = (g % 2 == 0 ? 5 + g % 20 : 1) * ads::kMicros;
    group.pacing = ads::Pacing::kFast;
    ads::Ad ad;
    ad.id = "d" + n;
    ad.ad_group = group.id;
    ad.name = "D";
    ad.video = absl::StrCat("v", kOrganic + g);
    ad.landing_url = "https://shop.example/";
    ad.approval = ads::Approval::kApproved;
    if (!(*store)->PutAccount({c.account, "A", "o"}).ok() || !(*store)->PutCampaign(c).ok() ||
        !(*store)->PutAdGroup(group).ok() || !(*store)->PutAd(ad).ok()) {
      return 1;
    }
  }
  ConstantScorer scorer;
  AdStage stage(AdStageOptions{}, store->get(), &ledger, &pacer, &scorer);
  const int64_t now = 1'700'000'000'000;
  // Wall time, and the thread's CPU time (what the request costs, preemption left out: the
  // shared machine's wall-clock tail is other processes').
  std::vector<double> micros, cpu_micros;
  const auto cpu_now = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
  };
  int ads = 0;
  for (int r = 0; r < requests; ++r) {
    FeedPage page;
    page.request_id = absl::StrCat("r", r);
    page.model_user = absl::StrCat("u", r);
    for (int i = 0; i < 10; ++i) {
      FeedItem item;
      item.entry = snap->all[static_cast<size_t>((r + i * 7) % kOrganic)];
      item.candidate = item.entry->proto;
      item.candidate.value = 1.0f;
      page.items.push_back(std::move(item));
    }
    catalog::User user;
    user.id = page.model_user;
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_now();
    if (!stage.Place(user, snap, now + r, &page).ok()) return 1;
    cpu_micros.push_back(cpu_now() - c0);
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    for (const FeedItem& item : page.items) ads += item.ad != nullptr;
  }
  std::sort(micros.begin(), micros.end());
  std::sort(cpu_micros.begin(), cpu_micros.end());
  std::printf(
      "ad groups %5d  requests %d  ads placed %d  wall p50 %.1f us p99 %.1f us  cpu p50 %.1f us "
      "p99 %.1f us\n",
      groups, requests, ads, micros[micros.size() / 2], micros[micros.size() * 99 / 100],
      cpu_micros[cpu_micros.size() / 2], cpu_micros[cpu_micros.size() * 99 / 100]);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace foryou::feed

int main(int argc, char** argv) {
  const int requests = argc > 1 ? std::max(100, std::atoi(argv[1])) : 2000;
  for (int groups : {0, 100, 1000}) {
    if (foryou::feed::Run(groups, requests) != 0) return 1;
  }
  return 0;
}
