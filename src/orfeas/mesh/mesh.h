// Indexed triangle mesh passed between mesh extraction, texture synthesis, post-processing and
// export.
//
// Triangles are counter-clockwise seen from outside (right-hand rule gives the outward normal).
// `normals` and `colors` are either empty or one per position. Positions are in model units
// (the pipeline's model space is [-1, 1]^3, Y-up; export scales to millimetres or metres).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "orfeas/core/vec3.h"

namespace orfeas::mesh {

struct Rgb8 {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
  friend bool operator==(Rgb8, Rgb8) = default;
};

using Triangle = std::array<std::uint32_t, 3>;

struct Mesh {
  std::vector<Vec3f> positions;
  std::vector<Vec3f> normals;  // unit length, or empty
  std::vector<Rgb8> colors;    // sRGB, or empty
  std::vector<Triangle> triangles;

  [[nodiscard]] bool empty() const { return triangles.empty(); }
};

}  // namespace orfeas::mesh
