// Reading meshes that users bring: STL (binary and ASCII), OBJ and PLY (ASCII and binary) into a
// mesh::Mesh, in the file's own units (taken as millimetres for STL).
//
//   ORFEAS_ASSIGN_OR_RETURN(const mesh::Mesh mesh, read_mesh("part.stl"));
//
// What is read: STL triangles, welded by exact position (an STL is a triangle soup); OBJ `v` and
// `f` lines (polygons triangulated as fans, negative indices relative to the vertices so far;
// `vt`, `vn`, groups, materials ignored); PLY `vertex` x y z, its red green blue when all three
// are there (uchar, or 0–1 floats), and the `face` element's index list (fans again; other
// elements and properties skipped). Normals are not read, nor colours of STL and OBJ.
//
// Hostile files give one error value, never a crash or an allocation beyond what the bytes can
// hold: kLimitExceeded past ReadLimits (checked on the file size before reading, and on counts
// before any allocation), kCorruptData for anything inconsistent (a header count that does not fit
// the bytes, a truncated file, an index out of range, a NaN or infinite coordinate, no faces),
// kUnsupportedFormat for an extension that is none of .stl/.obj/.ply. Messages start with
// "while reading '<path>'" (read_mesh) and name the line or element at fault.
//
// Thread-safety: no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "orfeas/core/status.h"
#include "orfeas/export/format.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::meshtools {

struct ReadLimits {
  std::uint64_t max_file_bytes = std::uint64_t{512} << 20;  // 512 MiB
  std::size_t max_faces = 50'000'000;                       // triangles after fan triangulation
  std::size_t max_vertices = 50'000'000;
};

// The readable format from the extension (.stl, .obj, .ply, any case): the export module's Format;
// kUnsupportedFormat for anything else, GLB included.
[[nodiscard]] Result<exporter::Format> mesh_format_from_path(const std::filesystem::path& path);

// Bytes already in memory (an upload).
[[nodiscard]] Result<mesh::Mesh> parse_mesh(std::span<const std::byte> bytes, exporter::Format format,
                                            const ReadLimits& limits = {});

// kNotFound / kIoError when the file cannot be read.
[[nodiscard]] Result<mesh::Mesh> read_mesh(const std::filesystem::path& path, const ReadLimits& limits = {});

}  // namespace orfeas::meshtools
