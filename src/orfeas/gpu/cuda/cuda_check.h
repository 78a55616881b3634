// The one way CUDA code in ORFEAS turns a cudaError_t into a Status, plus the two RAII helpers
// every CUDA call site needs: a device made current for a scope, and a stream fence.
// Includes the CUDA runtime header: for .cu files and CUDA-only .cpp files (gpu/, shape/, mesh/,
// profiling/ cuda folders); the rest of ORFEAS uses gpu/cuda_runtime.h, which has none.
//
//   const gpu::cuda::DeviceGuard guard(device);
//   ORFEAS_RETURN_IF_ERROR(gpu::cuda::cuda_status(device, "cudaSetDevice", guard.error()));
//   ORFEAS_RETURN_IF_ERROR(gpu::cuda::check(cudaMemcpyAsync(...), "upload of the columns"));
//   kernel<<<grid, block, 0, stream>>>(...);
//   ORFEAS_RETURN_IF_ERROR(gpu::cuda::check_launch("sample kernel"));
//
// Codes: kOutOfMemory for cudaErrorMemoryAllocation (the caller may retry smaller), kUnavailable
// when there is no usable driver or device, kInternal otherwise. Every helper clears CUDA's
// (non-sticky) last error so the next call starts clean.
//
// Thread-safety: functions of their arguments; DeviceGuard changes the calling thread's current
// device only, for its own lifetime.
#pragma once

#include <cuda_runtime_api.h>

#include <string>
#include <string_view>

#include "orfeas/core/status.h"

namespace orfeas::gpu::cuda {

// The ErrorCode for a failed CUDA call (never called with cudaSuccess).
[[nodiscard]] ErrorCode cuda_error_code(cudaError_t error);

// "cuda:0: cudaMalloc: out of memory (cudaErrorMemoryAllocation)"
[[nodiscard]] std::string cuda_message(int device, std::string_view call, cudaError_t error);

// ok() for cudaSuccess; otherwise the error, "cuda:<device>: <call>: <CUDA's words>".
[[nodiscard]] Status cuda_status(int device, std::string_view call, cudaError_t error);

// The same without a device number, "<what>: <CUDA's words>": for call sites that work on the
// current device (kernels, copies, scans on a stream).
[[nodiscard]] Status check(cudaError_t error, std::string_view what);

// After a kernel launch: the launch error, if any.
[[nodiscard]] Status check_launch(std::string_view kernel);

// Makes `device` current for this thread for the guard's lifetime, restoring the previous one.
// Every pool, stream, kernel launch and event of device N runs under one, so that "device N"
// never silently means whatever device the thread last used.
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
  bool switched_ = false;
  cudaError_t error_ = cudaSuccess;
};

// The device `stream` belongs to; the current device for the legacy default stream (nullptr)
// and where the runtime cannot say (runtimes before CUDA 12.8 have no cudaStreamGetDevice).
[[nodiscard]] Result<int> stream_device(cudaStream_t stream);

// Waits for `stream` when destroyed. Declare it after the DeviceAllocations of a scope, so that on
// every path (errors included) no queued kernel still uses a block the pool may hand out again.
class StreamFence {
 public:
  explicit StreamFence(cudaStream_t stream) : stream_(stream) {}
  ~StreamFence();
  StreamFence(const StreamFence&) = delete;
  StreamFence& operator=(const StreamFence&) = delete;

  // The explicit wait, whose error the caller reports.
  [[nodiscard]] Status wait(std::string_view what) const;

 private:
  cudaStream_t stream_;  // borrowed
};

}  // namespace orfeas::gpu::cuda
