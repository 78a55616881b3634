// Device memory as the pipeline's GPU stages see it: allocations through a caching pool that
// accounts for every byte, so the optimizer and the profiler read this process's own view
// (allocated, reserved, cached = reserved − allocated, peak) instead of guessing.
//
//   ORFEAS_ASSIGN_OR_RETURN(gpu::DeviceAllocation volume, pool.allocate(bytes, stream));  // RAII
//   kernel<<<..., stream>>>(static_cast<float*>(volume.data()), ...);
//   // volume's destructor returns the block to the pool's cache — no wait for the kernel: the
//   // pool hands the block to the same stream again at once (its work is ordered after the
//   // kernel), and to any other user only once the stream has passed the point of the free.
//   // release_cache() gives cached blocks back to the driver and returns how many bytes that freed.
//
// Streams: allocate(bytes, stream) records the stream the block will be used on (an opaque
// cudaStream_t; the block must be used on that stream only). allocate(bytes) is the legacy form,
// kNoStream: the owner promises the device is done with the block when it is freed (it waited,
// e.g. with a StreamFence), so the block is reusable by anyone at once.
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

// The stream of allocate(bytes): none in particular; the owner synchronises before freeing.
inline constexpr void* kNoStream = nullptr;

// A block of pool memory; returns itself to the pool when destroyed. Move-only.
class DeviceAllocation {
 public:
  DeviceAllocation() = default;
  DeviceAllocation(MemoryPool* pool, void* data, std::size_t bytes, void* stream = kNoStream)
      : pool_(pool), data_(data), bytes_(bytes), stream_(stream) {}
  DeviceAllocation(DeviceAllocation&& other) noexcept
      : pool_(std::exchange(other.pool_, nullptr)),
        data_(std::exchange(other.data_, nullptr)),
        bytes_(std::exchange(other.bytes_, 0)),
        stream_(std::exchange(other.stream_, kNoStream)) {}
  DeviceAllocation& operator=(DeviceAllocation&& other) noexcept;
  DeviceAllocation(const DeviceAllocation&) = delete;
  DeviceAllocation& operator=(const DeviceAllocation&) = delete;
  ~DeviceAllocation();

  [[nodiscard]] void* data() const { return data_; }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }
  [[nodiscard]] bool empty() const { return data_ == nullptr; }
  // The stream the block is used on (cudaStream_t), kNoStream for allocate(bytes).
  [[nodiscard]] void* stream() const { return stream_; }

 private:
  MemoryPool* pool_ = nullptr;  // borrowed; outlives every allocation it hands out
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  void* stream_ = kNoStream;  // borrowed: the stream outlives the block's use
};

class MemoryPool {
 public:
  virtual ~MemoryPool() = default;
  MemoryPool() = default;
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  // "cuda:0", "host".
  [[nodiscard]] virtual std::string_view name() const = 0;
  // A block for work queued on `stream` (cudaStream_t of the pool's device; kNoStream: see the top).
  // kOutOfMemory when the device cannot provide `bytes` even after releasing the cache.
  [[nodiscard]] virtual Result<DeviceAllocation> allocate(std::size_t bytes, void* stream) = 0;
  // The legacy form: allocate(bytes, kNoStream). Subclasses say `using MemoryPool::allocate;`.
  [[nodiscard]] Result<DeviceAllocation> allocate(std::size_t bytes) { return allocate(bytes, kNoStream); }
  [[nodiscard]] virtual AllocatorStats stats() const = 0;
  // Returns cached (unused, reserved) blocks to the driver; the bytes actually freed.
  virtual std::uint64_t release_cache() = 0;
  virtual void reset_peak() = 0;

 protected:
  friend class DeviceAllocation;
  // Called by DeviceAllocation's destructor: the block goes back to the cache, tagged with the
  // stream it was allocated for.
  virtual void deallocate(void* data, std::size_t bytes, void* stream) noexcept = 0;
};

inline DeviceAllocation::~DeviceAllocation() {
  if (pool_ != nullptr && data_ != nullptr) pool_->deallocate(data_, bytes_, stream_);
}

inline DeviceAllocation& DeviceAllocation::operator=(DeviceAllocation&& other) noexcept {
  if (this != &other) {
    if (pool_ != nullptr && data_ != nullptr) pool_->deallocate(data_, bytes_, stream_);
    pool_ = std::exchange(other.pool_, nullptr);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    stream_ = std::exchange(other.stream_, kNoStream);
  }
  return *this;
}

}  // namespace orfeas::gpu
