// The built-in pipeline's heavy stages on the GPU for a whole batch: every item's inflated volume
// is sampled (shape/cuda/inflate_sampler.h) and meshed (marching_cubes.h) with all the batch's
// volumes resident on the device at once, so the batch size is what decides the memory needed.
//
//   std::vector<const shape::InflateField*> batch = ...;  // compute_inflate_field() per job, CPU
//   auto meshes = mesh::extract_inflated_surfaces_cuda(batch, {}, pool, stream->native());
//   if (!meshes && meshes.error().code() == ErrorCode::kOutOfMemory) { /* split the batch, retry */ }
//
// The meshes equal, item by item, marching_cubes(sample_inflate_volume(field), options) on the
// CPU: same positions bit for bit, same triangles in the same order.
//
// Memory: every byte from `pool`. The volumes, field columns and row offsets of all items are
// taken first, then the meshes once their exact sizes are known; any failure returns kOutOfMemory
// after waiting for the stream and giving everything back to the pool, so the caller can split
// the batch and retry. estimate_inflated_surface_bytes() is the per-item need.
//
// Thread-safety: pure function of its arguments. Built only with CUDA (ORFEAS_MESH_CUDA).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/gpu/memory_pool.h"
#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/mesh.h"
#include "orfeas/shape/inflate_backend.h"

namespace orfeas::mesh {

// `stream` is a cudaStream_t on the current device (the pool's); returns when it has finished.
// kInvalidArgument for a null or malformed field, kOutOfMemory as above, kInternal for a CUDA
// failure; errors name the item.
[[nodiscard]] Result<std::vector<Mesh>> extract_inflated_surfaces_cuda(std::span<const shape::InflateField* const> batch,
                                                                       const MarchingCubesOptions& options,
                                                                       gpu::MemoryPool& pool, void* stream);

// Device bytes one item of `resolution` cells per axis takes in extract_inflated_surfaces_cuda(),
// as the pool accounts them (each allocation rounded to its bucket, caching_memory_pool.h). With
// n = resolution + 1 grid points per axis:
//
//   bucket(4 n^3)                     the volume, float [n, n, n]
// + bucket(4 n^2)                     the field's columns, float [n, n]
// + bucket(16 ((n + 1)^2 + 1))        per-row vertex and triangle offsets, uint64 [2, (n+1)^2 + 1]
// + bucket(12 V) + bucket(12 T)       the mesh: V vertices (float [V, 3]), T triangles (uint32 [T, 3])
//
// V and T depend on the shape; the estimate allows V = 8 r^2 and T = 2 V (r = resolution). A
// sphere of radius 1 (the largest inflated disc) makes about 4.7 r^2 vertices and a full-canvas
// square about 3 r^2, so this covers ordinary silhouettes; a very ragged one may need more, in
// which case the call fails with kOutOfMemory rather than overrunning. A batch adds once: the
// scan scratch (cub, a few KiB, one 512-byte bucket or a few) and 32 bytes per item of counters
// (one allocation), both far below the per-item terms.
[[nodiscard]] std::uint64_t estimate_inflated_surface_bytes(int resolution);

}  // namespace orfeas::mesh
