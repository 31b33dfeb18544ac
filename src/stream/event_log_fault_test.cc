// FileEventLog under storage faults: a full disk in the middle of a group (made with
// RLIMIT_FSIZE in a forked child, so it works unprivileged: writes past the limit fail with
// EFBIG) and a damaged record in the middle of the last segment.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stream/event_log.h"
#include "stream/event_log_test_util.h"

namespace foryou::stream {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr uint64_t kSegmentHeaderBytes = 24;
constexpr uint64_t kRecordHeaderBytes = 16;

uint64_t ActiveSegmentSize(const std::string& dir) {
  uint64_t size = 0;
  std::string newest;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".log" && name > newest) {
      newest = name;
      size = fs::file_size(e.path());
    }
  }
  return size;
}

std::vector<std::string_view> Views(const std::vector<std::string>& owned) {
  return {owned.begin(), owned.end()};
}

std::vector<std::string> Payloads(uint64_t from, uint64_t n) {
  std::vector<std::string> out;
  for (uint64_t i = from; i < from + n; ++i) out.push_back(Payload(i));
  return out;
}

// In a child: appends `before`, caps the file size at cap(size of the active segment), appends
// `refused` (must fail and leave the segment files as they were), appends it again (must still
// fail), lifts the cap and appends it once more (must land right after `before`). Returns the
// child's exit code: 0, or the number of the failed step.
int FullDiskChild(const LogOptions& o, const std::vector<std::string>& before,
                  const std::vector<std::string>& refused,
                  const std::function<uint64_t(uint64_t)>& cap) {
  ::signal(SIGXFSZ, SIG_IGN);
  auto log = FileEventLog::Open(o);
  if (!log.ok()) return 10;
  if (!(*log)->Append(Views(before)).ok()) return 11;
  const uint64_t size = ActiveSegmentSize(o.dir);
  const size_t files = (*log)->SegmentCount();
  rlimit lim;
  if (::getrlimit(RLIMIT_FSIZE, &lim) != 0) return 12;
  const rlim_t hard = lim.rlim_max;
  lim.rlim_cur = cap(size);
  if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return 13;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if ((*log)->Append(Views(refused)).ok()) return 20 + attempt;
    // Nothing of the refused group is left: the same files, the same size.
    if (ActiveSegmentSize(o.dir) != size || (*log)->SegmentCount() != files) return 22;
    if ((*log)->EndOffset() != before.size()) return 23;
  }
  lim.rlim_cur = hard;
  if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return 30;
  auto first = (*log)->Append(Views(refused));
  if (!first.ok()) return 31;
  if (*first != before.size()) return 32;
  const LogStats st = (*log)->stats();
  if (st.failed_appends != 2 || st.rollbacks < 2) return 33;
  return 0;
}

void RunFullDisk(const LogOptions& o, const std::vector<std::string>& before,
                 const std::vector<std::string>& refused,
                 const std::function<uint64_t(uint64_t)>& cap) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(FullDiskChild(o, before, refused, cap));
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  ASSERT_EQ(WEXITSTATUS(status), 0) << "failed step (see FullDiskChild)";
  // After a restart: exactly the acknowledged records, no trace of the refused attempts.
  auto log = FileEventLog::Open(o).value();
  EXPECT_EQ(log->recovery().truncated_bytes, 0u);
  std::vector<LogRecord> out;
  ASSERT_TRUE(log->Read(0, 1000, &out).ok());
  std::vector<std::string> want = before;
  want.insert(want.end(), refused.begin(), refused.end());
  ASSERT_EQ(out.size(), want.size());
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i].payload, want[i]) << i;
}

LogOptions Options(const std::string& dir, FsyncPolicy fsync, uint64_t segment_bytes) {
  LogOptions o;
  o.dir = dir;
  o.segment_bytes = segment_bytes;
  o.fsync = fsync;
  return o;
}

