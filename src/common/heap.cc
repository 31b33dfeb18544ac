// The process's allocator (see the header).
#include "common/heap.h"

#include <dlfcn.h>
#include <malloc.h>
#ifdef FORYOU_SANITIZED
#include <sanitizer/allocator_interface.h>
#endif

#include <cstddef>

namespace foryou::common {
namespace {

using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);

// jemalloc's control entry point when jemalloc serves malloc in this process, else null.
MallctlFn Mallctl() {
  static const MallctlFn fn = reinterpret_cast<MallctlFn>(dlsym(RTLD_DEFAULT, "mallctl"));
  return fn;
}

uint64_t JemallocStat(MallctlFn mallctl, const char* name) {
  size_t value = 0, len = sizeof(value);
  return mallctl(name, &value, &len, nullptr, 0) == 0 ? value : 0;
}

}  // namespace

Allocator CurrentAllocator() {
#ifdef FORYOU_SANITIZED
  return Allocator::kSanitizer;
#else
  return Mallctl() != nullptr ? Allocator::kJemalloc : Allocator::kGlibc;
#endif
}

const char* AllocatorName(Allocator a) {
  switch (a) {
    case Allocator::kGlibc: return "glibc";
    case Allocator::kJemalloc: return "jemalloc";
    case Allocator::kSanitizer: return "sanitizer";
  }
  return "unknown";
}

HeapFigures ReadHeap() {
  HeapFigures h;
  switch (CurrentAllocator()) {
    case Allocator::kSanitizer:
#ifdef FORYOU_SANITIZED
      h.in_use = __sanitizer_get_current_allocated_bytes();
#endif
      break;
    case Allocator::kJemalloc: {
      const MallctlFn mallctl = Mallctl();
      // Its statistics are a snapshot taken at the last "epoch" write.
      uint64_t epoch = 1;
      size_t len = sizeof(epoch);
      mallctl("epoch", &epoch, &len, &epoch, len);
      h.in_use = JemallocStat(mallctl, "stats.allocated");
      const uint64_t resident = JemallocStat(mallctl, "stats.resident");
      h.free = resident > h.in_use ? resident - h.in_use : 0;
      h.mapped = JemallocStat(mallctl, "stats.mapped");
      break;
    }
    case Allocator::kGlibc: {
      const struct mallinfo2 heap = mallinfo2();
      h.in_use = heap.uordblks + heap.hblkhd;
      h.free = heap.fordblks;
      h.mapped = heap.hblkhd;
      break;
    }
  }
  return h;
}

void ReleaseFreeMemory() {
  if (CurrentAllocator() == Allocator::kGlibc) malloc_trim(0);
}

}  // namespace foryou::common
