// The mesh tools' reports as JSON, one shape for `orfeas mesh … --json` and the /api/mesh/… routes,
// and the repair and simplify steps both of them run (the tool, then the check of its result).
//
//   ORFEAS_ASSIGN_OR_RETURN(RepairOutcome fixed, repair_and_analyze(std::move(mesh), options));
//   fmt::print("{}\n", repair_json(fixed, mesh_unit(exporter::Format::kStl)).dump(2));
//
// The shapes (every count an integer, lengths in the mesh's own unit):
//   analysis_json:  {"unit", "vertices", "faces", "edges", "watertight", "printable", "boundary_edges",
//                    "nonmanifold_edges", "inconsistently_oriented_edges", "consistently_oriented",
//                    "degenerate_faces", "components", "euler_characteristic", "volume" (unit³),
//                    "surface_area" (unit²), "bounding_box": {"min", "max", "size"} ([x, y, z]),
//                    "self_intersections": {"pairs", "complete", "examples": [[face, face], …]}}
//   repair_json:    {"repair": {"vertices_welded", "degenerate_faces_removed", "duplicate_faces_removed",
//                    "faces_flipped", "components_inverted", "holes_filled", "hole_faces_added",
//                    "holes_left_open", "specks_removed"}, "result": analysis_json of the repaired mesh}
//   simplify_json:  {"faces_before", "target_faces", "faces", "reached", "note" (empty when reached),
//                    "result": analysis_json of the simplified mesh}
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "orfeas/core/status.h"
#include "orfeas/export/format.h"
#include "orfeas/mesh/mesh.h"
#include "orfeas/mesh/simplify.h"
#include "orfeas/meshtools/analysis.h"
#include "orfeas/meshtools/repair.h"

namespace orfeas::meshtools {

// "mm" for STL (slicers take an STL's numbers as millimetres, and so do we), "units" otherwise.
[[nodiscard]] std::string_view mesh_unit(exporter::Format format);

struct RepairOutcome {
  mesh::Mesh mesh;
  RepairReport report;
  MeshAnalysis after;  // of `mesh`
};

struct SimplifyOutcome {
  mesh::SimplifyResult simplified;
  std::size_t faces_before = 0;
  MeshAnalysis after;  // of simplified.mesh
};

// repair_mesh, then analyze_mesh of what it made. kInvalidArgument when nothing is left (every face
// was degenerate), besides repair_mesh's errors.
[[nodiscard]] Result<RepairOutcome> repair_and_analyze(mesh::Mesh mesh, const RepairOptions& options,
                                                       const AnalysisOptions& analysis = {});

// simplify_mesh to `target_faces` (> 0), then analyze_mesh of what it made.
[[nodiscard]] Result<SimplifyOutcome> simplify_and_analyze(mesh::Mesh mesh, std::size_t target_faces,
                                                           const AnalysisOptions& analysis = {});

[[nodiscard]] nlohmann::json analysis_json(const MeshAnalysis& analysis, std::string_view unit);
[[nodiscard]] nlohmann::json repair_json(const RepairOutcome& outcome, std::string_view unit);
[[nodiscard]] nlohmann::json simplify_json(const SimplifyOutcome& outcome, std::string_view unit);

}  // namespace orfeas::meshtools
