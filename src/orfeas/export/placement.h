// Placement: scales and orients a model-space mesh into the frame an output format expects.
//
// Model space (see orfeas/mesh/mesh.h) is Y-up, right-handed, in model units. Placement scales
// uniformly so the bounding box's longest side equals `longest_side` (output units), then:
//   - Frame::kCentredYUp:    keeps Y-up and centres the bounding box on the origin
//                            (GLB in metres, OBJ and PLY in millimetres);
//   - Frame::kBuildPlateZUp: rotates Y-up to Z-up, (x, y, z) -> (x, -z, y), a proper rotation so
//                            triangle winding stays outward, centres X and Y and puts the lowest
//                            point on Z = 0 (STL and 3MF in millimetres, as slicers expect);
//   - Frame::kUnchanged:     positions copied as they are (no scale, rotation or centring;
//                            `longest_side` ignored), for meshes already in the file's units.
// Normals are rotated with the positions (uniform scaling leaves them unit); colours and
// triangles are copied unchanged. Arithmetic is done in double and rounded once to float.
//
// Thread-safety: pure functions.
#pragma once

#include <span>

#include "orfeas/core/status.h"
#include "orfeas/core/vec3.h"
#include "orfeas/export/format.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::exporter {

struct Bounds {
  Vec3f min;
  Vec3f max;

  [[nodiscard]] Vec3f size() const { return max - min; }
  [[nodiscard]] float longest_side() const;
};

// Axis-aligned bounds of `positions`; all zero when empty.
[[nodiscard]] Bounds compute_bounds(std::span<const Vec3f> positions);

enum class Frame { kCentredYUp, kBuildPlateZUp, kUnchanged };

struct Placement {
  Frame frame = Frame::kCentredYUp;
  float longest_side = 1.0F;  // output units (millimetres or metres)
};

// The placement `format` wants for a print of `size_mm` (longest side): STL and 3MF on the
// build plate in mm, GLB centred in metres (size_mm / 1000), OBJ and PLY centred in mm.
[[nodiscard]] Placement placement_for(Format format, float size_mm);

// kInvalidArgument when the mesh has no positions, a non-finite position, zero extent (all
// points equal) or `placement.longest_side` is not finite and > 0.
[[nodiscard]] Result<mesh::Mesh> place_mesh(const mesh::Mesh& model, const Placement& placement);

}  // namespace orfeas::exporter
