// Marching cubes: the iso-surface of a volume in host memory as a closed, welded triangle mesh.
//
//   ORFEAS_ASSIGN_OR_RETURN(mesh::Mesh surface, mesh::marching_cubes(volume));
//
// What the output guarantees:
//   - closed: space beyond the grid counts as outside, so an object touching the border is capped
//     there (just inside the grid's bounding box) instead of left open;
//   - a consistently oriented 2-manifold with counter-clockwise triangles seen from outside
//     (normals point from values < iso towards values >= iso); a value equal to iso is outside;
//   - welded: one vertex per crossed grid edge, shared by every triangle around it, placed by linear
//     interpolation and kept at least 1e-4 of an edge away from grid points, so no two vertices
//     coincide and no triangle has zero area;
//   - deterministic: the same volume and iso give the identical mesh (same vertex and triangle
//     order) whatever the thread count.
// Positions are in the volume's model units (origin + spacing * grid index). Normals and colours are
// left empty (see normals.h).
//
// Cost: only 8^3-cell blocks whose values straddle iso are visited; the work is split over z
// between parallel_for workers, each with its own buffers, merged at the end.
//
// Thread-safety: a pure function of its arguments; it uses worker threads internally.
#pragma once

#include "orfeas/core/scalar_volume.h"
#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::mesh {

struct MarchingCubesOptions {
  float iso = 0.0F;  // surface level; values below it are inside
  // How many z-slabs the volume is split into (0: one per worker_count()). The output does not
  // depend on it; it exists so that tests can prove that.
  int threads = 0;
};

// kInvalidArgument when a dimension is below 2, the spacing is not positive and finite, or
// values.size() != nx * ny * nz. A volume with no crossing yields an empty mesh.
[[nodiscard]] Result<Mesh> marching_cubes(const VolumeView& volume, const MarchingCubesOptions& options = {});
[[nodiscard]] Result<Mesh> marching_cubes(const ScalarVolume& volume, const MarchingCubesOptions& options = {});

}  // namespace orfeas::mesh
