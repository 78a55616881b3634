// PLY writer, binary_little_endian 1.0.
//
//   element vertex N: float x y z, [float nx ny nz when normals], [uchar red green blue (sRGB)
//                     when colours]
//   element face M:   list uchar int vertex_indices (always 3, counter-clockwise from outside)
// A comment line records the units ("millimetres, Y-up" once placed by export_mesh()).
//
// Positions are written as given. The caller owns `out` and commits it.
// Thread-safety: no shared state.
#pragma once

#include "orfeas/core/atomic_file.h"
#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::exporter {

// kInvalidArgument for a mesh failing check_exportable(); kLimitExceeded when vertex indices do
// not fit PLY's int (more than 2^31-1 vertices); kIoError from `out`.
[[nodiscard]] Status write_ply(const mesh::Mesh& mesh, AtomicFile& out);

}  // namespace orfeas::exporter
