// export_mesh: places a model-space mesh for its output format and writes it atomically.
//
//   ORFEAS_RETURN_IF_ERROR(exporter::export_mesh(mesh, "out/model.stl", {.size_mm = 80.0F}));
//
// Conventions (the mesh comes in model space: Y-up, right-handed, any scale, see mesh.h):
//   - the bounding box is scaled uniformly so its longest side is `size_mm`;
//   - STL and 3MF: millimetres, Z-up for slicers ((x, y, z) -> (x, -z, y), winding kept
//          outward), centred in X and Y, lowest point on Z = 0 (the build plate); 3MF keeps the
//          vertex colours, as the colours of each triangle's corners (threemf.h);
//   - GLB: metres (size_mm / 1000), Y-up, centred on the origin; colours converted to linear;
//   - OBJ and PLY: millimetres, Y-up, centred on the origin; colours stay sRGB.
// The file is written through AtomicFile: on any error nothing is left at `path` that was not
// there before (no partial file, no temporary file), and an existing file is replaced only on
// success.
//
// Errors: kInvalidArgument (size_mm not finite and > 0, mesh empty, index out of range,
// non-finite position or normal, zero extent), kUnsupportedFormat (unknown extension),
// kLimitExceeded (format size limits), kUnavailable (3MF in a build without lib3mf), kIoError (directory missing or not
// writable, target is a directory, disk full). Messages start with "while exporting '<path>' as <format>".
//
// Thread-safety: re-entrant; concurrent exports to different paths are independent. Two
// concurrent exports to the same path both succeed and the last rename wins.
#pragma once

#include <filesystem>

#include "orfeas/core/status.h"
#include "orfeas/export/format.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::exporter {

struct ExportOptions {
  float size_mm = 100.0F;  // longest side of the exported object, millimetres
  // Write the positions exactly as given (no scaling, rotation or centring; size_mm ignored): for
  // meshes that are already in the file's units, such as an STL a user brought (mm in, mm out).
  bool keep_coordinates = false;
};

[[nodiscard]] Status export_mesh(const mesh::Mesh& mesh, const std::filesystem::path& path, Format format,
                                 const ExportOptions& options = {});

// The format from the path's extension (format_from_path()).
[[nodiscard]] Status export_mesh(const mesh::Mesh& mesh, const std::filesystem::path& path,
                                 const ExportOptions& options = {});

}  // namespace orfeas::exporter
