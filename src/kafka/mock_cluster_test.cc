// RunMockCluster (`foryou kafka-mock`): prints a bootstrap address clients can use, with the
// event topic created, and stops when asked.
#include "kafka/mock_cluster.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/str_split.h"
#include "common/mutex.h"
#include "kafka/kafka_event_log.h"
#include "stream/event.h"

namespace foryou::kafka {
namespace {

TEST(MockClusterTest, RunPrintsABootstrapClientsCanUseAndStops) {
  common::Mutex mu;
  std::string bootstrap;  // guarded by mu
  std::atomic<bool> stop{false};
  absl::Status result;
  MockClusterRun run;
  run.brokers = 2;
  run.partitions = 3;
  std::thread runner([&] {
    result = RunMockCluster(
        run,
        [&](const std::string& b) {
          common::MutexLock lock(&mu);
          bootstrap = b;
        },
        [&] { return stop.load(); });
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  {
    common::MutexLock lock(&mu);
    while (bootstrap.empty() && std::chrono::steady_clock::now() < deadline) {
      lock.Unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      lock.Lock();
    }
  }
  ASSERT_FALSE(bootstrap.empty()) << "never ready";
  std::vector<std::string> brokers = absl::StrSplit(bootstrap, ',');
  EXPECT_EQ(brokers.size(), 2u) << bootstrap;
  for (const std::string& b : brokers) EXPECT_EQ(b.rfind("127.0.0.1:", 0), 0u) << b;

  {
    KafkaLogOptions o;
    o.bootstrap = bootstrap;  // the default topic, created by the run
    absl::StatusOr<std::unique_ptr<KafkaEventLog>> log = KafkaEventLog::Open(o);
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ((*log)->partitions(), 3);
    stream::Event e;
    e.type = stream::EventType::kLike;
    e.user = "u1";
    e.time_ms = 1700000000000;
    e.video = "v1";
    std::string record;
    stream::EncodeEvent(e, &record);
    std::vector<std::string_view> batch = {record};
    EXPECT_TRUE((*log)->Append(batch).ok());
  }
  stop = true;
  runner.join();
  EXPECT_TRUE(result.ok()) << result;
}

TEST(MockClusterTest, BadCountsAreRefused) {
  bool ready = false;
  auto on_ready = [&](const std::string&) { ready = true; };
  MockClusterRun run;
  run.brokers = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(RunMockCluster(run, on_ready, [] { return true; })));
  run.brokers = 1;
  run.partitions = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(RunMockCluster(run, on_ready, [] { return true; })));
  EXPECT_FALSE(ready);
}

}  // namespace
}  // namespace foryou::kafka
