// Post-processing between mesh extraction and texture synthesis: drop floating bits, meet the face
// budget, refresh normals.
//
// Thread-safety: pure function of its inputs.
#pragma once

#include <cstddef>
#include <string>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::pipeline {

struct PostProcessOptions {
  // Components with fewer faces than this share of the largest one are removed, [0, 1].
  double min_component_fraction = 0.02;
  // Face budget for simplification; 0 keeps every face.
  std::size_t target_faces = 0;
};

struct PostProcessStats {
  std::size_t components_removed = 0;
  std::size_t faces_before = 0;
  std::size_t faces_after = 0;
  std::size_t target_faces = 0;  // the face budget asked for; 0 when none
  // Empty when the budget was met or none was asked; otherwise why simplification stopped above
  // it, one sentence for the user ("stopped at 61 204 faces (target 50 000): ...").
  std::string simplify_note;
};

[[nodiscard]] Status validate(const PostProcessOptions& options);

// Rewrites `mesh` in place. The result keeps every property of a closed input mesh (watertight,
// consistently oriented) and has unit vertex normals. kInvalidArgument when a triangle refers to a
// vertex past `positions`; `mesh` is then left unspecified.
[[nodiscard]] Result<PostProcessStats> post_process(mesh::Mesh& mesh, const PostProcessOptions& options);

}  // namespace orfeas::pipeline
