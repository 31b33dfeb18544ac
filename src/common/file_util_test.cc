#include "common/file_util.h"

#include <sys/stat.h>
#include <unistd.h>

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

// The mode of `path` (permission bits only).
mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Restores the umask on destruction.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

// With umask 0, nothing narrows the mode: the temporary file must be 0600 from its creation on
// (checked before any byte is written) and so must the renamed file.
TEST(FileUtilTest, SecretFileIsOwnerOnlyFromCreation) {
  ScopedUmask umask0(0);
  const std::string path = TempDir() + "/secret";
  AtomicFileWriter w;
  ASSERT_TRUE(w.Open(path, kSecretFileMode).ok());
  EXPECT_EQ(ModeOf(w.temp_path()), 0600u);
  ASSERT_TRUE(w.Append("key").ok());
  ASSERT_TRUE(w.Commit().ok());
  EXPECT_EQ(ModeOf(path), 0600u);
  ASSERT_TRUE(WriteFileAtomically(path + "2", "key", kSecretFileMode).ok());
  EXPECT_EQ(ModeOf(path + "2"), 0600u);
}

// A leftover temporary file with a wide mode (a crash in an earlier write) must not lend that
// mode to the secret: O_TRUNC would have reused the file as it was.
TEST(FileUtilTest, LeftoverTempFileDoesNotWidenSecret) {
  ScopedUmask umask0(0);
  const std::string path = TempDir() + "/secret";
  ASSERT_TRUE(WriteFileAtomically(path + ".tmp.src", "old").ok());
  std::filesystem::rename(path + ".tmp.src", path + ".tmp");
  ASSERT_EQ(ModeOf(path + ".tmp"), 0644u);
  AtomicFileWriter w;
  ASSERT_TRUE(w.Open(path, kSecretFileMode).ok());
  EXPECT_EQ(ModeOf(w.temp_path()), 0600u);
  ASSERT_TRUE(w.Commit().ok());
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(*ReadFile(path), "");
}

}  // namespace
}  // namespace foryou::common
