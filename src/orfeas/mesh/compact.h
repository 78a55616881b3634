// Removes vertices that no triangle references, keeping the survivors in their original order
// and `normals` / `colors` aligned with `positions` (each is compacted when it has one entry per
// position). Used after operations that drop faces (component removal, simplification).
//
// Thread-safety: modifies only `mesh`.
#pragma once

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::mesh {

// kInvalidArgument, leaving `mesh` untouched, when a triangle refers to a vertex past `positions`.
[[nodiscard]] Status compact_vertices(Mesh& mesh);

}  // namespace orfeas::mesh
