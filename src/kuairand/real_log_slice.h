// For tests on the real KuaiRand log (the subset shipped in demo/kuairand/): the path of a
// data file, and warm-up / eval splits of the log (its first rows, or by date) as CSV texts.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "data/csv_reader.h"

namespace foryou::kuairand::testing {

// FORYOU_SOURCE_DIR must be defined by the test target.
// A file of the KuaiRand-Pure subset shipped in demo/kuairand/ (the feature tables are .zst).
inline std::string DemoData(const std::string& file) {
  return std::string(FORYOU_SOURCE_DIR) + "/demo/kuairand/" + file;
}

inline std::string CsvField(std::string_view v) {
  if (v.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

struct LogSlice {
  std::string warm, eval;  // CSV texts with the header
};

// The first `warm_rows` rows of `log` as warm-up, the next `eval_rows` as eval.
inline absl::StatusOr<LogSlice> SliceLog(const std::string& log, int warm_rows, int eval_rows) {
  auto csv = data::CsvReader::Open(log);
  if (!csv.ok()) return csv.status();
  LogSlice s;
  s.warm = absl::StrCat(absl::StrJoin((*csv)->header(), ","), "\n");
  s.eval = s.warm;
  std::vector<std::string_view> fields;
  for (int i = 0; i < warm_rows + eval_rows; ++i) {
    absl::StatusOr<bool> more = (*csv)->Next(&fields);
    if (!more.ok()) return more.status();
    if (!*more) return absl::OutOfRangeError(absl::StrCat(log, ": only ", i, " rows"));
    std::string& out = i < warm_rows ? s.warm : s.eval;
    for (size_t k = 0; k < fields.size(); ++k) {
      if (k) out += ',';
      out += CsvField(fields[k]);
    }
    out += '\n';
  }
  return s;
}

// The rows of `log` dated before `yyyymmdd` as warm-up, the rest as eval (bench/split_log.sh's
// split; the `date` column is found by name).
inline absl::StatusOr<LogSlice> SplitLogByDate(const std::string& log, std::string_view yyyymmdd) {
  auto csv = data::CsvReader::Open(log);
  if (!csv.ok()) return csv.status();
  const std::vector<std::string>& header = (*csv)->header();
  const auto date = std::find(header.begin(), header.end(), "date");
  if (date == header.end()) return absl::NotFoundError(absl::StrCat(log, ": no date column"));
  const size_t col = static_cast<size_t>(date - header.begin());
  LogSlice s;
  s.warm = absl::StrCat(absl::StrJoin(header, ","), "\n");
  s.eval = s.warm;
  std::vector<std::string_view> fields;
  while (true) {
    absl::StatusOr<bool> more = (*csv)->Next(&fields);
    if (!more.ok()) return more.status();
    if (!*more) break;
    std::string& out = col < fields.size() && fields[col] < yyyymmdd ? s.warm : s.eval;
    for (size_t k = 0; k < fields.size(); ++k) {
      if (k) out += ',';
      out += CsvField(fields[k]);
    }
    out += '\n';
  }
  return s;
}

}  // namespace foryou::kuairand::testing
