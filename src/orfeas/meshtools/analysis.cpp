#include "orfeas/meshtools/analysis.h"

#include "orfeas/export/placement.h"

namespace orfeas::meshtools {

bool MeshAnalysis::printable() const {
  return topology.watertight() && topology.signed_volume > 0.0 && topology.degenerate_faces == 0 &&
         self_intersections.pairs == 0 && self_intersections.complete;
}

Result<MeshAnalysis> analyze_mesh(const mesh::Mesh& mesh, const AnalysisOptions& options) {
  MeshAnalysis analysis;
  ORFEAS_ASSIGN_OR_RETURN(analysis.topology, mesh::analyze_topology(mesh));
  const exporter::Bounds bounds = exporter::compute_bounds(mesh.positions);
  analysis.bounds_min = bounds.min;
  analysis.bounds_max = bounds.max;
  if (options.self_intersections) {
    ORFEAS_ASSIGN_OR_RETURN(analysis.self_intersections, find_self_intersections(mesh, options.self_intersection));
  }
  return analysis;
}

}  // namespace orfeas::meshtools
