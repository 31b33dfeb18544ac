#include "common/file_util.h"

#include <filesystem>

#include "gtest/gtest.h"

namespace foryou::common {
namespace {

std::string TempDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("foryou_file_util_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(FileUtilTest, WriteThenReadRoundTrips) {
  const std::string path = TempDir() + "/f.bin";
  std::string data("a\0b", 3);
  ASSERT_TRUE(WriteFileAtomically(path, data).ok());
  auto got = ReadFile(path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, data);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(FileUtilTest, ReplaceKeepsOnlyNewContents) {
  const std::string path = TempDir() + "/f.bin";
  ASSERT_TRUE(WriteFileAtomically(path, "old contents that are longer").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "new").ok());
  EXPECT_EQ(*ReadFile(path), "new");
}

TEST(FileUtilTest, MissingFileIsNotFound) {
  auto got = ReadFile(TempDir() + "/nope");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
}

TEST(FileUtilTest, WriteIntoMissingDirectoryFails) {
  EXPECT_FALSE(WriteFileAtomically(TempDir() + "/no/such/dir/f", "x").ok());
}

}  // namespace
}  // namespace foryou::common
