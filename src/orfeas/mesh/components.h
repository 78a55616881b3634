// Connected components of a triangle mesh (faces joined through shared vertices) and removal of
// the small ones — floating specks that marching cubes picks up from noise in the field.
//
//   ORFEAS_ASSIGN_OR_RETURN(const std::size_t removed, remove_small_components(mesh, 0.05));  // < 5 % of the largest
//
// Thread-safety: functions of their arguments; `remove_small_components` modifies only `mesh`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::mesh {

struct ComponentLabels {
  std::vector<std::uint32_t> face_component;  // [faces] component id, numbered by first face
  std::vector<std::size_t> face_count;        // [count] faces per component
  std::size_t count = 0;
};

// Both functions return kInvalidArgument when a triangle refers to a vertex past `positions`.
[[nodiscard]] Result<ComponentLabels> label_components(const Mesh& mesh);

// Drops every component with fewer faces than `min_fraction_of_largest` times the largest one's,
// then removes the vertices no face uses (normals and colours stay aligned with positions).
// Returns how many components were removed. Face counts rather than areas decide, because marching
// cubes makes faces of roughly uniform size and the count needs no geometry.
[[nodiscard]] Result<std::size_t> remove_small_components(Mesh& mesh, double min_fraction_of_largest);

}  // namespace orfeas::mesh
