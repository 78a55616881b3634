#include "orfeas/pipeline/post_processing.h"

#include <cmath>
#include <utility>

#include "orfeas/mesh/components.h"
#include "orfeas/mesh/normals.h"
#include "orfeas/mesh/simplify.h"

namespace orfeas::pipeline {

Status validate(const PostProcessOptions& options) {
  if (!(options.min_component_fraction >= 0.0 && options.min_component_fraction <= 1.0)) {
    return make_error(ErrorCode::kInvalidArgument, "min_component_fraction must be within [0, 1]");
  }
  return meshtools::validate(options.base);
}

Result<PostProcessStats> post_process(mesh::Mesh& mesh, const PostProcessOptions& options) {
  ORFEAS_RETURN_IF_ERROR(validate(options));
  PostProcessStats stats;
  stats.faces_before = mesh.triangles.size();
  stats.target_faces = options.target_faces;
  if (options.min_component_fraction > 0.0) {
    ORFEAS_ASSIGN_OR_RETURN(stats.components_removed,
                            mesh::remove_small_components(mesh, options.min_component_fraction));
  }
  ORFEAS_ASSIGN_OR_RETURN(stats.base, meshtools::add_base(mesh, options.base));
  if (options.target_faces > 0 && mesh.triangles.size() > options.target_faces) {
    ORFEAS_ASSIGN_OR_RETURN(mesh::SimplifyResult simplified,
                            mesh::simplify_mesh(std::move(mesh), options.target_faces));
    mesh = std::move(simplified.mesh);
    stats.simplify_note = std::move(simplified.note);
  }
  if (mesh.normals.size() != mesh.positions.size() || stats.faces_before != mesh.triangles.size()) {
    ORFEAS_RETURN_IF_ERROR(mesh::compute_vertex_normals(mesh));
  }
  stats.faces_after = mesh.triangles.size();
  if (options.print_report) {
    ORFEAS_ASSIGN_OR_RETURN(stats.print, meshtools::measure_print_model(mesh, options.base.size_mm));
  }
  return stats;
}

}  // namespace orfeas::pipeline
