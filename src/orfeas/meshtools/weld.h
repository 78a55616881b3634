// Vertex welding: merges vertices at the same position (exactly, or within a distance), so that a
// triangle soup (STL) becomes an indexed mesh whose topology can be analysed.
//
//   ORFEAS_ASSIGN_OR_RETURN(const std::size_t merged, weld_vertices(mesh, 0.0));  // exact
//
// Exact welding compares positions bit for bit (+0 and -0 are the same). With a tolerance, each
// vertex joins the first earlier representative within `tolerance` (model units), found through a
// hash grid of that cell size; chains are not followed, so the result does not depend on more than
// the vertex order. Triangles are remapped and kept (faces that collapse are the caller's: see
// repair.h); vertices no triangle uses any more are removed; colours follow their representative,
// normals are dropped (they describe the old vertices).
//
// Thread-safety: modifies only `mesh`. O(V) expected time.
#pragma once

#include <cstddef>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::meshtools {

// Returns how many vertices were merged into another. kInvalidArgument for an index out of range
// or a tolerance that is negative or not finite.
[[nodiscard]] Result<std::size_t> weld_vertices(mesh::Mesh& mesh, double tolerance);

}  // namespace orfeas::meshtools
