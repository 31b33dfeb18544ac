// The real-time loop under storage faults, with real files: an unwritable snapshot or consumer
// offset directory (a regular file where the directory should be: unwritable even for root),
// a snapshot ahead of the log, a damaged log record, a corrupt late store in a snapshot.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "realtime/realtime_loop.h"
#include "realtime/test_util.h"

namespace foryou::realtime {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class StorageFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/storage_fault_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  LoopOptions Options() const {
    LoopOptions o;
    o.log.dir = dir_ + "/log";
    o.log.fsync = FsyncPolicy::kNever;
    o.joiner.late_store_dir = dir_ + "/late";
    o.joiner.window_ms = 200;
    o.snapshot_dir = dir_ + "/snapshots";
    o.snapshot_interval_ms = 1'000'000;  // only explicit snapshots unless a test says otherwise
    o.sync_interval_ms = 10;
    return o;
  }

  std::string dir_;
};

// `n` impressions, every other one with a skip, all valid at `now`.
std::vector<Event> Batch(int tag, int n, int64_t now) {
  std::vector<Event> batch;
  for (int v = 0; v < n; ++v) {
    Event imp;
    imp.type = EventType::kImpression;
    imp.user = absl::StrCat("u", v % 5);
    imp.video = absl::StrCat("v", v);
    imp.request_id = absl::StrCat("b", tag, "-", v);
    imp.time_ms = now;
    batch.push_back(imp);
    if (v % 2 == 0) {
      Event skip = imp;
      skip.type = EventType::kSkip;
      skip.watch_ms = 100;
      batch.push_back(skip);
    }
  }
  return batch;
}

// The ledger of everything in the log: what a loop that applied each record once must hold.
Ledger LogLedger(EventLog& log) {
  Ledger l;
  std::vector<LogRecord> records;
  for (uint64_t off = log.StartOffset(); off < log.EndOffset(); off += records.size()) {
    if (!log.Read(off, 4096, &records).ok() || records.empty()) break;
    for (const LogRecord& r : records) {
      ++l.events;
      l.checksum += Ledger::Hash(r.offset, r.payload);
    }
  }
  return l;
}

// Two snapshots (after `per_batch`-event batches 0 and 1); returns their offsets.
std::pair<uint64_t, uint64_t> TwoSnapshots(const LoopOptions& o, int n) {
  uint64_t first = 0, second = 0;
  auto loop = RealtimeLoop::Open(o, testing::TinyConfig(), nullptr);
  EXPECT_TRUE(loop.ok()) << loop.status();
  if (!loop.ok()) return {0, 0};
  const int64_t now = common::WallMs();
  for (int b = 0; b < 2; ++b) {
    EXPECT_TRUE((*loop)->Ingest(Batch(b, n, now), now).ok());
    EXPECT_TRUE((*loop)->ProcessAvailable().ok());
    EXPECT_TRUE((*loop)->Snapshot().ok());
    (b == 0 ? first : second) = (*loop)->log().EndOffset();
  }
  EXPECT_EQ((*loop)->snapshots_written(), 2u);
  return {first, second};
}

std::string SnapshotName(uint64_t offset) { return absl::StrFormat("%020d", offset); }

