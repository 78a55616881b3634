#include "orfeas/meshtools/mesh_io.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/export/export.h"
#include "orfeas/mesh/topology.h"
#include "orfeas/meshtools/test_meshes.h"
#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::meshtools {
namespace {

using orfeas::testing::TempDir;
using orfeas::testing::write_text;
using testing::make_cube;

std::vector<std::byte> bytes_of(const std::string& text) {
  std::vector<std::byte> bytes(text.size());
  std::memcpy(bytes.data(), text.data(), text.size());
  return bytes;
}

ErrorCode error_of(const std::string& text, exporter::Format format, const ReadLimits& limits = {}) {
  const Result<mesh::Mesh> mesh = parse_mesh(bytes_of(text), format, limits);
  EXPECT_FALSE(mesh) << "expected an error";
  return mesh ? ErrorCode::kInternal : mesh.error().code();
}

std::vector<Vec3f> sorted_positions(std::vector<Vec3f> p) {
  std::sort(p.begin(), p.end(), [](Vec3f a, Vec3f b) {
    return a.x != b.x ? a.x < b.x : a.y != b.y ? a.y < b.y : a.z < b.z;
  });
  return p;
}

void expect_same_cube(const mesh::Mesh& read) {
  const mesh::Mesh cube = make_cube({1, 2, 3}, 10.0F);
  EXPECT_EQ(read.triangles.size(), 12U);
  EXPECT_EQ(sorted_positions(read.positions), sorted_positions(cube.positions));
  const mesh::TopologyReport t = mesh::analyze_topology(read).value();
  EXPECT_TRUE(t.watertight());
  EXPECT_NEAR(t.signed_volume, 1000.0, 1e-3);
}

// Binary STL, OBJ and binary PLY as the exporter writes them, units kept.
TEST(MeshIo, ExportedFilesReadBackInTheirUnits) {
  const TempDir dir;
  for (const char* name : {"cube.stl", "cube.obj", "cube.ply"}) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(exporter::export_mesh(make_cube({1, 2, 3}, 10.0F), dir.file(name), {.keep_coordinates = true}));
    const Result<mesh::Mesh> read = read_mesh(dir.file(name));
    ASSERT_TRUE(read) << read.error().message();
    expect_same_cube(*read);
  }
}

// Vertex colours come back from a PLY: as the exporter writes them (uchar), and as floats in 0–1.
TEST(MeshIo, PlyVertexColoursAreRead) {
  const TempDir dir;
  mesh::Mesh cube = make_cube({1, 2, 3}, 10.0F);
  for (std::size_t i = 0; i < cube.positions.size(); ++i) {
    cube.colors.push_back({static_cast<std::uint8_t>(30 * i), 200, static_cast<std::uint8_t>(255 - i)});
  }
  ASSERT_TRUE(exporter::export_mesh(cube, dir.file("cube.ply"), {.keep_coordinates = true}));
  const Result<mesh::Mesh> read = read_mesh(dir.file("cube.ply"));
  ASSERT_TRUE(read) << read.error().message();
  ASSERT_EQ(read->colors.size(), read->positions.size());
  for (std::size_t i = 0; i < read->positions.size(); ++i) {
    const auto original = std::find(cube.positions.begin(), cube.positions.end(), read->positions[i]);
    ASSERT_NE(original, cube.positions.end());
    EXPECT_EQ(read->colors[i], cube.colors[static_cast<std::size_t>(original - cube.positions.begin())]);
  }

  const std::string ply =
      "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
      "property float blue\nproperty float green\nproperty float red\nelement face 1\n"
      "property list uchar int vertex_indices\nend_header\n"
      "0 0 0 1 0.5 0\n1 0 0 0 0 1\n0 1 0 2 -1 0.2\n3 0 1 2\n";
  const Result<mesh::Mesh> floats = parse_mesh(bytes_of(ply), exporter::Format::kPly);
  ASSERT_TRUE(floats) << floats.error().message();
  ASSERT_EQ(floats->colors.size(), 3U);
  EXPECT_EQ(floats->colors[0], (mesh::Rgb8{0, 128, 255}));
  EXPECT_EQ(floats->colors[1], (mesh::Rgb8{255, 0, 0}));
  EXPECT_EQ(floats->colors[2], (mesh::Rgb8{51, 0, 255})) << "out of range is clamped";
}

