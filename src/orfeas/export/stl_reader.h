// Binary STL reader: the inverse of write_stl(), used to check exports (and by tools that want
// to look at an STL). Returns the triangle soup as stored; no vertex welding.
//
// Thread-safety: no shared state.
#pragma once

#include <array>
#include <filesystem>
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
  std::string header;  // the 80 header bytes, verbatim
  std::vector<StlTriangle> triangles;
};

// kNotFound / kIoError when the file cannot be opened or read; kCorruptData when it is shorter
// than 84 bytes or its size is not 84 + 50 * n for the n in its header (truncated, trailing
// bytes, or ASCII STL).
[[nodiscard]] Result<StlMesh> read_stl_binary(const std::filesystem::path& path);

}  // namespace orfeas::exporter
