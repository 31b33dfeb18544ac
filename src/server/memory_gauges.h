// The /metrics gauges of what the server holds in memory per user and per pair: entries and an
// estimate of their heap bytes for the user sessions, the behaviour state, the join state and
// the watch-next model (the embedding table has its own gauges); and the process's own: malloc's
// heap in use and kept free, RocksDB's shared memtables and block cache, threads. The sizes are
// read in one pass over every structure per render of /metrics (a few milliseconds for ~30,000
// users).
//
// Example:
//   AddMemoryGauges(&registry, &feed_service, &loop);
#pragma once

#include "feed/feed_service.h"
#include "realtime/realtime_loop.h"
#include "server/metrics.h"

namespace foryou::server {

// Registers the gauges (docs/design/memory.md lists them). `feed` and `loop` must outlive the
// registry's renders.
void AddMemoryGauges(Registry* registry, feed::FeedService* feed, realtime::RealtimeLoop* loop);

}  // namespace foryou::server
