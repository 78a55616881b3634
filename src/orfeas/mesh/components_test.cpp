#include "orfeas/mesh/components.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/test_volumes.h"
#include "orfeas/mesh/topology.h"

namespace orfeas::mesh {
namespace {

// A large sphere on the left and a small one on the right.
Mesh two_spheres() {
  auto mesh = marching_cubes(testing::sample_cube(65, [](Vec3f p) {
    return std::min(testing::sphere_distance(p, {-0.4F, 0, 0}, 0.5F), testing::sphere_distance(p, {0.6F, 0, 0}, 0.15F));
  }));
  EXPECT_TRUE(mesh.has_value());
  return mesh ? *mesh : Mesh{};
}

TEST(MeshComponents, TwoSpheresAreTwoComponents) {
  const Mesh mesh = two_spheres();
  const ComponentLabels labels = label_components(mesh).value();
  ASSERT_EQ(labels.count, 2U);
  EXPECT_EQ(labels.face_count[0] + labels.face_count[1], mesh.triangles.size());
  const TopologyReport report = analyze_topology(mesh).value();
  EXPECT_TRUE(report.watertight());
  EXPECT_EQ(report.components, 2U);
  EXPECT_EQ(report.euler_characteristic, 4);
}

TEST(MeshComponents, RemovesTheSmallSphereAndCompactsAttributes) {
  Mesh mesh = two_spheres();
  // Colours tag each vertex by side so that alignment after compaction can be checked.
  for (const Vec3f& p : mesh.positions) mesh.colors.push_back(p.x < 0.25F ? Rgb8{255, 0, 0} : Rgb8{0, 0, 255});
  EXPECT_EQ(remove_small_components(mesh, 0.01).value(), 0U);  // the small one is above 1 %
  EXPECT_EQ(remove_small_components(mesh, 0.2).value(), 1U);
  ASSERT_EQ(mesh.colors.size(), mesh.positions.size());
  for (std::size_t v = 0; v < mesh.positions.size(); ++v) {
    EXPECT_LT(mesh.positions[v].x, 0.25F);
    EXPECT_EQ(mesh.colors[v], (Rgb8{255, 0, 0}));
  }
  const TopologyReport report = analyze_topology(mesh).value();
  EXPECT_TRUE(report.watertight());
  EXPECT_EQ(report.components, 1U);
  EXPECT_EQ(report.vertices, mesh.positions.size());
}

TEST(MeshComponents, SingleComponentIsKept) {
  Mesh mesh;
  mesh.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  mesh.triangles = {{0, 1, 2}};
  EXPECT_EQ(remove_small_components(mesh, 0.5).value(), 0U);
  EXPECT_EQ(mesh.triangles.size(), 1U);
}

}  // namespace
}  // namespace orfeas::mesh
