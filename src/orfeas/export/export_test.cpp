#include "orfeas/export/export.h"

#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/export/export_test_support.h"
#include "orfeas/export/stl_reader.h"
#include "orfeas/testing/file_size_limit.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::exporter {
namespace {

using orfeas::testing::FileSizeLimit;
using orfeas::testing::TempDir;
using test_support::make_octahedron;
using test_support::read_text;
using test_support::write_text;

void expect_invalid(const mesh::Mesh& mesh, const ExportOptions& options, const TempDir& dir) {
  const Status status = export_mesh(mesh, dir.file("bad.stl"), options);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument) << status.error().message();
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.stl")));
}

TEST(ExportMesh, WritesEveryFormatChosenByExtension) {
  const TempDir dir;
  const mesh::Mesh model = make_octahedron(true, true);
  for (const char* name : {"a.stl", "b.GLB", "c.Obj", "d.ply"}) {
    ASSERT_TRUE(export_mesh(model, dir.file(name))) << name;
  }
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"a.stl", "b.GLB", "c.Obj", "d.ply"}));
  EXPECT_EQ(read_text(dir.file("b.GLB")).substr(0, 4), "glTF");
  EXPECT_EQ(read_text(dir.file("c.Obj")).substr(0, 12), "# ORFEAS OBJ");
  EXPECT_EQ(read_text(dir.file("d.ply")).substr(0, 4), "ply\n");
  EXPECT_TRUE(read_stl_binary(dir.file("a.stl")));
}

TEST(ExportMesh, ExplicitFormatOverridesTheExtension) {
  const TempDir dir;
  ASSERT_TRUE(export_mesh(make_octahedron(false, false), dir.file("model.bin"), Format::kStl, {.size_mm = 42.0F}));
  const StlMesh stl = read_stl_binary(dir.file("model.bin")).value();
  float top = 0.0F;
  for (const StlTriangle& t : stl.triangles) {
    for (const Vec3f v : t.vertices) top = std::max(top, v.z);
  }
  EXPECT_NEAR(top, 42.0F, 1e-4F);
}

TEST(ExportMesh, UnknownExtensionWritesNothing) {
  const TempDir dir;
  const Status status = export_mesh(make_octahedron(false, false), dir.file("model.xyz"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kUnsupportedFormat);
  EXPECT_NE(status.error().message().find("unknown output extension '.xyz'"), std::string::npos);
  EXPECT_NE(status.error().message().find("model.xyz"), std::string::npos);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ExportMesh, RejectsBadSizes) {
  const TempDir dir;
  const mesh::Mesh model = make_octahedron(false, false);
  for (const float size :
       {0.0F, -5.0F, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    expect_invalid(model, {.size_mm = size}, dir);
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ExportMesh, RejectsBrokenMeshes) {
  const TempDir dir;
  const mesh::Mesh good = make_octahedron(true, true);
  expect_invalid(mesh::Mesh{}, {}, dir);
  mesh::Mesh out_of_range = good;
  out_of_range.triangles[3][1] = 6;
  expect_invalid(out_of_range, {}, dir);
  mesh::Mesh nan_position = good;
  nan_position.positions[1].z = std::numeric_limits<float>::quiet_NaN();
  expect_invalid(nan_position, {}, dir);
  mesh::Mesh inf_normal = good;
  inf_normal.normals[0].x = std::numeric_limits<float>::infinity();
  expect_invalid(inf_normal, {}, dir);
  mesh::Mesh short_colors = good;
  short_colors.colors.pop_back();
  expect_invalid(short_colors, {}, dir);
  mesh::Mesh flat_point = good;
  for (Vec3f& p : flat_point.positions) p = {1.0F, 1.0F, 1.0F};
  expect_invalid(flat_point, {}, dir);
  EXPECT_TRUE(dir.entries().empty());

  const Status status = export_mesh(out_of_range, dir.file("bad.glb"));
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("while exporting"), std::string::npos);
  EXPECT_NE(status.error().message().find("triangle 3 refers to vertex 6"), std::string::npos);
}

TEST(ExportMesh, InvalidExportKeepsTheExistingFile) {
  const TempDir dir;
  ASSERT_TRUE(export_mesh(make_octahedron(false, false), dir.file("keep.stl")));
  const std::string before = read_text(dir.file("keep.stl"));
  mesh::Mesh broken = make_octahedron(false, false);
  broken.positions[0].x = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(export_mesh(broken, dir.file("keep.stl")));
  EXPECT_FALSE(export_mesh(make_octahedron(false, false), dir.file("keep.stl"), {.size_mm = -1}));
  EXPECT_EQ(read_text(dir.file("keep.stl")), before);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"keep.stl"});
}

TEST(ExportMesh, MissingDirectoryAndDirectoryTarget) {
  const TempDir dir;
  const Status missing = export_mesh(make_octahedron(false, false), dir.path() / "missing" / "m.stl");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kIoError);
  std::filesystem::create_directory(dir.file("d.glb"));
  const Status directory = export_mesh(make_octahedron(false, false), dir.file("d.glb"));
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().code(), ErrorCode::kIoError);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"d.glb"});
}

TEST(ExportMesh, FailingMidwayKeepsThePreviousFile) {
  const TempDir dir;
  const mesh::Mesh big = test_support::make_grid(200, 200, true, true);
  for (const char* name : {"grid.stl", "grid.glb", "grid.obj", "grid.ply"}) {
    write_text(dir.file(name), "previous");
    Status exported;
    {
      const FileSizeLimit limit(16 * 1024);
      exported = export_mesh(big, dir.file(name));
    }
    ASSERT_FALSE(exported) << name;
    EXPECT_EQ(exported.error().code(), ErrorCode::kIoError) << exported.error().message();
    EXPECT_EQ(read_text(dir.file(name)), "previous") << name;
  }
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"grid.glb", "grid.obj", "grid.ply", "grid.stl"}));
}

}  // namespace
}  // namespace orfeas::exporter
