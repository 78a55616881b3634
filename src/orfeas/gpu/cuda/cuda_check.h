// Internal to gpu/cuda/: turning cudaError_t into Status, and selecting a device for one call.
#pragma once

#include <cuda_runtime_api.h>

#include <string>
#include <string_view>

#include "orfeas/core/status.h"

namespace orfeas::gpu::cuda {

// "cuda:0: cudaMalloc: out of memory (cudaErrorMemoryAllocation)"
[[nodiscard]] std::string cuda_message(int device, std::string_view call, cudaError_t error);

// Returns the error as a Status (kOutOfMemory for cudaErrorMemoryAllocation, kUnavailable when
// there is no driver or device, kInternal otherwise) and clears CUDA's last-error state.
[[nodiscard]] Status cuda_status(int device, std::string_view call, cudaError_t error);

// Makes `device` current for this thread for the guard's lifetime, restoring the previous one.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

  // The result of selecting the device; check before using it.
  [[nodiscard]] cudaError_t error() const { return error_; }

 private:
  int previous_ = -1;
  cudaError_t error_ = cudaSuccess;
};

}  // namespace orfeas::gpu::cuda
