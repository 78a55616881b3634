#include "orfeas/meshtools/plane_cut.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/test_volumes.h"
#include "orfeas/mesh/topology.h"
#include "orfeas/meshtools/test_meshes.h"

namespace orfeas::meshtools {
namespace {

using testing::cylinder_distance;
using testing::make_cube;
using testing::make_surface;
using testing::torus_distance;

// Faces lying in the plane y == height: their area, and whether all face down.
struct Bottom {
  double area = 0.0;
  bool facing_down = true;
  float lowest = 0.0F;
};

Bottom bottom_of(const mesh::Mesh& m, float height) {
  Bottom b;
  b.lowest = m.positions.front().y;
  for (const Vec3f& p : m.positions) b.lowest = std::min(b.lowest, p.y);
  for (const mesh::Triangle& t : m.triangles) {
    const Vec3f a = m.positions[t[0]];
    const Vec3f c1 = m.positions[t[1]];
    const Vec3f c2 = m.positions[t[2]];
    if (a.y != height || c1.y != height || c2.y != height) continue;
    const Vec3f n = cross(c1 - a, c2 - a);
    b.area += 0.5 * static_cast<double>(length(n));
    if (n.y > 0.0F) b.facing_down = false;
  }
  return b;
}

mesh::TopologyReport closed_cut(const mesh::Mesh& in, float height, PlaneCut& cut, mesh::Mesh& out) {
  auto c = cut_below(in, height);
  EXPECT_TRUE(c.has_value()) << c.error().message();
  cut = *c;
  auto capped = cap_cut(cut);
  EXPECT_TRUE(capped.has_value()) << capped.error().message();
  out = *capped;
  const mesh::TopologyReport topo = mesh::analyze_topology(out).value();
  EXPECT_TRUE(topo.watertight());
  EXPECT_EQ(topo.inconsistently_oriented_edges, 0U);
  EXPECT_EQ(topo.degenerate_faces, 0U);
  EXPECT_GT(topo.signed_volume, 0.0);
  return topo;
}

TEST(PlaneCut, SphereCutFlatKeepsASphereWithAFlatBottom) {
  const mesh::Mesh sphere = make_surface(64, [](Vec3f p) { return length(p) - 0.8F; });
  const double volume = mesh::analyze_topology(sphere).value().signed_volume;
  PlaneCut cut;
  mesh::Mesh out;
  const mesh::TopologyReport topo = closed_cut(sphere, -0.5F, cut, out);
  EXPECT_NEAR(cut.height, -0.5F, 1e-4F);
  EXPECT_EQ(cut.loops.size(), 1U);
  EXPECT_EQ(topo.euler_characteristic, 2);
  EXPECT_EQ(topo.components, 1U);
  const double d = 0.8 - 0.5;
  const double cap_volume = std::numbers::pi * d * d * (3.0 * 0.8 - d) / 3.0;
  EXPECT_NEAR(volume - topo.signed_volume, cap_volume, 0.04 * cap_volume);
  const Bottom bottom = bottom_of(out, cut.height);
  EXPECT_EQ(bottom.lowest, cut.height) << "nothing below the cut";
  EXPECT_TRUE(bottom.facing_down);
  const double section = std::numbers::pi * (0.64 - 0.25);
  EXPECT_NEAR(bottom.area, section, 0.02 * section);
  EXPECT_NEAR(cut_section(cut).area, bottom.area, 1e-6);
  EXPECT_NEAR(cut_section(cut).centroid_x, 0.0, 0.01);
  EXPECT_NEAR(cut_section(cut).centroid_z, 0.0, 0.01);
}

TEST(PlaneCut, TorusLyingFlatGetsAnAnnulus) {
  const mesh::Mesh torus = make_surface(72, [](Vec3f p) { return torus_distance(p, {}, 0.55F, 0.25F); });
  PlaneCut cut;
  mesh::Mesh out;
  const mesh::TopologyReport topo = closed_cut(torus, -0.1F, cut, out);
  EXPECT_EQ(cut.loops.size(), 2U) << "outline and hole";
  EXPECT_EQ(topo.euler_characteristic, 0) << "still a torus";
  const double w = std::sqrt(0.25 * 0.25 - 0.1 * 0.1);
  const double section = std::numbers::pi * 4.0 * 0.55 * w;
  const Bottom bottom = bottom_of(out, cut.height);
  EXPECT_TRUE(bottom.facing_down);
  EXPECT_NEAR(bottom.area, section, 0.03 * section);
  EXPECT_EQ(bottom.lowest, cut.height);
}

TEST(PlaneCut, TwoFeetGetTwoSoles) {
  const auto table = [](Vec3f p) {
    const float legs = std::min(cylinder_distance(p, -0.4F, 0.0F, 0.15F, -0.9F, 0.0F),
                                cylinder_distance(p, 0.4F, 0.0F, 0.15F, -0.9F, 0.0F));
    const float top = std::max({std::abs(p.x) - 0.7F, std::abs(p.z) - 0.3F, p.y - 0.4F, -0.1F - p.y});
    return std::min(legs, top);
  };
  const mesh::Mesh two_feet = make_surface(64, table);
  PlaneCut cut;
  mesh::Mesh out;
  const mesh::TopologyReport topo = closed_cut(two_feet, -0.7F, cut, out);
  EXPECT_EQ(cut.loops.size(), 2U);
  EXPECT_EQ(topo.components, 1U);
  EXPECT_EQ(topo.euler_characteristic, 2);
  const double soles = 2.0 * std::numbers::pi * 0.15 * 0.15;
  EXPECT_NEAR(bottom_of(out, cut.height).area, soles, 0.05 * soles);
}

TEST(PlaneCut, APlaneThroughVerticesMovesByAHairAndCollinearPointsStayClosed) {
  const mesh::Mesh cube = make_cube({0, 0, 0}, 10.0F);
  PlaneCut cut;
  mesh::Mesh out;
  const mesh::TopologyReport topo = closed_cut(cube, 0.0F, cut, out);
  EXPECT_GT(cut.height, 0.0F);
  EXPECT_LT(cut.height, 1e-3F);
  EXPECT_EQ(topo.euler_characteristic, 2);
  EXPECT_NEAR(bottom_of(out, cut.height).area, 100.0, 1e-3);
  EXPECT_NEAR(topo.signed_volume, 100.0 * (10.0 - cut.height), 1e-2);
}

TEST(PlaneCut, ColoursAndNormalsFollowTheCutEdges) {
  mesh::Mesh cube = make_cube({0, 0, 0}, 10.0F);
  for (const Vec3f& p : cube.positions) {
    const auto v = static_cast<std::uint8_t>(p.y > 5.0F ? 200 : 0);
    cube.colors.push_back({v, v, v});
    cube.normals.push_back(normalized(p - Vec3f{5, 5, 5}));
  }
  const PlaneCut cut = cut_below(cube, 2.5F).value();
  ASSERT_EQ(cut.mesh.colors.size(), cut.mesh.positions.size());
  ASSERT_EQ(cut.mesh.normals.size(), cut.mesh.positions.size());
  for (std::size_t v = 0; v < cut.mesh.positions.size(); ++v) {
    if (cut.mesh.positions[v].y != cut.height) continue;
    EXPECT_EQ(cut.mesh.colors[v].r, 50) << "a quarter of the way from black to 200";
    EXPECT_NEAR(length(cut.mesh.normals[v]), 1.0F, 1e-5F);
  }
}

TEST(PlaneCut, NothingBelowOrNothingAboveAndBadInput) {
  const mesh::Mesh cube = make_cube({0, 0, 0}, 10.0F);
  const PlaneCut below = cut_below(cube, -5.0F).value();
  EXPECT_TRUE(below.loops.empty());
  EXPECT_EQ(below.mesh.triangles.size(), cube.triangles.size());
  EXPECT_TRUE(cut_below(cube, 20.0F).value().mesh.empty());
  EXPECT_EQ(cut_below(cube, NAN).error().code(), ErrorCode::kInvalidArgument);
  mesh::Mesh open = cube;
  open.triangles.erase(open.triangles.begin() + 8);  // a side face: the cut runs into the hole
  const auto opened = cut_below(open, 5.0F);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(opened.error().message().find("not closed"), std::string::npos) << opened.error().message();
  mesh::Mesh past = cube;
  past.triangles.push_back({0, 1, 99});
  EXPECT_EQ(cut_below(past, 5.0F).error().code(), ErrorCode::kInvalidArgument);
}

// Random fields: many loops, holes in holes, islands, loops a cell wide. Every cut closes.
TEST(PlaneCut, NoisySurfacesCutAtManyHeightsStayClosed) {
  for (const unsigned seed : {1U, 2U, 3U}) {
    const mesh::Mesh noise = mesh::marching_cubes(mesh::testing::noise_volume(14, seed)).value();
    for (const float height : {2.5F, 6.0F, 9.75F}) {
      PlaneCut cut;
      mesh::Mesh out;
      const mesh::TopologyReport topo = closed_cut(noise, height, cut, out);
      EXPECT_GT(cut.loops.size(), 3U);
      EXPECT_EQ(bottom_of(out, cut.height).lowest, cut.height);
      EXPECT_GT(topo.components, 1U);
    }
  }
}

}  // namespace
}  // namespace orfeas::meshtools
