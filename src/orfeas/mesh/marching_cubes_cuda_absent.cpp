// A build without CUDA: there is no device to mesh on.
#include "orfeas/mesh/cuda/marching_cubes.h"

namespace orfeas::mesh {

Result<std::vector<Mesh>> marching_cubes_cuda(std::span<const gpu::DeviceScalarVolume* const> /*volumes*/,
                                              const MarchingCubesOptions& /*options*/, gpu::MemoryPool& /*pool*/,
                                              void* /*stream*/) {
  return make_error(ErrorCode::kUnavailable, "marching cubes on CUDA: this build has no CUDA support");
}

Result<Mesh> marching_cubes_cuda(const gpu::DeviceScalarVolume& volume, const MarchingCubesOptions& options,
                                 gpu::MemoryPool& pool, void* stream) {
  const gpu::DeviceScalarVolume* one[] = {&volume};
  ORFEAS_ASSIGN_OR_RETURN(std::vector<Mesh> meshes, marching_cubes_cuda(one, options, pool, stream));
  return std::move(meshes.front());
}

}  // namespace orfeas::mesh
