// The preconditions every writer needs from a mesh, checked once instead of trusted.
//
// A mesh is exportable when it has at least one triangle, every index names an existing
// position, `normals` and `colors` are empty or one per position, and every position and normal
// is finite. Writers call this themselves (placement can overflow a tiny mesh to infinity), so a
// bad mesh yields kInvalidArgument, never out-of-bounds reads or a file full of NaN.
//
// Thread-safety: pure function.
#pragma once

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::exporter {

// kInvalidArgument naming the first offending element ("triangle 12 refers to vertex 99 but the
// mesh has 40 vertices", from mesh::check_indices).
[[nodiscard]] Status check_exportable(const mesh::Mesh& mesh);

}  // namespace orfeas::exporter
