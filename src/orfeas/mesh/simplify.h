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
// Surface guarantee: a watertight input (see topology.h) gives a watertight output. A pass that
// opens the surface, makes it non-manifold or flips an edge's orientation is discarded and retried
// with a less aggressive target; if none is clean, the input is returned unchanged.
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
