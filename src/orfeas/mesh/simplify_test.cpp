#include "orfeas/mesh/simplify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/test_volumes.h"
#include "orfeas/mesh/topology.h"

namespace orfeas::mesh {
namespace {

Mesh surface(const ScalarVolume& volume) {
  auto mesh = marching_cubes(volume);
  EXPECT_TRUE(mesh.has_value());
  return mesh ? *mesh : Mesh{};
}

Mesh sphere(int n, float radius) {
  return surface(testing::sphere_volume(n, radius));
}

// A ring around the z axis: genus one, Euler characteristic 0.
Mesh torus(int n) {
  return surface(testing::sample_cube(n, [](Vec3f p) {
    const float ring = std::sqrt(p.x * p.x + p.y * p.y) - 0.55F;
    return std::sqrt(ring * ring + p.z * p.z) - 0.25F;
  }));
}

// Something like the inflated duck: a flattened body, a head and a beak blended into one blob.
Mesh duck_like(int n) {
  return surface(testing::sample_cube(n, [](Vec3f p) {
    const Vec3f body = {p.x / 0.7F, (p.y + 0.25F) / 0.45F, p.z / 0.35F};
    const float d_body = 0.35F * (length(body) - 1.0F);
    const float d_head = testing::sphere_distance(p, {0.35F, 0.35F, 0.0F}, 0.28F);
    const Vec3f beak = {(p.x - 0.68F) / 0.18F, (p.y - 0.32F) / 0.06F, p.z / 0.1F};
    const float d_beak = 0.06F * (length(beak) - 1.0F);
    // Smooth minimum so that the parts melt together the way inflation rounds a silhouette.
    const auto blend = [](float a, float b) {
      constexpr float kWidth = 0.08F;
      const float h = std::clamp(0.5F + 0.5F * (b - a) / kWidth, 0.0F, 1.0F);
      return b + (a - b) * h - kWidth * h * (1.0F - h);
    };
    return blend(blend(d_body, d_head), d_beak);
  }));
}

TopologyReport topology(const Mesh& mesh) {
  auto report = analyze_topology(mesh);
  EXPECT_TRUE(report.has_value());
  return report ? *report : TopologyReport{};
}

// Simplifies `mesh` to `target` and checks the golden properties against the input's; the volume
// may shrink by `volume_tolerance` (kept vertices stay on the surface, so coarse results lose some).
SimplifyResult expect_reached_and_closed(const Mesh& mesh, std::size_t target, double volume_tolerance = 0.02) {
  const TopologyReport before = topology(mesh);
  EXPECT_TRUE(before.watertight());
  auto result = simplify_mesh(mesh, target);
  EXPECT_TRUE(result.has_value());
  if (!result) return {};
  EXPECT_TRUE(result->reached()) << result->note;
  EXPECT_EQ(result->target_faces, target);
  EXPECT_EQ(result->faces, result->mesh.triangles.size());
  EXPECT_LE(result->faces, target);
  EXPECT_GE(result->faces + 1, target);  // a collapse removes two faces
  const TopologyReport after = topology(result->mesh);
  EXPECT_TRUE(after.watertight());
  EXPECT_EQ(after.degenerate_faces, 0U);
  EXPECT_EQ(after.euler_characteristic, before.euler_characteristic);
  EXPECT_EQ(after.components, before.components);
  EXPECT_EQ(after.vertices, result->mesh.positions.size());
  EXPECT_GT(after.signed_volume, 0.0);  // still facing outwards
  EXPECT_NEAR(after.signed_volume, before.signed_volume, volume_tolerance * before.signed_volume);
  return *std::move(result);
}

TEST(MeshSimplify, SphereReachesTwoThousandFacesAndCarriesColours) {
  constexpr float kRadius = 0.6F;
  Mesh mesh = sphere(129, kRadius);
  // Colours encode the position so that we can check they travelled with their vertices.
  for (const Vec3f& p : mesh.positions) {
    mesh.colors.push_back({static_cast<std::uint8_t>(127.5F * (p.x / kRadius + 1.0F)), 0, 0});
  }
  ASSERT_GT(mesh.triangles.size(), 2000U);
  const SimplifyResult result = expect_reached_and_closed(mesh, 2000);
  EXPECT_EQ(topology(result.mesh).euler_characteristic, 2);
  const double expected_volume = 4.0 / 3.0 * std::numbers::pi * std::pow(kRadius, 3.0);
  EXPECT_NEAR(topology(result.mesh).signed_volume, expected_volume, 0.03 * expected_volume);
  ASSERT_EQ(result.mesh.colors.size(), result.mesh.positions.size());
  for (std::size_t v = 0; v < result.mesh.positions.size(); ++v) {
    const auto expected = static_cast<std::uint8_t>(127.5F * (result.mesh.positions[v].x / kRadius + 1.0F));
    EXPECT_EQ(result.mesh.colors[v].r, expected);
  }
}

TEST(MeshSimplify, TorusKeepsItsHole) {
  const Mesh mesh = torus(97);
  ASSERT_EQ(topology(mesh).euler_characteristic, 0);
  expect_reached_and_closed(mesh, 1500);
}

TEST(MeshSimplify, DuckLikeBlobReachesAFifthOfItsFaces) {
  const Mesh mesh = duck_like(161);
  ASSERT_GT(mesh.triangles.size(), 50000U);
  expect_reached_and_closed(mesh, mesh.triangles.size() / 5);
}

TEST(MeshSimplify, OddTargetIsMetOrUndershotByOne) {
  const Mesh mesh = sphere(33, 0.7F);
  expect_reached_and_closed(mesh, 301, 0.06);  // an inscribed 300-face polyhedron loses ~4 %
}

TEST(MeshSimplify, ZeroOrLargeTargetReturnsTheMeshUnchanged) {
  const Mesh mesh = sphere(17, 0.6F);
  for (const std::size_t target : {std::size_t{0}, mesh.triangles.size(), mesh.triangles.size() + 10}) {
    const auto copy = simplify_mesh(mesh, target);
    ASSERT_TRUE(copy.has_value());
    EXPECT_TRUE(copy->reached());
    EXPECT_EQ(copy->faces, mesh.triangles.size());
    EXPECT_EQ(copy->mesh.triangles, mesh.triangles);
    EXPECT_EQ(copy->mesh.positions, mesh.positions);
  }
}

TEST(MeshSimplify, UnreachableTargetSaysWhyAndStaysClosed) {
  const Mesh mesh = sphere(33, 0.7F);
  const auto result = simplify_mesh(mesh, 2);  // below the tetrahedron
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->reached());
  EXPECT_GT(result->faces, 2U);
  EXPECT_EQ(result->faces, result->mesh.triangles.size());
  EXPECT_NE(result->note.find("stopped at " + std::to_string(result->faces) + " faces"), std::string::npos)
      << result->note;
  const TopologyReport after = topology(result->mesh);
  EXPECT_TRUE(after.watertight());
  EXPECT_EQ(after.euler_characteristic, 2);
  EXPECT_EQ(after.degenerate_faces, 0U);
}

TEST(MeshSimplify, TetrahedronCannotShrink) {
  Mesh mesh;
  mesh.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  mesh.triangles = {{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 3}};
  const auto result = simplify_mesh(mesh, 2);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->faces, 4U);
  EXPECT_EQ(result->note,
            "stopped at 4 faces (target 2): every further collapse would pinch the surface or close a handle");
}

