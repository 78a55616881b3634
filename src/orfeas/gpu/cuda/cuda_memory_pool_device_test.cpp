// Needs a CUDA GPU and driver (label gpu). Without one every test FAILS with the reason: these are
// run on purpose on a GPU machine, where a silent skip would hide a broken driver.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "orfeas/gpu/cuda_runtime.h"

namespace orfeas::gpu {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

std::unique_ptr<MemoryPool> require_pool() {
  auto pool = create_cuda_memory_pool(0);
  EXPECT_TRUE(pool) << "no CUDA pool on device 0 (cuda_device_count() = " << cuda_device_count()
                    << "): " << (pool ? "" : pool.error().message());
  return pool ? std::move(*pool) : nullptr;
}

TEST(GpuDeviceCudaPool, CachedBlocksAreReleasedToTheDriver) {
  auto pool = require_pool();
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->name(), "cuda:0");
  constexpr std::size_t kBlocks = 16;
  constexpr std::size_t kBlockBytes = 64 * kMiB;
  {
    std::vector<DeviceAllocation> blocks;
    for (std::size_t i = 0; i < kBlocks; ++i) {
      auto block = pool->allocate(kBlockBytes);
      ASSERT_TRUE(block) << block.error().message();
      blocks.push_back(std::move(*block));
    }
    EXPECT_EQ(pool->stats().allocated_bytes, kBlocks * kBlockBytes);
    ASSERT_TRUE(cuda_synchronize(0));
  }
  const AllocatorStats stats = pool->stats();
  EXPECT_EQ(stats.allocated_bytes, 0u);
  EXPECT_EQ(stats.cached_bytes(), kBlocks * kBlockBytes);
  EXPECT_EQ(stats.peak_allocated_bytes, kBlocks * kBlockBytes);

  auto before = cuda_memory_info(0);
  ASSERT_TRUE(before) << before.error().message();
  const std::uint64_t freed = pool->release_cache();
  EXPECT_EQ(freed, kBlocks * kBlockBytes);
  auto after = cuda_memory_info(0);
  ASSERT_TRUE(after) << after.error().message();
  const double rise = static_cast<double>(after->free_bytes) - static_cast<double>(before->free_bytes);
  std::printf("cudaMemGetInfo free: %llu -> %llu MiB (rise %.0f MiB, released %llu MiB)\n",
              static_cast<unsigned long long>(before->free_bytes >> 20),
              static_cast<unsigned long long>(after->free_bytes >> 20), rise / static_cast<double>(kMiB),
              static_cast<unsigned long long>(freed >> 20));
  // Other processes may allocate meanwhile; allow 10 % slack.
  EXPECT_GT(rise, 0.9 * static_cast<double>(freed));
  EXPECT_LT(rise, 1.1 * static_cast<double>(freed));
}

TEST(GpuDeviceCudaPool, CachedBlockIsReused) {
  auto pool = require_pool();
  ASSERT_NE(pool, nullptr);
  void* first = nullptr;
  {
    auto a = pool->allocate(10 * kMiB);
    ASSERT_TRUE(a) << a.error().message();
    first = a->data();
  }
  auto b = pool->allocate(10 * kMiB);
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(b->data(), first);
  EXPECT_EQ(pool->stats().reserved_bytes, 10 * kMiB);
}

TEST(GpuDeviceCudaPool, RealOutOfMemoryIsAValueAndThePoolStillWorks) {
  auto pool = require_pool();
  ASSERT_NE(pool, nullptr);
  auto info = cuda_memory_info(0);
  ASSERT_TRUE(info) << info.error().message();
  { auto warm = pool->allocate(32 * kMiB); ASSERT_TRUE(warm); }  // something in the cache
  auto huge = pool->allocate(static_cast<std::size_t>(info->total_bytes) + 1024 * kMiB);
  ASSERT_FALSE(huge) << "allocating more than the card's " << (info->total_bytes >> 20) << " MiB succeeded";
  EXPECT_EQ(huge.error().code(), ErrorCode::kOutOfMemory) << huge.error().message();
  std::printf("expected failure: %s\n", huge.error().message().c_str());
  EXPECT_EQ(pool->stats().out_of_memory_count, 1u);
  EXPECT_EQ(pool->stats().cached_bytes(), 0u);  // released before the retry

  auto after = pool->allocate(64 * kMiB);
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_TRUE(cuda_synchronize(0));
}

TEST(GpuDeviceCudaStream, CreatesAndSynchronises) {
  ASSERT_GT(cuda_device_count(), 0) << "no CUDA device visible";
  auto stream = create_cuda_stream(0);
  ASSERT_TRUE(stream) << stream.error().message();
  EXPECT_NE((*stream)->native(), nullptr);
  EXPECT_EQ((*stream)->device(), 0);
  EXPECT_TRUE((*stream)->synchronize());
}

}  // namespace
}  // namespace orfeas::gpu
