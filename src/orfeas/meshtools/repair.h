// Repair of meshes that users bring, so that a slicer gets a closed, consistently oriented solid.
//
//   RepairReport report;
//   ORFEAS_ASSIGN_OR_RETURN(mesh::Mesh fixed, repair_mesh(std::move(mesh), {}, &report));
//
// The steps, in order, each counted in the report:
//   1. weld vertices at the same position, then (weld_tolerance > 0) within weld_tolerance times
//      the bounding-box diagonal (weld.h);
//   2. drop degenerate faces (a repeated vertex, or zero area) and duplicate faces (the same three
//      vertices in any order; the first is kept);
//   3. orient consistently: a breadth-first walk over faces joined by manifold edges flips each
//      neighbour that traverses the shared edge the same way;
//   4. fill holes: every boundary loop of at most max_hole_edges edges is closed, a loop of three
//      by one triangle, a longer one by a fan around a new vertex at its centroid (so no new edge
//      joins two existing vertices, and the surface stays manifold); the new faces follow the
//      orientation of the faces around the hole;
//   5. per closed component, flip every face when its signed volume is negative (inside out);
//   6. drop specks: components with fewer faces than speck_fraction times the largest one's
//      (mesh::remove_small_components), then vertices no face uses.
// Non-manifold edges (three or more faces) are left as they are; analyze the result to see what
// remains. Normals are dropped (compute them again if needed); colours follow their vertices.
//
// Thread-safety: a pure function of its arguments.
#pragma once

#include <cstddef>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::meshtools {

struct RepairOptions {
  double weld_tolerance = 0.0;  // fraction of the bounding-box diagonal; 0: exact welding only
  bool fill_holes = true;
  std::size_t max_hole_edges = 10'000;
  bool orient = true;
  double speck_fraction = 0.01;  // 0 keeps every component
};

struct RepairReport {
  std::size_t vertices_welded = 0;
  std::size_t degenerate_faces_removed = 0;
  std::size_t duplicate_faces_removed = 0;
  std::size_t faces_flipped = 0;        // by the orientation walk
  std::size_t components_inverted = 0;  // closed components turned right side out
  std::size_t holes_filled = 0;
  std::size_t hole_faces_added = 0;
  std::size_t holes_left_open = 0;  // longer than max_hole_edges, or not a simple loop
  std::size_t specks_removed = 0;   // components
};

// kInvalidArgument for an index out of range or a negative tolerance / fraction.
[[nodiscard]] Result<mesh::Mesh> repair_mesh(mesh::Mesh mesh, const RepairOptions& options,
                                             RepairReport* report = nullptr);

}  // namespace orfeas::meshtools
