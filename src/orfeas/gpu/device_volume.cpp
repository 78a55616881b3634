#include "orfeas/gpu/device_volume.h"

namespace orfeas::gpu {

Result<DeviceScalarVolume> allocate_volume(const GridGeometry& grid, MemoryPool& pool, void* stream) {
  if (grid.nx < 1 || grid.ny < 1 || grid.nz < 1) {
    return make_error(ErrorCode::kInvalidArgument, "a volume needs at least one grid point per axis");
  }
  DeviceScalarVolume volume{grid, {}};
  ORFEAS_ASSIGN_OR_RETURN(volume.values, pool.allocate(grid.count() * sizeof(float), stream));
  return volume;
}

}  // namespace orfeas::gpu
