// The marching-cubes case table, derived in code rather than typed in.
//
// Cube conventions (shared by the extractor and the tests):
//   corner c in [0, 8) sits at (c & 1, (c >> 1) & 1, (c >> 2) & 1) — x is bit 0, y bit 1, z bit 2;
//   a case index has bit c set when corner c is inside (value < iso);
//   edge e in [0, 12) runs along axis a = e / 4 from corner edge_corners(e)[0] (coordinate 0 along
//   a) to edge_corners(e)[1] (coordinate 1); the other two coordinates are (e & 1, (e >> 1) & 1)
//   taken in the order y,z for an x-edge, x,z for a y-edge and x,y for a z-edge.
//
// How a case is built: every cube face is walked counter-clockwise seen from outside the cube; the
// surface enters the face's inside region at an outside→inside edge and leaves at the next
// inside→outside edge, which gives one directed segment per inside run. A face with two diagonal
// inside corners (ambiguous) therefore always keeps its inside corners apart — a rule that reads
// only the face's own four corners, so the two cells sharing a face draw the same segments (in
// opposite directions) and the surface has no cracks. The directed segments chain into closed loops
// whose orientation makes the right-hand normal point from inside to outside; each loop is then
// triangulated without diagonals that lie in a cube face, so neighbouring cells never share an
// interior edge (which would make a mesh edge with four triangles).
//
// Thread-safety: the table is built once (function-local static) and is read-only afterwards.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace orfeas::mesh::internal {

inline constexpr int kCubeCorners = 8;
inline constexpr int kCubeEdges = 12;
inline constexpr int kCubeCases = 256;
// Worst case over the 256 configurations is far below this; the builder asserts it.
inline constexpr int kMaxCaseTriangles = 12;

struct CubeCase {
  std::uint16_t edge_mask = 0;                              // bit e set when cube edge e is crossed
  std::uint8_t triangle_count = 0;                          // triangles in `edges`
  std::array<std::uint8_t, 3 * kMaxCaseTriangles> edges{};  // [triangle_count, 3] cube edge ids
};

// Corners joined by cube edge `edge`; the first one has coordinate 0 along the edge's axis.
std::array<int, 2> edge_corners(int edge);

// True when two distinct cube edges lie on a common cube face.
bool edges_share_face(int edge_a, int edge_b);

// The closed, oriented loops (cube edge ids in traversal order) of one corner configuration.
std::vector<std::vector<int>> case_loops(int case_index);

// The whole table, built on first use.
const std::array<CubeCase, kCubeCases>& cube_case_table();

}  // namespace orfeas::mesh::internal
