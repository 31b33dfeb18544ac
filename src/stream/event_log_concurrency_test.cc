// Concurrent appenders and readers on one FileEventLog (label unit_concurrency: also run under
// TSan). Checks group commit: offsets unique and consecutive, each Append's records contiguous,
// every record readable exactly once, readers never see an incomplete record.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "stream/event_log.h"

namespace foryou::stream {
namespace {

namespace fs = std::filesystem;

std::string TestDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(::testing::TempDir()) /
                 absl::StrCat("event_log_conc_", info->name(), "_", ::getpid());
  fs::remove_all(dir);
  return dir.string();
}

// Payload "thread/batch/index/" padded to a length that depends on all three.
std::string Payload(int thread, int batch, int index) {
  std::string p = absl::StrCat(thread, "/", batch, "/", index, "/");
  p.append((thread * 31 + batch * 7 + index) % 120, 'x');
  return p;
}

struct AppendResult {
  int thread, batch, size;
  uint64_t first;
};

void RunConcurrentAppenders(FsyncPolicy policy, int batches_per_thread) {
  constexpr int kThreads = 4;
  const std::string dir = TestDir();
  LogOptions o;
  o.dir = dir;
  o.segment_bytes = 8192;  // many rolls inside groups
  o.fsync = policy;
  o.fsync_interval_ms = 2;
  auto log = FileEventLog::Open(o).value();

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> tail_seen{0};
  // A tailing reader: whatever it sees must be complete and in order.
  std::thread reader([&] {
    uint64_t next = 0;
    std::vector<LogRecord> out;
    while (!stop.load()) {
      const uint64_t end = log->EndOffset();
      ASSERT_LE(next, end);
      absl::Status s = log->Read(next, 100, &out);
      ASSERT_TRUE(s.ok()) << s;
      for (const LogRecord& r : out) {
        ASSERT_EQ(r.offset, next);
        std::vector<std::string> parts = absl::StrSplit(r.payload, '/');
        ASSERT_EQ(parts.size(), 4u) << r.payload;
        int t, b, i;
        ASSERT_TRUE(absl::SimpleAtoi(parts[0], &t) && absl::SimpleAtoi(parts[1], &b) &&
                    absl::SimpleAtoi(parts[2], &i));
        ASSERT_EQ(r.payload, Payload(t, b, i));
        ++next;
      }
      if (out.empty()) std::this_thread::yield();
    }
    tail_seen = next;
  });

  std::vector<std::vector<AppendResult>> results(kThreads);
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int b = 0; b < batches_per_thread; ++b) {
        const int n = 1 + (t * 13 + b * 7) % 24;
        std::vector<std::string> owned;
        for (int i = 0; i < n; ++i) owned.push_back(Payload(t, b, i));
        std::vector<std::string_view> views(owned.begin(), owned.end());
        auto first = log->Append(views);
        ASSERT_TRUE(first.ok()) << first.status();
        results[t].push_back({t, b, n, *first});
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();

  // Offsets: the groups tile [0, end) exactly, each Append's records contiguous and its own.
  std::vector<AppendResult> all;
  for (const auto& r : results) all.insert(all.end(), r.begin(), r.end());
  std::sort(all.begin(), all.end(),
            [](const AppendResult& a, const AppendResult& b) { return a.first < b.first; });
  uint64_t expected_first = 0;
  for (const AppendResult& r : all) {
    ASSERT_EQ(r.first, expected_first);
    expected_first += r.size;
  }
  ASSERT_EQ(log->EndOffset(), expected_first);
  ASSERT_LE(tail_seen.load(), expected_first);

  std::vector<LogRecord> out;
  for (const AppendResult& r : all) {
    ASSERT_TRUE(log->Read(r.first, r.size, &out).ok());
    ASSERT_EQ(out.size(), static_cast<size_t>(r.size));
    for (int i = 0; i < r.size; ++i) ASSERT_EQ(out[i].payload, Payload(r.thread, r.batch, i));
  }

  const LogStats stats = log->stats();
  EXPECT_EQ(stats.appends, all.size());
  EXPECT_EQ(stats.records, expected_first);
  EXPECT_GE(stats.groups, 1u);
  EXPECT_LE(stats.groups, stats.appends);
  if (policy == FsyncPolicy::kNever) {
    EXPECT_EQ(stats.syncs, 0u);
  } else if (policy == FsyncPolicy::kEveryBatch) {
    EXPECT_GE(stats.syncs, stats.groups);
  }

  // And the same after a reopen.
  log.reset();
  log = FileEventLog::Open(o).value();
  ASSERT_EQ(log->EndOffset(), expected_first);
  EXPECT_EQ(log->recovery().truncated_bytes, 0u);
  for (const AppendResult& r : all) {
    ASSERT_TRUE(log->Read(r.first, r.size, &out).ok());
    for (int i = 0; i < r.size; ++i) ASSERT_EQ(out[i].payload, Payload(r.thread, r.batch, i));
  }
  log.reset();
  fs::remove_all(dir);
}

TEST(EventLogConcurrencyTest, FourAppendersNoSync) {
  RunConcurrentAppenders(FsyncPolicy::kNever, 300);
}

TEST(EventLogConcurrencyTest, FourAppendersEveryBatch) {
  RunConcurrentAppenders(FsyncPolicy::kEveryBatch, 60);
}

TEST(EventLogConcurrencyTest, FourAppendersInterval) {
  RunConcurrentAppenders(FsyncPolicy::kInterval, 60);
}

TEST(EventLogConcurrencyTest, RetentionAndCommitsDuringAppends) {
  const std::string dir = TestDir();
  LogOptions o;
  o.dir = dir;
  o.segment_bytes = 4096;
  o.fsync = FsyncPolicy::kNever;
  o.retention_bytes = 4 * 4096;
  auto log = FileEventLog::Open(o).value();
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int b = 0; b < 400; ++b) {
      std::vector<std::string> owned(5, std::string(60, 'e'));
      std::vector<std::string_view> views(owned.begin(), owned.end());
      ASSERT_TRUE(log->Append(views).ok());
    }
    stop = true;
  });
  std::thread consumer([&] {
    uint64_t next = 0;
    std::vector<LogRecord> out;
    while (!stop.load() || next < log->EndOffset()) {
      absl::Status s = log->Read(next, 50, &out);
      if (s.code() == absl::StatusCode::kOutOfRange) {  // fell behind retention: skip ahead
        next = log->StartOffset();
        continue;
      }
      ASSERT_TRUE(s.ok()) << s;
      for (const LogRecord& r : out) ASSERT_EQ(r.offset, next++);
      if (!out.empty()) {
        ASSERT_TRUE(log->CommitOffset("c", next).ok());
      }
    }
  });
  std::thread retention([&] {
    while (!stop.load()) ASSERT_TRUE(log->EnforceRetention(0).ok());
  });
  writer.join();
  consumer.join();
  retention.join();
  EXPECT_EQ(log->CommittedOffset("c").value(), 2000u);
  log.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace foryou::stream
