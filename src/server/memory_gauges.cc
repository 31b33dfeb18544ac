// The memory gauges of /metrics (see the header).
#include "server/memory_gauges.h"

#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/heap.h"
#include "common/mutex.h"
#include "common/rocksdb_options.h"

namespace foryou::server {
namespace {

struct Sizes {
  feed::SessionMemory sessions;
  model::BehaviourMemory behaviour;
  feed::WatchNext::Memory watch_next;
  uint64_t join_pending = 0, join_bytes = 0, late_store_readers_bytes = 0;
  // The process as a whole: the allocator's heap, RocksDB's shared budgets, threads.
  uint64_t malloc_in_use = 0, malloc_free = 0, malloc_mmap = 0;
  uint64_t rocksdb_memtables = 0, rocksdb_block_cache = 0, threads = 0;
};

// The threads of this process (/proc/self/task); 0 where /proc is not there.
uint64_t CountThreads() {
  std::error_code ec;
  uint64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/task", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  return n;
}

// The last reading. The registry renders its gauges one after the other in registration order
// under its lock, so the first memory gauge reads the sizes afresh and the others use them.
class SizesCache {
 public:
  SizesCache(feed::FeedService* feed, realtime::RealtimeLoop* loop) : feed_(feed), loop_(loop) {}

  double Read(double (*field)(const Sizes&), bool refresh) {
    common::MutexLock lock(&mu_);
    if (refresh) {
      sizes_.sessions = feed_->session_memory();
      sizes_.behaviour = loop_->BehaviourMemory();
      sizes_.watch_next = feed_->watch_next().MemoryUse();
      const realtime::LoopStats stats = loop_->stats();
      sizes_.join_pending = stats.joiner.pending;
      sizes_.join_bytes = stats.join_bytes;
      sizes_.late_store_readers_bytes = stats.late_store_table_readers_bytes;
      // Whichever allocator serves malloc (common/heap.h): a few microseconds per render.
      const common::HeapFigures heap = common::ReadHeap();
      sizes_.malloc_in_use = heap.in_use;
      sizes_.malloc_free = heap.free;
      sizes_.malloc_mmap = heap.mapped;
      sizes_.rocksdb_memtables = common::SharedMemtables()->memory_usage();
      sizes_.rocksdb_block_cache = common::SharedBlockCache()->GetUsage();
      sizes_.threads = CountThreads();
    }
    return field(sizes_);
  }

