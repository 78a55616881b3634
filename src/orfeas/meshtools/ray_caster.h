// Rays against a triangle mesh through a uniform grid: the nearest face a ray leaves a closed
// solid through, for measuring wall thickness (print_report.h).
//
//   ORFEAS_ASSIGN_OR_RETURN(const RayCaster caster, RayCaster::create(mesh));
//   if (auto hit = caster.exit_hit(centre, inward, face)) thickness = hit->distance;
//
// The grid covers the mesh's bounding box with about one face per cell; each face is listed in
// every cell its bounding box overlaps, and a ray walks the cells in order (Amanatides–Woo), so it
// stops at the first cell holding a hit. Intersections are Möller–Trumbore in double.
//
// Ownership: the caster borrows the mesh, which must outlive it and not change. Thread-safety:
// exit_hit is const and may run on many threads at once. Memory: O(F) cell entries for meshes with
// faces of similar size.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/core/vec3.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::meshtools {

class RayCaster {
 public:
  struct Hit {
    double distance = 0.0;  // along the unit direction, in the mesh's units
    std::uint32_t face = 0;
  };

  // kInvalidArgument for a triangle past `positions` or a non-finite position.
  [[nodiscard]] static Result<RayCaster> create(const mesh::Mesh& mesh);

  // The nearest face beyond `origin` along the unit `direction` whose outward side faces the way
  // the ray goes (where a ray from inside leaves the solid), other than `from_face` and the faces
  // sharing a vertex with it (a ray from a face's centre meets those only across the crease it sits
  // in, not across a wall); nullopt when the ray leaves the grid first.
  [[nodiscard]] std::optional<Hit> exit_hit(Vec3f origin, Vec3f direction, std::uint32_t from_face) const;

 private:
  explicit RayCaster(const mesh::Mesh& mesh) : mesh_(&mesh) {}

  const mesh::Mesh* mesh_;  // borrowed
  Vec3f min_;
  float cell_ = 1.0F;
  std::array<std::int64_t, 3> n_ = {1, 1, 1};  // cells per axis
  std::vector<std::uint32_t> cell_start_;      // [cells + 1] offsets into cell_faces_
  std::vector<std::uint32_t> cell_faces_;
};

}  // namespace orfeas::meshtools
