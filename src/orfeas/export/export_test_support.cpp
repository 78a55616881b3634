#include "orfeas/export/export_test_support.h"

#include <array>
#include <cmath>

namespace orfeas::exporter::test_support {

mesh::Mesh make_octahedron(bool with_normals, bool with_colors) {
  const std::array<Vec3f, 6> axes = {Vec3f{1, 0, 0},  Vec3f{-1, 0, 0}, Vec3f{0, 1, 0},
                                     Vec3f{0, -1, 0}, Vec3f{0, 0, 1},  Vec3f{0, 0, -1}};
  mesh::Mesh mesh;
  for (const Vec3f a : axes) {
    mesh.positions.push_back(Vec3f{a.x * kOctahedronScale.x, a.y * kOctahedronScale.y, a.z * kOctahedronScale.z} +
                             kOctahedronOffset);
    if (with_normals) mesh.normals.push_back(a);
  }
  if (with_colors) {
    mesh.colors = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {128, 64, 32}, {10, 200, 100}};
  }
  for (const int sx : {1, -1}) {
    for (const int sy : {1, -1}) {
      for (const int sz : {1, -1}) {
        const std::uint32_t x = sx > 0 ? 0 : 1;
        const std::uint32_t y = sy > 0 ? 2 : 3;
        const std::uint32_t z = sz > 0 ? 4 : 5;
        // (x, y, z) is counter-clockwise seen from outside exactly when sx*sy*sz > 0.
        mesh.triangles.push_back(sx * sy * sz > 0 ? mesh::Triangle{x, y, z} : mesh::Triangle{x, z, y});
      }
    }
  }
  return mesh;
}

Vec3f octahedron_centred(Vec3f p, float size) {
  // The bounding box's centre is the offset; its longest side (Y) is 2 model units.
  return (p - kOctahedronOffset) * (size / 2.0F);
}

Vec3f octahedron_on_plate(Vec3f p, float size) {
  const Vec3f centred = octahedron_centred(p, size);
  return {centred.x, -centred.z, centred.y + kOctahedronScale.y * size / 2.0F};
}

void expect_near(Vec3f actual, Vec3f expected, float tolerance) {
  EXPECT_NEAR(actual.x, expected.x, tolerance);
  EXPECT_NEAR(actual.y, expected.y, tolerance);
  EXPECT_NEAR(actual.z, expected.z, tolerance);
}

mesh::Mesh make_grid(std::uint32_t columns, std::uint32_t rows, bool with_normals, bool with_colors) {
  mesh::Mesh mesh;
  for (std::uint32_t r = 0; r < rows; ++r) {
    for (std::uint32_t c = 0; c < columns; ++c) {
      const float u = static_cast<float>(c) / static_cast<float>(columns - 1);
      const float v = static_cast<float>(r) / static_cast<float>(rows - 1);
      mesh.positions.push_back({2.0F * u - 1.0F, 0.1F * std::sin(6.0F * u) * std::cos(5.0F * v), 2.0F * v - 1.0F});
      if (with_normals) mesh.normals.push_back(normalized(Vec3f{0.1F * u, 1.0F, -0.1F * v}));
      if (with_colors) {
        mesh.colors.push_back({static_cast<std::uint8_t>(c % 256), static_cast<std::uint8_t>(r % 256),
                               static_cast<std::uint8_t>((c + r) % 256)});
      }
    }
  }
  for (std::uint32_t r = 0; r + 1 < rows; ++r) {
    for (std::uint32_t c = 0; c + 1 < columns; ++c) {
      const std::uint32_t i = r * columns + c;
      // Seen from +Y, with +Z pointing towards the viewer's bottom: CCW.
      mesh.triangles.push_back({i, i + columns, i + 1});
      mesh.triangles.push_back({i + 1, i + columns, i + columns + 1});
    }
  }
  return mesh;
}

}  // namespace orfeas::exporter::test_support
