// common::StoreOptions (common/rocksdb_options.h) on a real store: a store's tables keep no
// index or filter blocks outside the shared block cache, so the memory of a growing store (the
// joiner's late store) stays within the process's budgets. Here because `common` does not link
// RocksDB; the late store is its largest user.
#include "common/rocksdb_options.h"

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace foryou::common {
namespace {

TEST(StoreOptionsTest, TableIndexesLiveInTheSharedBlockCache) {
  const std::string dir = ::testing::TempDir() + "/store_options_index";
  std::filesystem::remove_all(dir);
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(StoreOptions(), dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  // ~10 MB of 100-byte values: ~2,500 data blocks, so an index of tens of KB per flushed table.
  const std::string value(100, 'x');
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), absl::StrCat("key", 1'000'000 + i), value).ok());
  }
  ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  std::string got;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "key1050000", &got).ok());
  EXPECT_EQ(got, value);
  uint64_t readers = 0;
  ASSERT_TRUE(db->GetIntProperty("rocksdb.estimate-table-readers-mem", &readers));
  EXPECT_LT(readers, 4096u) << "index and filter blocks held beside the block cache";
  EXPECT_GT(SharedBlockCache()->GetUsage(), 0u);
  db.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace foryou::common
