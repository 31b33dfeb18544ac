// Ranker's scoring pool under concurrent requests (run under TSan: label unit_concurrency): a
// request alone splits its batch over the idle workers; a request that arrives while another
// is scoring scores its whole batch on its own thread, in one call.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/mutex.h"
#include "feed/ranking.h"
#include "feed/video_index.h"

namespace foryou::feed {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

// Records the size of every batch it scores; the first call waits for `release` once `hold`
// is set (after telling `entered`), so a test can keep one request inside the scorer.
class HoldingScorer : public Scorer {
 public:
  absl::Status Score(absl::Span<const model::Impression> impressions,
                     float* probs) const override {
    bool wait = false;
    {
      common::MutexLock lock(&mu_);
      sizes_.push_back(impressions.size());
      if (hold_ && !held_) wait = held_ = true;
    }
    if (wait) {
      entered_.Notify();
      release_.WaitForNotification();
    }
    std::fill(probs, probs + impressions.size() * model::kNumTasks, 0.5f);
    return absl::OkStatus();
  }
  int embedding_dim() const override { return 1; }
  absl::Status VideoEmbeddings(absl::Span<const uint64_t> keys, float* out) const override {
    std::fill(out, out + keys.size(), 1.0f);
    return absl::OkStatus();
  }

  void Hold() {
    common::MutexLock lock(&mu_);
    hold_ = true;
  }
  void WaitEntered() { entered_.WaitForNotification(); }
  void Release() { release_.Notify(); }
  std::vector<size_t> sizes() const {
    common::MutexLock lock(&mu_);
    return sizes_;
  }

 private:
  mutable common::Mutex mu_;
  mutable std::vector<size_t> sizes_ ABSL_GUARDED_BY(mu_);
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  mutable bool held_ ABSL_GUARDED_BY(mu_) = false;
  mutable absl::Notification entered_, release_;
};

std::vector<Candidate> Candidates(const VideoIndex::Snapshot& index) {
  std::vector<Candidate> cs;
  for (const auto& e : index.all) cs.push_back(e->proto);
  return cs;
}

TEST(RankerConcurrencyTest, AnotherRequestScoringMeansNoSplit) {
  std::vector<catalog::Video> videos(600);
  for (size_t i = 0; i < videos.size(); ++i) {
    videos[i].id = absl::StrCat("v", i);
    videos[i].creator = absl::StrCat("c", i);
    videos[i].moderation = catalog::Moderation::kApproved;
  }
  VideoIndex index;
  index.Build(videos);
  const auto snapshot = index.snapshot();
  HoldingScorer scorer;
  EngagementStats engagement;
  FeedOptions options;
  options.scoring_threads = 3;  // the caller and 2 workers
  options.popularity_weight = 0;
  const Ranker ranker(options, &scorer, &engagement, nullptr);

  // Alone: 600 candidates in 3 chunks of 200.
  std::vector<Candidate> alone = Candidates(*snapshot);
  ASSERT_TRUE(ranker.Rank("u1", {}, kNow, "", &alone).ok());
  EXPECT_EQ(scorer.sizes(), (std::vector<size_t>{200, 200, 200}));

  // The first request is held inside the scorer; the second scores its 600 in one call.
  scorer.Hold();
  std::thread first([&] {
    std::vector<Candidate> cs = Candidates(*snapshot);
    EXPECT_TRUE(ranker.Rank("u1", {}, kNow, "", &cs).ok());
    EXPECT_EQ(cs.size(), 600u);
  });
  scorer.WaitEntered();
  std::vector<Candidate> second = Candidates(*snapshot);
  ASSERT_TRUE(ranker.Rank("u2", {}, kNow, "", &second).ok());
  std::vector<size_t> sizes = scorer.sizes();
  EXPECT_NE(std::find(sizes.begin() + 3, sizes.end(), 600u), sizes.end());
  scorer.Release();
  first.join();
  sizes = scorer.sizes();
  // 3 + the first request's 3 chunks + the second's one batch.
  EXPECT_EQ(sizes.size(), 7u);
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), 200u), 6);
}

}  // namespace
}  // namespace foryou::feed