std::string ascii_stl(const mesh::Mesh& mesh) {
  std::string text = "solid cube\n";
  for (const mesh::Triangle& t : mesh.triangles) {
    text += "  facet normal 0 0 0\n    outer loop\n";
    for (const std::uint32_t v : t) {
      const Vec3f p = mesh.positions[v];
      text += "      vertex " + std::to_string(p.x) + " " + std::to_string(p.y) + " " + std::to_string(p.z) + "\n";
    }
    text += "    endloop\n  endfacet\n";
  }
  return text + "endsolid cube\n";
}

TEST(MeshIo, AsciiStlIsWelded) {
  const Result<mesh::Mesh> read = parse_mesh(bytes_of(ascii_stl(make_cube({1, 2, 3}, 10.0F))), exporter::Format::kStl);
  ASSERT_TRUE(read) << read.error().message();
  expect_same_cube(*read);
}

TEST(MeshIo, AsciiPlyAndObjPolygons) {
  const std::string ply =
      "ply\nformat ascii 1.0\ncomment a cube of quads\nelement vertex 8\nproperty float x\nproperty float y\n"
      "property float z\nproperty uchar red\nelement face 6\nproperty list uchar int vertex_indices\nend_header\n"
      "1 2 3 0\n11 2 3 0\n1 12 3 0\n11 12 3 0\n1 2 13 0\n11 2 13 0\n1 12 13 0\n11 12 13 0\n"
      "4 0 2 3 1\n4 4 5 7 6\n4 0 1 5 4\n4 2 6 7 3\n4 0 4 6 2\n4 1 3 7 5\n";
  const Result<mesh::Mesh> from_ply = parse_mesh(bytes_of(ply), exporter::Format::kPly);
  ASSERT_TRUE(from_ply) << from_ply.error().message();
  expect_same_cube(*from_ply);
  EXPECT_TRUE(from_ply->colors.empty()) << "red alone is no colour";

  const std::string obj =
      "# cube\nmtllib x.mtl\nv 1 2 3\nv 11 2 3\nv 1 12 3\nv 11 12 3\nv 1 2 13\nv 11 2 13\nv 1 12 13\nv 11 12 13\n"
      "vt 0 0\nvn 0 0 1\ng side\nf 1/1/1 3/1/1 4/1/1 2/1/1\nf -4 -3 -1 -2\nf 1//1 2//1 6//1 5//1\n"
      "f 3 7 8 4\nf 1 5 7 3\nf 2 4 8 6\n";
  const Result<mesh::Mesh> from_obj = parse_mesh(bytes_of(obj), exporter::Format::kObj);
  ASSERT_TRUE(from_obj) << from_obj.error().message();
  expect_same_cube(*from_obj);
}

TEST(MeshIo, HostileStlIsRejected) {
  // A binary STL claiming 2^31 triangles in 134 bytes.
  std::string lying(84 + 50, '\0');
  lying[80 + 3] = '\x80';
  EXPECT_EQ(error_of(lying, exporter::Format::kStl), ErrorCode::kCorruptData);
  // A truncated one: one triangle claimed, 10 bytes of it present.
  std::string truncated(84 + 10, '\0');
  truncated[80] = '\x01';
  EXPECT_EQ(error_of(truncated, exporter::Format::kStl), ErrorCode::kCorruptData);
  // Zero triangles.
  EXPECT_EQ(error_of(std::string(84, '\0'), exporter::Format::kStl), ErrorCode::kCorruptData);
  // NaN and infinite coordinates, ASCII.
  std::string nan = ascii_stl(make_cube());
  nan.replace(nan.find("vertex ") + 7, 1, "nan");
  EXPECT_EQ(error_of(nan, exporter::Format::kStl), ErrorCode::kCorruptData);
  std::string inf = ascii_stl(make_cube());
  inf.replace(inf.find("vertex ") + 7, 1, "inf");
  EXPECT_EQ(error_of(inf, exporter::Format::kStl), ErrorCode::kCorruptData);
  // ASCII truncated mid-facet, and garbage.
  const std::string ascii = ascii_stl(make_cube());
  EXPECT_EQ(error_of(ascii.substr(0, ascii.size() / 2), exporter::Format::kStl), ErrorCode::kCorruptData);
  EXPECT_EQ(error_of("solid x\nfacet normal a b c\n", exporter::Format::kStl), ErrorCode::kCorruptData);
  // Over the face limit.
  ReadLimits limits;
  limits.max_faces = 5;
  EXPECT_EQ(error_of(ascii, exporter::Format::kStl, limits), ErrorCode::kLimitExceeded);
  limits = {};
  limits.max_file_bytes = 100;
  EXPECT_EQ(error_of(ascii, exporter::Format::kStl, limits), ErrorCode::kLimitExceeded);
}

