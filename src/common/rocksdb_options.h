// The options every RocksDB store of the process opens with: memtables and block caches share
// one process-wide budget, so the server's memory does not grow with the number of stores or
// swing by a default 64 MB memtable (two while one flushes) per store under a steady write load;
// the tables' index and filter blocks are charged to the shared cache.
//
// Header-only: every module that includes it links RocksDB itself (`common` does not).
//
// Example:
//   rocksdb::Options options = common::StoreOptions();
//   options.env = test_env;  // anything store-specific on top
//   rocksdb::DB::Open(options, dir, &raw);
#pragma once

#include <cstddef>
#include <memory>

#include "rocksdb/cache.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_buffer_manager.h"

namespace foryou::common {

// Memtable memory of all stores together; past it the largest memtable is flushed early.
inline constexpr size_t kMemtableBudgetBytes = size_t{64} << 20;
// One memtable of one store (RocksDB's default: 64 MB).
inline constexpr size_t kWriteBufferBytes = size_t{8} << 20;
// Cached blocks of all stores together (RocksDB's default: 8 MB per store).
inline constexpr size_t kBlockCacheBytes = size_t{32} << 20;

// The memtable budget and the block cache every store opened with StoreOptions shares (the
// /metrics gauges read their usage).
inline const std::shared_ptr<rocksdb::WriteBufferManager>& SharedMemtables() {
  static const std::shared_ptr<rocksdb::WriteBufferManager> memtables =
      std::make_shared<rocksdb::WriteBufferManager>(kMemtableBudgetBytes);
  return memtables;
}
inline const std::shared_ptr<rocksdb::Cache>& SharedBlockCache() {
  static const std::shared_ptr<rocksdb::Cache> blocks = rocksdb::NewLRUCache(kBlockCacheBytes);
  return blocks;
}

// The tables' index and filter blocks live in the shared block cache (high priority) rather than
// beside it: outside the cache RocksDB keeps every open table's index in memory, so a store that
// grows (the late store holds six hours of impressions) grows the process with it.
inline rocksdb::Options StoreOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_background_jobs = 2;
  options.write_buffer_size = kWriteBufferBytes;
  options.max_write_buffer_number = 2;
  options.write_buffer_manager = SharedMemtables();
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = SharedBlockCache();
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

}  // namespace foryou::common
