// Needs a CUDA GPU and driver (label gpu). Without one every test FAILS with the reason: these are
// run on purpose on a GPU machine, where a silent skip would hide a broken driver.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "orfeas/gpu/caching_memory_pool.h"
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
  {
    auto warm = pool->allocate(32 * kMiB);
    ASSERT_TRUE(warm);
  }  // something in the cache
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

// A block size the card can spare several times over: 1/64 of its free memory, at most 64 MiB.
std::size_t spare_block_bytes(int device) {
  auto info = cuda_memory_info(device);
  EXPECT_TRUE(info) << info.error().message();
  return info ? std::clamp<std::size_t>(static_cast<std::size_t>(info->free_bytes / 64), kMiB, 64 * kMiB) : kMiB;
}

// Holds a stream at a host function until open(): work queued behind it cannot start, so "the
// device has not passed the free" is certain, not a race with a fast kernel.
class StreamGate {
 public:
  explicit StreamGate(cudaStream_t stream) {
    EXPECT_EQ(cudaLaunchHostFunc(stream, &StreamGate::wait, this), cudaSuccess);
  }
  ~StreamGate() { open(); }
  StreamGate(const StreamGate&) = delete;
  StreamGate& operator=(const StreamGate&) = delete;
  void open() { open_.store(true); }

 private:
  static void CUDART_CB wait(void* self) {  // on CUDA's callback thread: no CUDA calls here
    while (!static_cast<StreamGate*>(self)->open_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::atomic<bool> open_{false};
};

TEST(GpuDeviceCudaPool, ABlockGoesToAnotherStreamOnlyAfterTheFirstStreamsWork) {
  auto pool = require_pool();
  ASSERT_NE(pool, nullptr);
  auto a = create_cuda_stream(0);
  auto b = create_cuda_stream(0);
  ASSERT_TRUE(a && b);
  void* const stream_a = (*a)->native();
  void* const stream_b = (*b)->native();
  const std::size_t bytes = spare_block_bytes(0);
  void* first = nullptr;
  {
    StreamGate gate(static_cast<cudaStream_t>(stream_a));
    {
      auto block = pool->allocate(bytes, stream_a);
      ASSERT_TRUE(block) << block.error().message();
      first = block->data();
      EXPECT_EQ(block->stream(), stream_a);
      ASSERT_EQ(cudaMemsetAsync(first, 1, bytes, static_cast<cudaStream_t>(stream_a)), cudaSuccess);
    }  // freed while stream a is held before the memset
    ASSERT_EQ(cudaStreamQuery(static_cast<cudaStream_t>(stream_a)), cudaErrorNotReady);
    {
      auto other = pool->allocate(bytes, stream_b);
      ASSERT_TRUE(other) << other.error().message();
      EXPECT_NE(other->data(), first) << "handed to stream b while stream a may still write it";
      auto legacy = pool->allocate(bytes);
      ASSERT_TRUE(legacy) << legacy.error().message();
      EXPECT_NE(legacy->data(), first) << "handed to a kNoStream user while stream a may still write it";
      auto same = pool->allocate(bytes, stream_a);
      ASSERT_TRUE(same) << same.error().message();
      EXPECT_EQ(same->data(), first) << "stream a's own block: its work is ordered after the memset";
    }
    gate.open();
    ASSERT_TRUE((*a)->synchronize());
  }
  // Stream a has passed every free: its block is anyone's now, and the three cached blocks serve a
  // third stream without a new cudaMalloc.
  auto c = create_cuda_stream(0);
  ASSERT_TRUE(c);
  const std::uint64_t reserved = pool->stats().reserved_bytes;
  std::vector<DeviceAllocation> later;
  bool reused_first = false;
  for (int i = 0; i < 3; ++i) {
    auto block = pool->allocate(bytes, (*c)->native());
    ASSERT_TRUE(block) << block.error().message();
    reused_first = reused_first || block->data() == first;
    later.push_back(std::move(*block));
  }
  EXPECT_TRUE(reused_first);
  EXPECT_EQ(pool->stats().reserved_bytes, reserved);
  later.clear();
  EXPECT_TRUE((*c)->synchronize());
  EXPECT_EQ(pool->release_cache(), reserved);
}

TEST(GpuDeviceCudaPool, ReleasingTheCacheWaitsForAStreamStillUsingABlock) {
  auto pool = require_pool();
  ASSERT_NE(pool, nullptr);
  auto a = create_cuda_stream(0);
  ASSERT_TRUE(a);
  const auto stream = static_cast<cudaStream_t>((*a)->native());
  const std::size_t bytes = spare_block_bytes(0);
  StreamGate gate(stream);
  {
    auto block = pool->allocate(bytes, stream);
    ASSERT_TRUE(block) << block.error().message();
    ASSERT_EQ(cudaMemsetAsync(block->data(), 0, bytes, stream), cudaSuccess);
  }
  std::thread opener([&gate] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    gate.open();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(pool->release_cache(), pool_bucket_bytes(bytes));
  const auto waited = std::chrono::steady_clock::now() - start;
  opener.join();
  EXPECT_GE(waited, std::chrono::milliseconds(50)) << "the block went back to the driver before the stream passed it";
  EXPECT_EQ(cudaStreamQuery(stream), cudaSuccess);
}

TEST(GpuDeviceCudaPool, AllocatesOnItsOwnDeviceWhateverIsCurrent) {
  const int count = cuda_device_count();
  ASSERT_GT(count, 0) << "no CUDA device visible";
  if (count < 2) GTEST_SKIP() << "one CUDA device: nothing to tell apart (runs on multi-GPU machines)";
  const int last = count - 1;
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  auto pool = create_cuda_memory_pool(last);
  ASSERT_TRUE(pool) << pool.error().message();
  auto stream = create_cuda_stream(last);
  ASSERT_TRUE(stream) << stream.error().message();
  EXPECT_EQ((*stream)->device(), last);
  auto block = (*pool)->allocate(spare_block_bytes(last), (*stream)->native());
  ASSERT_TRUE(block) << block.error().message();
  cudaPointerAttributes attributes{};
  ASSERT_EQ(cudaPointerGetAttributes(&attributes, block->data()), cudaSuccess);
  EXPECT_EQ(attributes.device, last);
  int current = -1;
  ASSERT_EQ(cudaGetDevice(&current), cudaSuccess);
  EXPECT_EQ(current, 0) << "the pool left its device current";
  EXPECT_TRUE((*stream)->synchronize());
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
