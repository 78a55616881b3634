// Decimation to a face budget with meshoptimizer's edge-collapse simplifier.
//
//   ORFEAS_ASSIGN_OR_RETURN(Mesh small, simplify_mesh(surface, 20000));
//   compute_vertex_normals(small);
//
// The result keeps a subset of the input's vertices, so colours carry over unchanged; unused
// vertices are removed afterwards. Normals are carried over too but describe the old surface:
// the caller recomputes them. The face count may stay above `target_faces` where the simplifier
// cannot collapse further without changing the topology.
//
// Surface guarantee: a watertight input (see topology.h) gives a watertight output with the same
// Euler characteristic and no zero-area faces. meshoptimizer does not check the link condition, so
// a pass can pinch the surface; where it does, the original faces around the damage are frozen
// (kept verbatim, their rims locked) and the rest is simplified again. If no pass comes out clean,
// the input is returned unchanged.
//
// Thread-safety: a pure function of its arguments.
#pragma once

#include <cstddef>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::mesh {

// target_faces == 0 or >= the current face count returns an unchanged copy.
// kInvalidArgument when a triangle indexes past the vertex array.
[[nodiscard]] Result<Mesh> simplify_mesh(const Mesh& mesh, std::size_t target_faces);

}  // namespace orfeas::mesh
