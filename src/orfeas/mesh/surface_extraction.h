// Stage `mesh_extraction` for a batch: the iso-surfaces of volumes that a shape backend left in a
// device's pool (gpu/device_volume.h), with vertex normals. On the CPU the volumes are host memory
// and marching_cubes() meshes them; on a CUDA device, marching_cubes_cuda() (cuda/marching_cubes.h)
// meshes them where they are — the same meshes bit for bit. The device's kind picks, at run time.
//
//   ORFEAS_ASSIGN_OR_RETURN(MeshBatch meshes, extract_surfaces(device, volumes, {}));
//   for (auto& mesh : meshes) { if (!mesh) report(mesh.error()); else use(*mesh); }
//
// An item without any surface is that item's error (kNoForeground); the call fails as a whole only
// for the batch: kOutOfMemory when the device's pool cannot hold the working buffers (nothing stays
// allocated; split and retry), kUnavailable for a CUDA device in a build without CUDA.
//
// Sub-stages on `profile` (inside the caller's mesh_extraction scopes): "marching_cubes" (with GPU
// time on the device's stream) and "normals".
//
// Thread-safety: a pure function of its arguments (CUDA work is queued on the device's stream).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "orfeas/core/grid.h"
#include "orfeas/core/progress.h"
#include "orfeas/core/status.h"
#include "orfeas/gpu/device.h"
#include "orfeas/gpu/device_volume.h"
#include "orfeas/gpu/memory_need.h"
#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/mesh.h"
#include "orfeas/profiling/batch_scope.h"

namespace orfeas::mesh {

using MeshBatch = std::vector<Result<Mesh>>;

[[nodiscard]] Result<MeshBatch> extract_surfaces(const gpu::Device& device,
                                                 std::span<const gpu::DeviceScalarVolume* const> volumes,
                                                 const MarchingCubesOptions& options = {},
                                                 const StepProgress& progress = {},
                                                 profiling::ScopeTargets profile = {});

// What meshing one volume of `grid` needs besides the volume, as the CUDA marching cubes allocates
// it from the pool (the CPU holds the same mesh in host memory), with r = nx − 1 cells per axis:
//   per-row vertex and triangle offsets   16 · ((ny + 1)(nz + 1) + 1)   (CUDA only)
//   the mesh                               12 · V + 12 · T, V = 6 r², T = 2 V
// V is an allowance: a sphere filling the canvas makes ~4.7 r² vertices, a full-canvas square ~3 r²;
// a more ragged silhouette may need more, and then a batch fails with kOutOfMemory and is split.
// Each buffer is rounded to the pool's buckets.
[[nodiscard]] gpu::MemoryNeed surface_memory_need(const GridGeometry& grid);

// The per-row offsets alone (bucketed): what marching_cubes_cuda() takes per volume before the mesh.
[[nodiscard]] std::uint64_t marching_cubes_row_bytes(const GridGeometry& grid);

}  // namespace orfeas::mesh
