// RunMockCluster (`foryou kafka-mock`): prints a bootstrap address clients can use, with the
// event topic created, and stops when asked.
#include "kafka/mock_cluster.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <utility>
#include <vector>

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

TEST(MockClusterTest, ControlAppliesFaultCommandsAndRefusesBadOnes) {
  absl::StatusOr<std::unique_ptr<MockKafkaCluster>> cluster = MockKafkaCluster::Start(2);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  MockKafkaCluster& c = **cluster;
  for (const char* good : {"down 1", "up 1", "down all", "up all", "  rtt 2 500 ", "rtt all 0",
                           "", "# a comment"}) {
    EXPECT_TRUE(c.Control(good).ok()) << good << ": " << c.Control(good);
  }
  for (const char* bad : {"down", "down 3", "down 0", "up x", "rtt 1", "rtt 1 -5",
                          "rtt 1 60001", "rtt 1 5 6", "reboot 1", "DOWN 1"}) {
    absl::Status s = c.Control(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad << ": " << s;
    EXPECT_NE(s.message().find("commands: down BROKER"), std::string::npos) << s;
  }
}

// The commands reach a running cluster through its control descriptor, one answer a line,
// including a last line without a newline; end of file leaves the cluster running.
TEST(MockClusterTest, RunReadsCommandsFromItsControlDescriptor) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  common::Mutex mu;
  std::vector<std::pair<std::string, bool>> answers;  // guarded by mu
  std::atomic<bool> stop{false};
  absl::Status result;
  MockClusterRun run;
  run.control_fd = fds[0];
  std::thread runner([&] {
    result = RunMockCluster(
        run, [](const std::string&) {}, [&] { return stop.load(); },
        [&](std::string_view line, const absl::Status& s) {
          common::MutexLock lock(&mu);
          answers.emplace_back(std::string(line), s.ok());
        });
  });
  const std::string commands = "down 1\nup 7\nup all\nrtt 1 20";
  ASSERT_EQ(write(fds[1], commands.data(), commands.size()),
            static_cast<ssize_t>(commands.size()));
  close(fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  size_t n = 0;
  while (n < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    common::MutexLock lock(&mu);
    n = answers.size();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // still running after EOF
  stop = true;
  runner.join();
  close(fds[0]);
  EXPECT_TRUE(result.ok()) << result;
  common::MutexLock lock(&mu);
  const std::vector<std::pair<std::string, bool>> want = {
      {"down 1", true}, {"up 7", false}, {"up all", true}, {"rtt 1 20", true}};
  EXPECT_EQ(answers, want);
}

}  // namespace
}  // namespace foryou::kafka
