// The crash test of the real-time loop: a child process ingests a steady event load (training,
// syncing and snapshotting as it goes) and is killed with SIGKILL at a random moment, three
// times, each child resuming from what the previous one left. Then the parent recovers the same
// directories and checks that every acknowledged event is in the log and that the recovered
// state applied every logged event exactly once (the ledger: count and checksum of every
// (offset, payload) pair, carried in each snapshot and advanced by the replay).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "model/model_config.h"
#include "realtime/test_util.h"
#include "realtime/realtime_loop.h"

namespace foryou::realtime {
namespace {

using common::WallMs;

model::ModelConfig Config() { return testing::TinyConfig(); }

LoopOptions Options(const std::string& dir) {
  LoopOptions o;
  o.log.dir = dir + "/log";
  o.log.segment_bytes = 64 << 10;  // several segments
  o.joiner.late_store_dir = dir + "/late";
  o.joiner.window_ms = 200;
  o.snapshot_dir = dir + "/snapshots";
  o.snapshot_interval_ms = 40;
  o.sync_interval_ms = 20;
  return o;
}

// The child: ingest until killed, reporting each acknowledged batch (first offset, count).
[[noreturn]] void Child(const std::string& dir, int ack_fd, uint64_t seed) {
  auto loop = RealtimeLoop::Open(Options(dir), Config(), nullptr);
  if (!loop.ok()) {
    fprintf(stderr, "child: %s\n", std::string(loop.status().message()).c_str());
    _exit(3);
  }
  (*loop)->Start();
  std::mt19937_64 rng(seed);
  for (uint64_t request = 0;; ++request) {
    const int64_t now = WallMs();
    std::vector<Event> batch;
    for (int v = 0; v < 20; ++v) {
      Event imp;
      imp.type = EventType::kImpression;
      imp.user = absl::StrCat("u", rng() % 50);
      imp.video = absl::StrCat("v", rng() % 200);
      imp.request_id = absl::StrCat("s", seed, "-", request, "-", v);
      imp.time_ms = now;
      batch.push_back(imp);
      if (rng() % 4 == 0) {  // some views end (play), others close with the window
        Event play = imp;
        play.type = EventType::kPlay;
        play.watch_ms = static_cast<int64_t>(rng() % 20000);
        batch.push_back(play);
      }
    }
    absl::StatusOr<uint64_t> first = (*loop)->Ingest(batch, now);
    if (!first.ok()) _exit(4);
    const uint64_t ack[2] = {*first, batch.size()};
    if (write(ack_fd, ack, sizeof(ack)) != sizeof(ack)) _exit(5);
    if (!(*loop)->status().ok()) _exit(6);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST(KillTest, EveryAcknowledgedEventSurvivesSigkillExactlyOnce) {
  const std::string dir = ::testing::TempDir() + "/kill_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::mt19937_64 rng(7);
  std::vector<std::pair<uint64_t, uint64_t>> acked;
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      Child(dir, fds[1], 100 + round);
    }
    close(fds[1]);
    // The kill comes at a random moment after the child has acknowledged enough to test (at
    // least 300 ms and 20 batches: counted, not timed, so a loaded machine only makes it later).
    uint64_t ack[2];
    size_t round_acks = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto wait_until = start + std::chrono::milliseconds(300 + rng() % 500);
    while (round_acks < 20 || std::chrono::steady_clock::now() < wait_until) {
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, 100) == 1 && read(fds[0], ack, sizeof(ack)) == sizeof(ack)) {
        acked.emplace_back(ack[0], ack[1]);
        ++round_acks;
      } else if (waitpid(pid, nullptr, WNOHANG) == pid) {
        FAIL() << "the child stopped by itself in round " << round;
      }
      ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(120))
          << "round " << round << ": the child acknowledged " << round_acks << " batches in 120 s";
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself with status "
                                     << WEXITSTATUS(status);
    while (read(fds[0], ack, sizeof(ack)) == sizeof(ack)) {
      acked.emplace_back(ack[0], ack[1]);
      ++round_acks;
    }
    close(fds[0]);
    EXPECT_GE(round_acks, 20u) << "round " << round << " acknowledged too little to test";
  }

