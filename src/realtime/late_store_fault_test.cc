// The real-time loop when the joiner's late store (RocksDB) cannot write: training goes on, the
// fault is reported in storage_health() (so on /healthz and /metrics), impressions whose window
// closes wait in memory, and the store is retried until it works again. The fault is injected
// through RocksDB's FileSystem interface: every write to a file of the store fails while
// `fail` is set.
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "realtime/realtime_loop.h"
#include "realtime/test_util.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace foryou::realtime {
namespace {

namespace fs = std::filesystem;

class FailingWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FailingWritableFile(std::unique_ptr<rocksdb::FSWritableFile> f, const std::atomic<bool>* fail)
      : FSWritableFileOwnerWrapper(std::move(f)), fail_(fail) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* d) override {
    if (fail_->load()) return rocksdb::IOStatus::IOError("injected write error");
    return target()->Append(data, o, d);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* d) override {
    if (fail_->load()) return rocksdb::IOStatus::IOError("injected write error");
    return target()->Append(data, o, v, d);
  }

 private:
  const std::atomic<bool>* fail_;
};

class FailingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FailingFileSystem(std::shared_ptr<rocksdb::FileSystem> t)
      : FileSystemWrapper(std::move(t)) {}
  const char* Name() const override { return "FailingFileSystem"; }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* d) override {
    if (fail.load()) return rocksdb::IOStatus::IOError("injected create error");
    rocksdb::IOStatus s = target()->NewWritableFile(f, o, r, d);
    if (s.ok()) *r = std::make_unique<FailingWritableFile>(std::move(*r), &fail);
    return s;
  }
  std::atomic<bool> fail{false};
};

Event Make(EventType type, const std::string& user, const std::string& video,
           const std::string& request_id, int64_t time_ms) {
  Event e;
  e.type = type;
  e.user = user;
  e.video = video;
  e.request_id = request_id;
  e.time_ms = time_ms;
  return e;
}

bool HasFault(const StorageHealth& h, std::string_view what) {
  for (const std::string& f : h.faults) {
    if (f.find(what) != std::string::npos) return true;
  }
  return false;
}

TEST(LateStoreFaultTest, AFailingLateStoreDegradesTheLoopWhichRecoversByItself) {
  const std::string dir = ::testing::TempDir() + "/late_store_fault";
  fs::remove_all(dir);
  auto failing = std::make_shared<FailingFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(failing);
  LoopOptions o;
  o.log.dir = dir + "/log";
  o.log.fsync = FsyncPolicy::kNever;
  o.joiner.late_store_dir = dir + "/late";
  o.joiner.late_store_env = env.get();
  o.joiner.late_store_retry_ms = 0;  // every step may retry
  o.joiner.window_ms = 200;
  auto opened = RealtimeLoop::Open(o, testing::TinyConfig(), nullptr);
  ASSERT_TRUE(opened.ok()) << opened.status();
  RealtimeLoop& loop = **opened;

  const int64_t t0 = common::WallMs() - 60'000;
  auto ingest = [&](std::vector<Event> events) {
    ASSERT_TRUE(loop.Ingest(events, common::WallMs()).ok());
    absl::Status s = loop.ProcessAvailable();
    ASSERT_TRUE(s.ok()) << s;  // a late store fault never stops training
  };
  ingest({Make(EventType::kImpression, "u1", "v1", "r1", t0),
          Make(EventType::kImpression, "u2", "v2", "r2", t0)});

  // The windows of r1 and r2 close while the store cannot write.
  failing->fail = true;
  ingest({Make(EventType::kImpression, "u3", "v3", "r3", t0 + 1000)});
  StorageHealth h = loop.storage_health();
  EXPECT_TRUE(HasFault(h, "late store")) << ::testing::PrintToString(h.faults);
  EXPECT_GE(h.late_store_failures, 1u);
  EXPECT_EQ(loop.stats().joiner.pending, 3u);  // r1 and r2 wait in memory
  // An action on a waiting impression still finds it.
  const uint64_t corrections = loop.stats().joiner.corrections;
  ingest({Make(EventType::kLike, "u1", "v1", "r1", t0 + 1100)});
  EXPECT_EQ(loop.stats().joiner.corrections, corrections + 1);
  EXPECT_TRUE(HasFault(loop.storage_health(), "late store"));

  // The disk is back: the next step moves them to the store and the fault clears.
  failing->fail = false;
  ingest({Make(EventType::kImpression, "u4", "v4", "r4", t0 + 2000)});
  h = loop.storage_health();
  EXPECT_FALSE(HasFault(h, "late store")) << ::testing::PrintToString(h.faults);
  EXPECT_EQ(loop.stats().joiner.pending, 1u);  // only r4's window is open
  // A late action finds r2 in the store.
  const uint64_t late = loop.stats().joiner.late_actions;
  ingest({Make(EventType::kShare, "u2", "v2", "r2", t0 + 3000)});
  EXPECT_EQ(loop.stats().joiner.late_actions, late + 1);
  EXPECT_TRUE(loop.status().ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace foryou::realtime
