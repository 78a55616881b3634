#include "orfeas/meshtools/analysis.h"

#include <gtest/gtest.h>

#include "orfeas/meshtools/test_meshes.h"

namespace orfeas::meshtools {
namespace {

using testing::make_cube;
using testing::make_tetrahedron;
using testing::merged;

TEST(MeshAnalysis, CubeIsPrintable) {
  const MeshAnalysis a = analyze_mesh(make_cube({1, 2, 3}, 10.0F)).value();
  EXPECT_TRUE(a.topology.watertight());
  EXPECT_EQ(a.topology.components, 1U);
  EXPECT_EQ(a.topology.euler_characteristic, 2);
  EXPECT_NEAR(a.topology.signed_volume, 1000.0, 1e-6);
  EXPECT_NEAR(a.topology.area, 600.0, 1e-6);
  EXPECT_EQ(a.bounds_min, (Vec3f{1, 2, 3}));
  EXPECT_EQ(a.bounds_max, (Vec3f{11, 12, 13}));
  EXPECT_EQ(a.self_intersections.pairs, 0U);
  EXPECT_TRUE(a.self_intersections.complete);
  EXPECT_TRUE(a.printable());
}

TEST(MeshAnalysis, OverlappingTetrahedraIntersect) {
  const mesh::Mesh two = merged(make_tetrahedron({0, 0, 0}), make_tetrahedron({1, 1, 1}));
  const MeshAnalysis a = analyze_mesh(two).value();
  EXPECT_TRUE(a.topology.watertight());
  EXPECT_EQ(a.topology.components, 2U);
  EXPECT_GT(a.self_intersections.pairs, 0U);
  EXPECT_FALSE(a.self_intersections.examples.empty());
  EXPECT_FALSE(a.printable());
}

TEST(MeshAnalysis, SeparateTetrahedraDoNotIntersect) {
  const mesh::Mesh two = merged(make_tetrahedron({0, 0, 0}), make_tetrahedron({20, 0, 0}));
  const MeshAnalysis a = analyze_mesh(two).value();
  EXPECT_EQ(a.self_intersections.pairs, 0U);
  EXPECT_TRUE(a.printable());
}

TEST(MeshAnalysis, SearchBudgetMarksIncomplete) {
  const mesh::Mesh two = merged(make_tetrahedron({0, 0, 0}), make_tetrahedron({1, 1, 1}));
  AnalysisOptions options;
  options.self_intersection.max_pair_tests = 1;
  const MeshAnalysis a = analyze_mesh(two, options).value();
  EXPECT_FALSE(a.self_intersections.complete);
  EXPECT_FALSE(a.printable());
}

TEST(MeshAnalysis, IndexOutOfRangeIsAnError) {
  mesh::Mesh bad = make_cube();
  bad.triangles[3][1] = 99;
  EXPECT_EQ(analyze_mesh(bad).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::meshtools
