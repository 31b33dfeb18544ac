// CsvReader: streams records from a CSV file, plain or zstd-compressed (.zst), for the replay of
// real logs (KuaiRand format) and catalog imports. RFC 4180 quoting ("a,b" and "" escapes);
// records end at \n or \r\n. Fields are string_views valid until the next call to Next().
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto reader, CsvReader::Open("log.csv.zst"));
//   FORYOU_ASSIGN_OR_RETURN(int user_col, reader->Column("user_id"));
//   std::vector<std::string_view> fields;
//   while (true) {
//     FORYOU_ASSIGN_OR_RETURN(bool more, reader->Next(&fields));
//     if (!more) break;
//     ... fields[user_col] ...
//   }
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace foryou::data {

class ByteSource;  // file or zstd stream

class CsvReader {
 public:
  // Opens `path`; a name ending in .zst (or zstd magic bytes) is decompressed on the fly. Reads
  // the first record as the header. Errors: NotFound / the errno, DataLoss for a corrupt zstd
  // stream, InvalidArgument for an empty file.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CsvReader>> Open(const std::string& path);
  ~CsvReader();

  const std::vector<std::string>& header() const { return header_; }
  // Index of the header column `name`, or NotFound naming it.
  [[nodiscard]] absl::StatusOr<int> Column(std::string_view name) const;

  // Reads the next record into `fields`; false at end of input. A record may have any number of
  // fields (callers check the count and count bad rows). Errors: DataLoss for a corrupt stream,
  // or an unterminated quote at end of input; I/O errors.
  [[nodiscard]] absl::StatusOr<bool> Next(std::vector<std::string_view>* fields);

  // 1-based number of the record last returned (the header is record 1).
  uint64_t record_number() const { return record_number_; }

 private:
  explicit CsvReader(std::unique_ptr<ByteSource> source);
  // Makes at least one more byte available at buf_[pos_]; false at end of input.
  absl::StatusOr<bool> Fill();

  std::unique_ptr<ByteSource> source_;
  std::string buf_;         // raw bytes; [pos_, end_) unread
  size_t pos_ = 0, end_ = 0;
  std::string record_;      // unescaped fields of the current record, back to back
  std::vector<size_t> bounds_;  // field i = record_[bounds_[2i], bounds_[2i+1])
  std::vector<std::string> header_;
  uint64_t record_number_ = 0;
};

}  // namespace foryou::data
