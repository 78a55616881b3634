#include "orfeas/mesh/marching_cubes_table.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <utility>

namespace orfeas::mesh::internal {
namespace {

bool inside(int case_index, int corner) {
  return ((case_index >> corner) & 1) != 0;
}

bool crossed(int case_index, int edge) {
  const auto corners = edge_corners(edge);
  return inside(case_index, corners[0]) != inside(case_index, corners[1]);
}

TEST(MeshMarchingCubesTable, EdgeCornersDifferAlongTheEdgeAxis) {
  for (int e = 0; e < kCubeEdges; ++e) {
    const auto corners = edge_corners(e);
    EXPECT_EQ(corners[0] ^ corners[1], 1 << (e / 4)) << "edge " << e;
    EXPECT_EQ(corners[0] & (1 << (e / 4)), 0) << "edge " << e;
  }
  // Every edge shares a face with exactly 6 others: the other three sides of each of its two faces.
  for (int e = 0; e < kCubeEdges; ++e) {
    int neighbours = 0;
    for (int f = 0; f < kCubeEdges; ++f) neighbours += edges_share_face(e, f) ? 1 : 0;
    EXPECT_EQ(neighbours, 6) << "edge " << e;
  }
}

TEST(MeshMarchingCubesTable, EveryCaseGivesClosedLoopsThroughItsCrossedEdges) {
  for (int c = 0; c < kCubeCases; ++c) {
    std::set<int> seen;
    for (const auto& loop : case_loops(c)) {
      ASSERT_GE(loop.size(), 3U) << "case " << c;
      for (std::size_t i = 0; i < loop.size(); ++i) {
        EXPECT_TRUE(crossed(c, loop[i])) << "case " << c;
        EXPECT_TRUE(seen.insert(loop[i]).second) << "case " << c << " visits edge " << loop[i] << " twice";
        // Consecutive crossings, the closing pair included, lie on a common face.
        EXPECT_TRUE(edges_share_face(loop[i], loop[(i + 1) % loop.size()])) << "case " << c;
      }
    }
    for (int e = 0; e < kCubeEdges; ++e) EXPECT_EQ(seen.count(e) == 1, crossed(c, e)) << "case " << c;
  }
}

TEST(MeshMarchingCubesTable, TrianglesOfEachCaseSpanItsLoopsExactly) {
  const auto& table = cube_case_table();
  for (int c = 0; c < kCubeCases; ++c) {
    const CubeCase& entry = table[static_cast<std::size_t>(c)];
    // Directed edge -> uses. Inside a case, diagonals are used once each way; only the loop
    // segments remain, used once in loop direction.
    std::map<std::pair<int, int>, int> directed;
    for (int t = 0; t < entry.triangle_count; ++t) {
      for (int k = 0; k < 3; ++k) {
        const int from = entry.edges[static_cast<std::size_t>(3 * t + k)];
        const int to = entry.edges[static_cast<std::size_t>(3 * t + (k + 1) % 3)];
        EXPECT_NE(from, to) << "case " << c;
        const auto reverse = directed.find({to, from});
        if (reverse != directed.end()) {
          // A diagonal: it must not lie in a cube face, or a neighbour could use it too.
          EXPECT_FALSE(edges_share_face(from, to)) << "case " << c << " diagonal " << from << "-" << to;
          directed.erase(reverse);
        } else {
          ++directed[{from, to}];
        }
      }
    }
    std::map<std::pair<int, int>, int> segments;
    int crossed_count = 0;
    for (const auto& loop : case_loops(c)) {
      for (std::size_t i = 0; i < loop.size(); ++i) ++segments[{loop[i], loop[(i + 1) % loop.size()]}];
      crossed_count += static_cast<int>(loop.size());
    }
    EXPECT_EQ(directed, segments) << "case " << c;
    int mask_bits = 0;
    for (int e = 0; e < kCubeEdges; ++e) mask_bits += (entry.edge_mask >> e) & 1;
    EXPECT_EQ(mask_bits, crossed_count) << "case " << c;
  }
  EXPECT_EQ(table[0].triangle_count, 0);
  EXPECT_EQ(table[kCubeCases - 1].triangle_count, 0);
}

TEST(MeshMarchingCubesTable, SingleInsideCornerFacesAwayFromIt) {
  const auto& table = cube_case_table();
  for (int corner = 0; corner < kCubeCorners; ++corner) {
    const CubeCase& entry = table[static_cast<std::size_t>(1 << corner)];
    ASSERT_EQ(entry.triangle_count, 1);
    // Edge midpoints as vertices; the normal must point away from the inside corner.
    std::array<std::array<double, 3>, 3> p{};
    for (int k = 0; k < 3; ++k) {
      const auto corners = edge_corners(entry.edges[static_cast<std::size_t>(k)]);
      for (int axis = 0; axis < 3; ++axis) {
        p[static_cast<std::size_t>(k)][static_cast<std::size_t>(axis)] =
            0.5 * (((corners[0] >> axis) & 1) + ((corners[1] >> axis) & 1));
      }
    }
    const std::array<double, 3> u = {p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]};
    const std::array<double, 3> v = {p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]};
    const std::array<double, 3> n = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
    double outward = 0.0;
    for (int axis = 0; axis < 3; ++axis) {
      outward += n[static_cast<std::size_t>(axis)] * (p[0][static_cast<std::size_t>(axis)] - ((corner >> axis) & 1));
    }
    EXPECT_GT(outward, 0.0) << "corner " << corner;
  }
}

}  // namespace
}  // namespace orfeas::mesh::internal
