#include "orfeas/meshtools/test_meshes.h"

#include <cstdint>

namespace orfeas::meshtools::testing {

mesh::Mesh make_cube(Vec3f origin, float side) {
  mesh::Mesh cube;
  for (int i = 0; i < 8; ++i) {
    cube.positions.push_back(origin +
                             Vec3f{(i & 1) != 0 ? side : 0.0F, (i & 2) != 0 ? side : 0.0F, (i & 4) != 0 ? side : 0.0F});
  }
  cube.triangles = {{0, 2, 1}, {1, 2, 3}, {4, 5, 6}, {5, 7, 6}, {0, 1, 4}, {1, 5, 4},
                    {2, 6, 3}, {3, 6, 7}, {0, 4, 2}, {2, 4, 6}, {1, 3, 5}, {3, 7, 5}};
  return cube;
}

mesh::Mesh make_tetrahedron(Vec3f origin, float size) {
  mesh::Mesh tetra;
  tetra.positions = {origin, origin + Vec3f{size, 0, 0}, origin + Vec3f{0, size, 0}, origin + Vec3f{0, 0, size}};
  tetra.triangles = {{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 3}};
  return tetra;
}

mesh::Mesh merged(mesh::Mesh a, const mesh::Mesh& b) {
  const auto offset = static_cast<std::uint32_t>(a.positions.size());
  a.positions.insert(a.positions.end(), b.positions.begin(), b.positions.end());
  for (const mesh::Triangle& t : b.triangles) a.triangles.push_back({t[0] + offset, t[1] + offset, t[2] + offset});
  return a;
}

}  // namespace orfeas::meshtools::testing
