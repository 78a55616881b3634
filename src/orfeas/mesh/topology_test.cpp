#include "orfeas/mesh/topology.h"

#include <gtest/gtest.h>

namespace orfeas::mesh {
namespace {

// Unit right tetrahedron, counter-clockwise seen from outside.
Mesh tetrahedron(Vec3f offset = {}) {
  Mesh mesh;
  mesh.positions = {offset + Vec3f{0, 0, 0}, offset + Vec3f{1, 0, 0}, offset + Vec3f{0, 1, 0}, offset + Vec3f{0, 0, 1}};
  mesh.triangles = {{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 3}};
  return mesh;
}

TEST(MeshTopology, TetrahedronIsAClosedOrientedSphere) {
  const TopologyReport report = analyze_topology(tetrahedron()).value();
  EXPECT_TRUE(report.watertight());
  EXPECT_EQ(report.vertices, 4U);
  EXPECT_EQ(report.faces, 4U);
  EXPECT_EQ(report.edges, 6U);
  EXPECT_EQ(report.euler_characteristic, 2);
  EXPECT_EQ(report.components, 1U);
  EXPECT_EQ(report.degenerate_faces, 0U);
  EXPECT_NEAR(report.signed_volume, 1.0 / 6.0, 1e-9);
  EXPECT_NEAR(report.area, 1.5 + std::sqrt(3.0) / 2.0, 1e-6);
}

TEST(MeshTopology, InsideOutMeshHasNegativeVolume) {
  Mesh mesh = tetrahedron();
  for (Triangle& t : mesh.triangles) std::swap(t[1], t[2]);
  const TopologyReport report = analyze_topology(mesh).value();
  EXPECT_TRUE(report.watertight());
  EXPECT_NEAR(report.signed_volume, -1.0 / 6.0, 1e-9);
}

TEST(MeshTopology, FlippedFaceIsInconsistentlyOriented) {
  Mesh mesh = tetrahedron();
  std::swap(mesh.triangles[3][1], mesh.triangles[3][2]);
  const TopologyReport report = analyze_topology(mesh).value();
  EXPECT_FALSE(report.watertight());
  EXPECT_EQ(report.inconsistently_oriented_edges, 3U);
  EXPECT_EQ(report.boundary_edges, 0U);
}

TEST(MeshTopology, MissingFaceLeavesBoundaryEdges) {
  Mesh mesh = tetrahedron();
  mesh.triangles.pop_back();
  const TopologyReport report = analyze_topology(mesh).value();
  EXPECT_FALSE(report.watertight());
  EXPECT_EQ(report.boundary_edges, 3U);
  EXPECT_EQ(report.euler_characteristic, 1);
}

TEST(MeshTopology, ThreeFacesOnOneEdgeAreNonManifold) {
  Mesh mesh;
  mesh.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}};
  mesh.triangles = {{0, 1, 2}, {1, 0, 3}, {0, 1, 4}};
  const TopologyReport report = analyze_topology(mesh).value();
  EXPECT_EQ(report.nonmanifold_edges, 1U);
  EXPECT_FALSE(report.watertight());
}

TEST(MeshTopology, CountsDegenerateFacesAndComponents) {
  Mesh mesh = tetrahedron();
  const Mesh second = tetrahedron(Vec3f{5, 0, 0});
  for (const Vec3f& p : second.positions) mesh.positions.push_back(p);
  for (const Triangle& t : second.triangles) mesh.triangles.push_back({t[0] + 4, t[1] + 4, t[2] + 4});
  EXPECT_EQ(analyze_topology(mesh).value().components, 2U);
  EXPECT_EQ(analyze_topology(mesh).value().euler_characteristic, 4);

  mesh.positions.push_back({0.5F, 0.0F, 0.0F});  // on the segment 0-1: a zero-area face
  mesh.triangles.push_back({0, 1, 8});
  mesh.triangles.push_back({2, 2, 3});  // repeated index
  EXPECT_EQ(analyze_topology(mesh).value().degenerate_faces, 2U);
}

TEST(MeshTopology, EmptyMeshIsNotWatertight) {
  const TopologyReport report = analyze_topology(Mesh{}).value();
  EXPECT_FALSE(report.watertight());
  EXPECT_EQ(report.components, 0U);
}

}  // namespace
}  // namespace orfeas::mesh
