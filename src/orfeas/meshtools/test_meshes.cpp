#include "orfeas/meshtools/test_meshes.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/test_volumes.h"

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

mesh::Mesh make_box(Vec3f origin, Vec3f size) {
  mesh::Mesh box = make_cube({}, 1.0F);
  for (Vec3f& p : box.positions) p = origin + Vec3f{p.x * size.x, p.y * size.y, p.z * size.z};
  return box;
}

mesh::Mesh make_surface(int n, const std::function<float(Vec3f)>& field) {
  return mesh::marching_cubes(mesh::testing::sample_cube(n, field)).value();
}

float torus_distance(Vec3f p, Vec3f centre, float major, float minor) {
  const Vec3f d = p - centre;
  const float ring = std::sqrt(d.x * d.x + d.z * d.z) - major;
  return std::sqrt(ring * ring + d.y * d.y) - minor;
}

float cylinder_distance(Vec3f p, float x, float z, float radius, float y0, float y1) {
  const float side = std::sqrt((p.x - x) * (p.x - x) + (p.z - z) * (p.z - z)) - radius;
  const float ends = std::max(y0 - p.y, p.y - y1);
  return std::max(side, ends);
}

mesh::Mesh merged(mesh::Mesh a, const mesh::Mesh& b) {
  const auto offset = static_cast<std::uint32_t>(a.positions.size());
  a.positions.insert(a.positions.end(), b.positions.begin(), b.positions.end());
  for (const mesh::Triangle& t : b.triangles) a.triangles.push_back({t[0] + offset, t[1] + offset, t[2] + offset});
  return a;
}

}  // namespace orfeas::meshtools::testing
