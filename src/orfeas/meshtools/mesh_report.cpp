#include "orfeas/meshtools/mesh_report.h"

#include <utility>

namespace orfeas::meshtools {

std::string_view mesh_unit(exporter::Format format) {
  return format == exporter::Format::kStl ? "mm" : "units";
}

Result<RepairOutcome> repair_and_analyze(mesh::Mesh mesh, const RepairOptions& options,
                                         const AnalysisOptions& analysis) {
  RepairOutcome outcome;
  ORFEAS_ASSIGN_OR_RETURN(outcome.mesh, repair_mesh(std::move(mesh), options, &outcome.report));
  if (outcome.mesh.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "nothing is left after repair (every face was degenerate)");
  }
  ORFEAS_ASSIGN_OR_RETURN(outcome.after, analyze_mesh(outcome.mesh, analysis));
  return outcome;
}

Result<SimplifyOutcome> simplify_and_analyze(mesh::Mesh mesh, std::size_t target_faces,
                                             const AnalysisOptions& analysis) {
  if (target_faces == 0) return make_error(ErrorCode::kInvalidArgument, "the target face count must be > 0");
  SimplifyOutcome outcome;
  outcome.faces_before = mesh.triangles.size();
  ORFEAS_ASSIGN_OR_RETURN(outcome.simplified, mesh::simplify_mesh(std::move(mesh), target_faces));
  ORFEAS_ASSIGN_OR_RETURN(outcome.after, analyze_mesh(outcome.simplified.mesh, analysis));
  return outcome;
}

nlohmann::json analysis_json(const MeshAnalysis& a, std::string_view unit) {
  const mesh::TopologyReport& t = a.topology;
  const auto vec = [](Vec3f v) { return nlohmann::json::array({v.x, v.y, v.z}); };
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& [f, g] : a.self_intersections.examples) pairs.push_back({f, g});
  return {{"unit", unit},
          {"vertices", t.vertices},
          {"faces", t.faces},
          {"edges", t.edges},
          {"watertight", t.watertight()},
          {"printable", a.printable()},
          {"boundary_edges", t.boundary_edges},
          {"nonmanifold_edges", t.nonmanifold_edges},
          {"inconsistently_oriented_edges", t.inconsistently_oriented_edges},
          {"consistently_oriented", t.inconsistently_oriented_edges == 0},
          {"degenerate_faces", t.degenerate_faces},
          {"components", t.components},
          {"euler_characteristic", t.euler_characteristic},
          {"volume", t.signed_volume},
          {"surface_area", t.area},
          {"bounding_box",
           {{"min", vec(a.bounds_min)}, {"max", vec(a.bounds_max)}, {"size", vec(a.bounds_max - a.bounds_min)}}},
          {"self_intersections",
           {{"pairs", a.self_intersections.pairs}, {"complete", a.self_intersections.complete}, {"examples", pairs}}}};
}

nlohmann::json repair_json(const RepairOutcome& outcome, std::string_view unit) {
  const RepairReport& r = outcome.report;
  return {{"repair",
           {{"vertices_welded", r.vertices_welded},
            {"degenerate_faces_removed", r.degenerate_faces_removed},
            {"duplicate_faces_removed", r.duplicate_faces_removed},
            {"faces_flipped", r.faces_flipped},
            {"components_inverted", r.components_inverted},
            {"holes_filled", r.holes_filled},
            {"hole_faces_added", r.hole_faces_added},
            {"holes_left_open", r.holes_left_open},
            {"specks_removed", r.specks_removed}}},
          {"result", analysis_json(outcome.after, unit)}};
}

nlohmann::json simplify_json(const SimplifyOutcome& outcome, std::string_view unit) {
  const mesh::SimplifyResult& s = outcome.simplified;
  return {{"faces_before", outcome.faces_before},
          {"target_faces", s.target_faces},
          {"faces", s.faces},
          {"reached", s.reached()},
          {"note", s.note},
          {"result", analysis_json(outcome.after, unit)}};
}

}  // namespace orfeas::meshtools