TEST(MeshIo, HostilePlyIsRejected) {
  const std::string head =
      "ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
      "property float y\nproperty float z\n";
  // Two billion faces claimed: over the limit before anything is allocated.
  EXPECT_EQ(error_of(head + "element face 2000000000\nproperty list uchar int vertex_indices\nend_header\n",
                     exporter::Format::kPly),
            ErrorCode::kLimitExceeded);
  // A count the bytes cannot hold.
  EXPECT_EQ(
      error_of(head + "element face 1000\nproperty list uchar int vertex_indices\nend_header\n" + std::string(36, '\0'),
               exporter::Format::kPly),
      ErrorCode::kCorruptData);
  // An index out of range.
  const std::string ascii =
      "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
      "property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"
      "0 0 0\n1 0 0\n0 1 0\n";
  EXPECT_EQ(error_of(ascii + "3 0 1 7\n", exporter::Format::kPly), ErrorCode::kCorruptData);
  EXPECT_EQ(error_of(ascii + "3 0 1 -1\n", exporter::Format::kPly), ErrorCode::kCorruptData);
  EXPECT_TRUE(parse_mesh(bytes_of(ascii + "3 0 1 2\n"), exporter::Format::kPly));
  // Truncated body, unknown encoding, not a PLY.
  EXPECT_EQ(error_of(ascii + "3 0 1\n", exporter::Format::kPly), ErrorCode::kCorruptData);
  EXPECT_EQ(error_of("ply\nformat binary_middle_endian 1.0\nend_header\n", exporter::Format::kPly),
            ErrorCode::kUnsupportedFormat);
  EXPECT_EQ(error_of("solid\n", exporter::Format::kPly), ErrorCode::kCorruptData);
}

TEST(MeshIo, HostileObjIsRejected) {
  EXPECT_EQ(error_of("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n", exporter::Format::kObj), ErrorCode::kCorruptData);
  EXPECT_EQ(error_of("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 -4\n", exporter::Format::kObj), ErrorCode::kCorruptData);
  EXPECT_EQ(error_of("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 0\n", exporter::Format::kObj), ErrorCode::kCorruptData);
  EXPECT_EQ(error_of("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2\n", exporter::Format::kObj), ErrorCode::kCorruptData);
  EXPECT_EQ(error_of("v 0 0 nan\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", exporter::Format::kObj), ErrorCode::kCorruptData);
  EXPECT_EQ(error_of("v 0 0 0\nv 1 0 0\nv 0 1 0\n", exporter::Format::kObj), ErrorCode::kCorruptData);
  EXPECT_EQ(error_of("v 0 0 0\nv 1 0 x\n", exporter::Format::kObj), ErrorCode::kCorruptData);
  EXPECT_EQ(error_of("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 99999999999\n", exporter::Format::kObj),
            ErrorCode::kCorruptData);
}

TEST(MeshIo, FilesAndExtensions) {
  const TempDir dir;
  EXPECT_EQ(read_mesh(dir.file("missing.stl")).error().code(), ErrorCode::kNotFound);
  write_text(dir.file("model.3mf"), "x");
  EXPECT_EQ(read_mesh(dir.file("model.3mf")).error().code(), ErrorCode::kUnsupportedFormat);
  write_text(dir.file("big.obj"), std::string(2000, '#'));
  ReadLimits limits;
  limits.max_file_bytes = 1000;
  const Result<mesh::Mesh> big = read_mesh(dir.file("big.obj"), limits);
  EXPECT_EQ(big.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_NE(big.error().message().find("big.obj"), std::string::npos);
  EXPECT_EQ(mesh_format_from_path("A.STL").value(), exporter::Format::kStl);
}

}  // namespace
}  // namespace orfeas::meshtools
