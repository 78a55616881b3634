#include "orfeas/meshtools/mesh_report.h"

#include <utility>

#include <gtest/gtest.h>

#include "orfeas/meshtools/test_meshes.h"

namespace orfeas::meshtools {
namespace {

using testing::make_cube;
using testing::make_tetrahedron;
using testing::merged;

TEST(MeshReport, UnitIsMillimetresOnlyForStl) {
  EXPECT_EQ(mesh_unit(exporter::Format::kStl), "mm");
  EXPECT_EQ(mesh_unit(exporter::Format::kObj), "units");
  EXPECT_EQ(mesh_unit(exporter::Format::kPly), "units");
}

TEST(MeshReport, AnalysisJsonOfACube) {
  const MeshAnalysis analysis = analyze_mesh(make_cube({1, 2, 3}, 10.0F)).value();
  const nlohmann::json j = analysis_json(analysis, "mm");
  EXPECT_EQ(j["unit"], "mm");
  EXPECT_EQ(j["vertices"], 8);
  EXPECT_EQ(j["faces"], 12);
  EXPECT_EQ(j["edges"], 18);
  EXPECT_EQ(j["watertight"], true);
  EXPECT_EQ(j["printable"], true);
  EXPECT_EQ(j["consistently_oriented"], true);
  EXPECT_EQ(j["components"], 1);
  EXPECT_EQ(j["euler_characteristic"], 2);
  EXPECT_NEAR(j["volume"].get<double>(), 1000.0, 1e-6);
  EXPECT_NEAR(j["surface_area"].get<double>(), 600.0, 1e-6);
  EXPECT_EQ(j["bounding_box"]["min"], nlohmann::json::array({1.0, 2.0, 3.0}));
  EXPECT_EQ(j["bounding_box"]["size"], nlohmann::json::array({10.0, 10.0, 10.0}));
  EXPECT_EQ(j["self_intersections"]["pairs"], 0);
  EXPECT_EQ(j["self_intersections"]["complete"], true);
  EXPECT_TRUE(j["self_intersections"]["examples"].empty());
}

TEST(MeshReport, AnalysisJsonListsIntersectingPairs) {
  const MeshAnalysis analysis = analyze_mesh(merged(make_tetrahedron({0, 0, 0}), make_tetrahedron({1, 1, 1}))).value();
  const nlohmann::json j = analysis_json(analysis, "units");
  EXPECT_EQ(j["printable"], false);
  EXPECT_EQ(j["components"], 2);
  ASSERT_GT(j["self_intersections"]["pairs"].get<int>(), 0);
  ASSERT_FALSE(j["self_intersections"]["examples"].empty());
  EXPECT_EQ(j["self_intersections"]["examples"][0].size(), 2U);
}

TEST(MeshReport, RepairFillsAHoleAndReportsTheResult) {
  mesh::Mesh cube = make_cube();
  cube.triangles.erase(cube.triangles.begin(), cube.triangles.begin() + 2);  // the z = 0 side
  const RepairOutcome outcome = repair_and_analyze(std::move(cube), {}).value();
  EXPECT_TRUE(outcome.after.printable());
  const nlohmann::json j = repair_json(outcome, "mm");
  EXPECT_EQ(j["repair"]["holes_filled"], 1);
  EXPECT_EQ(j["repair"]["hole_faces_added"], 4);
  EXPECT_EQ(j["repair"]["holes_left_open"], 0);
  EXPECT_EQ(j["result"]["watertight"], true);
  EXPECT_EQ(j["result"]["faces"], 14);
  EXPECT_NEAR(j["result"]["volume"].get<double>(), 1000.0, 1e-3);
}

TEST(MeshReport, RepairThatLeavesNothingIsAnError) {
  mesh::Mesh flat;
  flat.positions = {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}};
  flat.triangles = {{0, 1, 2}};  // collinear: zero area
  const Result<RepairOutcome> outcome = repair_and_analyze(std::move(flat), {});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code(), ErrorCode::kInvalidArgument);
}

TEST(MeshReport, SimplifyAboveTheFaceCountKeepsTheMesh) {
  const SimplifyOutcome outcome = simplify_and_analyze(make_cube(), 100).value();
  const nlohmann::json j = simplify_json(outcome, "units");
  EXPECT_EQ(j["faces_before"], 12);
  EXPECT_EQ(j["faces"], 12);
  EXPECT_EQ(j["reached"], true);
  EXPECT_EQ(j["note"], "");
  EXPECT_EQ(j["result"]["watertight"], true);
}

TEST(MeshReport, SimplifyToZeroFacesIsRefused) {
  const Result<SimplifyOutcome> outcome = simplify_and_analyze(make_cube(), 0);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::meshtools
