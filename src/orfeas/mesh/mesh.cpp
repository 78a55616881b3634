#include "orfeas/mesh/mesh.h"

#include <fmt/format.h>

namespace orfeas::mesh {

Status check_indices(const Mesh& mesh) {
  const std::size_t vertex_count = mesh.positions.size();
  for (std::size_t t = 0; t < mesh.triangles.size(); ++t) {
    for (const std::uint32_t index : mesh.triangles[t]) {
      if (index >= vertex_count) {
        return make_error(
            ErrorCode::kInvalidArgument,
            fmt::format("triangle {} refers to vertex {} but the mesh has {} vertices", t, index, vertex_count));
      }
    }
  }
  return ok();
}

}  // namespace orfeas::mesh
