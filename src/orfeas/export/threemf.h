// 3MF writer, on lib3mf 1.x (Debian lib3mf-dev): one mesh object, one build item, unit millimetre.
//
//   vertices and triangles as given (counter-clockwise from outside; export_mesh() has placed them
//   in millimetres on the build plate, Z-up, as for STL);
//   with colours: the materials extension's m:colorgroup holding the mesh's colours (sRGB, opaque),
//   every triangle naming it (pid) and the colours of its three corners (p1 p2 p3), i.e. the
//   vertex colours, which multi-colour slicers read; the object's default colour is its first
//   vertex's. Without colours: geometry only.
//   3MF forbids a triangle naming one vertex twice; such triangles (no area, no surface) are left
//   out, all others keep their order.
//
// lib3mf builds the package (a ZIP of XML parts) in memory and the bytes go to `out` in one write,
// so nothing reaches the disk unless the whole package was built. The caller owns `out` and
// commits it.
//
// A build without lib3mf (ORFEAS_WITH_3MF=OFF, or AUTO where it is not installed) compiles
// threemf_absent.cpp instead: threemf_available() is false and write_3mf() returns kUnavailable.
//
// Thread-safety: each call builds its own lib3mf model; concurrent calls are independent.
#pragma once

#include "orfeas/core/atomic_file.h"
#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::exporter {

// Whether this build can write 3MF.
[[nodiscard]] bool threemf_available();

// kInvalidArgument for a mesh failing check_exportable() or whose triangles all repeat a vertex;
// kLimitExceeded beyond 2^32-1 vertices or triangles; kOutOfMemory; kInternal when lib3mf
// refuses (its message); kUnavailable without lib3mf; kIoError from `out`.
[[nodiscard]] Status write_3mf(const mesh::Mesh& mesh, AtomicFile& out);

}  // namespace orfeas::exporter
