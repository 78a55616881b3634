// Shared helpers for the export tests: small meshes with known geometry. File reading and writing,
// the temp directory and the glTF-Validator runner are in orfeas/testing (library orfeas_testing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/mesh/mesh.h"
#include "orfeas/testing/file_io.h"

namespace orfeas::exporter::test_support {

// The model-space octahedron scaled by (0.5, 1.0, 0.25) and moved by (0.2, -0.3, 0.1): closed,
// CCW outward, 6 vertices, 8 triangles, bounds x [-0.3, 0.7], y [-1.3, 0.7], z [-0.15, 0.35]
// (longest side Y = 2). Normals are the unit axis directions, colours distinct per vertex.
inline constexpr Vec3f kOctahedronScale{0.5F, 1.0F, 0.25F};
inline constexpr Vec3f kOctahedronOffset{0.2F, -0.3F, 0.1F};
[[nodiscard]] mesh::Mesh make_octahedron(bool with_normals, bool with_colors);

// Where an octahedron vertex `p` lands when centred Y-up with the longest side `size`
// (OBJ and PLY in mm, GLB in m), and on the build plate Z-up (STL).
[[nodiscard]] Vec3f octahedron_centred(Vec3f p, float size);
[[nodiscard]] Vec3f octahedron_on_plate(Vec3f p, float size);

void expect_near(Vec3f actual, Vec3f expected, float tolerance);

// A wavy height-field grid of columns x rows vertices in the XZ plane (Y up), with optional
// normals (+Y tilted) and colours. Not closed; for size tests.
[[nodiscard]] mesh::Mesh make_grid(std::uint32_t columns, std::uint32_t rows, bool with_normals, bool with_colors);

using orfeas::testing::read_bytes;
using orfeas::testing::read_text;
using orfeas::testing::write_text;

}  // namespace orfeas::exporter::test_support
