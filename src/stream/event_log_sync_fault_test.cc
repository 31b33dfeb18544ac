// FileEventLog when fdatasync fails (EIO from the disk): the group whose sync failed is refused,
// none of it becomes readable or survives a reopen, and the next Append succeeds. The fault is
// injected at the system call: this test binary defines fdatasync, which the log's static
// library resolves here instead of in libc; it fails while `g_sync_failures` is above zero.
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stream/event_log.h"
#include "stream/event_log_test_util.h"

namespace {
std::atomic<int> g_sync_failures{0};  // fdatasync calls still to fail
std::atomic<int> g_sync_calls{0};
}  // namespace

extern "C" int fdatasync(int fd) {
  g_sync_calls.fetch_add(1);
  int left = g_sync_failures.load();
  while (left > 0) {
    if (g_sync_failures.compare_exchange_weak(left, left - 1)) {
      errno = EIO;
      return -1;
    }
  }
  return static_cast<int>(::syscall(SYS_fdatasync, fd));
}

namespace foryou::stream {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

uint64_t SegmentBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".log") total += fs::file_size(e.path());
  }
  return total;
}

std::vector<std::string> Payloads(uint64_t from, uint64_t n) {
  std::vector<std::string> out;
  for (uint64_t i = from; i < from + n; ++i) out.push_back(Payload(i));
  return out;
}

void CheckSyncFailure(const std::string& dir, FsyncPolicy policy) {
  LogOptions o;
  o.dir = dir;
  o.fsync = policy;
  o.fsync_interval_ms = 2;
  const std::vector<std::string> acked = Payloads(0, 40), refused = Payloads(40, 25);
  const std::vector<std::string_view> acked_v(acked.begin(), acked.end()),
      refused_v(refused.begin(), refused.end());
  {
    auto log = FileEventLog::Open(o).value();
    ASSERT_EQ(log->Append(acked_v).value(), 0u);
    const uint64_t bytes = SegmentBytes(dir);

    g_sync_calls = 0;
    g_sync_failures = 1;
    absl::StatusOr<uint64_t> first = log->Append(refused_v);
    ASSERT_FALSE(first.ok());
    EXPECT_GE(g_sync_calls.load(), 1);
    // An I/O error, not a bad batch (the real-time loop answers it as Unavailable: HTTP 503
    // with Retry-After, realtime_loop.h).
    EXPECT_FALSE(absl::IsInvalidArgument(first.status())) << first.status();
    EXPECT_THAT(first.status().message(), HasSubstr("cannot sync"));
    EXPECT_THAT(first.status().message(), HasSubstr("Input/output error"));
    // Nothing of the refused group is readable.
    EXPECT_EQ(log->EndOffset(), acked.size());
    EXPECT_EQ(log->stats().failed_appends, 1u);
    if (policy == FsyncPolicy::kEveryBatch) {
      // The leader cut the files back before returning.
      EXPECT_EQ(SegmentBytes(dir), bytes);
      EXPECT_GE(log->stats().rollbacks, 1u);
    }  // kInterval: the next leader cuts them back before it writes

    // The disk is fine again: the same batch is accepted right after the acknowledged records,
    // with nothing of the refused attempt in between.
    ASSERT_EQ(log->Append(refused_v).value(), acked.size());
    EXPECT_GE(log->stats().rollbacks, 1u);
    ExpectRange(log.get(), 0, acked.size() + refused.size());
  }
  // A restart finds exactly the acknowledged records and nothing to repair.
  auto log = FileEventLog::Open(o).value();
  EXPECT_EQ(log->recovery().truncated_bytes, 0u);
  EXPECT_EQ(log->EndOffset(), acked.size() + refused.size());
  ExpectRange(log.get(), 0, acked.size() + refused.size());
}

TEST_F(EventLogTest, AFailedSyncRefusesTheBatchAndTheLogRecovers) {
  CheckSyncFailure(dir_, FsyncPolicy::kEveryBatch);
}

TEST_F(EventLogTest, AFailedIntervalSyncRefusesTheBatchAndTheLogRecovers) {
  CheckSyncFailure(dir_, FsyncPolicy::kInterval);
}

}  // namespace
}  // namespace foryou::stream
