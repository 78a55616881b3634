// What a slicer will meet: how the model stands on the bed, how thin its walls get, how much of it
// hangs over. Printed by `orfeas generate -v`.
//
//   ORFEAS_ASSIGN_OR_RETURN(const PrintReport r, measure_print_model(model, 100.0F));
//   fmt::print("footprint {:.0f} mm², thinnest wall {:.2f} mm\n", r.footprint_mm2, r.min_wall_mm);
//
// Measured on the mesh in millimetres standing as STL places it (export/placement.h: Z up, lowest
// point on Z = 0):
//   - footprint: the area of the faces lying on the bed (every vertex within 0.01 mm of the lowest
//     point) and facing down (within about 2.5° of -Z);
//   - wall thickness: from the centre of each face (up to 100 000 faces, evenly spread) a ray
//     along the face's inward normal to the face where it leaves the solid (ray_caster.h; faces
//     sharing a vertex with the start do not count). The shortest such distance is the thinnest
//     wall; the faces thinner than 0.8 mm (a common nozzle's width) are given as a share of the
//     sampled area. A knife edge (an inflated outline's rim) is thin by nature: the share says
//     whether it matters. Meaningful for closed meshes;
//   - overhangs: faces facing down more than 45° from vertical (their normal within 45° of -Z),
//     not counting the faces on the bed: their area and its share of the whole surface.
//
// Thread-safety: pure functions (the rays run on the shared thread pool). Time: O(F) for the grid
// and about one cell walk per sampled face.
#pragma once

#include <cstddef>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::meshtools {

inline constexpr double kThinWallMm = 0.8;

struct PrintReport {
  double footprint_mm2 = 0.0;
  double min_wall_mm = 0.0;      // 0 when no ray found a far side (an open mesh)
  std::size_t wall_samples = 0;  // rays cast
  double thin_share = 0.0;       // of the sampled faces' area, thinner than kThinWallMm, [0, 1]
  double overhang_mm2 = 0.0;
  double overhang_share = 0.0;  // of the surface area, [0, 1]
  double surface_mm2 = 0.0;
  double height_mm = 0.0;  // along Z
};

// `mesh` already in millimetres, Z up, standing on Z = min z. kInvalidArgument for a triangle past
// `positions` or a non-finite position.
[[nodiscard]] Result<PrintReport> measure_print(const mesh::Mesh& mesh);

// `model` in model space (Y up), scaled and placed as STL places it for `size_mm` first.
[[nodiscard]] Result<PrintReport> measure_print_model(const mesh::Mesh& model, float size_mm);

}  // namespace orfeas::meshtools
