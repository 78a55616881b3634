// Output formats and how they are named on the command line and recognised from file names.
//
//   ORFEAS_ASSIGN_OR_RETURN(Format format, format_from_path("out/Model.STL"));  // kStl
//   ORFEAS_ASSIGN_OR_RETURN(Format format, parse_format("glb"));                // kGlb
//
// Thread-safety: pure functions.
#pragma once

#include <filesystem>
#include <string_view>

#include "orfeas/core/status.h"

namespace orfeas::exporter {

enum class Format {
  kStl,  // binary STL, millimetres, Z-up, resting on Z = 0 (for slicers)
  kGlb,  // glTF 2.0 binary, metres, Y-up, centred
  kObj,  // Wavefront OBJ (ASCII), millimetres, Y-up, centred
  kPly,  // binary little-endian PLY, millimetres, Y-up, centred
  k3mf,  // 3MF (ZIP of XML, lib3mf), millimetres, Z-up, resting on Z = 0, colour per triangle corner
};

// The format's lower-case name, which is also its extension without the dot: "stl", "glb", "3mf"...
[[nodiscard]] std::string_view format_name(Format format);

// A format slicers print from (STL, 3MF), whose model should stand on a flat base by default.
[[nodiscard]] bool is_print_format(Format format);

// By extension, case-insensitively (".stl", ".STL"). kUnsupportedFormat for an unknown or
// missing extension: "unknown output extension '.xyz' (expected .stl, .glb, .obj, .ply or .3mf)".
[[nodiscard]] Result<Format> format_from_path(const std::filesystem::path& path);

// "stl", "glb", "obj", "ply" or "3mf", case-insensitively; kUnsupportedFormat otherwise.
[[nodiscard]] Result<Format> parse_format(std::string_view name);

// ok() when this build writes `format`; kUnavailable for 3MF in a build without lib3mf ("this build
// has no 3MF support (install lib3mf-dev and rebuild)"), so callers refuse before any work.
[[nodiscard]] Status format_available(Format format);

}  // namespace orfeas::exporter
