// STL readers: binary (the inverse of write_stl(), used to check exports) and ASCII, from a file or
// from bytes already in memory (uploads). Return the triangle soup as stored; no vertex welding
// (meshtools::read_mesh welds).
//
//   ORFEAS_ASSIGN_OR_RETURN(const StlMesh stl, parse_stl(bytes));  // binary or ASCII, sniffed
//
// Hostile input gives an error value, never a crash or an allocation larger than the input: a
// binary header's triangle count must match the byte count exactly, and ASCII facets are counted
// as they are read. Coordinates are returned as stored (NaN and infinities included); callers that
// build a mesh reject them.
//
// Thread-safety: no shared state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/core/vec3.h"

namespace orfeas::exporter {

struct StlTriangle {
  Vec3f normal;                   // as stored (the facet normal)
  std::array<Vec3f, 3> vertices;  // file units (millimetres for ORFEAS exports)
  std::uint16_t attribute = 0;
};

struct StlMesh {
  std::string header;  // binary: the 80 header bytes, verbatim; ASCII: the name after `solid`
  std::vector<StlTriangle> triangles;
};

// kCorruptData when shorter than 84 bytes or the size is not 84 + 50 * n for the n in its header
// (truncated, trailing bytes, or ASCII STL).
[[nodiscard]] Result<StlMesh> parse_stl_binary(std::span<const std::byte> bytes);

// `solid name` ... `facet normal nx ny nz` `outer loop` `vertex x y z` x3 `endloop` `endfacet` ...
// `endsolid`. kCorruptData naming the line for anything else (a missing keyword, a bad number, a
// facet without three vertices, a truncated file); kLimitExceeded past `max_triangles`.
[[nodiscard]] Result<StlMesh> parse_stl_ascii(std::string_view text, std::size_t max_triangles);

// Binary when the size matches the header's count, otherwise ASCII when it starts with `solid`
// (binary files may start with `solid` too), otherwise the binary error.
[[nodiscard]] Result<StlMesh> parse_stl(std::span<const std::byte> bytes, std::size_t max_triangles);

// kNotFound / kIoError when the file cannot be opened or read; otherwise as parse_stl_binary.
[[nodiscard]] Result<StlMesh> read_stl_binary(const std::filesystem::path& path);

}  // namespace orfeas::exporter
