// A scalar field sampled on a regular 3-D grid: the output of shape generation and the input of
// mesh extraction.
//
// Convention: values below the iso-level (0 by default) are inside the object. Grid point (i, j, k)
// sits at origin + spacing * (i, j, k) in model units; x is fastest in memory, then y, then z.
// Model space is right-handed and Y-up: x to the right of the image, y up the image, z towards the
// viewer (the image is the front view).
#pragma once

#include <cstddef>
#include <vector>

#include "orfeas/core/large_allocator.h"
#include "orfeas/core/vec3.h"

namespace orfeas::shape {

struct ScalarVolume {
  int nx = 0;
  int ny = 0;
  int nz = 0;
  Vec3f origin;          // model units
  float spacing = 1.0F;  // model units between neighbouring grid points
  // [nz, ny, nx]; the job's largest buffer, hence the allocator (see large_allocator.h).
  std::vector<float, LargeAllocator<float>> values;

  ScalarVolume() = default;
  ScalarVolume(int x, int y, int z, Vec3f origin_, float spacing_, float fill = 0.0F)
      : nx(x), ny(y), nz(z), origin(origin_), spacing(spacing_),
        values(static_cast<std::size_t>(x) * static_cast<std::size_t>(y) * static_cast<std::size_t>(z), fill) {}

  [[nodiscard]] std::size_t index(int i, int j, int k) const {
    return (static_cast<std::size_t>(k) * static_cast<std::size_t>(ny) + static_cast<std::size_t>(j)) *
               static_cast<std::size_t>(nx) +
           static_cast<std::size_t>(i);
  }
  [[nodiscard]] float at(int i, int j, int k) const { return values[index(i, j, k)]; }
  [[nodiscard]] float& at(int i, int j, int k) { return values[index(i, j, k)]; }
  [[nodiscard]] Vec3f position(int i, int j, int k) const {
    return {origin.x + spacing * static_cast<float>(i), origin.y + spacing * static_cast<float>(j),
            origin.z + spacing * static_cast<float>(k)};
  }
};

}  // namespace orfeas::shape
