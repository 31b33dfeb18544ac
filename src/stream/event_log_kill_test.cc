// The event log under SIGKILL: a child process appends with per-batch fsync until it is killed at
// a random moment; everything it acknowledged must be there after reopening.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include "stream/event_log.h"
#include "stream/event_log_test_util.h"

namespace foryou::stream {
namespace {

// The crash test: a child appends (per-batch fsync) until SIGKILL at a random moment and
// reports each acknowledged batch through a pipe. Every acknowledged record must survive,
// intact and once, and the log must be exactly a prefix of what the child tried to write.
TEST_F(EventLogTest, SigkillLosesNothingAcknowledged) {
  const std::string dir = dir_;
  std::random_device rd;
  const uint64_t seed = rd();
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937_64 rng(seed);
  LogOptions o;
  o.dir = dir;
  o.segment_bytes = 16 << 10;
  o.fsync = FsyncPolicy::kEveryBatch;

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto log = FileEventLog::Open(o);
    if (!log.ok()) ::_exit(2);
    std::mt19937_64 crng(seed ^ 0x9e37);
    for (uint64_t next = 0;;) {
      const uint64_t n = 1 + crng() % 40;
      std::vector<std::string> owned;
      for (uint64_t i = next; i < next + n; ++i) owned.push_back(Payload(i));
      std::vector<std::string_view> views(owned.begin(), owned.end());
      auto first = (*log)->Append(views);
      if (!first.ok() || *first != next) ::_exit(3);
      const uint64_t acked[2] = {next, n};
      if (::write(fds[1], acked, sizeof(acked)) != sizeof(acked)) ::_exit(4);
      next += n;
    }
  }
  ::close(fds[1]);
  // The kill lands at a random moment after the child's first acknowledgement (a fixed delay from
  // the fork could end before a slow, sanitized or loaded child has appended anything).
  uint64_t first[2];
  const bool started = ::read(fds[0], first, sizeof(first)) == sizeof(first);
  if (started) std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 200));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(started) << "the child acknowledged nothing (exit status " << WEXITSTATUS(status)
                       << ")";
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  ASSERT_EQ(first[0], 0u);
  uint64_t acked_end = first[1];
  uint64_t msg[2];
  while (::read(fds[0], msg, sizeof(msg)) == sizeof(msg)) {
    ASSERT_EQ(msg[0], acked_end);
    acked_end += msg[1];
  }
  ::close(fds[0]);

  auto log = FileEventLog::Open(o).value();
  EXPECT_GE(log->EndOffset(), acked_end);
  // A prefix of the child's sequence: every acknowledged record intact, nothing duplicated.
  ExpectRange(log.get(), 0, log->EndOffset(), 1000);
  std::cerr << "crash test: " << acked_end << " records acknowledged, " << log->EndOffset()
            << " recovered, " << log->recovery().truncated_bytes << " bytes truncated\n";
  AppendRange(log.get(), log->EndOffset(), log->EndOffset() + 5, 5);
}

}  // namespace
}  // namespace foryou::stream
