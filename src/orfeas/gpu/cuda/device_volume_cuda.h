// Copies of volumes between host memory and a CUDA device (gpu/device_volume.h), for tests,
// benchmarks and backends that produce a host volume but mesh it on the device.
//
// Built only with CUDA (ORFEAS_WITH_CUDA); the header itself includes no CUDA header.
#pragma once

#include "orfeas/core/scalar_volume.h"
#include "orfeas/core/status.h"
#include "orfeas/gpu/device_volume.h"
#include "orfeas/gpu/memory_pool.h"

namespace orfeas::gpu {

// Copies `volume` to the device (`stream` is a cudaStream_t; the copy has completed on return).
// kOutOfMemory when the pool cannot hold it.
[[nodiscard]] Result<DeviceScalarVolume> upload_volume_cuda(const ScalarVolume& volume, MemoryPool& pool, void* stream);

// Copies a device volume back (waits for `stream`).
[[nodiscard]] Result<ScalarVolume> download_volume_cuda(const DeviceScalarVolume& volume, void* stream);

}  // namespace orfeas::gpu