TEST(MeshSimplify, OpenEdgesAreKeptAndReported) {
  Mesh mesh;  // a single triangle: every vertex on the rim
  mesh.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  mesh.triangles = {{0, 1, 2}};
  const auto one = simplify_mesh(mesh, 1);
  ASSERT_TRUE(one.has_value());
  EXPECT_TRUE(one->reached());
  // Two triangles sharing an edge: still all rim.
  mesh.positions.push_back({1, 1, 0});
  mesh.triangles.push_back({1, 3, 2});
  const auto result = simplify_mesh(mesh, 1);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->faces, 2U);
  EXPECT_NE(result->note.find("open or non-manifold"), std::string::npos) << result->note;
}

TEST(MeshSimplify, OpenSurfaceKeepsItsRim) {
  Mesh mesh = sphere(49, 0.7F);
  // Cut away the cap above y = 0.4: the rim must survive unchanged.
  std::erase_if(mesh.triangles, [&](const Triangle& t) {
    return mesh.positions[t[0]].y > 0.4F || mesh.positions[t[1]].y > 0.4F || mesh.positions[t[2]].y > 0.4F;
  });
  const TopologyReport before = topology(mesh);
  ASSERT_GT(before.boundary_edges, 0U);
  const auto result = simplify_mesh(mesh, mesh.triangles.size() / 4);
  ASSERT_TRUE(result.has_value());
  const TopologyReport after = topology(result->mesh);
  EXPECT_EQ(after.boundary_edges, before.boundary_edges);
  EXPECT_EQ(after.nonmanifold_edges, 0U);
  EXPECT_EQ(after.inconsistently_oriented_edges, 0U);
  EXPECT_EQ(after.euler_characteristic, before.euler_characteristic);
  EXPECT_LT(result->faces, mesh.triangles.size() / 2);
}

}  // namespace
}  // namespace orfeas::mesh
