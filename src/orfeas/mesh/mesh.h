// Indexed triangle mesh passed between mesh extraction, texture synthesis, post-processing and
// export.
//
// Triangles are counter-clockwise seen from outside (right-hand rule gives the outward normal).
// `normals` and `colors` are either empty or one per position. Positions are in model units
// (the pipeline's model space is [-1, 1]^3, Y-up; export scales to millimetres or metres).
//
// Every public function of the mesh module that reads a Mesh first calls `check_indices`, so a
// triangle naming a vertex past `positions` is an error value, never an out-of-bounds read.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "orfeas/core/status.h"
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

// kInvalidArgument naming the first offending triangle ("triangle 12 refers to vertex 99 but the
// mesh has 40 vertices") when an index is >= positions.size(). O(faces).
[[nodiscard]] Status check_indices(const Mesh& mesh);

}  // namespace orfeas::mesh
