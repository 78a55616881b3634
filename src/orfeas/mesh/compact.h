// Removes vertices that no triangle references, keeping the survivors in their original order
// and `normals` / `colors` aligned with `positions` (each is compacted when it has one entry per
// position). Used after operations that drop faces (component removal, simplification).
//
// Thread-safety: modifies only `mesh`.
#pragma once

#include "orfeas/mesh/mesh.h"

namespace orfeas::mesh {

void compact_vertices(Mesh& mesh);

}  // namespace orfeas::mesh
