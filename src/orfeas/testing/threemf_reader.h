// Test support (library orfeas_testing, built only with ORFEAS_WITH_TESTS and lib3mf): reads a
// 3MF back with lib3mf's own reader, so tests check what a 3MF consumer sees, not what we meant
// to write.
//
//   const ThreeMf model = orfeas::testing::read_3mf(dir.file("out.3mf")).value();
//   EXPECT_EQ(model.unit, "millimeter");
//
// Thread-safety: each call has its own lib3mf model.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/core/vec3.h"
#include "orfeas/image/image.h"

namespace orfeas::testing {

// The first mesh object of a 3MF, as lib3mf reads it.
struct ThreeMf {
  std::string unit;              // the model's unit as the spec names it: "millimeter", "meter"...
  std::size_t warnings = 0;      // lib3mf's reader warnings (0 for a clean file)
  std::size_t mesh_objects = 0;  // mesh objects among the resources
  std::size_t build_items = 0;   // items on the build plate
  std::vector<Vec3f> positions;  // of the first mesh object, in `unit`
  std::vector<std::array<std::uint32_t, 3>> triangles;
  // Per triangle, its three corners' colours; empty when the first triangle has no colour property.
  std::vector<std::array<image::Rgba8, 3>> corner_colors;
};

// kIoError / kCorruptData (lib3mf's message) when the file cannot be read as 3MF; kNotFound when
// it holds no mesh object.
[[nodiscard]] Result<ThreeMf> read_3mf(const std::filesystem::path& path);

}  // namespace orfeas::testing