// Polls `done` for up to 20 s (the trainer thread works on its own clock).
template <typename F>
bool Eventually(F done) {
  const int64_t deadline = common::SteadyMs() + 20'000;
  while (!done()) {
    if (common::SteadyMs() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

bool HasFault(const StorageHealth& h, std::string_view what) {
  for (const std::string& f : h.faults) {
    if (f.find(what) != std::string::npos) return true;
  }
  return false;
}

TEST_F(StorageFaultTest, UnwritableSnapshotsAndOffsetsDegradeTheLoopWhichRecoversByItself) {
  LoopOptions o = Options();
  o.snapshot_interval_ms = 20;
  auto opened = RealtimeLoop::Open(o, testing::TinyConfig(), nullptr);
  ASSERT_TRUE(opened.ok()) << opened.status();
  RealtimeLoop& loop = **opened;
  loop.Start();
  int tag = 0;
  auto ingest_and_wait = [&] {
    const int64_t now = common::WallMs();
    auto first = loop.Ingest(Batch(tag++, 20, now), now);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_TRUE(loop.WaitForServing(loop.log().EndOffset(), 20'000)) << loop.status();
  };
  ingest_and_wait();
  ASSERT_TRUE(Eventually([&] { return loop.snapshots_written() > 0; }));

  // Each store made unwritable in turn: a regular file where its directory was.
  for (const std::string& broken : {o.snapshot_dir, o.log.dir + "/consumers"}) {
    SCOPED_TRACE(broken);
    // The trainer writes into the directory meanwhile: remove it until a file can take its place.
    ASSERT_TRUE(Eventually([&] {
      std::error_code ec;
      fs::remove_all(broken, ec);
      return common::WriteFileAtomically(broken, "not a directory").ok();
    }));
    const uint64_t failures = loop.storage_health().snapshot_failures;
    ingest_and_wait();
    ASSERT_TRUE(Eventually([&] { return loop.storage_health().snapshot_failures > failures + 1; }));
    // Still training and serving; the fault is reported, not fatal.
    ingest_and_wait();
    EXPECT_TRUE(loop.status().ok()) << loop.status();
    EXPECT_TRUE(HasFault(loop.storage_health(), "snapshots")) << broken;
    // No partial snapshot is left behind to fill the disk.
    if (broken != o.snapshot_dir) {
      for (const auto& e : fs::directory_iterator(o.snapshot_dir)) {
        EXPECT_FALSE(e.path().string().ends_with(".tmp")) << e.path();
      }
    }

    fs::remove(broken);
    ASSERT_TRUE(common::MakeDirs(broken).ok());
    const uint64_t written = loop.snapshots_written();
    ingest_and_wait();
    ASSERT_TRUE(Eventually([&] { return loop.storage_health().faults.empty(); }))
        << loop.storage_health().faults.front();
    EXPECT_TRUE(Eventually([&] { return loop.snapshots_written() > written; }));
  }
  loop.Stop();
  EXPECT_TRUE(loop.status().ok()) << loop.status();
  EXPECT_TRUE(fs::exists(o.log.dir + "/consumers/trainer.offset"));
}

TEST_F(StorageFaultTest, ASnapshotAheadOfTheLogIsSetAsideAndNoEventIsSkipped) {
  const LoopOptions o = Options();
  const auto [first, second] = TwoSnapshots(o, 30);
  ASSERT_EQ(second, 90u);
  // The log loses its last 1,000 bytes (a cut in the middle of a record).
  const std::string segment = o.log.dir + "/00000000000000000000.log";
  fs::resize_file(segment, fs::file_size(segment) - 1000);

  auto loop = RealtimeLoop::Open(o, testing::TinyConfig(), nullptr);
  ASSERT_TRUE(loop.ok()) << loop.status();
  const uint64_t end = (*loop)->log().EndOffset();
  ASSERT_LT(end, second);
  ASSERT_GE(end, first);
  EXPECT_EQ((*loop)->restored_offset(), first);
  EXPECT_EQ((*loop)->storage_health().snapshots_set_aside, 1u);
  EXPECT_TRUE(fs::exists(o.snapshot_dir + "/set_aside/" + SnapshotName(second)));
  EXPECT_FALSE(fs::exists(o.snapshot_dir + "/" + SnapshotName(second)));
  // New events take the offsets the lost tail had; every one of them is applied once.
  const int64_t now = common::WallMs();
  ASSERT_TRUE((*loop)->Ingest(Batch(7, 30, now), now).ok());
  ASSERT_TRUE((*loop)->ProcessAvailable().ok());
  const Ledger want = LogLedger((*loop)->log());
  EXPECT_EQ((*loop)->ledger().events, want.events);
  EXPECT_EQ((*loop)->ledger().checksum, want.checksum);
}

TEST_F(StorageFaultTest, DamagedLogRecordsMakeTheLoopResumeFromBeforeThem) {
  const LoopOptions o = Options();
  const auto [first, second] = TwoSnapshots(o, 30);
  // Flip a payload byte of a record between the two snapshots (offset first + 5).
  const std::string segment = o.log.dir + "/00000000000000000000.log";
  {
    auto log = FileEventLog::Open(o.log).value();
    std::vector<LogRecord> records;
    ASSERT_TRUE(log->Read(0, 1000, &records).ok());
    uint64_t pos = 24;
    for (uint64_t i = 0; i < first + 5; ++i) pos += 16 + records[i].payload.size();
    log.reset();
    std::string bytes = common::ReadFile(segment).value();
    bytes[pos + 16 + 3] ^= 0x21;
    std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;
  }
  auto loop = RealtimeLoop::Open(o, testing::TinyConfig(), nullptr);
  ASSERT_TRUE(loop.ok()) << loop.status();
  EXPECT_EQ((*loop)->log().EndOffset(), second - 1);
  EXPECT_EQ((*loop)->restored_offset(), first);
  const StorageHealth h = (*loop)->storage_health();
  EXPECT_TRUE(HasFault(h, "event log recovery")) << ::testing::PrintToString(h.faults);
  EXPECT_GT(h.log_dropped_bytes, 0u);
  ASSERT_TRUE((*loop)->ProcessAvailable().ok());
  const Ledger want = LogLedger((*loop)->log());
  EXPECT_EQ((*loop)->ledger().events, want.events);
  EXPECT_EQ((*loop)->ledger().checksum, want.checksum);
}

TEST_F(StorageFaultTest, ACorruptLateStoreInTheNewestSnapshotFallsBackToTheOlderOne) {
  const LoopOptions o = Options();
  const auto [first, second] = TwoSnapshots(o, 30);
  const std::string current = o.snapshot_dir + "/" + SnapshotName(second) + "/late/CURRENT";
  ASSERT_TRUE(fs::exists(current));
  fs::remove(current);
  std::ofstream(current, std::ios::binary | std::ios::trunc) << "garbage";

  auto loop = RealtimeLoop::Open(o, testing::TinyConfig(), nullptr);
  ASSERT_TRUE(loop.ok()) << loop.status();
  EXPECT_EQ((*loop)->restored_offset(), first);
  ASSERT_TRUE((*loop)->ProcessAvailable().ok());
  const Ledger want = LogLedger((*loop)->log());
  EXPECT_EQ((*loop)->ledger().events, want.events);
  EXPECT_EQ((*loop)->ledger().checksum, want.checksum);
}

}  // namespace
}  // namespace foryou::realtime
