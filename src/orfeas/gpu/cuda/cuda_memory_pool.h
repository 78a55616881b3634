// CudaMemoryPool: the caching pool (caching_memory_pool.h) backed by cudaMalloc/cudaFree on one
// device. Internal to gpu/cuda/; everyone else creates it through create_cuda_memory_pool()
// in cuda_runtime.h, which needs no CUDA header.
//
// Streams: the markers of caching_memory_pool.h are CUDA events of the pool's device (reused).
// Every driver call runs with the pool's device current (DeviceGuard), whatever the caller's is.
//
// Out of memory: cudaMalloc's cudaErrorMemoryAllocation is cleared from CUDA's error state
// (cudaGetLastError), the cache released and the request retried once; then kOutOfMemory.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstddef>

#include "orfeas/gpu/caching_memory_pool.h"

namespace orfeas::gpu::cuda {

class CudaMemoryPool final : public CachingMemoryPool {
 public:
  // kUnavailable when `device` does not exist or there is no driver.
  static Result<std::unique_ptr<CudaMemoryPool>> create(int device);
  ~CudaMemoryPool() override;

  [[nodiscard]] int device() const { return device_; }

 private:
  explicit CudaMemoryPool(int device);
  RawAllocation raw_allocate(std::size_t bytes) override;
  void raw_free(void* data, std::size_t bytes) noexcept override;

  const int device_;
};

}  // namespace orfeas::gpu::cuda
