#include "orfeas/export/ply.h"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/export/export.h"
#include "orfeas/export/export_test_support.h"
#include "orfeas/export/little_endian.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::exporter {
namespace {

using orfeas::testing::TempDir;
using test_support::expect_near;
using test_support::make_octahedron;
using test_support::octahedron_centred;

struct PlyFile {
  std::vector<std::string> header_lines;
  std::vector<std::byte> body;
};

PlyFile split_ply(const std::filesystem::path& path) {
  const std::vector<std::byte> bytes = test_support::read_bytes(path);
  const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::string end_marker = "end_header\n";
  const std::size_t end = text.find(end_marker);
  PlyFile ply;
  EXPECT_NE(end, std::string::npos);
  if (end == std::string::npos) return ply;
  std::istringstream lines(text.substr(0, end + end_marker.size()));
  for (std::string line; std::getline(lines, line);) ply.header_lines.push_back(line);
  ply.body.assign(bytes.begin() + static_cast<std::ptrdiff_t>(end + end_marker.size()), bytes.end());
  return ply;
}

TEST(ExportPly, ColouredOctahedronHeaderAndBody) {
  const TempDir dir;
  const mesh::Mesh model = make_octahedron(true, true);
  ASSERT_TRUE(export_mesh(model, dir.file("octa.ply")));
  const PlyFile ply = split_ply(dir.file("octa.ply"));
  const std::vector<std::string> expected_header = {"ply",
                                                    "format binary_little_endian 1.0",
                                                    "comment ORFEAS PLY: millimetres, Y-up",
                                                    "element vertex 6",
                                                    "property float x",
                                                    "property float y",
                                                    "property float z",
                                                    "property float nx",
                                                    "property float ny",
                                                    "property float nz",
                                                    "property uchar red",
                                                    "property uchar green",
                                                    "property uchar blue",
                                                    "element face 8",
                                                    "property list uchar int vertex_indices",
                                                    "end_header"};
  EXPECT_EQ(ply.header_lines, expected_header);

  constexpr std::size_t kVertexBytes = 12 + 12 + 3;
  constexpr std::size_t kFaceBytes = 1 + 12;
  ASSERT_EQ(ply.body.size(), 6 * kVertexBytes + 8 * kFaceBytes);
  for (std::size_t i = 0; i < 6; ++i) {
    const std::byte* record = ply.body.data() + i * kVertexBytes;
    expect_near(detail::load_le_vec3(record), octahedron_centred(model.positions[i], 100.0F), 1e-4F);
    EXPECT_EQ(detail::load_le_vec3(record + 12), model.normals[i]);
    const mesh::Rgb8 color{detail::load_le<std::uint8_t>(record + 24), detail::load_le<std::uint8_t>(record + 25),
                           detail::load_le<std::uint8_t>(record + 26)};
    EXPECT_EQ(color, model.colors[i]);
  }
  for (std::size_t t = 0; t < 8; ++t) {
    const std::byte* record = ply.body.data() + 6 * kVertexBytes + t * kFaceBytes;
    EXPECT_EQ(detail::load_le<std::uint8_t>(record), 3U);
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(detail::load_le<std::int32_t>(record + 1 + 4 * k), static_cast<std::int32_t>(model.triangles[t][k]));
    }
  }
}

TEST(ExportPly, PositionsOnly) {
  const TempDir dir;
  const mesh::Mesh model = make_octahedron(false, false);
  ASSERT_TRUE(export_mesh(model, dir.file("plain.ply")));
  const PlyFile ply = split_ply(dir.file("plain.ply"));
  for (const std::string& line : ply.header_lines) {
    EXPECT_EQ(line.find("property float n"), std::string::npos);
    EXPECT_EQ(line.find("uchar red"), std::string::npos);
  }
  EXPECT_EQ(ply.body.size(), 6U * 12U + 8U * 13U);
  const float top_y = detail::load_le<float>(ply.body.data() + 2 * 12 + 4);
  const float bottom_y = detail::load_le<float>(ply.body.data() + 3 * 12 + 4);
  EXPECT_NEAR(top_y - bottom_y, 100.0F, 1e-4F);
  EXPECT_NEAR(top_y + bottom_y, 0.0F, 1e-4F);
}

}  // namespace
}  // namespace orfeas::exporter
