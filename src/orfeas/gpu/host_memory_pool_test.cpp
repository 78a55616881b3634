#include "orfeas/gpu/host_memory_pool.h"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

namespace orfeas::gpu {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

std::unique_ptr<HostMemoryPool> make_pool(std::uint64_t capacity = 0) {
  auto pool = HostMemoryPool::create({.capacity_bytes = capacity});
  EXPECT_TRUE(pool.has_value());
  return std::move(*pool);
}

TEST(GpuPoolBucket, RoundsSmallTo512AndLargeTo2MiB) {
  EXPECT_EQ(pool_bucket_bytes(1), 512u);
  EXPECT_EQ(pool_bucket_bytes(512), 512u);
  EXPECT_EQ(pool_bucket_bytes(513), 1024u);
  EXPECT_EQ(pool_bucket_bytes(kMiB - 1), kMiB);
  EXPECT_EQ(pool_bucket_bytes(kMiB), 2 * kMiB);
  EXPECT_EQ(pool_bucket_bytes(2 * kMiB), 2 * kMiB);
  EXPECT_EQ(pool_bucket_bytes(2 * kMiB + 1), 4 * kMiB);
}

TEST(GpuHostMemoryPool, AccountsAllocatedReservedCachedAndPeak) {
  auto pool = make_pool();
  EXPECT_EQ(pool->name(), "host");
  {
    auto a = pool->allocate(3 * kMiB);  // bucket 4 MiB
    auto b = pool->allocate(1000);      // bucket 1024 B
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->bytes(), 3 * kMiB);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a->data()) % 256, 0u);
    std::memset(a->data(), 1, a->bytes());
    const AllocatorStats s = pool->stats();
    EXPECT_EQ(s.allocated_bytes, 4 * kMiB + 1024);
    EXPECT_EQ(s.reserved_bytes, 4 * kMiB + 1024);
    EXPECT_EQ(s.cached_bytes(), 0u);
    EXPECT_EQ(s.peak_allocated_bytes, 4 * kMiB + 1024);
    EXPECT_EQ(s.allocation_count, 2u);
  }
  AllocatorStats s = pool->stats();
  EXPECT_EQ(s.allocated_bytes, 0u);
  EXPECT_EQ(s.reserved_bytes, 4 * kMiB + 1024);
  EXPECT_EQ(s.cached_bytes(), 4 * kMiB + 1024);
  EXPECT_EQ(s.peak_allocated_bytes, 4 * kMiB + 1024);

  pool->reset_peak();
  EXPECT_EQ(pool->stats().peak_allocated_bytes, 0u);
}

TEST(GpuHostMemoryPool, ReusesCachedBlockOfTheSameBucket) {
  auto pool = make_pool();
  void* first = nullptr;
  {
    auto a = pool->allocate(5 * kMiB);
    ASSERT_TRUE(a);
    first = a->data();
  }
  auto b = pool->allocate(6 * kMiB);  // same 6 MiB bucket
  ASSERT_TRUE(b);
  EXPECT_EQ(b->data(), first);
  EXPECT_EQ(pool->stats().reserved_bytes, 6 * kMiB);
  EXPECT_EQ(pool->stats().cached_bytes(), 0u);
}

TEST(GpuHostMemoryPool, ReleaseCacheFreesExactlyTheCachedBytes) {
  auto pool = make_pool();
  auto kept = pool->allocate(2 * kMiB);
  {
    std::vector<DeviceAllocation> blocks;
    for (int i = 0; i < 5; ++i) {
      auto block = pool->allocate(4 * kMiB);
      ASSERT_TRUE(block);
      blocks.push_back(std::move(*block));
    }
  }
  EXPECT_EQ(pool->stats().cached_bytes(), 20 * kMiB);
  EXPECT_EQ(pool->release_cache(), 20 * kMiB);
  EXPECT_EQ(pool->stats().reserved_bytes, 2 * kMiB);
  EXPECT_EQ(pool->stats().allocated_bytes, 2 * kMiB);
  EXPECT_EQ(pool->release_cache(), 0u);
}

TEST(GpuHostMemoryPool, CapacityLimitGivesOutOfMemoryAsAValue) {
  auto pool = make_pool(8 * kMiB);
  auto a = pool->allocate(6 * kMiB);
  ASSERT_TRUE(a);
  auto b = pool->allocate(4 * kMiB);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code(), ErrorCode::kOutOfMemory);
  EXPECT_NE(b.error().message().find("host"), std::string::npos);
  EXPECT_EQ(pool->stats().out_of_memory_count, 1u);
  EXPECT_EQ(pool->stats().allocated_bytes, 6 * kMiB);
  // The pool still works afterwards.
  auto c = pool->allocate(2 * kMiB);
  EXPECT_TRUE(c);
}

TEST(GpuHostMemoryPool, OutOfMemoryReleasesTheCacheAndRetries) {
  auto pool = make_pool(8 * kMiB);
  {
    auto a = pool->allocate(6 * kMiB);
    ASSERT_TRUE(a);
  }
  EXPECT_EQ(pool->stats().cached_bytes(), 6 * kMiB);
  auto b = pool->allocate(8 * kMiB);  // fits only once the cached 6 MiB block is gone
  ASSERT_TRUE(b);
  EXPECT_EQ(pool->stats().reserved_bytes, 8 * kMiB);
  EXPECT_EQ(pool->stats().cached_bytes(), 0u);
  EXPECT_EQ(pool->stats().out_of_memory_count, 0u);
}

TEST(GpuHostMemoryPool, MoveAssignmentReturnsTheOldBlock) {
  auto pool = make_pool();
  auto a = pool->allocate(2 * kMiB);
  auto b = pool->allocate(4 * kMiB);
  ASSERT_TRUE(a && b);
  *a = std::move(*b);
  EXPECT_EQ(pool->stats().allocated_bytes, 4 * kMiB);
  EXPECT_EQ(pool->stats().cached_bytes(), 2 * kMiB);
  EXPECT_EQ(a->bytes(), 4 * kMiB);
}

TEST(GpuHostMemoryPool, RejectsZeroBytesAndBadAlignment) {
  auto pool = make_pool();
  auto zero = pool->allocate(0);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code(), ErrorCode::kInvalidArgument);
  auto bad = HostMemoryPool::create({.alignment = 100});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

TEST(GpuHostMemoryPool, ConcurrentAllocationsKeepTheBooksBalanced) {
  auto pool = make_pool();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&pool, t] {
      for (int i = 0; i < 200; ++i) {
        auto block = pool->allocate(static_cast<std::size_t>((i % 3) + 1 + t) * 4096);
        ASSERT_TRUE(block);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const AllocatorStats s = pool->stats();
  EXPECT_EQ(s.allocated_bytes, 0u);
  EXPECT_EQ(s.allocation_count, 800u);
  EXPECT_EQ(pool->release_cache(), s.reserved_bytes);
}

}  // namespace
}  // namespace orfeas::gpu
