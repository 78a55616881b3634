// A volume whose values live in memory taken from a gpu::MemoryPool: a CUDA device's (the CUDA
// pool) or host memory (HostMemoryPool, the CPU twin). It is what shape backends hand to mesh
// extraction inside a batch: same grid conventions as ScalarVolume (core/grid.h), float
// [nz, ny, nx], x fastest, negative inside; the pool accounts for every byte, so a batch that does
// not fit fails with kOutOfMemory and can be split.
//
//   ORFEAS_ASSIGN_OR_RETURN(gpu::DeviceScalarVolume volume, gpu::allocate_volume(grid, pool));
//
// Copies between host and a CUDA device: cuda/device_volume_cuda.h.
//
// Thread-safety: a value; the functions below may run concurrently on different streams.
#pragma once

#include <cstddef>

#include "orfeas/core/grid.h"
#include "orfeas/core/scalar_volume.h"
#include "orfeas/core/status.h"
#include "orfeas/gpu/memory_pool.h"

namespace orfeas::gpu {

struct DeviceScalarVolume : GridGeometry {
  DeviceAllocation values;  // float [nz, ny, nx], pool-owned

  [[nodiscard]] const float* data() const { return static_cast<const float*>(values.data()); }
  [[nodiscard]] float* data() { return static_cast<float*>(values.data()); }
  // The samples as a host view; only meaningful when the pool's memory is host memory.
  [[nodiscard]] VolumeView host_view() const { return {*this, data(), values.bytes() / sizeof(float)}; }
};

// A volume of `grid` taken from `pool` for use on `stream` (a cudaStream_t, or kNoStream: see
// memory_pool.h), its values uninitialised. kOutOfMemory when it does not fit.
[[nodiscard]] Result<DeviceScalarVolume> allocate_volume(const GridGeometry& grid, MemoryPool& pool,
                                                         void* stream = kNoStream);

}  // namespace orfeas::gpu
