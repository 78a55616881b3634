// Internal to the shape/ and mesh/ CUDA folders: a CUDA runtime result as a Status, and a fence
// that waits for a stream before the device buffers of a scope go back to the pool.
// Includes the CUDA runtime header: for .cu files and CUDA-only .cpp files.
#pragma once

#include <cuda_runtime_api.h>

#include <string>
#include <string_view>

#include "orfeas/core/status.h"

namespace orfeas::cuda_call {

// kOutOfMemory for cudaErrorMemoryAllocation, kInternal otherwise, with CUDA's words; clears the
// (non-sticky) last error so the next call starts clean.
[[nodiscard]] inline Status check(cudaError_t error, std::string_view what) {
  if (error == cudaSuccess) return ok();
  (void)cudaGetLastError();
  const ErrorCode code = error == cudaErrorMemoryAllocation ? ErrorCode::kOutOfMemory : ErrorCode::kInternal;
  return make_error(code, std::string(what) + ": " + cudaGetErrorString(error) + " (" + cudaGetErrorName(error) + ")");
}

// After a kernel launch: the launch error, if any.
[[nodiscard]] inline Status check_launch(std::string_view kernel) { return check(cudaGetLastError(), kernel); }

// Waits for `stream` when destroyed. Declare it after the DeviceAllocations of a scope, so that on
// every path (errors included) no queued kernel still uses a block the pool may hand out again.
class StreamFence {
 public:
  explicit StreamFence(cudaStream_t stream) : stream_(stream) {}
  ~StreamFence() { (void)cudaStreamSynchronize(stream_); }
  StreamFence(const StreamFence&) = delete;
  StreamFence& operator=(const StreamFence&) = delete;

  // The explicit wait, whose error the caller reports.
  [[nodiscard]] Status wait(std::string_view what) const { return check(cudaStreamSynchronize(stream_), what); }

 private:
  cudaStream_t stream_;  // borrowed
};

}  // namespace orfeas::cuda_call
