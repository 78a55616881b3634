#include "orfeas/gpu/cuda/cuda_memory_pool.h"

#include <string>
#include <vector>

#include "orfeas/gpu/cuda/cuda_check.h"
#include "orfeas/gpu/cuda_runtime.h"

namespace orfeas::gpu {
namespace cuda {
namespace {

// Stream markers as CUDA events of the pool's device, without timing (cheaper to record and
// query). Events are reused: creating one costs a driver call, recording one does not. Called
// under the pool's mutex only (caching_memory_pool.h), so the free list needs no lock of its own.
class CudaEventMarkers final : public StreamMarkers {
 public:
  explicit CudaEventMarkers(int device) : device_(device) {}
  ~CudaEventMarkers() override {
    const DeviceGuard guard(device_);
    for (cudaEvent_t event : free_) {
      if (cudaEventDestroy(event) != cudaSuccess) (void)cudaGetLastError();
    }
  }

  void* record(void* stream) noexcept override {
    const DeviceGuard guard(device_);
    if (guard.error() != cudaSuccess) return nullptr;
    cudaEvent_t event = nullptr;
    if (!free_.empty()) {
      event = free_.back();
      free_.pop_back();
    } else if (cudaEventCreateWithFlags(&event, cudaEventDisableTiming) != cudaSuccess) {
      (void)cudaGetLastError();
      return nullptr;
    }
    if (cudaEventRecord(event, static_cast<cudaStream_t>(stream)) != cudaSuccess) {
      (void)cudaGetLastError();
      release(event);
      return nullptr;
    }
    return static_cast<void*>(event);
  }

  bool passed(void* marker) noexcept override {
    const DeviceGuard guard(device_);
    const cudaError_t state = cudaEventQuery(static_cast<cudaEvent_t>(marker));
    if (state == cudaSuccess) return true;
    (void)cudaGetLastError();  // cudaErrorNotReady, or a broken context: not passed either way
    return false;
  }

  void wait(void* marker) noexcept override {
    const DeviceGuard guard(device_);
    if (cudaEventSynchronize(static_cast<cudaEvent_t>(marker)) != cudaSuccess) (void)cudaGetLastError();
  }

  void release(void* marker) noexcept override {
    try {
      free_.push_back(static_cast<cudaEvent_t>(marker));
    } catch (...) {  // no memory for the list entry: destroy the event instead of keeping it
      const DeviceGuard guard(device_);
      if (cudaEventDestroy(static_cast<cudaEvent_t>(marker)) != cudaSuccess) (void)cudaGetLastError();
    }
  }

 private:
  const int device_;
  std::vector<cudaEvent_t> free_;
};

}  // namespace

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

CudaMemoryPool::CudaMemoryPool(int device)
    : CachingMemoryPool("cuda:" + std::to_string(device), std::make_shared<CudaEventMarkers>(device)),
      device_(device) {}

CudaMemoryPool::~CudaMemoryPool() {
  release_all_cached();
}

CudaMemoryPool::RawAllocation CudaMemoryPool::raw_allocate(std::size_t bytes) {
  const DeviceGuard guard(device_);
  if (guard.error() != cudaSuccess) {
    return {RawAllocation::Outcome::kError, nullptr, cuda_message(device_, "cudaSetDevice", guard.error())};
  }
  void* data = nullptr;
  const cudaError_t error = cudaMalloc(&data, bytes);
  if (error == cudaSuccess) return {RawAllocation::Outcome::kOk, data, {}};
  (void)cudaGetLastError();  // cudaErrorMemoryAllocation is not sticky, but is left as the last error
  const auto outcome = cuda_error_code(error) == ErrorCode::kOutOfMemory ? RawAllocation::Outcome::kOutOfMemory
                                                                         : RawAllocation::Outcome::kError;
  return {outcome, nullptr, cuda_message(device_, "cudaMalloc", error)};
}

void CudaMemoryPool::raw_free(void* data, std::size_t /*bytes*/) noexcept {
  // cudaFree waits for the device, so a block whose marker could not be recorded is safe too.
  const DeviceGuard guard(device_);
  if (cudaFree(data) != cudaSuccess) (void)cudaGetLastError();  // a sticky error already broke the context
}

}  // namespace cuda

Result<std::unique_ptr<MemoryPool>> create_cuda_memory_pool(int device) {
  ORFEAS_ASSIGN_OR_RETURN(auto pool, cuda::CudaMemoryPool::create(device));
  return std::unique_ptr<MemoryPool>(std::move(pool));
}

}  // namespace orfeas::gpu
