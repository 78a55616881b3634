#include "mesh_command.h"

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "orfeas/export/export.h"
#include "orfeas/meshtools/analysis.h"
#include "orfeas/meshtools/mesh_io.h"
#include "orfeas/meshtools/mesh_report.h"
#include "orfeas/meshtools/repair.h"

namespace orfeas::cli {
namespace {

struct MeshArgs {
  std::string input;
  std::string output;
  bool json = false;
  std::size_t faces = 0;
  meshtools::RepairOptions repair;
  bool no_fill_holes = false;
  CLI::App* analyze = nullptr;  // borrowed from the CLI::App
  CLI::App* repair_cmd = nullptr;
  CLI::App* simplify = nullptr;
};

MeshArgs& args() {
  static MeshArgs instance;
  return instance;
}

int fail(const Error& error) {
  fmt::print(stderr, "orfeas: error: {}\n", error.message());
  return 1;
}

// STL carries no unit; slicers take it as millimetres, and so do we.
std::string_view unit_of(const std::string& path) {
  const Result<exporter::Format> format = meshtools::mesh_format_from_path(path);
  return format ? meshtools::mesh_unit(*format) : "units";
}

void print_analysis(const meshtools::MeshAnalysis& a, std::string_view unit) {
  const mesh::TopologyReport& t = a.topology;
  const auto yes_no = [](bool b) { return b ? "yes" : "no"; };
  const Vec3f size = a.bounds_max - a.bounds_min;
  fmt::print("vertices: {}, faces: {}, edges: {}\n", t.vertices, t.faces, t.edges);
  fmt::print("watertight: {}\n", yes_no(t.watertight()));
  fmt::print("boundary edges: {}\n", t.boundary_edges);
  fmt::print("non-manifold edges: {}\n", t.nonmanifold_edges);
  fmt::print("consistently oriented: {} ({} edges disagree)\n", yes_no(t.inconsistently_oriented_edges == 0),
             t.inconsistently_oriented_edges);
  fmt::print("degenerate faces: {}\n", t.degenerate_faces);
  fmt::print("components: {}\n", t.components);
  fmt::print("euler characteristic: {}\n", t.euler_characteristic);
  fmt::print("volume: {:.6g} {}^3\n", t.signed_volume, unit);
  fmt::print("surface area: {:.6g} {}^2\n", t.area, unit);
  fmt::print("bounding box: {:.6g} x {:.6g} x {:.6g} {} (min {:.6g} {:.6g} {:.6g}, max {:.6g} {:.6g} {:.6g})\n", size.x,
             size.y, size.z, unit, a.bounds_min.x, a.bounds_min.y, a.bounds_min.z, a.bounds_max.x, a.bounds_max.y,
             a.bounds_max.z);
  fmt::print("self-intersections: {} pairs{}\n", a.self_intersections.pairs,
             a.self_intersections.complete ? "" : " (search stopped at its time budget: at least this many)");
  fmt::print("printable: {}\n", yes_no(a.printable()));
}

int run_analyze(const MeshArgs& a) {
  Result<mesh::Mesh> mesh = meshtools::read_mesh(a.input);
  if (!mesh) return fail(mesh.error());
  const Result<meshtools::MeshAnalysis> analysis = meshtools::analyze_mesh(*mesh);
  if (!analysis) return fail(analysis.error());
  const std::string_view unit = unit_of(a.input);
  if (a.json) {
    fmt::print("{}\n", meshtools::analysis_json(*analysis, unit).dump(2));
  } else {
    print_analysis(*analysis, unit);
  }
  return 0;
}

void print_result(const meshtools::MeshAnalysis& after, const std::string& output) {
  fmt::print("result: {} faces, watertight: {}, self-intersections: {}, written to {}\n", after.topology.faces,
             after.topology.watertight() ? "yes" : "no", after.self_intersections.pairs, output);
}

// The mesh's own units are kept: what came in as millimetres goes out as millimetres.
// GLB is left out: its unit is the metre, and these files carry none to convert from.
Status write(const mesh::Mesh& mesh, const std::string& path) {
  ORFEAS_RETURN_IF_ERROR_CTX(meshtools::mesh_format_from_path(path), fmt::format("cannot write '{}'", path));
  exporter::ExportOptions options;
  options.keep_coordinates = true;
  return exporter::export_mesh(mesh, path, options);
}

int run_repair(MeshArgs& a) {
  Result<mesh::Mesh> mesh = meshtools::read_mesh(a.input);
  if (!mesh) return fail(mesh.error());
  a.repair.fill_holes = !a.no_fill_holes;
  Result<meshtools::RepairOutcome> fixed = meshtools::repair_and_analyze(std::move(*mesh), a.repair);
  if (!fixed) return fail(fixed.error());
  if (const Status written = write(fixed->mesh, a.output); !written) return fail(written.error());
  if (a.json) {
    fmt::print("{}\n", meshtools::repair_json(*fixed, unit_of(a.input)).dump(2));
    return 0;
  }
  const meshtools::RepairReport& report = fixed->report;
  fmt::print("vertices welded: {}\n", report.vertices_welded);
  fmt::print("degenerate faces removed: {}\n", report.degenerate_faces_removed);
  fmt::print("duplicate faces removed: {}\n", report.duplicate_faces_removed);
  fmt::print("faces flipped: {}\n", report.faces_flipped);
  fmt::print("components turned right side out: {}\n", report.components_inverted);
  fmt::print("holes filled: {} ({} faces added, {} left open)\n", report.holes_filled, report.hole_faces_added,
             report.holes_left_open);
  fmt::print("specks removed: {}\n", report.specks_removed);
  print_result(fixed->after, a.output);
  return 0;
}

int run_simplify(const MeshArgs& a) {
  Result<mesh::Mesh> mesh = meshtools::read_mesh(a.input);
  if (!mesh) return fail(mesh.error());
  Result<meshtools::SimplifyOutcome> small = meshtools::simplify_and_analyze(std::move(*mesh), a.faces);
  if (!small) return fail(small.error());
  if (const Status written = write(small->simplified.mesh, a.output); !written) return fail(written.error());
  if (a.json) {
    fmt::print("{}\n", meshtools::simplify_json(*small, unit_of(a.input)).dump(2));
    return 0;
  }
  fmt::print("faces: {} -> {} (target {}), written to {}\n", small->faces_before, small->simplified.faces, a.faces,
             a.output);
  if (!small->simplified.reached()) fmt::print("note: {}\n", small->simplified.note);
  print_result(small->after, a.output);
  return 0;
}

}  // namespace

void add_mesh_command(CLI::App& app) {
  MeshArgs& a = args();
  CLI::App* cmd = app.add_subcommand("mesh", "Analyse, repair or simplify an STL, OBJ or PLY file (units kept)");
  cmd->require_subcommand(1);

  a.analyze = cmd->add_subcommand("analyze", "Watertightness, edges, orientation, volume, self-intersections");
  a.analyze->add_option("file", a.input, "STL, OBJ or PLY file")->required();
  a.analyze->add_flag("--json", a.json, "Print JSON");

  a.repair_cmd = cmd->add_subcommand("repair", "Weld, drop bad faces, fill holes, orient, drop specks");
  a.repair_cmd->add_option("file", a.input, "STL, OBJ or PLY file")->required();
  a.repair_cmd->add_option("-o,--output", a.output, "Repaired mesh (.stl, .obj or .ply)")->required();
  a.repair_cmd->add_flag("--json", a.json, "Print the report as JSON");
  a.repair_cmd
      ->add_option("--weld-tolerance", a.repair.weld_tolerance,
                   "Also weld vertices closer than this fraction of the bounding-box diagonal")
      ->default_val(0.0)
      ->check(CLI::Range(0.0, 0.1));
  a.repair_cmd->add_option("--max-hole-edges", a.repair.max_hole_edges, "Leave longer holes open")->default_val(10000);
  a.repair_cmd->add_flag("--no-fill-holes", a.no_fill_holes, "Leave holes open");
  a.repair_cmd
      ->add_option("--speck-fraction", a.repair.speck_fraction,
                   "Drop components with fewer faces than this fraction of the largest (0 keeps all)")
      ->default_val(0.01)
      ->check(CLI::Range(0.0, 1.0));

  a.simplify = cmd->add_subcommand("simplify", "Reduce to a face budget, keeping a closed surface closed");
  a.simplify->add_option("file", a.input, "STL, OBJ or PLY file")->required();
  a.simplify->add_option("--faces", a.faces, "Target face count")->required()->check(CLI::PositiveNumber);
  a.simplify->add_option("-o,--output", a.output, "Simplified mesh (.stl, .obj or .ply)")->required();
  a.simplify->add_flag("--json", a.json, "Print the report as JSON");
}

int run_mesh() {
  MeshArgs& a = args();
  if (a.analyze->parsed()) return run_analyze(a);
  if (a.repair_cmd->parsed()) return run_repair(a);
  if (a.simplify->parsed()) return run_simplify(a);
  return 2;
}

}  // namespace orfeas::cli
