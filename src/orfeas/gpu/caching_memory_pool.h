// The caching logic shared by every MemoryPool: requests are rounded up to a size bucket, freed
// blocks go to a per-bucket free list instead of back to the driver, and the next request of the
// same bucket reuses one. When the backing store refuses (out of memory), the cache is released
// and the request retried once before kOutOfMemory is returned.
//
// Buckets: requests below 1 MiB round up to a multiple of 512 B; larger ones to a multiple of
// 2 MiB (the granularity of the CUDA driver's large allocations, so a rounded block wastes nothing
// the driver would not waste anyway). AllocatorStats count bucket (rounded) bytes, so
// reserved = allocated + cached holds exactly.
//
// Subclasses supply only the backing store (cudaMalloc/cudaFree, malloc/free): raw_allocate and
// raw_free, both called with the pool's mutex held, never concurrently.
//
// Thread-safety: every public method may be called from any thread (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/gpu/memory_pool.h"

namespace orfeas::gpu {

// The bucket a request of `bytes` is served from (bytes > 0).
[[nodiscard]] std::size_t pool_bucket_bytes(std::size_t bytes);

class CachingMemoryPool : public MemoryPool {
 public:
  [[nodiscard]] std::string_view name() const final { return name_; }
  [[nodiscard]] Result<DeviceAllocation> allocate(std::size_t bytes) final;
  [[nodiscard]] AllocatorStats stats() const final;
  std::uint64_t release_cache() final;
  void reset_peak() final;

 protected:
  explicit CachingMemoryPool(std::string name) : name_(std::move(name)) {}
  // Subclass destructors must call release_all_cached() while their backing store still works.
  ~CachingMemoryPool() override = default;

  struct RawAllocation {
    enum class Outcome { kOk, kOutOfMemory, kError };
    Outcome outcome = Outcome::kOk;
    void* data = nullptr;
    std::string message;  // for kOutOfMemory and kError: the backing store's words
  };
  virtual RawAllocation raw_allocate(std::size_t bytes) = 0;
  virtual void raw_free(void* data, std::size_t bytes) noexcept = 0;

  void deallocate(void* data, std::size_t bytes) noexcept final;
  void release_all_cached() noexcept;

 private:
  std::uint64_t release_cache_locked() noexcept;

  const std::string name_;
  mutable std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> free_blocks_;  // bucket bytes → cached blocks
  AllocatorStats stats_;
};

}  // namespace orfeas::gpu
