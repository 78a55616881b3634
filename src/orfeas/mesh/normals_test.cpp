#include "orfeas/mesh/normals.h"

#include <gtest/gtest.h>

#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/test_volumes.h"

namespace orfeas::mesh {
namespace {

TEST(MeshNormals, SphereNormalsPointOutwardWithUnitLength) {
  auto mesh = marching_cubes(testing::sphere_volume(49, 0.6F));
  ASSERT_TRUE(mesh.has_value());
  ASSERT_TRUE(compute_vertex_normals(*mesh).has_value());
  ASSERT_EQ(mesh->normals.size(), mesh->positions.size());
  for (std::size_t v = 0; v < mesh->positions.size(); ++v) {
    const Vec3f n = mesh->normals[v];
    ASSERT_NEAR(length(n), 1.0F, 1e-5F);
    ASSERT_GT(dot(n, normalized(mesh->positions[v])), 0.9F) << "vertex " << v;
  }
}

TEST(MeshNormals, FlatQuadNormalsAreTheFaceNormal) {
  Mesh mesh;
  mesh.positions = {{0, 0, 0}, {2, 0, 0}, {2, 1, 0}, {0, 1, 0}, {9, 9, 9}};  // last one unused
  mesh.triangles = {{0, 1, 2}, {0, 2, 3}};
  ASSERT_TRUE(compute_vertex_normals(mesh).has_value());
  for (std::size_t v = 0; v < 4; ++v) EXPECT_EQ(mesh.normals[v], (Vec3f{0, 0, 1}));
  EXPECT_NEAR(length(mesh.normals[4]), 1.0F, 1e-6F);
}

}  // namespace
}  // namespace orfeas::mesh
