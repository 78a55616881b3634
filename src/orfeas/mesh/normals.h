// Per-vertex normals for shading and export.
//
//   ORFEAS_RETURN_IF_ERROR(compute_vertex_normals(mesh));  // normals.size() == positions.size()
//
// Each vertex gets the area-weighted mean of its faces' normals (the unnormalised cross product is
// twice the face area times its unit normal, so summing cross products weights by area), scaled to
// unit length. Orientation follows the triangles: outward for counter-clockwise-from-outside faces.
// A vertex without faces of non-zero area gets (0, 0, 1) so that every normal has unit length.
//
// Thread-safety: modifies only `mesh`.
#pragma once

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::mesh {

// kInvalidArgument, leaving `mesh` untouched, when a triangle refers to a vertex past `positions`.
[[nodiscard]] Status compute_vertex_normals(Mesh& mesh);

}  // namespace orfeas::mesh
