// Device memory as the pipeline's GPU stages see it: allocations through a caching pool that
// accounts for every byte, so the optimizer and the profiler read this process's own view
// (allocated, reserved, cached = reserved − allocated, peak) instead of guessing.
//
//   ORFEAS_ASSIGN_OR_RETURN(gpu::DeviceAllocation volume, pool.allocate(bytes));  // RAII
//   kernel<<<...>>>(static_cast<float*>(volume.data()), ...);
//   // volume's destructor returns the block to the pool's cache; release_cache() gives cached
//   // blocks back to the driver and returns how many bytes that freed.
//
// Allocation failure is a value: kOutOfMemory, never an exception or an abort, so the batch
// scheduler can split the batch and retry. Implementations: the CUDA pool (gpu/cuda/), and a host
// pool with the same accounting for tests and CPU mode.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "orfeas/core/status.h"

namespace orfeas::gpu {

struct AllocatorStats {
  std::uint64_t allocated_bytes = 0;       // handed out and not yet returned
  std::uint64_t reserved_bytes = 0;        // obtained from the driver (allocated + cached)
  std::uint64_t peak_allocated_bytes = 0;  // since the last reset_peak()
  std::uint64_t allocation_count = 0;      // successful allocations, ever
  std::uint64_t out_of_memory_count = 0;   // failed allocations, ever

  [[nodiscard]] std::uint64_t cached_bytes() const { return reserved_bytes - allocated_bytes; }
};

class MemoryPool;

// A block of pool memory; returns itself to the pool when destroyed. Move-only.
class DeviceAllocation {
 public:
  DeviceAllocation() = default;
  DeviceAllocation(MemoryPool* pool, void* data, std::size_t bytes) : pool_(pool), data_(data), bytes_(bytes) {}
  DeviceAllocation(DeviceAllocation&& other) noexcept
      : pool_(std::exchange(other.pool_, nullptr)), data_(std::exchange(other.data_, nullptr)),
        bytes_(std::exchange(other.bytes_, 0)) {}
  DeviceAllocation& operator=(DeviceAllocation&& other) noexcept;
  DeviceAllocation(const DeviceAllocation&) = delete;
  DeviceAllocation& operator=(const DeviceAllocation&) = delete;
  ~DeviceAllocation();

  [[nodiscard]] void* data() const { return data_; }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }
  [[nodiscard]] bool empty() const { return data_ == nullptr; }

 private:
  MemoryPool* pool_ = nullptr;  // borrowed; outlives every allocation it hands out
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

class MemoryPool {
 public:
  virtual ~MemoryPool() = default;
  MemoryPool() = default;
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  // "cuda:0", "host".
  [[nodiscard]] virtual std::string_view name() const = 0;
  // kOutOfMemory when the device cannot provide `bytes` even after releasing the cache.
  [[nodiscard]] virtual Result<DeviceAllocation> allocate(std::size_t bytes) = 0;
  [[nodiscard]] virtual AllocatorStats stats() const = 0;
  // Returns cached (unused, reserved) blocks to the driver; the bytes actually freed.
  virtual std::uint64_t release_cache() = 0;
  virtual void reset_peak() = 0;

 protected:
  friend class DeviceAllocation;
  // Called by DeviceAllocation's destructor: the block goes back to the cache.
  virtual void deallocate(void* data, std::size_t bytes) noexcept = 0;
};

inline DeviceAllocation::~DeviceAllocation() {
  if (pool_ != nullptr && data_ != nullptr) pool_->deallocate(data_, bytes_);
}

inline DeviceAllocation& DeviceAllocation::operator=(DeviceAllocation&& other) noexcept {
  if (this != &other) {
    if (pool_ != nullptr && data_ != nullptr) pool_->deallocate(data_, bytes_);
    pool_ = std::exchange(other.pool_, nullptr);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

}  // namespace orfeas::gpu
