#include "orfeas/meshtools/print_report.h"

#include <gtest/gtest.h>

#include "orfeas/meshtools/base.h"
#include "orfeas/meshtools/test_meshes.h"

namespace orfeas::meshtools {
namespace {

using testing::make_box;
using testing::make_surface;

TEST(PrintReport, ABoxStandsOnItsBaseWithItsSmallestSideAsThinnestWall) {
  const PrintReport r = measure_print(make_box({-5, -10, 0}, {10, 20, 30})).value();
  EXPECT_NEAR(r.footprint_mm2, 200.0, 1e-6);
  EXPECT_NEAR(r.min_wall_mm, 10.0, 1e-4);
  EXPECT_EQ(r.wall_samples, 12U);
  EXPECT_EQ(r.thin_share, 0.0);
  EXPECT_EQ(r.overhang_mm2, 0.0);
  EXPECT_EQ(r.overhang_share, 0.0);
  EXPECT_NEAR(r.surface_mm2, 2.0 * (200.0 + 300.0 + 600.0), 1e-6);
  EXPECT_NEAR(r.height_mm, 30.0, 1e-6);
}

TEST(PrintReport, AThinPlateHasThinWalls) {
  const PrintReport plate = measure_print(make_box({0, 0, 0}, {40, 40, 2})).value();
  EXPECT_NEAR(plate.min_wall_mm, 2.0, 1e-4);
  EXPECT_EQ(plate.thin_share, 0.0);
  const PrintReport foil = measure_print(make_box({0, 0, 0}, {40, 40, 0.5F})).value();
  EXPECT_NEAR(foil.min_wall_mm, 0.5, 1e-4);
  // Top and bottom (3200 mm²) are 0.5 mm apart; the sides (80 mm²) 40 mm.
  EXPECT_NEAR(foil.thin_share, 3200.0 / 3280.0, 1e-9);
}

TEST(PrintReport, ASphereCutFlatStandsOnItsCutAndOverhangsBelowItsMiddle) {
  const mesh::Mesh ball = make_surface(64, [](Vec3f p) { return length(p) - 0.8F; });
  const PrintReport round = measure_print_model(ball, 80.0F).value();
  mesh::Mesh flat = ball;
  const BaseReport base = add_base(flat, {.mode = BaseMode::kFlat, .size_mm = 80.0F}).value();
  const PrintReport r = measure_print_model(flat, 80.0F).value();
  // The sphere's longest side is across, so the cut does not change the scale.
  EXPECT_NEAR(r.footprint_mm2, base.footprint_mm2, 1e-3 * base.footprint_mm2);
  EXPECT_LT(round.footprint_mm2, 0.01 * r.footprint_mm2) << "a round bottom barely touches the bed";
  EXPECT_GT(r.overhang_share, 0.05);
  EXPECT_LT(r.overhang_share, round.overhang_share);
  EXPECT_GT(r.overhang_mm2, 0.0);
  EXPECT_GT(r.min_wall_mm, 30.0);
  EXPECT_LT(r.min_wall_mm, 81.0);
}

TEST(PrintReport, BadMeshIsAnError) {
  mesh::Mesh box = make_box({0, 0, 0}, {1, 1, 1});
  box.triangles.push_back({0, 1, 42});
  EXPECT_EQ(measure_print(box).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::meshtools