TEST_F(EventLogTest, AFullDiskRefusesTheWholeBatchAndTheLogRecoversWhenSpaceReturns) {
  // 20 records of ~120 bytes against 500 bytes of room: the write stops in the middle.
  RunFullDisk(Options(dir_, FsyncPolicy::kEveryBatch, 64 << 10), Payloads(0, 30), Payloads(30, 20),
              [](uint64_t size) { return size + 500; });
}

TEST_F(EventLogTest, AFullDiskWithIntervalSyncs) {
  RunFullDisk(Options(dir_, FsyncPolicy::kInterval, 64 << 10), Payloads(0, 30), Payloads(30, 20),
              [](uint64_t size) { return size + 500; });
}

TEST_F(EventLogTest, AFullDiskAfterARollDeletesTheNewSegment) {
  // 30 records of 116 bytes: the segment ends at byte 3504. The refused batch's first record
  // fills it to exactly 4096 (it seals), then 216-byte records fill the next segment until it
  // seals at 4128; a cap of 4110 fails that second segment's write, so the cut must delete it.
  const std::vector<std::string> before(30, std::string(100, 'b'));
  std::vector<std::string> refused = {std::string(4096 - 3504 - kRecordHeaderBytes, 'f')};
  for (int i = 0; i < 25; ++i) refused.push_back(std::string(200, static_cast<char>('k' + i % 8)));
  RunFullDisk(Options(dir_, FsyncPolicy::kEveryBatch, 4096), before, refused,
              [](uint64_t) { return 4110; });
}

uint64_t RecordPos(uint64_t index) {
  uint64_t pos = kSegmentHeaderBytes;
  for (uint64_t i = 0; i < index; ++i) pos += kRecordHeaderBytes + Payload(i).size();
  return pos;
}

TEST_F(EventLogTest, DamageInTheMiddleOfTheLastSegmentSkipsOnlyTheDamagedRecords) {
  LogOptions o = SmallOptions(dir_);
  o.segment_bytes = 1 << 20;
  {
    auto log = FileEventLog::Open(o).value();
    AppendRange(log.get(), 0, 300, 50);
  }
  const std::string path = dir_ + "/00000000000000000000.log";
  std::string bytes = common::ReadFile(path).value();
  const uint64_t size = bytes.size();
  bytes[RecordPos(100) + kRecordHeaderBytes + 2] ^= 0x40;  // a payload byte of record 100
  bytes[RecordPos(200) + 5] ^= 0x10;                       // the length of record 200
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  auto log = FileEventLog::Open(o).value();
  const RecoveryInfo& r = log->recovery();
  EXPECT_EQ(r.truncated_bytes, 0u);
  EXPECT_EQ(r.damaged_ranges, 2u);
  EXPECT_EQ(r.dropped_bytes, 2 * kRecordHeaderBytes + Payload(100).size() + Payload(200).size());
  EXPECT_EQ(r.first_damaged_offset, 100u);
  EXPECT_THAT(r.detail, HasSubstr("damaged"));
  // The damaged file is kept as it was.
  ASSERT_FALSE(r.damaged_copy.empty());
  EXPECT_EQ(common::ReadFile(r.damaged_copy).value(), bytes);
  EXPECT_EQ(fs::file_size(path), size - r.dropped_bytes);
  // Every intact record is there, in order; those after a damaged one moved down.
  ASSERT_EQ(log->EndOffset(), 298u);
  std::vector<LogRecord> out;
  ASSERT_TRUE(log->Read(0, 1000, &out).ok());
  ASSERT_EQ(out.size(), 298u);
  for (uint64_t i = 0; i < out.size(); ++i) {
    const uint64_t original = i < 100 ? i : i < 199 ? i + 1 : i + 2;
    ASSERT_EQ(out[i].payload, Payload(original)) << i;
  }
  // Appends go on after the last intact record; a reopen finds nothing more to repair.
  std::vector<std::string> more = {"after-repair"};
  EXPECT_EQ(log->Append(Views(more)).value(), 298u);
  log.reset();
  log = FileEventLog::Open(o).value();
  EXPECT_EQ(log->recovery().damaged_ranges, 0u);
  EXPECT_EQ(log->EndOffset(), 299u);
}

}  // namespace
}  // namespace foryou::stream
