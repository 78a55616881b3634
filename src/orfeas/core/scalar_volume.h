// A scalar field sampled on a regular 3-D grid in host memory (grid.h for the geometry and its
// conventions): what a CPU shape backend produces and marching cubes reads. Values below the
// iso-level (0 by default) are inside the object.
//
// Thread-safety: a value.
#pragma once

#include <vector>

#include "orfeas/core/grid.h"
#include "orfeas/core/large_allocator.h"

namespace orfeas {

struct ScalarVolume : GridGeometry {
  // [nz, ny, nx]; the job's largest buffer, hence the allocator (see large_allocator.h).
  std::vector<float, LargeAllocator<float>> values;

  ScalarVolume() = default;
  ScalarVolume(int x, int y, int z, Vec3f origin_, float spacing_, float fill = 0.0F)
      : GridGeometry{x, y, z, origin_, spacing_}, values(GridGeometry{x, y, z, origin_, spacing_}.count(), fill) {}

  [[nodiscard]] float at(int i, int j, int k) const { return values[index(i, j, k)]; }
  [[nodiscard]] float& at(int i, int j, int k) { return values[index(i, j, k)]; }
  [[nodiscard]] VolumeView view() const { return {*this, values.data(), values.size()}; }
};

}  // namespace orfeas
