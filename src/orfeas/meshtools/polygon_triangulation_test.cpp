#include "orfeas/meshtools/polygon_triangulation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <numbers>
#include <utility>
#include <vector>

namespace orfeas::meshtools {
namespace {

struct Polygon {
  std::vector<Point2> points;
  std::vector<std::vector<std::uint32_t>> loops;

  void add_loop(const std::vector<Point2>& ring) {
    std::vector<std::uint32_t> loop;
    for (const Point2& p : ring) {
      loop.push_back(static_cast<std::uint32_t>(points.size()));
      points.push_back(p);
    }
    loops.push_back(std::move(loop));
  }
};

double twice_area(const Polygon& poly, const mesh::Triangle& t) {
  const Point2 a = poly.points[t[0]];
  const Point2 b = poly.points[t[1]];
  const Point2 c = poly.points[t[2]];
  return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
}

// The triangles close the loops: every loop edge once in its direction, every other edge twice in
// opposite directions; all counter-clockwise, no repeated vertex, covering the polygon's area.
void expect_closes(const Polygon& poly, const std::vector<mesh::Triangle>& tris) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> directed;
  double area = 0.0;
  for (const mesh::Triangle& t : tris) {
    EXPECT_TRUE(t[0] != t[1] && t[1] != t[2] && t[0] != t[2]);
    EXPECT_GE(twice_area(poly, t), 0.0);
    area += 0.5 * twice_area(poly, t);
    for (int i = 0; i < 3; ++i) ++directed[{t[static_cast<std::size_t>(i)], t[static_cast<std::size_t>((i + 1) % 3)]}];
  }
  double expected_area = 0.0;
  std::size_t vertices = 0;
  for (const auto& loop : poly.loops) {
    expected_area += 0.5 * twice_signed_area(poly.points, loop);
    vertices += loop.size();
    for (std::size_t i = 0; i < loop.size(); ++i) {
      const std::pair<std::uint32_t, std::uint32_t> edge{loop[i], loop[(i + 1) % loop.size()]};
      const auto used = directed.find(edge);
      EXPECT_TRUE(used != directed.end() && used->second == 1) << "loop edge " << edge.first << "→" << edge.second;
      EXPECT_EQ(directed.count(std::make_pair(edge.second, edge.first)), 0U);
      directed.erase(edge);
    }
  }
  for (const auto& [edge, count] : directed) {
    EXPECT_EQ(count, 1) << edge.first << "→" << edge.second;
    const auto twin = directed.find({edge.second, edge.first});
    EXPECT_TRUE(twin != directed.end() && twin->second == 1) << "interior edge without its twin";
  }
  EXPECT_NEAR(area, expected_area, 1e-9 * std::max(1.0, std::abs(expected_area)));
  EXPECT_EQ(tris.size(), vertices + 2 * (poly.loops.size() - 1) - 2)
      << "n + 2 h - 2 triangles for one outline with h holes";
}

std::vector<Point2> circle(double cx, double cy, double r, int n, bool clockwise) {
  std::vector<Point2> ring;
  for (int i = 0; i < n; ++i) {
    const double a = 2.0 * std::numbers::pi * i / n * (clockwise ? -1.0 : 1.0);
    ring.push_back({cx + r * std::cos(a), cy + r * std::sin(a)});
  }
  return ring;
}

TEST(PolygonTriangulation, ConvexSquareWithCollinearPoints) {
  Polygon poly;
  poly.add_loop({{0, 0}, {1, 0}, {2, 0}, {3, 0}, {3, 1}, {3, 2}, {2, 2}, {1, 2}, {0, 2}, {0, 1}});
  const auto tris = triangulate_polygons(poly.points, poly.loops);
  ASSERT_TRUE(tris.has_value()) << tris.error().message();
  expect_closes(poly, *tris);
  for (const mesh::Triangle& t : *tris) EXPECT_GT(twice_area(poly, t), 0.0) << "no zero-area triangle is needed";
}

TEST(PolygonTriangulation, ConcaveComb) {
  Polygon poly;
  std::vector<Point2> comb = {{0, 0}, {10, 0}, {10, 5}};
  for (int tooth = 4; tooth >= 0; --tooth) {
    comb.push_back({2.0 * tooth + 1.5, 5});
    comb.push_back({2.0 * tooth + 1.5, 1});
    comb.push_back({2.0 * tooth + 1.0, 1});
    comb.push_back({2.0 * tooth + 1.0, 5});
  }
  comb.push_back({0, 5});
  poly.add_loop(comb);
  const auto tris = triangulate_polygons(poly.points, poly.loops);
  ASSERT_TRUE(tris.has_value()) << tris.error().message();
  expect_closes(poly, *tris);
}

TEST(PolygonTriangulation, SquareWithTwoHolesAndTinyEdges) {
  Polygon poly;
  poly.add_loop({{0, 0}, {10, 0}, {10, 1e-7}, {10, 10}, {0, 10}});
  poly.add_loop(circle(3, 5, 1.5, 24, true));
  poly.add_loop({{6, 4}, {6, 6}, {6 + 1e-7, 6}, {8, 6}, {8, 4}});  // clockwise, with a tiny edge
  const auto tris = triangulate_polygons(poly.points, poly.loops);
  ASSERT_TRUE(tris.has_value()) << tris.error().message();
  expect_closes(poly, *tris);
}

TEST(PolygonTriangulation, AnnulusAndAnIslandInItsHole) {
  Polygon poly;
  poly.add_loop(circle(0, 0, 10, 64, false));
  poly.add_loop(circle(0, 0, 5, 48, true));
  const auto annulus = triangulate_polygons(poly.points, poly.loops);
  ASSERT_TRUE(annulus.has_value()) << annulus.error().message();
  expect_closes(poly, *annulus);
  EXPECT_NEAR(std::numbers::pi * (100.0 - 25.0),
              0.5 * (twice_signed_area(poly.points, poly.loops[0]) + twice_signed_area(poly.points, poly.loops[1])),
              3.0);

  Polygon island = poly;  // a separate outline inside the hole: triangulated on its own
  island.add_loop(circle(0, 0, 2, 16, false));
  const auto both = triangulate_polygons(island.points, island.loops);
  ASSERT_TRUE(both.has_value()) << both.error().message();
  EXPECT_EQ(both->size(), annulus->size() + 14);
}

TEST(PolygonTriangulation, BadLoopsAreErrors) {
  Polygon poly;
  poly.add_loop({{0, 0}, {1, 0}});
  EXPECT_EQ(triangulate_polygons(poly.points, poly.loops).error().code(), ErrorCode::kInvalidArgument);
  Polygon hole_alone;
  hole_alone.add_loop(circle(0, 0, 1, 8, true));
  EXPECT_EQ(triangulate_polygons(hole_alone.points, hole_alone.loops).error().code(), ErrorCode::kInvalidArgument);
  const std::vector<std::vector<std::uint32_t>> past = {{0, 1, 7}};
  EXPECT_EQ(triangulate_polygons(poly.points, past).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::meshtools
