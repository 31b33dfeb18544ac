// The process's allocator, whichever serves malloc: jemalloc (linked into the release `foryou`
// binary, docs/design/memory.md), glibc's malloc (a binary built without it, the tests), or the
// sanitizers' allocator (the ASan / TSan builds). Its figures for /metrics, and the periodic
// hand-back of free memory that glibc needs and jemalloc does on its own.
//
// Which one serves malloc is found at run time (jemalloc exports `mallctl`), so a library that
// reads these figures needs no build flag, and a binary run with jemalloc preloaded reports it.
//
// Example:
//   const common::HeapFigures h = common::ReadHeap();   // h.in_use: bytes the program holds
//   common::ReleaseFreeMemory();                         // every 10 s in `serve`
#pragma once

#include <cstdint>

namespace foryou::common {

struct HeapFigures {
  // Bytes the program has allocated and not freed.
  uint64_t in_use = 0;
  // Bytes the allocator keeps resident beyond `in_use` (free chunks, dirty pages, its metadata);
  // glibc: its free chunks, part of which malloc_trim hands back. 0 under a sanitizer.
  uint64_t free = 0;
  // glibc: the large blocks it maps on their own; jemalloc: every byte it has mapped.
  uint64_t mapped = 0;
};

enum class Allocator { kGlibc, kJemalloc, kSanitizer };

Allocator CurrentAllocator();
const char* AllocatorName(Allocator a);  // "glibc", "jemalloc", "sanitizer"

// A few microseconds: glibc walks every arena under its lock; jemalloc refreshes its stats.
HeapFigures ReadHeap();

// glibc: malloc_trim(0), which hands the whole free pages inside its arenas back to the system
// (it keeps them resident otherwise until an arena's top is free). jemalloc and the sanitizers:
// nothing (jemalloc's background thread purges unused pages after `dirty_decay_ms`).
void ReleaseFreeMemory();

}  // namespace foryou::common
