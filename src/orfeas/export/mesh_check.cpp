#include "orfeas/export/mesh_check.h"

#include <fmt/format.h>

#include <cmath>
#include <span>
#include <string_view>

namespace orfeas::exporter {
namespace {

bool is_finite(Vec3f v) {
  return std::isfinite(v.x) && std::isfinite(v.y) && std::isfinite(v.z);
}

Status check_finite(std::span<const Vec3f> values, std::string_view what) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!is_finite(values[i]))
      return make_error(ErrorCode::kInvalidArgument, fmt::format("{} {} is not finite", what, i));
  }
  return ok();
}

Status check_attribute_count(std::size_t count, std::size_t positions, std::string_view what) {
  if (count == 0 || count == positions) return ok();
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("mesh has {} {} for {} vertices (expected none or one each)", count, what, positions));
}

}  // namespace

Status check_exportable(const mesh::Mesh& mesh) {
  if (mesh.empty()) return make_error(ErrorCode::kInvalidArgument, "mesh has no triangles");
  ORFEAS_RETURN_IF_ERROR(check_attribute_count(mesh.normals.size(), mesh.positions.size(), "normals"));
  ORFEAS_RETURN_IF_ERROR(check_attribute_count(mesh.colors.size(), mesh.positions.size(), "colours"));
  ORFEAS_RETURN_IF_ERROR(mesh::check_indices(mesh));
  ORFEAS_RETURN_IF_ERROR(check_finite(mesh.positions, "position"));
  return check_finite(mesh.normals, "normal");
}

}  // namespace orfeas::exporter