 private:
  feed::FeedService* const feed_;
  realtime::RealtimeLoop* const loop_;
  common::Mutex mu_;
  Sizes sizes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void AddMemoryGauges(Registry* registry, feed::FeedService* feed, realtime::RealtimeLoop* loop) {
  auto cache = std::make_shared<SizesCache>(feed, loop);
  struct Spec {
    const char* name;
    const char* help;
    double (*field)(const Sizes&);
  };
  static constexpr Spec kGauges[] = {
      {"foryou_sessions_live", "Live user sessions",
       [](const Sizes& s) { return static_cast<double>(s.sessions.live); }},
      {"foryou_sessions_parked", "Parked user sessions (seen set and not-interested counts only)",
       [](const Sizes& s) { return static_cast<double>(s.sessions.parked); }},
      {"foryou_sessions_seen_keys", "Seen-set video keys over every session, live and parked",
       [](const Sizes& s) { return static_cast<double>(s.sessions.seen_keys); }},
      {"foryou_sessions_seen_bytes", "Estimated bytes of the seen sets",
       [](const Sizes& s) { return static_cast<double>(s.sessions.seen_bytes); }},
      {"foryou_sessions_recent_entries",
       "Recent positives, likes, skips and page tails over the live sessions",
       [](const Sizes& s) { return static_cast<double>(s.sessions.recent_entries); }},
      {"foryou_sessions_served_records", "Served records kept for explanations",
       [](const Sizes& s) { return static_cast<double>(s.sessions.served_records); }},
      {"foryou_sessions_served_order", "Entries of the served records' serving order",
       [](const Sizes& s) { return static_cast<double>(s.sessions.served_order); }},
      {"foryou_sessions_served_bytes", "Estimated bytes of the served records and their order",
       [](const Sizes& s) { return static_cast<double>(s.sessions.served_bytes); }},
      {"foryou_sessions_not_interested", "Not-interested counts over every session",
       [](const Sizes& s) { return static_cast<double>(s.sessions.not_interested); }},
      {"foryou_sessions_bytes", "Estimated bytes of the user sessions in all",
       [](const Sizes& s) { return static_cast<double>(s.sessions.bytes); }},
      {"foryou_behaviour_users", "Users with behaviour-state recent lists",
       [](const Sizes& s) { return static_cast<double>(s.behaviour.users); }},
      {"foryou_behaviour_list_entries", "Entries of the behaviour state's recent lists",
       [](const Sizes& s) { return static_cast<double>(s.behaviour.list_entries); }},
      {"foryou_behaviour_counters", "Behaviour-state counters per video, creator, sound and user",
       [](const Sizes& s) { return static_cast<double>(s.behaviour.counters); }},
      {"foryou_behaviour_pair_counters",
       "Behaviour-state counters per user x author / sound / tag / video pair",
       [](const Sizes& s) { return static_cast<double>(s.behaviour.pair_counters); }},
      {"foryou_behaviour_bytes", "Estimated bytes of the behaviour state",
       [](const Sizes& s) { return static_cast<double>(s.behaviour.bytes); }},
      {"foryou_join_pending", "Impressions held by the joiner in memory",
       [](const Sizes& s) { return static_cast<double>(s.join_pending); }},
      {"foryou_join_bytes", "Estimated bytes of the joiner's in-memory state",
       [](const Sizes& s) { return static_cast<double>(s.join_bytes); }},
      {"foryou_join_late_store_readers_bytes",
       "RocksDB's estimate of the late store's index and filter blocks in memory",
       [](const Sizes& s) { return static_cast<double>(s.late_store_readers_bytes); }},
      {"foryou_watch_next_recent_entries", "Recent-video entries of the watch-next users",
       [](const Sizes& s) { return static_cast<double>(s.watch_next.recent_entries); }},
      {"foryou_watch_next_item_entries", "Item-item entries of the watch-next users",
       [](const Sizes& s) { return static_cast<double>(s.watch_next.item_entries); }},
      {"foryou_watch_next_users_bytes", "Estimated bytes of the watch-next users",
       [](const Sizes& s) { return static_cast<double>(s.watch_next.viewers_bytes); }},
      {"foryou_watch_next_covis_bytes", "Estimated bytes of the co-visitation tables",
       [](const Sizes& s) { return static_cast<double>(s.watch_next.covis_bytes); }},
      {"foryou_watch_next_tower_bytes", "Bytes of the two-tower embeddings and their moments",
       [](const Sizes& s) { return static_cast<double>(s.watch_next.tower_bytes); }},
      {"foryou_malloc_in_use_bytes",
       "Bytes the program holds from malloc (large mapped blocks included)",
       [](const Sizes& s) { return static_cast<double>(s.malloc_in_use); }},
      {"foryou_malloc_free_bytes",
       "Bytes the allocator keeps resident beyond those in use (glibc: free chunks, not trimmed)",
       [](const Sizes& s) { return static_cast<double>(s.malloc_free); }},
      {"foryou_malloc_mmap_bytes", "glibc: bytes of the large blocks it maps on their own; jemalloc: all it has mapped",
       [](const Sizes& s) { return static_cast<double>(s.malloc_mmap); }},
      {"foryou_rocksdb_memtable_bytes", "Memtable bytes of every RocksDB store (shared budget)",
       [](const Sizes& s) { return static_cast<double>(s.rocksdb_memtables); }},
      {"foryou_rocksdb_block_cache_bytes",
       "Bytes in RocksDB's shared block cache (data, index and filter blocks)",
       [](const Sizes& s) { return static_cast<double>(s.rocksdb_block_cache); }},
      {"foryou_process_threads", "Threads of the server process",
       [](const Sizes& s) { return static_cast<double>(s.threads); }},
  };
  for (const Spec& g : kGauges) {
    registry->AddGaugeFunction(g.name, g.help, [cache, field = g.field, first = &g == kGauges] {
      return cache->Read(field, first);
    });
  }
}

}  // namespace foryou::server
