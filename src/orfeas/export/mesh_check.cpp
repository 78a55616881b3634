#include "orfeas/export/mesh_check.h"

#include <cmath>
#include <span>
#include <string>

namespace orfeas::exporter {
namespace {

bool is_finite(Vec3f v) {
  return std::isfinite(v.x) && std::isfinite(v.y) && std::isfinite(v.z);
}

Status check_finite(std::span<const Vec3f> values, std::string_view what) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!is_finite(values[i])) {
      return make_error(ErrorCode::kInvalidArgument, std::string(what) + " " + std::to_string(i) + " is not finite");
    }
  }
  return ok();
}

Status check_attribute_count(std::size_t count, std::size_t positions, std::string_view what) {
  if (count == 0 || count == positions) return ok();
  return make_error(ErrorCode::kInvalidArgument, "mesh has " + std::to_string(count) + " " + std::string(what) +
                                                     " for " + std::to_string(positions) +
                                                     " vertices (expected none or one each)");
}

}  // namespace

Status check_exportable(const mesh::Mesh& mesh) {
  if (mesh.empty()) return make_error(ErrorCode::kInvalidArgument, "mesh has no triangles");
  const std::size_t vertex_count = mesh.positions.size();
  ORFEAS_RETURN_IF_ERROR(check_attribute_count(mesh.normals.size(), vertex_count, "normals"));
  ORFEAS_RETURN_IF_ERROR(check_attribute_count(mesh.colors.size(), vertex_count, "colours"));
  for (std::size_t t = 0; t < mesh.triangles.size(); ++t) {
    for (const std::uint32_t index : mesh.triangles[t]) {
      if (index >= vertex_count) {
        return make_error(ErrorCode::kInvalidArgument, "triangle " + std::to_string(t) + " refers to vertex " +
                                                           std::to_string(index) + " but the mesh has " +
                                                           std::to_string(vertex_count) + " vertices");
      }
    }
  }
  ORFEAS_RETURN_IF_ERROR(check_finite(mesh.positions, "position"));
  return check_finite(mesh.normals, "normal");
}

}  // namespace orfeas::exporter
