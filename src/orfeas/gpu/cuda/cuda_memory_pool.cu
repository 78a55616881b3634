#include "orfeas/gpu/cuda/cuda_memory_pool.h"

#include "orfeas/gpu/cuda/cuda_check.h"
#include "orfeas/gpu/cuda_runtime.h"

namespace orfeas::gpu {
namespace cuda {

Result<std::unique_ptr<CudaMemoryPool>> CudaMemoryPool::create(int device) {
  const int count = cuda_device_count();
  if (device < 0 || device >= count) {
    return make_error(ErrorCode::kUnavailable, "cuda:" + std::to_string(device) + ": no such CUDA device (" +
                                                   std::to_string(count) + " visible to this process)");
  }
  const DeviceGuard guard(device);
  ORFEAS_RETURN_IF_ERROR(cuda_status(device, "cudaSetDevice", guard.error()));
  return std::unique_ptr<CudaMemoryPool>(new CudaMemoryPool(device));
}

CudaMemoryPool::CudaMemoryPool(int device) : CachingMemoryPool("cuda:" + std::to_string(device)), device_(device) {}

CudaMemoryPool::~CudaMemoryPool() { release_all_cached(); }

CudaMemoryPool::RawAllocation CudaMemoryPool::raw_allocate(std::size_t bytes) {
  const DeviceGuard guard(device_);
  if (guard.error() != cudaSuccess) {
    const cudaError_t error = guard.error();
    (void)cudaGetLastError();
    return {RawAllocation::Outcome::kError, nullptr, cuda_message(device_, "cudaSetDevice", error)};
  }
  void* data = nullptr;
  const cudaError_t error = cudaMalloc(&data, bytes);
  if (error == cudaSuccess) return {RawAllocation::Outcome::kOk, data, {}};
  (void)cudaGetLastError();  // cudaErrorMemoryAllocation is not sticky, but is left as the last error
  const auto outcome =
      error == cudaErrorMemoryAllocation ? RawAllocation::Outcome::kOutOfMemory : RawAllocation::Outcome::kError;
  return {outcome, nullptr, cuda_message(device_, "cudaMalloc", error)};
}

void CudaMemoryPool::raw_free(void* data, std::size_t /*bytes*/) noexcept {
  const DeviceGuard guard(device_);
  if (cudaFree(data) != cudaSuccess) (void)cudaGetLastError();  // a sticky error already broke the context
}

}  // namespace cuda

Result<std::unique_ptr<MemoryPool>> create_cuda_memory_pool(int device) {
  ORFEAS_ASSIGN_OR_RETURN(auto pool, cuda::CudaMemoryPool::create(device));
  return std::unique_ptr<MemoryPool>(std::move(pool));
}

}  // namespace orfeas::gpu
