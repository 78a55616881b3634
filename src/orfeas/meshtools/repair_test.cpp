#include "orfeas/meshtools/repair.h"

#include <utility>

#include <gtest/gtest.h>

#include "orfeas/mesh/topology.h"
#include "orfeas/meshtools/test_meshes.h"

namespace orfeas::meshtools {
namespace {

using testing::make_cube;
using testing::make_tetrahedron;
using testing::merged;

mesh::TopologyReport topology(const mesh::Mesh& m) {
  return mesh::analyze_topology(m).value();
}

TEST(MeshRepair, CubeWithAHoleIsFilled) {
  mesh::Mesh cube = make_cube();
  cube.triangles.erase(cube.triangles.begin(), cube.triangles.begin() + 2);  // the z = 0 face
  ASSERT_FALSE(topology(cube).watertight());
  RepairReport report;
  const mesh::Mesh fixed = repair_mesh(std::move(cube), {}, &report).value();
  EXPECT_EQ(report.holes_filled, 1U);
  EXPECT_EQ(report.hole_faces_added, 4U);  // a fan around the square's centre
  const mesh::TopologyReport t = topology(fixed);
  EXPECT_TRUE(t.watertight());
  EXPECT_EQ(t.euler_characteristic, 2);
  EXPECT_NEAR(t.signed_volume, 1000.0, 1e-3);
}

TEST(MeshRepair, TriangularHoleGetsOneFace) {
  mesh::Mesh tetra = make_tetrahedron();
  tetra.triangles.pop_back();
  RepairReport report;
  const mesh::Mesh fixed = repair_mesh(std::move(tetra), {}, &report).value();
  EXPECT_EQ(report.hole_faces_added, 1U);
  EXPECT_TRUE(topology(fixed).watertight());
  EXPECT_EQ(fixed.positions.size(), 4U);
}

TEST(MeshRepair, FlippedFaceIsReoriented) {
  mesh::Mesh cube = make_cube();
  std::swap(cube.triangles[5][1], cube.triangles[5][2]);
  ASSERT_GT(topology(cube).inconsistently_oriented_edges, 0U);
  RepairReport report;
  const mesh::Mesh fixed = repair_mesh(std::move(cube), {}, &report).value();
  EXPECT_GE(report.faces_flipped, 1U);
  const mesh::TopologyReport t = topology(fixed);
  EXPECT_TRUE(t.watertight());
  EXPECT_NEAR(t.signed_volume, 1000.0, 1e-3);
}

TEST(MeshRepair, InsideOutMeshIsTurned) {
  mesh::Mesh cube = make_cube();
  for (mesh::Triangle& t : cube.triangles) std::swap(t[1], t[2]);
  RepairReport report;
  const mesh::Mesh fixed = repair_mesh(std::move(cube), {}, &report).value();
  EXPECT_EQ(report.components_inverted, 1U);
  EXPECT_NEAR(topology(fixed).signed_volume, 1000.0, 1e-3);
}

TEST(MeshRepair, DuplicateAndDegenerateFacesAreDropped) {
  mesh::Mesh cube = make_cube();
  cube.triangles.push_back(cube.triangles[0]);
  cube.triangles.push_back({cube.triangles[1][1], cube.triangles[1][2], cube.triangles[1][0]});  // rotated copy
  cube.triangles.push_back({0, 0, 1});
  RepairReport report;
  const mesh::Mesh fixed = repair_mesh(std::move(cube), {}, &report).value();
  EXPECT_EQ(report.duplicate_faces_removed, 2U);
  EXPECT_EQ(report.degenerate_faces_removed, 1U);
  EXPECT_EQ(fixed.triangles.size(), 12U);
  EXPECT_TRUE(topology(fixed).watertight());
}

TEST(MeshRepair, WeldsSoupAndNearbyVertices) {
  const mesh::Mesh cube = make_cube();
  mesh::Mesh soup;
  for (const mesh::Triangle& t : cube.triangles) {
    const auto first = static_cast<std::uint32_t>(soup.positions.size());
    for (const std::uint32_t v : t) soup.positions.push_back(cube.positions[v]);
    soup.triangles.push_back({first, first + 1, first + 2});
  }
  soup.positions[0].x += 1e-4F;  // a near miss only the tolerance weld joins
  RepairOptions options;
  options.weld_tolerance = 1e-4;
  RepairReport report;
  const mesh::Mesh fixed = repair_mesh(std::move(soup), options, &report).value();
  EXPECT_EQ(report.vertices_welded, 36U - 8U);
  EXPECT_EQ(fixed.positions.size(), 8U);
  EXPECT_TRUE(topology(fixed).watertight());
}

TEST(MeshRepair, SpecksAreDropped) {
  mesh::Mesh scene = merged(make_cube({0, 0, 0}, 10.0F), make_tetrahedron({50, 0, 0}, 1.0F));
  RepairOptions options;
  options.speck_fraction = 0.5;  // the tetrahedron has 4 faces, the cube 12
  RepairReport report;
  const mesh::Mesh fixed = repair_mesh(std::move(scene), options, &report).value();
  EXPECT_EQ(report.specks_removed, 1U);
  EXPECT_EQ(fixed.triangles.size(), 12U);
  EXPECT_EQ(fixed.positions.size(), 8U);
}

TEST(MeshRepair, RejectsBadOptions) {
  RepairOptions options;
  options.speck_fraction = -1.0;
  EXPECT_EQ(repair_mesh(make_cube(), options).error().code(), ErrorCode::kInvalidArgument);
  options = {};
  options.weld_tolerance = -1.0;
  EXPECT_EQ(repair_mesh(make_cube(), options).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::meshtools