  // Recover, catch up with the log, and compare the ledger with the log itself.
  auto loop = RealtimeLoop::Open(Options(dir), Config(), nullptr);
  ASSERT_TRUE(loop.ok()) << loop.status();
  EXPECT_GT((*loop)->restored_offset(), 0u) << "a snapshot should have been restored";
  ASSERT_TRUE((*loop)->ProcessAvailable().ok());
  EventLog& log = (*loop)->log();
  const uint64_t end = log.EndOffset();
  ASSERT_EQ(log.StartOffset(), 0u);
  for (const auto& [first, count] : acked) {
    ASSERT_LE(first + count, end) << "acknowledged events lost";
  }
  Ledger expected;
  std::vector<LogRecord> records;
  for (uint64_t offset = 0; offset < end;) {
    records.clear();
    ASSERT_TRUE(log.Read(offset, 4096, &records).ok());
    ASSERT_FALSE(records.empty());
    for (const LogRecord& r : records) {
      ASSERT_EQ(r.offset, offset);
      ASSERT_TRUE(stream::DecodeEvent(r.payload).ok()) << "offset " << r.offset;
      ++expected.events;
      expected.checksum += Ledger::Hash(r.offset, r.payload);
      ++offset;
    }
  }
  EXPECT_EQ((*loop)->ledger().events, expected.events) << "events lost or applied twice";
  EXPECT_EQ((*loop)->ledger().checksum, expected.checksum) << "events lost or applied twice";
  EXPECT_EQ((*loop)->serving_offset(), end);
}

TEST(KillTest, ACorruptNewestSnapshotFallsBackToTheOlderOne) {
  const std::string dir = ::testing::TempDir() + "/kill_test_fallback";
  std::filesystem::remove_all(dir);
  LoopOptions o = Options(dir);
  o.snapshot_interval_ms = 1'000'000;  // only explicit snapshots
  uint64_t first_snapshot = 0;
  {
    auto loop = RealtimeLoop::Open(o, Config(), nullptr);
    ASSERT_TRUE(loop.ok()) << loop.status();
    const int64_t now = WallMs();
    for (int b = 0; b < 2; ++b) {
      std::vector<Event> batch;
      for (int v = 0; v < 30; ++v) {
        Event imp;
        imp.type = EventType::kImpression;
        imp.user = absl::StrCat("u", v % 5);
        imp.video = absl::StrCat("v", v);
        imp.request_id = absl::StrCat("b", b, "-", v);
        imp.time_ms = now;
        batch.push_back(imp);
        Event skip = imp;
        skip.type = EventType::kSkip;
        skip.watch_ms = 100;
        batch.push_back(skip);
      }
      ASSERT_TRUE((*loop)->Ingest(batch, now).ok());
      ASSERT_TRUE((*loop)->ProcessAvailable().ok());
      ASSERT_TRUE((*loop)->Snapshot().ok());
      if (b == 0) first_snapshot = (*loop)->log().EndOffset();
    }
    EXPECT_EQ((*loop)->snapshots_written(), 2u);
  }
  // Damage the newest snapshot's state file.
  const std::string newest = absl::StrCat(o.snapshot_dir, "/", std::string(20 - std::to_string(120).size(), '0'), 120);
  ASSERT_TRUE(std::filesystem::exists(newest + "/state.bin")) << newest;
  {
    FILE* f = fopen((newest + "/state.bin").c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    fseek(f, 20, SEEK_SET);
    fputc(0x5a, f);
    fclose(f);
  }
  auto loop = RealtimeLoop::Open(o, Config(), nullptr);
  ASSERT_TRUE(loop.ok()) << loop.status();
  EXPECT_EQ((*loop)->restored_offset(), first_snapshot);
  ASSERT_TRUE((*loop)->ProcessAvailable().ok());
  EXPECT_EQ((*loop)->ledger().events, 120u);
}

}  // namespace
}  // namespace foryou::realtime
