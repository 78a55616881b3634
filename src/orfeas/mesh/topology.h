// Golden properties of a triangle mesh: is it closed, manifold, consistently oriented, and how
// big is it. Used by tests and as a guard after mesh operations that could break the surface.
//
//   ORFEAS_ASSIGN_OR_RETURN(const TopologyReport report, analyze_topology(mesh));
//   if (!report.watertight()) ...
//
// Definitions: an edge (unordered vertex pair) is manifold when exactly two faces use it, and
// consistently oriented when those two faces traverse it in opposite directions. Faces with a
// repeated index count as degenerate and are left out of the edge statistics; faces with zero area
// count as degenerate but still contribute their edges. Vertices are those referenced by at least
// one face; components are sets of faces connected through shared vertices.
// Units: area in model units squared, signed_volume in model units cubed (divergence theorem;
// positive when triangles are counter-clockwise seen from outside).
//
// Thread-safety: a pure function; O(F log F) time.
#pragma once

#include <cstddef>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::mesh {

struct TopologyReport {
  std::size_t vertices = 0;  // referenced by at least one face
  std::size_t faces = 0;
  std::size_t edges = 0;
  std::size_t boundary_edges = 0;                 // used by one face
  std::size_t nonmanifold_edges = 0;              // used by three or more faces
  std::size_t inconsistently_oriented_edges = 0;  // two faces traversing it the same way
  std::size_t degenerate_faces = 0;               // zero area or a repeated index
  std::size_t components = 0;
  long euler_characteristic = 0;  // vertices - edges + faces; 2 per closed sphere-like component
  double signed_volume = 0.0;
  double area = 0.0;

  // Closed, edge-manifold and consistently oriented (degenerate faces are reported separately).
  [[nodiscard]] bool watertight() const {
    return faces > 0 && boundary_edges == 0 && nonmanifold_edges == 0 && inconsistently_oriented_edges == 0;
  }
};

// kInvalidArgument when a triangle refers to a vertex past `positions` (see check_indices).
[[nodiscard]] Result<TopologyReport> analyze_topology(const Mesh& mesh);

}  // namespace orfeas::mesh
