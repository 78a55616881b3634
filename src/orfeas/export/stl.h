// Binary STL writer.
//
// Layout: an 80-byte header ("ORFEAS binary STL, millimetres", space padded; never starting with
// "solid", which readers take for ASCII STL), a uint32 triangle count, then per triangle the
// facet normal, the three vertices (float32 x3 each, little-endian) and a zero uint16 attribute
// count: 84 + 50 * n bytes. Facet normals are computed from the triangle (right-hand rule, unit
// length, zero for degenerate triangles); vertex normals and colours are not stored.
//
// Positions are written as given: call place_mesh() (or export_mesh()) first for millimetres,
// Z-up, resting on Z = 0. The caller owns `out` and commits it.
// Thread-safety: no shared state.
#pragma once

#include <string_view>

#include "orfeas/core/atomic_file.h"
#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::exporter {

inline constexpr std::string_view kStlHeaderText = "ORFEAS binary STL, millimetres, Z-up";

// kInvalidArgument for a mesh failing check_exportable(); kLimitExceeded beyond 2^32-1
// triangles; kIoError from `out`.
[[nodiscard]] Status write_stl(const mesh::Mesh& mesh, AtomicFile& out);

// Unit normal of triangle (a, b, c) by the right-hand rule; zero when degenerate.
[[nodiscard]] Vec3f facet_normal(Vec3f a, Vec3f b, Vec3f c);

}  // namespace orfeas::exporter
