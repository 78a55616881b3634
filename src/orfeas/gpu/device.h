// Where a pipeline's heavy stages run: the CPU (host memory) or a CUDA device, with the memory pool
// and stream its stages allocate from and queue on. Stages look at `kind` to pick their CPU or CUDA
// implementation at run time; nothing above gpu/ needs `#if` for CUDA.
//
//   ORFEAS_ASSIGN_OR_RETURN(gpu::DeviceSpec spec, gpu::parse_device("cuda:1"));
//
// Thread-safety: values; the pool is thread-safe, the stream serialises what is queued on it.
#pragma once

#include <string>
#include <string_view>

#include "orfeas/core/status.h"
#include "orfeas/gpu/memory_pool.h"

namespace orfeas::gpu {

enum class DeviceKind { kCpu, kCuda };

// What a user asks for: "cpu", "cuda" (device 0) or "cuda:N".
struct DeviceSpec {
  DeviceKind kind = DeviceKind::kCpu;
  int ordinal = 0;  // CUDA device ordinal (as CUDA numbers them, after CUDA_VISIBLE_DEVICES)
};

// kInvalidArgument for anything else.
[[nodiscard]] Result<DeviceSpec> parse_device(std::string_view text);
// "cpu" or "cuda:N".
[[nodiscard]] std::string device_name(const DeviceSpec& spec);

// A device as the stages see it.
struct Device {
  DeviceSpec spec;
  MemoryPool* pool = nullptr;  // borrowed: the HostMemoryPool on the CPU, the CUDA pool on a GPU
  void* stream = nullptr;      // borrowed cudaStream_t on a CUDA device; null on the CPU

  [[nodiscard]] bool is_cuda() const { return spec.kind == DeviceKind::kCuda; }
};

}  // namespace orfeas::gpu
