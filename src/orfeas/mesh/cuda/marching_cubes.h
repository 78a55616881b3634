// The CUDA twin of mesh::marching_cubes() (mesh/marching_cubes.h): the iso-surface of volumes
// already in device memory, returned as host meshes identical to the CPU's — the same vertex
// positions bit for bit and the same triangles in the same order (see marching_cubes_cell.h for
// why the order can be reproduced, and marching_cubes.cu for how).
//
//   ORFEAS_ASSIGN_OR_RETURN(gpu::DeviceScalarVolume volume, gpu::upload_volume_cuda(host, pool, stream));
//   ORFEAS_ASSIGN_OR_RETURN(mesh::Mesh surface, mesh::marching_cubes_cuda(volume, {}, pool, stream));
//
// Same guarantees and errors as the CPU version (closed, oriented, welded, deterministic;
// kInvalidArgument for a bad grid or NaN/inf values; kLimitExceeded past 2^31 vertices), plus
// kOutOfMemory when `pool` cannot hold the working buffers or the mesh — then nothing stays
// allocated and the caller may retry with fewer volumes. `options.threads` is ignored.
//
// Device memory, all from `pool` (surface_extraction.h states it for the optimizer), per volume of nx·ny·nz points
// (rows = (ny + 1)(nz + 1)):
//   16 · (rows + 1)          per-row vertex and triangle offsets
//   12 · V + 12 · T          the mesh (V vertices, T triangles) until it is copied back
// plus, per call, one scan scratch (cub's, a few KiB) and 32 bytes per volume of counters.
// `stream` is a cudaStream_t of the device `pool` allocates on; everything runs on the stream's
// device (made current for the call, the caller's restored), whatever device the calling thread
// has current, and the case table is uploaded once to every device used. The working buffers are
// allocated for `stream` (memory_pool.h). The functions return after the stream has finished.
//
// Thread-safety: pure functions of their arguments. In builds without CUDA they return kUnavailable
// (marching_cubes_cuda_absent.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/gpu/device_volume.h"
#include "orfeas/gpu/memory_pool.h"
#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::mesh {

[[nodiscard]] Result<Mesh> marching_cubes_cuda(const gpu::DeviceScalarVolume& volume,
                                               const MarchingCubesOptions& options, gpu::MemoryPool& pool,
                                               void* stream);

// Several volumes in one pass: all counted, then all emitted, with one wait in between; the
// meshes come back in input order. Every volume's buffers are allocated before any mesh is
// emitted, so kOutOfMemory is returned before the expensive part when the batch cannot fit.
[[nodiscard]] Result<std::vector<Mesh>> marching_cubes_cuda(std::span<const gpu::DeviceScalarVolume* const> volumes,
                                                            const MarchingCubesOptions& options, gpu::MemoryPool& pool,
                                                            void* stream);

}  // namespace orfeas::mesh
