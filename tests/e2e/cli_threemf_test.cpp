// `orfeas generate … -o out.3mf`: the 3MF a multi-colour printer's slicer gets, read back with
// lib3mf. Built only with lib3mf.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_runner.h"
#include "orfeas/export/stl_reader.h"
#include "orfeas/meshtools/mesh_io.h"
#include "orfeas/testing/threemf_reader.h"

namespace orfeas {
namespace {

using orfeas::testing::read_3mf;
using orfeas::testing::ThreeMf;

// The vertex colours of a PLY as our writer lays it out (binary little-endian, float x y z
// [nx ny nz], uchar red green blue per vertex); meshtools' reader keeps positions only.
std::vector<mesh::Rgb8> ply_vertex_colors(const fs::path& path) {
  const std::string bytes = read_text(path);
  const std::size_t end = bytes.find("end_header\n");
  if (end == std::string::npos) return {};
  const std::string header = bytes.substr(0, end);
  if (header.find("property uchar red\nproperty uchar green\nproperty uchar blue\n") == std::string::npos) return {};
  std::size_t floats = 0;
  for (std::size_t at = 0; (at = header.find("property float ", at)) != std::string::npos; ++at) ++floats;
  const std::size_t count_at = header.find("element vertex ") + 15;
  const std::size_t count = std::stoul(header.substr(count_at, header.find('\n', count_at) - count_at));
  const std::size_t record = 4 * floats + 3;
  std::vector<mesh::Rgb8> colors;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = end + 11 + i * record + 4 * floats;
    if (at + 3 > bytes.size()) return {};
    colors.push_back({static_cast<std::uint8_t>(bytes[at]), static_cast<std::uint8_t>(bytes[at + 1]),
                      static_cast<std::uint8_t>(bytes[at + 2])});
  }
  return colors;
}

// The same image through STL (positions) and PLY (vertex colours): the 3MF has the STL's triangles
// with the same corners in millimetres on the build plate, and the PLY's vertex colours on them.
// All three with a flat base (3MF's and STL's default), so they are one mesh.
TEST_F(CliTest, ThreeMfReadsBackAsTheSameColouredMesh) {
  const std::vector<std::string> common = {"--resolution", "48", "--size-mm", "70", "--base", "flat", "--quiet"};
  for (const char* name : {"model.3mf", "model.stl", "model.ply"}) {
    std::vector<std::string> args = {"generate", (kData / "disc_rgba.png").string(), "-o", (work_ / name).string()};
    args.insert(args.end(), common.begin(), common.end());
    const RunResult result = run(args);
    ASSERT_EQ(result.exit_code, 0) << name << ": " << result.err;
  }
  EXPECT_EQ(read_text(work_ / "model.3mf").substr(0, 2), "PK");
  const ThreeMf read = read_3mf(work_ / "model.3mf").value();
  EXPECT_EQ(read.unit, "millimeter");
  EXPECT_EQ(read.warnings, 0U);
  EXPECT_EQ(read.mesh_objects, 1U);
  EXPECT_EQ(read.build_items, 1U);

  const exporter::StlMesh stl = exporter::read_stl_binary(work_ / "model.stl").value();
  ASSERT_EQ(read.triangles.size(), stl.triangles.size());
  for (std::size_t t = 0; t < stl.triangles.size(); ++t) {
    for (std::size_t k = 0; k < 3; ++k) {
      const Vec3f corner = read.positions[read.triangles[t][k]];
      const Vec3f expected = stl.triangles[t].vertices[k];
      ASSERT_NEAR(corner.x, expected.x, 1e-4F) << t;
      ASSERT_NEAR(corner.y, expected.y, 1e-4F) << t;
      ASSERT_NEAR(corner.z, expected.z, 1e-4F) << t;
    }
  }

  const mesh::Mesh ply = meshtools::read_mesh(work_ / "model.ply").value();
  const std::vector<mesh::Rgb8> colors = ply_vertex_colors(work_ / "model.ply");
  ASSERT_EQ(read.positions.size(), ply.positions.size());
  ASSERT_EQ(colors.size(), ply.positions.size());
  ASSERT_EQ(read.corner_colors.size(), read.triangles.size());
  for (std::size_t t = 0; t < read.triangles.size(); ++t) {
    ASSERT_EQ(read.triangles[t], ply.triangles[t]) << t;
    for (std::size_t k = 0; k < 3; ++k) {
      const mesh::Rgb8 c = colors[read.triangles[t][k]];
      ASSERT_EQ(read.corner_colors[t][k], (image::Rgba8{c.r, c.g, c.b, 255})) << t << "/" << k;
    }
  }
}

TEST_F(CliTest, ThreeMfAsTheOutDirFormat) {
  const RunResult result = run({"generate", (kData / "disc_rgba.png").string(), "--out-dir", work_.string(), "--format",
                                "3mf", "--resolution", "32", "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const ThreeMf read = read_3mf(work_ / "disc_rgba.3mf").value();
  EXPECT_EQ(read.unit, "millimeter");
  EXPECT_FALSE(read.triangles.empty());
  EXPECT_EQ(read.corner_colors.size(), read.triangles.size());
}

}  // namespace
}  // namespace orfeas
