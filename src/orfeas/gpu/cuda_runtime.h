// The CUDA runtime as the rest of ORFEAS sees it, without including a CUDA header: a device
// count, synchronisation, streams as opaque RAII handles, and the caching device memory pool.
// Built without CUDA (ORFEAS_WITH_CUDA undefined) every function still exists: the count is 0 and
// the factories return kUnavailable, so callers need no #ifdef.
//
//   if (gpu::cuda_device_count() > 0) {
//     ORFEAS_ASSIGN_OR_RETURN(auto pool, gpu::create_cuda_memory_pool(0));
//     ORFEAS_ASSIGN_OR_RETURN(auto stream, gpu::create_cuda_stream(0));
//     my_kernel_launch(static_cast<cudaStream_t>(stream->native()), ...);  // in a .cu file
//     ORFEAS_RETURN_IF_ERROR(stream->synchronize());
//   }
//
// Thread-safety: the free functions may be called from any thread; a Stream may be shared, as CUDA
// streams are; the pool is thread-safe (memory_pool.h). Each call selects its device itself, so the
// calling thread's current device does not matter (and is restored afterwards).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/gpu/memory_pool.h"

namespace orfeas::gpu {

// Whether this build has the CUDA implementations compiled in.
[[nodiscard]] bool cuda_compiled_in();

// CUDA devices visible to this process; 0 without CUDA, without a driver, or without a device.
[[nodiscard]] int cuda_device_count();

// Who CUDA device `ordinal` is, in the words NVML uses for the same board, so that readings for
// "device N" come from CUDA's device N even when CUDA_VISIBLE_DEVICES or CUDA_DEVICE_ORDER
// renumber the devices (see match_cuda_devices in device_probe.h).
struct CudaDeviceIdentity {
  int ordinal = 0;         // what cuda:N, --device N and the pools mean
  std::string uuid;        // "GPU-" + the 8-4-4-4-12 hex digits NVML prints (a MIG instance: CUDA's own UUID)
  std::string pci_bus_id;  // "0000:3b:00.0", lower case: domain:bus:device.function
};
// One identity per visible device, in ordinal order; empty without CUDA or without a device.
// kInternal only when the runtime answers the count but not a device's properties.
[[nodiscard]] Result<std::vector<CudaDeviceIdentity>> cuda_device_identities();

// cudaMemGetInfo: the driver's view of `device`, in bytes, all processes included.
struct CudaMemoryInfo {
  std::uint64_t free_bytes = 0;
  std::uint64_t total_bytes = 0;
};
[[nodiscard]] Result<CudaMemoryInfo> cuda_memory_info(int device);

// Waits for all work on `device`. kUnavailable without CUDA; kInternal with CUDA's message when a
// kernel failed asynchronously.
[[nodiscard]] Status cuda_synchronize(int device);

// An owned CUDA stream (non-blocking with respect to the legacy default stream), destroyed with
// the object. native() is the cudaStream_t, to be cast back in CUDA code only.
class Stream {
 public:
  virtual ~Stream() = default;
  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  [[nodiscard]] virtual void* native() const = 0;  // cudaStream_t
  [[nodiscard]] virtual int device() const = 0;
  // Waits for the work queued on this stream; kInternal with CUDA's message on failure.
  [[nodiscard]] virtual Status synchronize() = 0;
};

[[nodiscard]] Result<std::unique_ptr<Stream>> create_cuda_stream(int device);

// A caching allocator over cudaMalloc/cudaFree on `device` (name "cuda:<device>"); see
// caching_memory_pool.h for bucketing and the out-of-memory retry. Blocks are 256-byte aligned
// device memory. The pool must outlive its allocations; destroying it frees the cached blocks.
[[nodiscard]] Result<std::unique_ptr<MemoryPool>> create_cuda_memory_pool(int device);

}  // namespace orfeas::gpu
