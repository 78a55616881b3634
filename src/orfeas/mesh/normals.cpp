#include "orfeas/mesh/normals.h"

namespace orfeas::mesh {

Status compute_vertex_normals(Mesh& mesh) {
  ORFEAS_RETURN_IF_ERROR(check_indices(mesh));
  mesh.normals.assign(mesh.positions.size(), Vec3f{});
  for (const Triangle& t : mesh.triangles) {
    const Vec3f a = mesh.positions[t[0]];
    const Vec3f face = cross(mesh.positions[t[1]] - a, mesh.positions[t[2]] - a);
    for (const std::uint32_t index : t) mesh.normals[index] += face;
  }
  for (Vec3f& normal : mesh.normals) {
    const float len = length(normal);
    normal = len > 0.0F ? normal * (1.0F / len) : Vec3f{0.0F, 0.0F, 1.0F};
  }
  return ok();
}

}  // namespace orfeas::mesh
