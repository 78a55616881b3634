// The CUDA twin of shape::sample_inflate_volume() (inflate_backend.h): expands an InflateField into
// its (points)^3 volume on the device, bit for bit the CPU's floats (same operations, IEEE
// round-to-nearest intrinsics, no fused multiply-add).
//
//   ORFEAS_ASSIGN_OR_RETURN(InflateField field, compute_inflate_field(canvas, mask, options));  // CPU
//   ORFEAS_ASSIGN_OR_RETURN(gpu::DeviceScalarVolume volume, sample_inflate_volume_cuda(field, pool, stream));
//
// Device memory comes only from `pool`: the volume (4 · points^3 bytes) and, while sampling, the
// field's columns (4 · points^2 bytes). `stream` is a cudaStream_t on the current device.
//
// Thread-safety: pure functions of their arguments; concurrent calls need distinct streams or
// must accept being serialised on a shared one. Built only with CUDA (ORFEAS_SHAPE_CUDA).
#pragma once

#include <cstdint>

#include "orfeas/core/status.h"
#include "orfeas/gpu/device_volume.h"
#include "orfeas/gpu/memory_pool.h"
#include "orfeas/shape/inflate_backend.h"

namespace orfeas::shape {

// Allocates the volume, samples it and waits for the stream. kInvalidArgument for a malformed
// field, kOutOfMemory when the pool cannot hold volume + columns, kInternal for a CUDA failure.
[[nodiscard]] Result<gpu::DeviceScalarVolume> sample_inflate_volume_cuda(const InflateField& field,
                                                                         gpu::MemoryPool& pool, void* stream);

namespace internal {

// kInvalidArgument unless points >= 2, radial_sq holds points^2 values and spacing is positive.
[[nodiscard]] Status validate_inflate_field(const InflateField& field);

// Enqueues the upload of field.radial_sq into `columns` (device, >= 4 · points^2 bytes) and the
// kernel writing `volume` (device, float [points^3]). Nothing is waited for: both buffers must
// stay allocated until the stream has passed this work (field.radial_sq is staged by the copy
// before it returns). Checks the launch.
[[nodiscard]] Status enqueue_sample_inflate_volume(const InflateField& field, void* columns, float* volume,
                                                   void* stream);

}  // namespace internal
}  // namespace orfeas::shape
