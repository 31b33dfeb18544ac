// Readers look up while one writer adds and removes videos (run under TSan by the
// unit_concurrency label).
#include <atomic>
#include <random>
#include <thread>

#include "gtest/gtest.h"
#include "moderation/duplicate_index.h"

namespace foryou::moderation {
namespace {

TEST(DuplicateIndexConcurrencyTest, ReadersSeeStableVideosWhileAWriterChurns) {
  DuplicateIndex index(DuplicateIndexOptions{});
  std::mt19937_64 rng(11);
  std::vector<uint64_t> stable(6);
  for (uint64_t& h : stable) h = rng();
  ASSERT_TRUE(index.Add("stable", stable).ok());

  std::atomic<bool> done{false};
  std::atomic<int> lookups{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        const std::vector<DuplicateMatch> m = index.Lookup(stable);
        // The stable video is always found, whatever the writer does meanwhile.
        bool found = false;
        for (const DuplicateMatch& x : m) found |= x.video == "stable" && x.distance == 0;
        EXPECT_TRUE(found);
        lookups.fetch_add(1);
      }
    });
  }
  std::vector<uint64_t> churn(6);
  for (int i = 0; i < 300; ++i) {
    for (uint64_t& h : churn) h = rng();
    const std::string id = "v" + std::to_string(i % 20);
    ASSERT_TRUE(index.Add(id, churn).ok());
    if (i % 3 == 0) index.Remove("v" + std::to_string((i + 7) % 20));
  }
  while (lookups.load() < 30) std::this_thread::yield();
  done.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_TRUE(index.Contains("stable"));
  // The last Add (v19, not removed after it) answers for its hashes.
  const std::vector<DuplicateMatch> last = index.Lookup(churn);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].video, "v19");
}

}  // namespace
}  // namespace foryou::moderation
