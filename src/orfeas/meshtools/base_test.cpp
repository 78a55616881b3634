#include "orfeas/meshtools/base.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "orfeas/mesh/topology.h"
#include "orfeas/meshtools/test_meshes.h"

namespace orfeas::meshtools {
namespace {

using testing::cylinder_distance;
using testing::make_surface;

mesh::Mesh sphere() {
  return make_surface(64, [](Vec3f p) { return length(p) - 0.8F; });
}

// A ball on a thin stalk that sticks out below it, off to one side.
mesh::Mesh ball_on_a_stalk() {
  return make_surface(64, [](Vec3f p) {
    return std::min(length(p - Vec3f{0.0F, 0.1F, 0.0F}) - 0.7F, cylinder_distance(p, 0.5F, 0.0F, 0.08F, -0.75F, 0.0F));
  });
}

// A heavy ball held out sideways on a bar by one thin leg: no flat cut low enough carries it.
mesh::Mesh leaning() {
  return make_surface(72, [](Vec3f p) {
    const float ball = length(p - Vec3f{0.4F, 0.4F, 0.0F}) - 0.5F;
    const float leg = cylinder_distance(p, -0.55F, 0.0F, 0.1F, -0.9F, 0.3F);
    const float bar = std::max({p.x - 0.4F, -0.65F - p.x, std::abs(p.z) - 0.1F, std::abs(p.y - 0.2F) - 0.1F});
    return std::min({ball, leg, bar});
  });
}

mesh::TopologyReport expect_closed(const mesh::Mesh& m) {
  const mesh::TopologyReport topo = mesh::analyze_topology(m).value();
  EXPECT_TRUE(topo.watertight());
  EXPECT_EQ(topo.inconsistently_oriented_edges, 0U);
  EXPECT_EQ(topo.degenerate_faces, 0U);
  EXPECT_EQ(topo.components, 1U);
  EXPECT_EQ(topo.euler_characteristic, 2);
  EXPECT_GT(topo.signed_volume, 0.0);
  return topo;
}

// The area of the faces at the lowest height, facing down.
double lowest_faces_area(const mesh::Mesh& m) {
  float lowest = m.positions.front().y;
  for (const Vec3f& p : m.positions) lowest = std::min(lowest, p.y);
  double area = 0.0;
  for (const mesh::Triangle& t : m.triangles) {
    const Vec3f a = m.positions[t[0]];
    const Vec3f b = m.positions[t[1]];
    const Vec3f c = m.positions[t[2]];
    if (a.y == lowest && b.y == lowest && c.y == lowest && cross(b - a, c - a).y < 0.0F) {
      area += 0.5 * static_cast<double>(length(cross(b - a, c - a)));
    }
  }
  return area;
}

TEST(Base, ModesParseAndAutoIsFlatForPrintFormatsOnly) {
  EXPECT_EQ(parse_base_mode("flat").value(), BaseMode::kFlat);
  EXPECT_EQ(parse_base_mode("plinth").value(), BaseMode::kPlinth);
  EXPECT_EQ(parse_base_mode("none").value(), BaseMode::kNone);
  EXPECT_EQ(parse_base_mode("auto").value(), BaseMode::kAuto);
  EXPECT_EQ(parse_base_mode("round").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(base_mode_name(BaseMode::kPlinth), "plinth");
  EXPECT_EQ(resolve_base_mode(BaseMode::kAuto, exporter::Format::kStl), BaseMode::kFlat);
  EXPECT_EQ(resolve_base_mode(BaseMode::kAuto, exporter::Format::kGlb), BaseMode::kNone);
  EXPECT_EQ(resolve_base_mode(BaseMode::kAuto, exporter::Format::kObj), BaseMode::kNone);
  EXPECT_EQ(resolve_base_mode(BaseMode::kPlinth, exporter::Format::kPly), BaseMode::kPlinth);
  EXPECT_EQ(resolve_base_mode(BaseMode::kNone, exporter::Format::kStl), BaseMode::kNone);
}

TEST(Base, ASphereGetsAFootprintUnderItsCentreOfMass) {
  const mesh::Mesh ball = sphere();
  const CutChoice choice = choose_cut_height(ball, {.mode = BaseMode::kFlat}).value();
  EXPECT_TRUE(choice.stable);
  EXPECT_NEAR(choice.centre_x, 0.0, 0.01);
  EXPECT_NEAR(choice.centre_z, 0.0, 0.01);
  EXPECT_GT(choice.margin, 0.1);
  EXPECT_NEAR(choice.largest_section, std::numbers::pi * 0.64, 0.03 * std::numbers::pi * 0.64);
  EXPECT_GE(choice.footprint_area, 0.12 * choice.largest_section);
  EXPECT_LT(choice.cut_share, 0.1) << "the lowest stable height, not more";

  mesh::Mesh based = ball;
  const BaseReport report = add_base(based, {.mode = BaseMode::kFlat, .size_mm = 80.0F}).value();
  EXPECT_EQ(report.mode, BaseMode::kFlat);
  EXPECT_TRUE(report.stable);
  EXPECT_TRUE(report.note.empty()) << report.note;
  EXPECT_NEAR(report.cut_height, choice.height, 1e-4F);
  expect_closed(based);
  EXPECT_TRUE(based.normals.empty());
  const double mm_per_unit = 80.0 / 1.6;  // the sphere's MC surface spans just under 1.6
  EXPECT_NEAR(report.footprint_mm2, lowest_faces_area(based) * mm_per_unit * mm_per_unit, 0.02 * report.footprint_mm2);
}

TEST(Base, AStalkBelowTheBallIsCutAway) {
  const mesh::Mesh m = ball_on_a_stalk();
  const CutChoice choice = choose_cut_height(m, {.mode = BaseMode::kFlat}).value();
  EXPECT_TRUE(choice.stable);
  EXPECT_GT(choice.height, -0.6F) << "the stalk alone does not carry the ball";
  EXPECT_LE(choice.cut_share, 0.2);
  mesh::Mesh based = m;
  EXPECT_TRUE(add_base(based, {.mode = BaseMode::kFlat}).value().stable);
  expect_closed(based);
}

TEST(Base, ALeaningShapeIsReportedUnstableAndAPlinthCarriesIt) {
  const mesh::Mesh m = leaning();
  const CutChoice choice = choose_cut_height(m, {.mode = BaseMode::kFlat}).value();
  EXPECT_FALSE(choice.stable);
  EXPECT_LT(choice.margin, 0.0) << "the centre of mass is beyond the leg";

  mesh::Mesh flat = m;
  const BaseReport report = add_base(flat, {.mode = BaseMode::kFlat}).value();
  EXPECT_EQ(report.mode, BaseMode::kFlat);
  EXPECT_FALSE(report.stable);
  EXPECT_NE(report.note.find("--base plinth"), std::string::npos) << report.note;
  EXPECT_LE(report.cut_share, 0.2 + 1e-6);
  expect_closed(flat);

  mesh::Mesh plinth = m;
  const BaseReport on_plate = add_base(plinth, {.mode = BaseMode::kPlinth, .size_mm = 100.0F}).value();
  EXPECT_EQ(on_plate.mode, BaseMode::kPlinth);
  EXPECT_TRUE(on_plate.note.empty()) << on_plate.note;
  const mesh::TopologyReport topo = expect_closed(plinth);
  EXPECT_GT(topo.signed_volume, mesh::analyze_topology(flat).value().signed_volume);
  // The plate's bottom: a rectangle under the leg and the centre of mass, 3 mm below the cut.
  const double mm_per_unit = 100.0 / 1.8;
  const double bottom = lowest_faces_area(plinth);
  EXPECT_NEAR(bottom * mm_per_unit * mm_per_unit, on_plate.footprint_mm2, 1e-3 * on_plate.footprint_mm2);
  float lowest = plinth.positions.front().y;
  float left = plinth.positions.front().x;
  float right = left;
  for (const Vec3f& p : plinth.positions) {
    lowest = std::min(lowest, p.y);
    left = std::min(left, p.x);
    right = std::max(right, p.x);
  }
  EXPECT_NEAR(on_plate.cut_height - lowest, 3.0 / mm_per_unit, 1e-4);
  EXPECT_LT(left, -0.65F) << "the plate reaches past the leg";
  EXPECT_GT(right, static_cast<float>(choice.centre_x)) << "and past the centre of mass";
}

TEST(Base, NoneLeavesTheMeshAndBadInputIsAnError) {
  const mesh::Mesh ball = sphere();
  mesh::Mesh same = ball;
  const BaseReport none = add_base(same, {.mode = BaseMode::kNone}).value();
  EXPECT_EQ(none.mode, BaseMode::kNone);
  EXPECT_EQ(same.triangles, ball.triangles);
  mesh::Mesh empty;
  EXPECT_EQ(add_base(empty, {.mode = BaseMode::kFlat}).error().code(), ErrorCode::kInvalidArgument);
  mesh::Mesh m = ball;
  EXPECT_EQ(add_base(m, {.mode = BaseMode::kFlat, .size_mm = 0.0F}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(add_base(m, {.mode = BaseMode::kFlat, .max_cut_share = 1.5}).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::meshtools
