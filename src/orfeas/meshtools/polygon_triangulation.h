// Triangulation of plane polygons with holes (ear clipping with hole bridging), for the caps that
// close a mesh cut by a plane (plane_cut.h) and the top of a plinth (base.h).
//
//   std::vector<Point2> points = ...;                         // one per vertex id
//   std::vector<std::vector<std::uint32_t>> loops = {outer, hole};
//   ORFEAS_ASSIGN_OR_RETURN(std::vector<mesh::Triangle> tris, triangulate_polygons(points, loops));
//
// Loops are closed rings of vertex ids into `points` (no repeated last id). A loop with a positive
// signed area (counter-clockwise) is an outline, one with a negative area a hole; each hole belongs
// to the smallest outline around it; outlines inside holes are islands of their own. The loops
// must not cross each other or themselves.
//
// The result reuses exactly the loops' vertex ids, and every loop edge a→b appears in exactly one
// triangle, traversed a→b; the triangles are counter-clockwise. So a mesh whose open boundary is
// the loops, reversed, is closed by these triangles without a new vertex, watertight and
// consistently oriented. Collinear points and tiny edges are kept (every loop vertex is used); only
// where no proper ear is left (touching or numerically degenerate input) a triangle of zero area is
// made rather than a vertex dropped.
//
// Units: whatever the points are in. Predicates in double. Thread-safety: a pure function.
// Time: O(n²) for n loop vertices in all (holes add a bridge search each).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::meshtools {

struct Point2 {
  double x = 0.0;
  double y = 0.0;
};

// Twice the signed area of a ring (positive when counter-clockwise).
[[nodiscard]] double twice_signed_area(std::span<const Point2> points, std::span<const std::uint32_t> loop);

// kInvalidArgument for a loop of fewer than 3 vertices, an id past `points`, or a hole that no
// outline contains; kInternal when the triangles would not close the loops (checked on every
// result: loops that cross each other or themselves).
[[nodiscard]] Result<std::vector<mesh::Triangle>> triangulate_polygons(
    std::span<const Point2> points, const std::vector<std::vector<std::uint32_t>>& loops);

}  // namespace orfeas::meshtools
