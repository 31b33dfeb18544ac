// What the event log's tests share: a fresh directory per test, distinct payloads, and appending
// and checking ranges of them.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "stream/event_log.h"

namespace foryou::stream {

// Each test gets a fresh directory `dir_`, removed afterwards.
class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = (std::filesystem::path(::testing::TempDir()) /
            absl::StrCat("event_log_test_", info->name(), "_", ::getpid()))
               .string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

// Distinct, variable-size payloads (1..~220 bytes).
inline std::string Payload(uint64_t i) {
  return absl::StrCat("r", i, ":", std::string(i * 7919 % 200, static_cast<char>('a' + i % 26)));
}

inline LogOptions SmallOptions(const std::string& dir) {
  LogOptions o;
  o.dir = dir;
  o.segment_bytes = 4096;
  o.fsync = FsyncPolicy::kNever;
  return o;
}

// Appends records [from, to) with Payload(i) in batches of `batch`; checks the offsets.
inline void AppendRange(EventLog* log, uint64_t from, uint64_t to, size_t batch) {
  for (uint64_t i = from; i < to; i += batch) {
    std::vector<std::string> owned;
    for (uint64_t j = i; j < std::min<uint64_t>(to, i + batch); ++j) owned.push_back(Payload(j));
    std::vector<std::string_view> views(owned.begin(), owned.end());
    auto first = log->Append(views);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_EQ(*first, i);
  }
}

// Reads [from, to) in chunks of `chunk` and checks every record against Payload().
inline void ExpectRange(EventLog* log, uint64_t from, uint64_t to, size_t chunk = 97) {
  std::vector<LogRecord> out;
  uint64_t next = from;
  while (next < to) {
    ASSERT_TRUE(log->Read(next, std::min<uint64_t>(chunk, to - next), &out).ok()) << next;
    ASSERT_FALSE(out.empty()) << next;
    for (const LogRecord& r : out) {
      ASSERT_EQ(r.offset, next);
      ASSERT_EQ(r.payload, Payload(next)) << next;
      ++next;
    }
  }
  ASSERT_EQ(next, to);
}

}  // namespace foryou::stream
