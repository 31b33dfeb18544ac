#include "data/csv_reader.h"

#include <filesystem>
#include <fstream>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "zstd.h"

namespace foryou::data {
namespace {

std::string TestPath(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("foryou_csv_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

std::string Write(const std::string& name, const std::string& contents) {
  const std::string path = TestPath(name);
  EXPECT_TRUE(common::WriteFileAtomically(path, contents).ok());
  return path;
}

std::string Zstd(const std::string& raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3));
  return out;
}

std::vector<std::vector<std::string>> ReadAll(CsvReader& r) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string_view> f;
  while (true) {
    auto more = r.Next(&f);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    rows.emplace_back(f.begin(), f.end());
  }
  return rows;
}

const char kSample[] =
    "user_id,range,caption\r\n"
    "1,\"[100,1k)\",\"say \"\"hi\"\"\"\r\n"
    "2,,plain\n"
    "3,\"multi\nline\",x";  // no final newline

TEST(CsvReaderTest, ParsesQuotesEscapesCrlfAndALastLineWithoutNewline) {
  auto r = CsvReader::Open(Write("a.csv", kSample));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->header(), (std::vector<std::string>{"user_id", "range", "caption"}));
  EXPECT_EQ(*(*r)->Column("caption"), 2);
  EXPECT_EQ((*r)->Column("nope").status().code(), absl::StatusCode::kNotFound);
  auto rows = ReadAll(**r);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "[100,1k)", "say \"hi\""}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"2", "", "plain"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"3", "multi\nline", "x"}));
  EXPECT_EQ((*r)->record_number(), 4u);
}

TEST(CsvReaderTest, ZstdFilesReadLikePlainOnes) {
  auto plain = CsvReader::Open(Write("b.csv", kSample));
  auto zst = CsvReader::Open(Write("b.csv.zst", Zstd(kSample)));
  ASSERT_TRUE(zst.ok()) << zst.status();
  EXPECT_EQ(ReadAll(**plain), ReadAll(**zst));
  // Detected by magic bytes too, whatever the name.
  auto magic = CsvReader::Open(Write("b.bin", Zstd(kSample)));
  ASSERT_TRUE(magic.ok());
  EXPECT_EQ((*magic)->header().size(), 3u);
}

TEST(CsvReaderTest, LargeInputAcrossBufferBoundaries) {
  std::string csv = "a,b\n";
  for (int i = 0; i < 30000; ++i) csv += std::to_string(i) + ",\"x,\"\"" + std::to_string(i) + "\"\n";
  for (const std::string& name : {std::string("big.csv"), std::string("big.csv.zst")}) {
    auto r = CsvReader::Open(Write(name, name.ends_with(".zst") ? Zstd(csv) : csv));
    ASSERT_TRUE(r.ok());
    auto rows = ReadAll(**r);
    ASSERT_EQ(rows.size(), 30000u);
    EXPECT_EQ(rows[29999][1], "x,\"29999");
    EXPECT_EQ(rows[12345][0], "12345");
  }
}

TEST(CsvReaderTest, BrokenInputIsAClearError) {
  EXPECT_EQ(CsvReader::Open(TestPath("missing.csv")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CsvReader::Open(Write("empty.csv", "")).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto r = CsvReader::Open(Write("quote.csv", "a,b\n1,\"open\n"));
  ASSERT_TRUE(r.ok());
  std::vector<std::string_view> f;
  EXPECT_EQ((*r)->Next(&f).status().code(), absl::StatusCode::kDataLoss);
  const std::string z = Zstd(std::string(kSample) + std::string(5000, 'x'));
  auto t = CsvReader::Open(Write("trunc.csv.zst", z.substr(0, z.size() - 7)));
  absl::Status s = t.ok() ? absl::OkStatus() : t.status();
  while (s.ok()) {
    auto more = (*t)->Next(&f);
    if (!more.ok()) s = more.status();
    else if (!*more) break;
  }
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

TEST(CsvReaderTest, ReadsTheRealKuaiRandLog) {
  // The KuaiRand-Pure log shipped in demo/kuairand/.
  const std::string file =
      std::string(FORYOU_SOURCE_DIR) + "/demo/kuairand/log_standard_20220425_20220430.csv.zst";
  ASSERT_TRUE(std::filesystem::exists(file)) << file << " is missing from the checkout";
  auto r = CsvReader::Open(file);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ((*r)->header().size(), 31u);
  std::vector<std::string_view> f;
  uint64_t rows = 0;
  while (*(*r)->Next(&f)) {
    ASSERT_EQ(f.size(), 31u) << "record " << (*r)->record_number();
    ++rows;
  }
  EXPECT_EQ(rows, 94784u);
}

}  // namespace
}  // namespace foryou::data
