// A ScalarVolume whose values live in device memory taken from a gpu::MemoryPool: the hand-over
// between the CUDA inflate sampler (inflate_sampler.h) and the CUDA marching cubes
// (mesh/cuda/marching_cubes.h). Same layout and conventions as shape::ScalarVolume (volume.h):
// float [nz, ny, nx], x fastest, negative inside.
//
//   ORFEAS_ASSIGN_OR_RETURN(shape::DeviceScalarVolume device, shape::upload_volume_cuda(volume, pool, stream));
//
// Thread-safety: a value; the functions below may run concurrently on different streams.
// Built only with CUDA (ORFEAS_SHAPE_CUDA); the header itself includes no CUDA header.
#pragma once

#include <cstddef>

#include "orfeas/core/status.h"
#include "orfeas/core/vec3.h"
#include "orfeas/gpu/memory_pool.h"
#include "orfeas/shape/volume.h"

namespace orfeas::shape {

struct DeviceScalarVolume {
  int nx = 0;
  int ny = 0;
  int nz = 0;
  Vec3f origin;          // model units
  float spacing = 1.0F;  // model units
  gpu::DeviceAllocation values;  // float [nz, ny, nx] in device memory, pool-owned

  [[nodiscard]] const float* data() const { return static_cast<const float*>(values.data()); }
  [[nodiscard]] std::size_t count() const {
    return static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny) * static_cast<std::size_t>(nz);
  }
};

// Copies `volume` to the device (`stream` is a cudaStream_t; the copy has completed on return).
// kOutOfMemory when the pool cannot hold it.
[[nodiscard]] Result<DeviceScalarVolume> upload_volume_cuda(const ScalarVolume& volume, gpu::MemoryPool& pool,
                                                            void* stream);

// Copies a device volume back (waits for `stream`).
[[nodiscard]] Result<ScalarVolume> download_volume_cuda(const DeviceScalarVolume& volume, void* stream);

}  // namespace orfeas::shape
