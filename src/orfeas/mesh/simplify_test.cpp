#include "orfeas/mesh/simplify.h"

#include <gtest/gtest.h>

#include <numbers>

#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/test_volumes.h"
#include "orfeas/mesh/topology.h"

namespace orfeas::mesh {
namespace {

Mesh sphere(int n, float radius) {
  auto mesh = marching_cubes(testing::sphere_volume(n, radius));
  EXPECT_TRUE(mesh.has_value());
  return mesh ? *mesh : Mesh{};
}

TEST(MeshSimplify, SphereStaysClosedAtTwoThousandFaces) {
  constexpr float kRadius = 0.6F;
  Mesh mesh = sphere(129, kRadius);
  // Colours encode the position so that we can check they travelled with their vertices.
  for (const Vec3f& p : mesh.positions) {
    mesh.colors.push_back({static_cast<std::uint8_t>(127.5F * (p.x / kRadius + 1.0F)), 0, 0});
  }
  ASSERT_GT(mesh.triangles.size(), 2000U);
  const auto simplified = simplify_mesh(mesh, 2000);
  ASSERT_TRUE(simplified.has_value());
  EXPECT_LE(simplified->triangles.size(), 2000U);
  EXPECT_GE(simplified->triangles.size(), 1500U);
  const TopologyReport report = analyze_topology(*simplified);
  EXPECT_TRUE(report.watertight());
  EXPECT_EQ(report.euler_characteristic, 2);
  EXPECT_EQ(report.degenerate_faces, 0U);
  EXPECT_EQ(report.vertices, simplified->positions.size());
  const double expected_volume = 4.0 / 3.0 * std::numbers::pi * std::pow(kRadius, 3.0);
  EXPECT_NEAR(report.signed_volume, expected_volume, 0.03 * expected_volume);
  ASSERT_EQ(simplified->colors.size(), simplified->positions.size());
  for (std::size_t v = 0; v < simplified->positions.size(); ++v) {
    const auto expected = static_cast<std::uint8_t>(127.5F * (simplified->positions[v].x / kRadius + 1.0F));
    EXPECT_EQ(simplified->colors[v].r, expected);
  }
}

TEST(MeshSimplify, ZeroOrLargeTargetReturnsACopy) {
  const Mesh mesh = sphere(17, 0.6F);
  for (const std::size_t target : {std::size_t{0}, mesh.triangles.size(), mesh.triangles.size() + 10}) {
    const auto copy = simplify_mesh(mesh, target);
    ASSERT_TRUE(copy.has_value());
    EXPECT_EQ(copy->triangles, mesh.triangles);
    EXPECT_EQ(copy->positions, mesh.positions);
  }
}

TEST(MeshSimplify, RejectsOutOfRangeIndices) {
  Mesh mesh;
  mesh.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  mesh.triangles = {{0, 1, 3}};
  const auto result = simplify_mesh(mesh, 1);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::mesh
