// ReadHeap follows what the program allocates, whichever allocator serves malloc.
#include "common/heap.h"

#include <cstring>
#include <memory>

#include "gtest/gtest.h"

namespace foryou::common {
namespace {

TEST(HeapTest, InUseFollowsAnAllocationAndItsFree) {
  constexpr size_t kBytes = 64 << 20;
  const uint64_t before = ReadHeap().in_use;
  auto block = std::make_unique<char[]>(kBytes);
  std::memset(block.get(), 1, kBytes);
  const uint64_t during = ReadHeap().in_use;
  EXPECT_GE(during, before + kBytes * 9 / 10) << AllocatorName(CurrentAllocator());
  block.reset();
  EXPECT_LE(ReadHeap().in_use, during - kBytes * 9 / 10);
  ReleaseFreeMemory();  // safe under every allocator
}

TEST(HeapTest, NamesTheAllocatorOfThisBuild) {
#ifdef FORYOU_SANITIZED
  EXPECT_EQ(CurrentAllocator(), Allocator::kSanitizer);
#else
  // The tests link glibc's malloc; the release `foryou` binary links jemalloc.
  EXPECT_EQ(CurrentAllocator(), Allocator::kGlibc);
#endif
  EXPECT_STREQ(AllocatorName(Allocator::kJemalloc), "jemalloc");
}

}  // namespace
}  // namespace foryou::common
