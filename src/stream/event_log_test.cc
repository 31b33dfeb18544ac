// Tests of FileEventLog: round trips across segments, reopen, torn and corrupt tails, sealed
// segment corruption, input validation, consumer offsets, retention, fsync policies. The SIGKILL
// crash test: event_log_kill_test.cc; concurrent appenders: event_log_concurrency_test.cc.
#include "stream/event_log.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stream/event_log_test_util.h"

namespace foryou::stream {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr uint64_t kSegmentHeaderBytes = 24;
constexpr uint64_t kRecordHeaderBytes = 16;

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".log") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Replaces the file's contents (no fsync: the tests simulate crashes, they do not need them).
void Overwrite(const std::string& path, std::string_view data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(f.good()) << path;
}

void FlipByte(const std::string& path, uint64_t pos) {
  std::string data = common::ReadFile(path).value();
  ASSERT_LT(pos, data.size());
  data[pos] ^= 0x5a;
  Overwrite(path, data);
}

TEST_F(EventLogTest, RoundTripAcrossManySegments) {
  const std::string dir = dir_;
  auto log = FileEventLog::Open(SmallOptions(dir)).value();
  EXPECT_EQ(log->StartOffset(), 0u);
  EXPECT_EQ(log->EndOffset(), 0u);
  AppendRange(log.get(), 0, 3000, 1);
  AppendRange(log.get(), 3000, 6000, 250);
  EXPECT_EQ(log->EndOffset(), 6000u);
  EXPECT_GT(log->SegmentCount(), 50u);
  ExpectRange(log.get(), 0, 6000);
  // Random starting points, including segment boundaries.
  std::mt19937_64 rng(1);
  std::vector<LogRecord> out;
  for (int t = 0; t < 300; ++t) {
    const uint64_t off = rng() % 6001;
    const size_t n = 1 + rng() % 50;
    ASSERT_TRUE(log->Read(off, n, &out).ok());
    ASSERT_EQ(out.size(), std::min<uint64_t>(n, 6000 - off));
    for (size_t k = 0; k < out.size(); ++k) {
      ASSERT_EQ(out[k].offset, off + k);
      ASSERT_EQ(out[k].payload, Payload(off + k));
    }
  }
  // Segment files are named by first offset and do not exceed segment_bytes by a record.
  const auto files = SegmentFiles(dir);
  EXPECT_EQ(files.size(), log->SegmentCount());
  EXPECT_EQ(fs::path(files[0]).filename(), "00000000000000000000.log");
  for (size_t i = 0; i + 1 < files.size(); ++i) {
    EXPECT_LT(fs::file_size(files[i]), 4096u + kRecordHeaderBytes + 220u) << files[i];
  }
  ASSERT_TRUE(log->Read(6000, 10, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(log->Read(17, 0, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST_F(EventLogTest, AppendTimeComesFromTheClock) {
  const std::string dir = dir_;
  LogOptions o = SmallOptions(dir);
  int64_t now = 1'700'000'000'000;
  o.clock = [&now] { return now; };
  auto log = FileEventLog::Open(o).value();
  std::vector<std::string_view> a = {"x", "y"};
  ASSERT_TRUE(log->Append(a).ok());
  now += 5;
  ASSERT_TRUE(log->Append(a).ok());
  std::vector<LogRecord> out;
  ASSERT_TRUE(log->Read(0, 10, &out).ok());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].append_time_ms, 1'700'000'000'000);
  EXPECT_EQ(out[1].append_time_ms, 1'700'000'000'000);
  EXPECT_EQ(out[3].append_time_ms, 1'700'000'000'005);
  EXPECT_EQ(out[2].payload, "x");
}

TEST_F(EventLogTest, ReopenKeepsEverythingAndOffsetsContinue) {
  const std::string dir = dir_;
  for (int round = 0; round < 3; ++round) {
    LogOptions o = SmallOptions(dir);
    o.fsync = FsyncPolicy::kEveryBatch;
    auto log = FileEventLog::Open(o).value();
    EXPECT_EQ(log->recovery().truncated_bytes, 0u);
    EXPECT_EQ(log->recovery().detail, "");
    EXPECT_EQ(log->EndOffset(), round * 500u);
    AppendRange(log.get(), round * 500, (round + 1) * 500, 50);
    ExpectRange(log.get(), 0, (round + 1) * 500);
  }
}

TEST_F(EventLogTest, SecondOpenOfTheSameDirectoryIsRefused) {
  const std::string dir = dir_;
  auto log = FileEventLog::Open(SmallOptions(dir)).value();
  auto again = FileEventLog::Open(SmallOptions(dir));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  log.reset();
  EXPECT_TRUE(FileEventLog::Open(SmallOptions(dir)).ok());
}

TEST_F(EventLogTest, TornTailAtEveryBytePositionOfTheLastRecord) {
  const std::string dir = dir_;
  constexpr uint64_t kRecords = 5;
  {
    auto log = FileEventLog::Open(SmallOptions(dir)).value();
    AppendRange(log.get(), 0, kRecords, 2);
  }
  const std::string path = SegmentFiles(dir).at(0);
  const std::string full = common::ReadFile(path).value();
  const uint64_t last_len = kRecordHeaderBytes + Payload(kRecords - 1).size();
  const uint64_t good_end = full.size() - last_len;
  for (uint64_t len = good_end; len <= full.size(); ++len) {
    SCOPED_TRACE(len);
    Overwrite(path, std::string_view(full).substr(0, len));
    auto log = FileEventLog::Open(SmallOptions(dir)).value();
    const bool complete = len == full.size();
    EXPECT_EQ(log->EndOffset(), complete ? kRecords : kRecords - 1);
    EXPECT_EQ(log->recovery().truncated_bytes, complete ? 0 : len - good_end);
    EXPECT_EQ(log->recovery().detail.empty(), complete || len == good_end);
    EXPECT_EQ(fs::file_size(path), complete ? full.size() : good_end);
    ExpectRange(log.get(), 0, log->EndOffset());
  }
  // After recovery appends continue at the recovered end.
  Overwrite(path, std::string_view(full).substr(0, full.size() - 3));
  auto log = FileEventLog::Open(SmallOptions(dir)).value();
  AppendRange(log.get(), kRecords - 1, kRecords + 3, 4);
  log.reset();
  log = FileEventLog::Open(SmallOptions(dir)).value();
  EXPECT_EQ(log->recovery().truncated_bytes, 0u);
  ExpectRange(log.get(), 0, kRecords + 3);
}

TEST_F(EventLogTest, TornHeaderOfANewLastSegmentIsRewritten) {
  const std::string dir = dir_;
  uint64_t end;
  {
    auto log = FileEventLog::Open(SmallOptions(dir)).value();
    AppendRange(log.get(), 0, 100, 10);
    end = log->EndOffset();
  }
  ASSERT_GE(SegmentFiles(dir).size(), 2u);
  // Simulate a crash right after a roll: the newest segment's header is partly written.
  fs::path last = fs::path(dir) / absl::StrFormat("%020d.log", end);
  for (uint64_t len = 0; len < kSegmentHeaderBytes; ++len) {
    SCOPED_TRACE(len);
    std::string bytes = std::string("FYEVTLOG\x01\0\0\0\0\0\0\0", 16) + std::string(8, '\0');
    Overwrite(last.string(), bytes.substr(0, len));
    auto log = FileEventLog::Open(SmallOptions(dir)).value();
    EXPECT_EQ(log->EndOffset(), end);
    EXPECT_EQ(log->recovery().truncated_bytes, len);
    EXPECT_THAT(log->recovery().detail, HasSubstr("header"));
    EXPECT_EQ(fs::file_size(last), kSegmentHeaderBytes);
    ExpectRange(log.get(), 0, end);
  }
  auto log = FileEventLog::Open(SmallOptions(dir)).value();
  AppendRange(log.get(), end, end + 10, 3);
  ExpectRange(log.get(), 0, end + 10);
}

TEST_F(EventLogTest, FlippedByteInTheLastRecordDropsIt) {
  const std::string dir = dir_;
  {
    auto log = FileEventLog::Open(SmallOptions(dir)).value();
    AppendRange(log.get(), 0, 8, 8);
  }
  const std::string path = SegmentFiles(dir).at(0);
  const std::string full = common::ReadFile(path).value();
  const uint64_t last_len = kRecordHeaderBytes + Payload(7).size();
  // Flip a checksum byte, the length, the time, and a payload byte.
  for (uint64_t at : {uint64_t{0}, uint64_t{5}, uint64_t{9}, last_len - 1}) {
    SCOPED_TRACE(at);
    Overwrite(path, full);
    FlipByte(path, full.size() - last_len + at);
    auto log = FileEventLog::Open(SmallOptions(dir)).value();
    EXPECT_EQ(log->EndOffset(), 7u);
    EXPECT_EQ(log->recovery().truncated_bytes, last_len);
    EXPECT_THAT(log->recovery().detail, HasSubstr(path));
    ExpectRange(log.get(), 0, 7);
  }
}

// Reads every record from offset 0 to the end and returns their offsets; each payload must be
// the one appended at that offset.
std::vector<uint64_t> ReadOffsets(EventLog* log) {
  std::vector<uint64_t> offsets;
  std::vector<LogRecord> out;
  for (uint64_t next = 0; next < log->EndOffset();) {
    EXPECT_TRUE(log->Read(next, 37, &out).ok()) << next;
    if (out.empty()) break;
    for (const LogRecord& r : out) {
      EXPECT_EQ(r.payload, Payload(r.offset)) << r.offset;
      offsets.push_back(r.offset);
    }
    next = out.back().offset + 1;
  }
  return offsets;
}

TEST_F(EventLogTest, DamageInASealedSegmentIsSetAsideAndSkipped) {
  const std::string dir = dir_;
  {
    auto log = FileEventLog::Open(SmallOptions(dir)).value();
    AppendRange(log.get(), 0, 400, 20);
  }
  const auto files = SegmentFiles(dir);
  ASSERT_GE(files.size(), 4u);
  // Segment 1 (sealed): a payload byte of its 4th record. Segment 2 (sealed): the length of its
  // 2nd record, and its file cut in the middle of its last record.
  const std::string seg1 = files[1], seg2 = files[2];
  const uint64_t base1 = std::stoull(fs::path(seg1).stem().string());
  const uint64_t base2 = std::stoull(fs::path(seg2).stem().string());
  const uint64_t base3 = std::stoull(fs::path(files[3]).stem().string());
  uint64_t pos = kSegmentHeaderBytes;
  for (uint64_t i = base1; i < base1 + 3; ++i) pos += kRecordHeaderBytes + Payload(i).size();
  FlipByte(seg1, pos + kRecordHeaderBytes);
  const std::string seg1_damaged = common::ReadFile(seg1).value();
  FlipByte(seg2, kSegmentHeaderBytes + kRecordHeaderBytes + Payload(base2).size() + 5);
  fs::resize_file(seg2, fs::file_size(seg2) - 3);

  for (int open = 0; open < 2; ++open) {  // the damage is found again, the files stay as they are
    SCOPED_TRACE(open);
    auto log = FileEventLog::Open(SmallOptions(dir)).value();
    const RecoveryInfo& r = log->recovery();
    EXPECT_EQ(log->EndOffset(), 400u);
    EXPECT_EQ(r.truncated_bytes, 0u);
    EXPECT_EQ(r.first_damaged_offset, UINT64_MAX);  // no offset was reused
    EXPECT_EQ(r.damaged_ranges, 2u);
    // Segment 1: one record. Segment 2: its records from the 2nd on (the cut tail hides where
    // the records after the damage belong).
    EXPECT_EQ(r.lost_records, 1 + (base3 - base2 - 1));
    EXPECT_THAT(r.detail, HasSubstr(seg1));
    EXPECT_THAT(r.detail, HasSubstr(seg2));
    EXPECT_EQ(common::ReadFile(seg1).value(), seg1_damaged);
    size_t copies = 0;
    for (const auto& e : fs::directory_iterator(dir + "/damaged")) {
      ++copies;
      if (e.path().filename().string().starts_with(fs::path(seg1).filename().string())) {
        EXPECT_EQ(common::ReadFile(e.path().string()).value(), seg1_damaged);
      }
    }
    EXPECT_EQ(copies, 2u);

    // Every intact record keeps its offset; the lost ones are skipped.
    std::vector<uint64_t> want;
    for (uint64_t i = 0; i < 400; ++i) {
      if (i != base1 + 3 && !(i > base2 && i < base3)) want.push_back(i);
    }
    EXPECT_EQ(ReadOffsets(log.get()), want);
    std::vector<LogRecord> out;
    ASSERT_TRUE(log->Read(base1 + 3, 2, &out).ok());
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].offset, base1 + 4);
  }
  auto log = FileEventLog::Open(SmallOptions(dir)).value();
  AppendRange(log.get(), 400, 410, 5);
  ExpectRange(log.get(), base3, 410);
}

TEST_F(EventLogTest, CorruptionAfterOpenIsDataLossOnRead) {
  const std::string dir = dir_;
  auto log = FileEventLog::Open(SmallOptions(dir)).value();
  AppendRange(log.get(), 0, 10, 10);
  const std::string path = SegmentFiles(dir).at(0);
  // Rewrite in place (the log holds the file open; a rename would not be seen).
  const int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  const uint64_t pos = kSegmentHeaderBytes + 2 * kRecordHeaderBytes + Payload(0).size() +
                       Payload(1).size() + kRecordHeaderBytes;  // payload of record 2
  char c = 0;
  ASSERT_EQ(::pread(fd, &c, 1, pos), 1);
  c ^= 1;
  ASSERT_EQ(::pwrite(fd, &c, 1, pos), 1);
  ::close(fd);
  std::vector<LogRecord> out;
  ASSERT_TRUE(log->Read(0, 10, &out).ok());
  EXPECT_EQ(out.size(), 2u);
  absl::Status s = log->Read(2, 10, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("checksum"));
  ASSERT_TRUE(log->Read(3, 10, &out).ok());
  EXPECT_EQ(out.size(), 7u);
}

TEST_F(EventLogTest, BadRecordsAreRefusedAndNothingIsWritten) {
  const std::string dir = dir_;
  LogOptions o = SmallOptions(dir);
  o.max_record_bytes = 300;
  auto log = FileEventLog::Open(o).value();
  AppendRange(log.get(), 0, 3, 3);
  const uint64_t size = fs::file_size(SegmentFiles(dir).at(0));

  std::string big(301, 'x');
  std::vector<std::string_view> empty_third = {"a", "b", "", "d"};
  std::vector<std::string_view> too_big = {"a", big};
  std::vector<std::string_view> none;
  auto r1 = log->Append(empty_third);
  EXPECT_EQ(r1.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r1.status().message(), HasSubstr("record 2"));
  auto r2 = log->Append(too_big);
  EXPECT_EQ(r2.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r2.status().message(), HasSubstr("record 1"));
  EXPECT_EQ(log->Append(none).status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(log->EndOffset(), 3u);
  EXPECT_EQ(fs::file_size(SegmentFiles(dir).at(0)), size);
  std::string exact(300, 'y');
  std::vector<std::string_view> ok = {exact};
  EXPECT_EQ(log->Append(ok).value(), 3u);
}

TEST_F(EventLogTest, BadOptionsNameTheField) {
  const std::string dir = dir_;
  auto expect_bad = [](LogOptions o, const char* field) {
    auto r = FileEventLog::Open(o);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(r.status().message(), HasSubstr(field));
  };
  LogOptions o = SmallOptions(dir);
  o.dir = "";
  expect_bad(o, "dir");
  o = SmallOptions(dir);
  o.segment_bytes = 4095;
  expect_bad(o, "segment_bytes");
  o = SmallOptions(dir);
  o.max_record_bytes = 0;
  expect_bad(o, "max_record_bytes");
  o = SmallOptions(dir);
  o.fsync = FsyncPolicy::kInterval;
  o.fsync_interval_ms = 0;
  expect_bad(o, "fsync_interval_ms");
  o = SmallOptions(dir);
  o.retention_age_s = -1;
  expect_bad(o, "retention_age_s");
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(EventLogTest, ReadOutsideTheRetainedRangeIsOutOfRange) {
  const std::string dir = dir_;
  auto log = FileEventLog::Open(SmallOptions(dir)).value();
  AppendRange(log.get(), 0, 10, 10);
  std::vector<LogRecord> out;
  absl::Status s = log->Read(11, 1, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(s.message(), HasSubstr("end offset 10"));
}

TEST_F(EventLogTest, ConsumerOffsetsPersistAndNamesAreValidated) {
  const std::string dir = dir_;
  {
    auto log = FileEventLog::Open(SmallOptions(dir)).value();
    AppendRange(log.get(), 0, 50, 10);
    EXPECT_EQ(log->CommittedOffset("trainer").status().code(), absl::StatusCode::kNotFound);
    ASSERT_TRUE(log->CommitOffset("trainer", 20).ok());
    ASSERT_TRUE(log->CommitOffset("trainer", 30).ok());
    ASSERT_TRUE(log->CommitOffset("joiner.v2-a_b", 50).ok());
    EXPECT_EQ(log->CommittedOffset("trainer").value(), 30u);
    auto past = log->CommitOffset("trainer", 51);
    EXPECT_EQ(past.code(), absl::StatusCode::kInvalidArgument);
    for (std::string bad : {std::string(""), std::string(65, 'a'), std::string("a/b"),
                            std::string(".."), std::string("a b"), std::string("é")}) {
      EXPECT_EQ(log->CommitOffset(bad, 1).code(), absl::StatusCode::kInvalidArgument) << bad;
      EXPECT_EQ(log->CommittedOffset(bad).status().code(), absl::StatusCode::kInvalidArgument);
    }
    ASSERT_TRUE(log->CommitOffset(std::string(64, 'z'), 0).ok());
  }
  auto log = FileEventLog::Open(SmallOptions(dir)).value();
  EXPECT_EQ(log->CommittedOffset("trainer").value(), 30u);
  EXPECT_EQ(log->CommittedOffset("joiner.v2-a_b").value(), 50u);
  EXPECT_EQ(log->CommittedOffset(std::string(64, 'z')).value(), 0u);
  EXPECT_EQ(log->CommittedOffset("other").status().code(), absl::StatusCode::kNotFound);
  log.reset();
  // A corrupt offset file is reported, not guessed.
  FlipByte(dir + "/consumers/trainer.offset", 9);
  log = FileEventLog::Open(SmallOptions(dir)).value();
  EXPECT_EQ(log->CommittedOffset("trainer").status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(log->CommitOffset("trainer", 40).ok());
  EXPECT_EQ(log->CommittedOffset("trainer").value(), 40u);
}

TEST_F(EventLogTest, RetentionBySizeKeepsUnconsumedSegments) {
  const std::string dir = dir_;
  LogOptions o = SmallOptions(dir);
  o.retention_bytes = 5 * 4096;
  auto log = FileEventLog::Open(o).value();
  AppendRange(log.get(), 0, 1000, 25);
  const size_t segments = log->SegmentCount();
  ASSERT_GT(segments, 20u);
  // A consumer at offset 120 pins the segment holding 120 and everything after it.
  ASSERT_TRUE(log->CommitOffset("slow", 120).ok());
  ASSERT_TRUE(log->CommitOffset("fast", 1000).ok());
  const int deleted = log->EnforceRetention(0).value();
  EXPECT_GT(deleted, 0);
  EXPECT_EQ(log->SegmentCount(), segments - deleted);
  EXPECT_GT(log->StartOffset(), 0u);
  EXPECT_LE(log->StartOffset(), 120u);
  EXPECT_EQ(SegmentFiles(dir).size(), log->SegmentCount());
  ExpectRange(log.get(), log->StartOffset(), 1000);
  std::vector<LogRecord> out;
  absl::Status s = log->Read(log->StartOffset() - 1, 1, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("oldest retained offset ", log->StartOffset())));
  EXPECT_EQ(log->EnforceRetention(0).value(), 0);

  // Once the slow consumer catches up, the log shrinks to the limit (the active segment stays).
  ASSERT_TRUE(log->CommitOffset("slow", 1000).ok());
  EXPECT_GT(log->EnforceRetention(0).value(), 0);
  uint64_t total = 0;
  for (const auto& f : SegmentFiles(dir)) total += fs::file_size(f);
  EXPECT_LE(total, o.retention_bytes);
  EXPECT_GE(total + 4096 + 240, o.retention_bytes);
  ExpectRange(log.get(), log->StartOffset(), 1000);

  // StartOffset survives a reopen; appends continue.
  const uint64_t start = log->StartOffset();
  log.reset();
  log = FileEventLog::Open(o).value();
  EXPECT_EQ(log->StartOffset(), start);
  AppendRange(log.get(), 1000, 1010, 10);
  ExpectRange(log.get(), start, 1010);
}

TEST_F(EventLogTest, RetentionByAgeDeletesOldSealedSegmentsOnly) {
  const std::string dir = dir_;
  LogOptions o = SmallOptions(dir);
  o.retention_age_s = 60;
  int64_t now = 1'000'000;
  o.clock = [&now] { return now; };
  auto log = FileEventLog::Open(o).value();
  AppendRange(log.get(), 0, 300, 10);  // old
  now += 3'600'000;
  AppendRange(log.get(), 300, 310, 10);  // new, starts a segment? not necessarily
  const uint64_t segments = log->SegmentCount();
  // Nothing is older than 60 s at the time of the first batch.
  EXPECT_EQ(log->EnforceRetention(1'000'000).value(), 0);
  // An hour later everything written at t=1000 s is expired except what shares a segment with
  // the new records, and the active segment is never deleted.
  const int deleted = log->EnforceRetention(now).value();
  EXPECT_GT(deleted, 0);
  EXPECT_EQ(log->SegmentCount(), segments - deleted);
  EXPECT_GE(log->SegmentCount(), 1u);
  EXPECT_LE(log->StartOffset(), 300u);
  ExpectRange(log.get(), log->StartOffset(), 310);
  std::vector<LogRecord> out;
  ASSERT_TRUE(log->Read(log->StartOffset(), 1, &out).ok());
  // Every remaining sealed segment has a record newer than the cutoff.
  EXPECT_EQ(log->EnforceRetention(now).value(), 0);
  // Records written now seal more segments; far in the future every sealed segment is deleted
  // and only the active one remains.
  AppendRange(log.get(), 310, 400, 10);
  const size_t before = log->SegmentCount();
  ASSERT_GT(before, 1u);
  EXPECT_EQ(log->EnforceRetention(now + 3'600'000).value(), static_cast<int>(before) - 1);
  EXPECT_EQ(log->SegmentCount(), 1u);
  ExpectRange(log.get(), log->StartOffset(), 400);
}

TEST_F(EventLogTest, IntervalPolicyAcknowledgesAfterTheCoveringSync) {
  const std::string dir = dir_;
  LogOptions o = SmallOptions(dir);
  o.fsync = FsyncPolicy::kInterval;
  o.fsync_interval_ms = 5;
  {
    auto log = FileEventLog::Open(o).value();
    AppendRange(log.get(), 0, 200, 10);  // each append returns once a sync covers it
    ExpectRange(log.get(), 0, 200);
    std::vector<std::thread> threads;
    std::vector<uint64_t> firsts(4);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        std::vector<std::string_view> one = {"concurrent"};
        firsts[t] = log->Append(one).value();
      });
    }
    for (auto& th : threads) th.join();
    std::sort(firsts.begin(), firsts.end());
    EXPECT_EQ(firsts, (std::vector<uint64_t>{200, 201, 202, 203}));
  }
  auto log = FileEventLog::Open(o).value();
  EXPECT_EQ(log->EndOffset(), 204u);
  ExpectRange(log.get(), 0, 200);
}

}  // namespace
}  // namespace foryou::stream
