// HostMemoryPool: the CPU twin of the CUDA pool — the same bucketing, caching and accounting
// (see caching_memory_pool.h) over aligned host memory. Used in CPU mode and in tests, where an
// optional capacity limit on reserved bytes simulates a device running out of memory, and optional
// scripted stream markers (a fake device's queue; see caching_memory_pool.h) test the stream rules.
// Without them every marker counts as passed at once: host memory is used synchronously.
// Blocks of 4 MiB and more (the CPU pipeline's volumes) are mapped and populated in one call, as
// core/large_allocator.h does, instead of being faulted in page by page on first touch.
//
//   ORFEAS_ASSIGN_OR_RETURN(auto pool, gpu::HostMemoryPool::create({.capacity_bytes = 64 << 20}));
//   auto block = pool->allocate(100 << 20);  // kOutOfMemory, pool->stats().out_of_memory_count == 1
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "orfeas/gpu/caching_memory_pool.h"

namespace orfeas::gpu {

class HostMemoryPool final : public CachingMemoryPool {
 public:
  struct Options {
    std::uint64_t capacity_bytes = 0;             // limit on reserved bytes; 0 = whatever malloc gives
    std::size_t alignment = 256;                  // bytes, a power of two (CUDA's allocation alignment)
    std::shared_ptr<StreamMarkers> markers = {};  // null: every marker passed at once
  };
  static Result<std::unique_ptr<HostMemoryPool>> create(const Options& options);
  ~HostMemoryPool() override;

 private:
  explicit HostMemoryPool(const Options& options);
  RawAllocation raw_allocate(std::size_t bytes) override;
  void raw_free(void* data, std::size_t bytes) noexcept override;

  const Options options_;
  std::uint64_t backing_bytes_ = 0;  // guarded by the base class's mutex (raw_* run under it)
};

}  // namespace orfeas::gpu
