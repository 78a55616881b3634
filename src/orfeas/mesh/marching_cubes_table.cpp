#include "orfeas/mesh/marching_cubes_table.h"

#include <cassert>
#include <optional>

namespace orfeas::mesh::internal {
namespace {

bool corner_inside(int case_index, int corner) {
  return ((case_index >> corner) & 1) != 0;
}

// The two axes other than `axis`, in the order the edge numbering uses.
std::array<int, 2> other_axes(int axis) {
  if (axis == 0) return {1, 2};
  if (axis == 1) return {0, 2};
  return {0, 1};
}

// The cube edge joining two corners that differ in exactly one coordinate.
int edge_between(int corner_a, int corner_b) {
  const int diff = corner_a ^ corner_b;
  assert(diff == 1 || diff == 2 || diff == 4);
  const int axis = diff == 1 ? 0 : (diff == 2 ? 1 : 2);
  const auto others = other_axes(axis);
  const int u = (corner_a >> others[0]) & 1;
  const int v = (corner_a >> others[1]) & 1;
  return axis * 4 + u + 2 * v;
}

// Corners of the face on side `side` of `axis`, counter-clockwise seen from outside the cube.
std::array<int, 4> face_corners_ccw(int axis, int side) {
  // (b, c) is a right-handed pair with e_b x e_c = e_axis, so (0,0),(1,0),(1,1),(0,1) in (b, c) is
  // counter-clockwise around +e_axis; the face at side 0 looks along -e_axis, hence reversed.
  const int b = (axis + 1) % 3;
  const int c = (axis + 2) % 3;
  const int base = side << axis;
  const std::array<int, 4> ccw = {base, base | (1 << b), base | (1 << b) | (1 << c), base | (1 << c)};
  if (side == 1) return ccw;
  return {ccw[3], ccw[2], ccw[1], ccw[0]};
}

using Triangles = std::vector<std::array<int, 3>>;

Triangles fan(const std::vector<int>& loop, std::size_t apex) {
  const std::size_t count = loop.size();
  Triangles triangles;
  for (std::size_t i = 1; i + 1 < count; ++i) {
    triangles.push_back({loop[apex], loop[(apex + i) % count], loop[(apex + i + 1) % count]});
  }
  return triangles;
}

// Triangulates the polygon `loop` (cube edge ids in order) without diagonals between edges that
// share a cube face; returns nothing when no such triangulation exists.
std::optional<Triangles> triangulate_without_face_diagonals(const std::vector<int>& loop) {
  const std::size_t count = loop.size();
  if (count < 3) return std::nullopt;
  // Fans first: they are what a reader expects and usually qualify.
  for (std::size_t apex = 0; apex < count; ++apex) {
    bool valid = true;
    for (std::size_t i = 2; i + 1 < count && valid; ++i) {
      valid = !edges_share_face(loop[apex], loop[(apex + i) % count]);
    }
    if (valid) return fan(loop, apex);
  }
  // Otherwise any triangulation: the side (first, last) lies in a triangle (first, pick, last).
  for (std::size_t pick = 1; pick + 1 < count; ++pick) {
    if (pick > 1 && edges_share_face(loop.front(), loop[pick])) continue;
    if (pick + 2 < count && edges_share_face(loop[pick], loop.back())) continue;
    Triangles triangles = {{loop.front(), loop[pick], loop.back()}};
    const std::vector<int> left(loop.begin(), loop.begin() + static_cast<long>(pick) + 1);
    const std::vector<int> right(loop.begin() + static_cast<long>(pick), loop.end());
    bool valid = true;
    for (const auto* part : {&left, &right}) {
      if (part->size() < 3) continue;
      const auto sub = triangulate_without_face_diagonals(*part);
      if (!sub) {
        valid = false;
        break;
      }
      triangles.insert(triangles.end(), sub->begin(), sub->end());
    }
    if (valid) return triangles;
  }
  return std::nullopt;
}

std::array<CubeCase, kCubeCases> build_table() {
  std::array<CubeCase, kCubeCases> table{};
  for (int case_index = 0; case_index < kCubeCases; ++case_index) {
    CubeCase& entry = table[static_cast<std::size_t>(case_index)];
    for (const auto& loop : case_loops(case_index)) {
      for (const int edge : loop) entry.edge_mask = static_cast<std::uint16_t>(entry.edge_mask | (1U << edge));
      // Every loop of the 256 cases has such a triangulation (the table tests check it); the plain
      // fan is only a fallback so that a release build never reads an empty optional.
      const auto triangles = triangulate_without_face_diagonals(loop).value_or(fan(loop, 0));
      for (const auto& triangle : triangles) {
        assert(entry.triangle_count < kMaxCaseTriangles);
        for (int k = 0; k < 3; ++k) {
          entry.edges[static_cast<std::size_t>(entry.triangle_count) * 3 + static_cast<std::size_t>(k)] =
              static_cast<std::uint8_t>(triangle[static_cast<std::size_t>(k)]);
        }
        ++entry.triangle_count;
      }
    }
  }
  return table;
}

}  // namespace

std::array<int, 2> edge_corners(int edge) {
  const int axis = edge / 4;
  const auto others = other_axes(axis);
  const int start = ((edge & 1) << others[0]) | (((edge >> 1) & 1) << others[1]);
  return {start, start | (1 << axis)};
}

bool edges_share_face(int edge_a, int edge_b) {
  if (edge_a == edge_b) return false;
  const auto a = edge_corners(edge_a);
  const auto b = edge_corners(edge_b);
  for (int axis = 0; axis < 3; ++axis) {
    for (int side = 0; side < 2; ++side) {
      const auto on_face = [&](int corner) { return ((corner >> axis) & 1) == side; };
      if (on_face(a[0]) && on_face(a[1]) && on_face(b[0]) && on_face(b[1])) return true;
    }
  }
  return false;
}

std::vector<std::vector<int>> case_loops(int case_index) {
  // next_edge[e]: where the surface goes after crossing cube edge e, walking its boundary loop.
  std::array<int, kCubeEdges> next_edge{};
  next_edge.fill(-1);
  for (int axis = 0; axis < 3; ++axis) {
    for (int side = 0; side < 2; ++side) {
      const auto corners = face_corners_ccw(axis, side);
      // Crossings in walking order; `entering` marks outside→inside. They alternate, so each
      // entering crossing is followed by the leaving one that closes its inside run.
      std::array<int, 4> crossing_edges{};
      std::array<bool, 4> entering{};
      int crossings = 0;
      for (int i = 0; i < 4; ++i) {
        const int from = corners[static_cast<std::size_t>(i)];
        const int to = corners[static_cast<std::size_t>((i + 1) % 4)];
        if (corner_inside(case_index, from) == corner_inside(case_index, to)) continue;
        crossing_edges[static_cast<std::size_t>(crossings)] = edge_between(from, to);
        entering[static_cast<std::size_t>(crossings)] = !corner_inside(case_index, from);
        ++crossings;
      }
      for (int i = 0; i < crossings; ++i) {
        if (!entering[static_cast<std::size_t>(i)]) continue;
        const int leave = crossing_edges[static_cast<std::size_t>((i + 1) % crossings)];
        const int enter = crossing_edges[static_cast<std::size_t>(i)];
        assert(next_edge[static_cast<std::size_t>(enter)] == -1);
        next_edge[static_cast<std::size_t>(enter)] = leave;
      }
    }
  }
  std::vector<std::vector<int>> loops;
  std::array<bool, kCubeEdges> visited{};
  for (int start = 0; start < kCubeEdges; ++start) {
    if (next_edge[static_cast<std::size_t>(start)] < 0 || visited[static_cast<std::size_t>(start)]) continue;
    std::vector<int> loop;
    for (int edge = start; !visited[static_cast<std::size_t>(edge)]; edge = next_edge[static_cast<std::size_t>(edge)]) {
      visited[static_cast<std::size_t>(edge)] = true;
      loop.push_back(edge);
      assert(next_edge[static_cast<std::size_t>(edge)] >= 0);
    }
    loops.push_back(std::move(loop));
  }
  return loops;
}

const std::array<CubeCase, kCubeCases>& cube_case_table() {
  static const std::array<CubeCase, kCubeCases> table = build_table();
  return table;
}

}  // namespace orfeas::mesh::internal
