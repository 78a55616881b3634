// Wavefront OBJ writer (ASCII).
//
//   # ORFEAS OBJ: millimetres, Y-up
//   v x y z [r g b]        one per vertex; r g b in [0, 1] (sRGB / 255) when the mesh has colours
//   vn x y z               one per vertex when the mesh has normals
//   f a//a b//b c//c       1-based, counter-clockwise from outside ("f a b c" without normals)
// Numbers are the shortest decimal that reads back to the same float (std::to_chars, fixed
// notation), independent of the C/C++ locale.
//
// Positions are written as given: call place_mesh() (or export_mesh()) first. The caller owns
// `out` and commits it. Thread-safety: no shared state.
#pragma once

#include <string>

#include "orfeas/core/atomic_file.h"
#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::exporter {

// kInvalidArgument for a mesh failing check_exportable(); kIoError from `out`.
[[nodiscard]] Status write_obj(const mesh::Mesh& mesh, AtomicFile& out);

// Appends `value` as the shortest round-tripping fixed-notation decimal ("0.1", "-12.5", "3").
void append_decimal(std::string& text, float value);

}  // namespace orfeas::exporter
