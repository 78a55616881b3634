// The geometry of a regular 3-D sampling grid, shared by every volume type (host volumes here,
// pool-backed volumes in gpu/pooled_volume.h) so that shape backends and mesh extraction agree on
// it without depending on each other.
//
// Convention: grid point (i, j, k) sits at origin + spacing · (i, j, k) in model units; x is fastest
// in memory, then y, then z ([nz, ny, nx]). Model space is right-handed and Y-up: x to the right of
// the image, y up the image, z towards the viewer (the image is the front view).
//
// Thread-safety: a value.
#pragma once

#include <cstddef>

#include "orfeas/core/vec3.h"

namespace orfeas {

struct GridGeometry {
  int nx = 0;
  int ny = 0;
  int nz = 0;
  Vec3f origin;          // model units
  float spacing = 1.0F;  // model units between neighbouring grid points

  [[nodiscard]] std::size_t count() const {
    return static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny) * static_cast<std::size_t>(nz);
  }
  [[nodiscard]] std::size_t index(int i, int j, int k) const {
    return (static_cast<std::size_t>(k) * static_cast<std::size_t>(ny) + static_cast<std::size_t>(j)) *
               static_cast<std::size_t>(nx) +
           static_cast<std::size_t>(i);
  }
  [[nodiscard]] Vec3f position(int i, int j, int k) const {
    return {origin.x + spacing * static_cast<float>(i), origin.y + spacing * static_cast<float>(j),
            origin.z + spacing * static_cast<float>(k)};
  }
  // The grid of `points`^3 samples covering the cube [-1, 1]^3 (resolution = points − 1 cells).
  [[nodiscard]] static GridGeometry unit_cube(int points) {
    return {points, points, points, Vec3f{-1.0F, -1.0F, -1.0F}, 2.0F / static_cast<float>(points - 1)};
  }
};

// Read-only float samples on a grid, wherever they are stored in host memory.
struct VolumeView {
  GridGeometry grid;
  const float* values = nullptr;  // borrowed, grid.count() floats [nz, ny, nx]
  std::size_t size = 0;           // floats available at `values`

  [[nodiscard]] float at(int i, int j, int k) const { return values[grid.index(i, j, k)]; }
};

}  // namespace orfeas
