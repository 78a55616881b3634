#include "orfeas/mesh/compact.h"

#include <gtest/gtest.h>

namespace orfeas::mesh {
namespace {

TEST(MeshCompact, DropsUnusedVerticesAndKeepsAttributesAligned) {
  Mesh mesh;
  for (int i = 0; i < 6; ++i) {
    const auto f = static_cast<float>(i);
    mesh.positions.push_back({f, 0, 0});
    mesh.normals.push_back({0, f, 0});
    mesh.colors.push_back({static_cast<std::uint8_t>(i), 0, 0});
  }
  mesh.triangles = {{5, 1, 3}};
  ASSERT_TRUE(compact_vertices(mesh).has_value());
  ASSERT_EQ(mesh.positions.size(), 3U);
  ASSERT_EQ(mesh.normals.size(), 3U);
  ASSERT_EQ(mesh.colors.size(), 3U);
  EXPECT_EQ(mesh.triangles[0], (Triangle{2, 0, 1}));  // survivors keep their relative order
  for (std::size_t v = 0; v < 3; ++v) {
    EXPECT_EQ(mesh.positions[v].x, mesh.normals[v].y);
    EXPECT_EQ(mesh.positions[v].x, static_cast<float>(mesh.colors[v].r));
  }
}

TEST(MeshCompact, LeavesEmptyAttributesEmpty) {
  Mesh mesh;
  mesh.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {7, 7, 7}};
  mesh.triangles = {{0, 1, 2}};
  ASSERT_TRUE(compact_vertices(mesh).has_value());
  EXPECT_EQ(mesh.positions.size(), 3U);
  EXPECT_TRUE(mesh.normals.empty());
  EXPECT_TRUE(mesh.colors.empty());
}

}  // namespace
}  // namespace orfeas::mesh
