// Cutting a closed mesh by a horizontal plane y = height: the part above is kept and, if asked,
// closed with a flat cap facing down, so a model can stand on it (base.h).
//
//   ORFEAS_ASSIGN_OR_RETURN(PlaneCut cut, cut_below(mesh, -0.9F));   // open along the cut
//   ORFEAS_ASSIGN_OR_RETURN(mesh::Mesh closed, cap_cut(std::move(cut)));
//
// The input must be closed and consistently oriented (counter-clockwise seen from outside, as
// marching cubes makes it); Y is up (model space, mesh.h). A vertex never lies on the plane: when
// one is within a hair of the asked height (1e-5 of the mesh's height), the plane moves up or down
// by a few such hairs and `height` says where it went; it moves on, up to 300 hairs, when the cut
// would leave a face of zero area (a sliver whose corners round to one line). Edges that cross the plane get one new
// vertex each, shared by both faces, placed at exactly y = height; normals and colours are
// interpolated along the edge. The cut's vertices form closed loops (several for several feet;
// one inside another around a hole, as a cup standing upside down), given as a closing surface
// must traverse them; cap_cut triangulates them (polygon_triangulation.h) with no new vertex, so
// the result is watertight, consistently oriented, exactly planar at `height`, and its Euler
// characteristic is that of the part above plus one per cap piece (a sphere cut stays a sphere).
//
// Units: the mesh's own. Thread-safety: pure functions. Time: O(F) for the cut, O(n²) in the
// cut's vertices for the cap.
#pragma once

#include <cstdint>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::meshtools {

struct PlaneCut {
  mesh::Mesh mesh;      // the part above, open along the cut (unused vertices removed)
  float height = 0.0F;  // where the plane went (within a few 1e-5 of the mesh's height of the asked one)
  // Closing loops of vertex ids into mesh.positions, each at y == height exactly. A closing
  // surface (a cap facing down, or a plinth's top facing up) uses each edge a→b as given.
  std::vector<std::vector<std::uint32_t>> loops;
};

// kInvalidArgument when a triangle refers to a vertex past `positions`, a position is not finite,
// or the mesh is not closed where the plane cuts it. Nothing above the plane: an empty mesh; nothing
// below: the mesh unchanged (no loops).
[[nodiscard]] Result<PlaneCut> cut_below(const mesh::Mesh& mesh, float height);

// The area the loops enclose (outlines less holes) and its centroid (x, z) in the plane.
struct CutSection {
  double area = 0.0;
  double centroid_x = 0.0;
  double centroid_z = 0.0;
};
[[nodiscard]] CutSection cut_section(const PlaneCut& cut);

// The cut closed by a cap facing down (-y). kInvalidArgument when the loops cannot be triangulated
// (they cross: the input intersected itself).
[[nodiscard]] Result<mesh::Mesh> cap_cut(PlaneCut cut);

}  // namespace orfeas::meshtools
