// Post-processing between mesh extraction and texture synthesis: drop floating bits, give the model a
// base to stand on (meshtools/base.h), meet the face budget, refresh normals, and on request measure
// the result for printing (meshtools/print_report.h).
//
// The base comes before simplification: the collapses keep the vertices where they are (a flat face
// stays flat) and the budget counts the cap's faces too.
//
// Thread-safety: pure function of its inputs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"
#include "orfeas/meshtools/base.h"
#include "orfeas/meshtools/print_report.h"

namespace orfeas::pipeline {

struct PostProcessOptions {
  // Components with fewer faces than this share of the largest one are removed, [0, 1].
  double min_component_fraction = 0.02;
  // Face budget for simplification; 0 keeps every face.
  std::size_t target_faces = 0;
  // The base (its size_mm is the export's). kAuto is resolved by the pipeline per job's format
  // (meshtools::resolve_base_mode); post_process itself takes it as none.
  meshtools::BaseOptions base{.mode = meshtools::BaseMode::kAuto};
  // Measure the final mesh for printing at base.size_mm (PostProcessStats::print).
  bool print_report = false;
};

struct PostProcessStats {
  std::size_t components_removed = 0;
  std::size_t faces_before = 0;
  std::size_t faces_after = 0;
  std::size_t target_faces = 0;  // the face budget asked for; 0 when none
  // Empty when the budget was met or none was asked; otherwise why simplification stopped above
  // it, one sentence for the user ("stopped at 61 204 faces (target 50 000): ...").
  std::string simplify_note;
  meshtools::BaseReport base;                   // what base was made; its note when unstable or none
  std::optional<meshtools::PrintReport> print;  // when print_report was asked
};

[[nodiscard]] Status validate(const PostProcessOptions& options);

// Rewrites `mesh` in place. The result keeps every property of a closed input mesh (watertight,
// consistently oriented) and has unit vertex normals. kInvalidArgument when a triangle refers to a
// vertex past `positions`; `mesh` is then left unspecified.
[[nodiscard]] Result<PostProcessStats> post_process(mesh::Mesh& mesh, const PostProcessOptions& options);

}  // namespace orfeas::pipeline
