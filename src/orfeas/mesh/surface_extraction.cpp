#include "orfeas/mesh/surface_extraction.h"

#include <exception>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "orfeas/core/parallel.h"
#include "orfeas/gpu/caching_memory_pool.h"
#include "orfeas/mesh/cuda/marching_cubes.h"
#include "orfeas/mesh/normals.h"

namespace orfeas::mesh {
namespace {

constexpr std::uint64_t kVerticesPerCellSquared = 6;
constexpr std::uint64_t kTrianglesPerVertex = 2;

// An empty surface is the item's error; otherwise the mesh gets its normals.
Result<Mesh> finish(Mesh mesh) {
  if (mesh.empty()) {
    return make_error(ErrorCode::kNoForeground, "the shape is too small for the grid: no surface was found");
  }
  ORFEAS_RETURN_IF_ERROR(compute_vertex_normals(mesh));
  return mesh;
}

Result<MeshBatch> extract_on_cpu(std::span<const gpu::DeviceScalarVolume* const> volumes,
                                 const MarchingCubesOptions& options, const StepProgress& progress,
                                 profiling::ScopeTargets profile) {
  MeshBatch meshes;
  meshes.reserve(volumes.size());
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    try {
      profiling::BatchScope surface(profiling::item_target(profile, i), "marching_cubes");
      auto mesh = marching_cubes(volumes[i]->host_view(), options);
      surface.close();
      const profiling::BatchScope normals(profiling::item_target(profile, i), "normals");
      meshes.push_back(mesh ? finish(std::move(*mesh)) : Result<Mesh>(tl::unexpected(mesh.error())));
    } catch (const std::bad_alloc&) {
      meshes.push_back(make_error(ErrorCode::kOutOfMemory, "out of host memory while meshing"));
    }
    report(progress, i + 1, volumes.size());
  }
  return meshes;
}

Result<MeshBatch> extract_on_cuda(const gpu::Device& device, std::span<const gpu::DeviceScalarVolume* const> volumes,
                                  const MarchingCubesOptions& options, const StepProgress& progress,
                                  profiling::ScopeTargets profile) {
  std::optional<profiling::BatchScope> surface(std::in_place, profile, "marching_cubes", device.stream);
  ORFEAS_ASSIGN_OR_RETURN(std::vector<Mesh> surfaces,
                          marching_cubes_cuda(volumes, options, *device.pool, device.stream));
  surface.reset();
  report(progress, 1, 2);
  const profiling::BatchScope normals(profile, "normals");
  MeshBatch meshes(surfaces.size(), make_error(ErrorCode::kInternal, "not meshed"));
  parallel_for(0, surfaces.size(), 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) meshes[i] = finish(std::move(surfaces[i]));
  });
  report(progress, 2, 2);
  return meshes;
}

}  // namespace

Result<MeshBatch> extract_surfaces(const gpu::Device& device, std::span<const gpu::DeviceScalarVolume* const> volumes,
                                   const MarchingCubesOptions& options, const StepProgress& progress,
                                   profiling::ScopeTargets profile) {
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    if (volumes[i] == nullptr) {
      return make_error(ErrorCode::kInvalidArgument,
                        "mesh extraction: item " + std::to_string(i + 1) + " has no volume");
    }
  }
  if (volumes.empty()) return MeshBatch{};
  if (device.is_cuda()) {
    if (device.pool == nullptr) return make_error(ErrorCode::kInvalidArgument, "mesh extraction: no device pool");
    return extract_on_cuda(device, volumes, options, progress, profile);
  }
  return extract_on_cpu(volumes, options, progress, profile);
}

std::uint64_t marching_cubes_row_bytes(const GridGeometry& grid) {
  const std::uint64_t rows = (static_cast<std::uint64_t>(grid.ny) + 1) * (static_cast<std::uint64_t>(grid.nz) + 1);
  return gpu::pool_bucket_bytes(static_cast<std::size_t>(2 * (rows + 1) * sizeof(std::uint64_t)));
}

gpu::MemoryNeed surface_memory_need(const GridGeometry& grid) {
  const auto r = static_cast<std::uint64_t>(grid.nx > 1 ? grid.nx - 1 : 1);
  const std::uint64_t vertices = kVerticesPerCellSquared * r * r;
  const std::uint64_t triangles = kTrianglesPerVertex * vertices;
  return {0, marching_cubes_row_bytes(grid) + gpu::pool_bucket_bytes(12 * vertices) +
                 gpu::pool_bucket_bytes(12 * triangles)};
}

}  // namespace orfeas::mesh
