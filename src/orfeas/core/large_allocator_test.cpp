#include "orfeas/core/large_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

namespace orfeas {
namespace {

TEST(LargeAllocatorTest, SmallAndLargeVectorsHoldTheirValues) {
  for (std::size_t n : {std::size_t{10}, kLargeBytes / sizeof(float) - 1, kLargeBytes / sizeof(float) * 3 + 7}) {
    std::vector<float, LargeAllocator<float>> values(n, 1.5F);
    ASSERT_EQ(values.size(), n);
    EXPECT_EQ(values.front(), 1.5F);
    EXPECT_EQ(values.back(), 1.5F);
    std::iota(values.begin(), values.end(), 0.0F);
    EXPECT_EQ(values[n / 2], static_cast<float>(n / 2));
  }
}

TEST(LargeAllocatorTest, LargeRegionsAreHugePageAligned) {
  void* p = allocate_large(kLargeBytes + 1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % (std::uintptr_t{2} << 20U), 0U);
  static_cast<char*>(p)[kLargeBytes] = 1;  // the last byte asked for is writable
  deallocate_large(p, kLargeBytes + 1);
}

TEST(LargeAllocatorTest, ImpossibleRequestsReturnNull) {
  EXPECT_EQ(allocate_large(std::size_t{1} << 62U), nullptr);
}

}  // namespace
}  // namespace orfeas
