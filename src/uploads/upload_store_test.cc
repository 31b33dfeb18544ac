// UploadStore over a real RocksDB and real files: offsets, resuming, limits, submission, expiry,
// and full disks (RLIMIT_FSIZE on the real file layer; a failing layer under the store).
#include "uploads/upload_store.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "uploads/errors.h"

namespace foryou::uploads {
namespace {

namespace fs = std::filesystem;

class UploadStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = (fs::temp_directory_path() / absl::StrCat("foryou_upload_store_", ::getpid(), "_", n++))
               .string();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<UploadStore> OpenStore(UploadLimits limits = {},
                                         std::shared_ptr<UploadFiles> files = nullptr) {
    auto s = UploadStore::Open(dir_, limits, std::move(files));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::string dir_;
};

std::string Bytes(size_t n, char c) { return std::string(n, c); }

TEST_F(UploadStoreTest, ChunksAtTheRightOffsetBuildTheFileAndAWrongOffsetIsAConflict) {
  auto store = OpenStore();
  auto up = store->Create("alice", 10, "video/mp4", 1000);
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->received, 0u);
  ASSERT_EQ(store->Append(up->id, "alice", 0, "abcd", 1001).value(), 4u);
  // A chunk that skips ahead, or repeats what is there, is refused with the offset the store has.
  for (uint64_t offset : {0ull, 2ull, 6ull}) {
    absl::StatusOr<uint64_t> r = store->Append(up->id, "alice", offset, "xy", 1002);
    ASSERT_TRUE(IsConflict(r.status())) << r.status();
    EXPECT_EQ(ConflictOffset(r.status()), 4u);
  }
  ASSERT_EQ(store->Append(up->id, "alice", 4, "efghij", 1003).value(), 10u);
  EXPECT_EQ(common::ReadFile(store->FilePath(up->id)).value(), "abcdefghij");
  // Past the size: refused, nothing written.
  absl::StatusOr<uint64_t> past = store->Append(up->id, "alice", 10, "k", 1004);
  EXPECT_EQ(past.status().code(), absl::StatusCode::kInvalidArgument) << past.status();
}

TEST_F(UploadStoreTest, AClientThatLostTheAnswerAsksAndContinuesAcrossARestart) {
  std::string id;
  {
    auto store = OpenStore();
    id = store->Create("alice", 8, "video/webm", 1000).value().id;
    ASSERT_TRUE(store->Append(id, "alice", 0, "1234", 1001).ok());
  }
  // The answer to the chunk was lost and the server restarted: the client asks, then continues.
  auto store = OpenStore();
  Upload up = store->Get(id, "alice").value();
  EXPECT_EQ(up.received, 4u);
  EXPECT_EQ(up.updated_ms, 1001);
  // The chunk sent again from 0 (the client thought it lost) is refused with the offset.
  EXPECT_EQ(ConflictOffset(store->Append(id, "alice", 0, "1234", 1002).status()), 4u);
  ASSERT_EQ(store->Append(id, "alice", up.received, "5678", 1003).value(), 8u);
  EXPECT_EQ(common::ReadFile(store->FilePath(id)).value(), "12345678");
}

TEST_F(UploadStoreTest, SizeTypeChunkAndOwnerAreChecked) {
  auto store = OpenStore(UploadLimits{.max_bytes = 100, .max_chunk_bytes = 10});
  EXPECT_TRUE(IsTooLarge(store->Create("a", 101, "video/mp4", 0).status()));
  EXPECT_EQ(store->Create("a", 0, "video/mp4", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  for (const char* type : {"image/png", "video/", "video/mp4;x", "audio/mp4", ""}) {
    absl::Status st = store->Create("a", 10, type, 0).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << type;
    EXPECT_NE(st.message().find("type"), std::string::npos) << st;
  }
  Upload up = store->Create("a", 100, "video/quicktime", 0).value();
  EXPECT_TRUE(IsTooLarge(store->Append(up.id, "a", 0, Bytes(11, 'x'), 1).status()));
  EXPECT_EQ(store->Append(up.id, "a", 0, "", 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Another user's upload does not exist for them.
  EXPECT_EQ(store->Get(up.id, "b").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Append(up.id, "b", 0, "x", 1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Get(up.id, "a").value().received, 0u);
}

TEST_F(UploadStoreTest, SubmittingNeedsEveryByteAndHappensOnce) {
  auto store = OpenStore();
  Upload up = store->Create("a", 6, "video/mp4", 0).value();
  ASSERT_TRUE(store->Append(up.id, "a", 0, "abc", 1).ok());
  absl::Status early = store->MarkSubmitted(up.id, "a", "vid1", 2);
  EXPECT_TRUE(IsConflict(early)) << early;
  EXPECT_EQ(ConflictOffset(early), 3u);
  ASSERT_TRUE(store->Append(up.id, "a", 3, "def", 3).ok());
  ASSERT_TRUE(store->MarkSubmitted(up.id, "a", "vid1", 4).ok());
  EXPECT_TRUE(IsConflict(store->MarkSubmitted(up.id, "a", "vid2", 5)));
  EXPECT_TRUE(IsConflict(store->Append(up.id, "a", 6, "g", 5).status()));
  Upload after = store->Get(up.id, "a").value();
  EXPECT_EQ(after.state, UploadState::kSubmitted);
  EXPECT_EQ(after.video, "vid1");
}

TEST_F(UploadStoreTest, AbandonedUploadsExpireWithTheirFilesAndOthersStay) {
  auto store = OpenStore(UploadLimits{.expire_ms = 1000});
  Upload old = store->Create("a", 10, "video/mp4", 0).value();
  ASSERT_TRUE(store->Append(old.id, "a", 0, "abc", 100).ok());
  Upload fresh = store->Create("a", 10, "video/mp4", 0).value();
  ASSERT_TRUE(store->Append(fresh.id, "a", 0, "abc", 900).ok());
  Upload done = store->Create("a", 1, "video/mp4", 0).value();
  ASSERT_TRUE(store->Append(done.id, "a", 0, "z", 50).ok());
  ASSERT_TRUE(store->MarkSubmitted(done.id, "a", "v", 60).ok());
  EXPECT_EQ(store->ExpireAbandoned(1099).value(), 0);
  EXPECT_EQ(store->ExpireAbandoned(1100).value(), 1);
  EXPECT_EQ(store->Get(old.id, "a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(store->FilePath(old.id)));
  EXPECT_TRUE(fs::exists(store->FilePath(fresh.id)));
  EXPECT_TRUE(store->Get(done.id, "a").ok());  // submitted: the job owns it
  EXPECT_TRUE(fs::exists(store->FilePath(done.id)));
}

// The real file layer on a full disk: RLIMIT_FSIZE makes writes past it fail with EFBIG.
TEST_F(UploadStoreTest, AFullDiskIsInsufficientStorageAndLeavesNothingHalfWritten) {
  ::signal(SIGXFSZ, SIG_IGN);
  auto store = OpenStore();
  Upload up = store->Create("a", 1 << 20, "video/mp4", 0).value();
  ASSERT_TRUE(store->Append(up.id, "a", 0, Bytes(1000, 'a'), 1).ok());
  rlimit lim;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &lim), 0);
  const rlim_t unlimited = lim.rlim_cur;
  lim.rlim_cur = 1500;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  absl::StatusOr<uint64_t> full = store->Append(up.id, "a", 1000, Bytes(1000, 'b'), 2);
  lim.rlim_cur = unlimited;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  EXPECT_TRUE(IsInsufficientStorage(full.status())) << full.status();
  EXPECT_NE(full.status().message().find("disk is full"), std::string::npos);
  EXPECT_EQ(store->Get(up.id, "a").value().received, 1000u);
  EXPECT_EQ(fs::file_size(store->FilePath(up.id)), 1000u);
  // Space is back: the same chunk goes in.
  EXPECT_EQ(store->Append(up.id, "a", 1000, Bytes(1000, 'b'), 3).value(), 2000u);
  EXPECT_EQ(common::ReadFile(store->FilePath(up.id)).value(), Bytes(1000, 'a') + Bytes(1000, 'b'));
}

// A layer that writes half of a chunk and then reports a full disk, as a write cut short would.
class HalfWriteFiles : public UploadFiles {
 public:
  absl::Status WriteAt(const std::string& path, uint64_t offset, std::string_view data) override {
    if (!fail) return real_->WriteAt(path, offset, data);
    (void)real_->WriteAt(path, offset, data.substr(0, data.size() / 2));
    return InsufficientStorageError("insufficient storage: injected");
  }
  absl::Status Remove(const std::string& path) override { return real_->Remove(path); }
  bool fail = false;

 private:
  std::shared_ptr<UploadFiles> real_ = PosixUploadFiles();
};

TEST_F(UploadStoreTest, AChunkCutShortIsNotRecordedAndTheRetryReplacesItsBytes) {
  auto files = std::make_shared<HalfWriteFiles>();
  auto store = OpenStore({}, files);
  Upload up = store->Create("a", 12, "video/mp4", 0).value();
  ASSERT_TRUE(store->Append(up.id, "a", 0, "abcd", 1).ok());
  files->fail = true;
  EXPECT_TRUE(IsInsufficientStorage(store->Append(up.id, "a", 4, "WXYZ", 2).status()));
  EXPECT_EQ(store->Get(up.id, "a").value().received, 4u);
  files->fail = false;
  // The retry is a shorter chunk than the one cut short: none of the failed chunk's bytes stay.
  ASSERT_EQ(store->Append(up.id, "a", 4, "e", 3).value(), 5u);
  EXPECT_EQ(common::ReadFile(store->FilePath(up.id)).value(), "abcde");
}

}  // namespace
}  // namespace foryou::uploads
