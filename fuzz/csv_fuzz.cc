// CsvReader over a whole file (plain, or zstd when the bytes start with zstd's magic): the
// header, then every record until the end or the first error.
#include <cstdint>
#include <string>
#include <vector>

#include "data/csv_reader.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = (foryou::fuzz::FreshDir("csv") / "input.csv").string();
  foryou::fuzz::WriteFile(path, foryou::fuzz::AsView(data, size));
  absl::StatusOr<std::unique_ptr<foryou::data::CsvReader>> reader =
      foryou::data::CsvReader::Open(path);
  if (!reader.ok()) return 0;
  (void)(*reader)->Column("user_id");
  std::vector<std::string_view> fields;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&fields);
    if (!more.ok() || !*more) break;
  }
  return 0;
}
