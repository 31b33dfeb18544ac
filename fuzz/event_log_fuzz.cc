// FileEventLog's recovery and reads over one segment file: the input is written as segment 0
// (docs/formats/log.md), the log is opened (which scans and repairs the tail) and every record
// is read back. Open either fails cleanly or yields a log whose records all read.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "stream/event_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foryou::stream;
  const std::filesystem::path dir = foryou::fuzz::FreshDir("event_log");
  foryou::fuzz::WriteFile(dir / "00000000000000000000.log", foryou::fuzz::AsView(data, size));
  LogOptions options;
  options.dir = dir.string();
  options.fsync = FsyncPolicy::kNever;
  options.max_record_bytes = 1 << 16;
  absl::StatusOr<std::unique_ptr<FileEventLog>> log = FileEventLog::Open(options);
  if (!log.ok()) return 0;
  std::vector<LogRecord> records;
  uint64_t offset = (*log)->StartOffset();
  while (offset < (*log)->EndOffset()) {
    if (!(*log)->Read(offset, 64, &records).ok() || records.empty()) break;
    FORYOU_FUZZ_CHECK(records.front().offset == offset);
    offset = records.back().offset + 1;
  }
  // The repaired log takes appends after the records it kept.
  const std::string_view record = "after-recovery";
  absl::StatusOr<uint64_t> appended = (*log)->Append({&record, 1});
  if (appended.ok()) FORYOU_FUZZ_CHECK(*appended + 1 == (*log)->EndOffset());
  return 0;
}
