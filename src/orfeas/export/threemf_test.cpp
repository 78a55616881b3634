#include "orfeas/export/threemf.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/export/export.h"
#include "orfeas/export/export_test_support.h"
#include "orfeas/export/placement.h"
#include "orfeas/testing/file_size_limit.h"
#include "orfeas/testing/temp_dir.h"
#include "orfeas/testing/threemf_reader.h"

namespace orfeas::exporter {
namespace {

using orfeas::testing::FileSizeLimit;
using orfeas::testing::read_3mf;
using orfeas::testing::TempDir;
using orfeas::testing::ThreeMf;
using test_support::expect_near;
using test_support::make_octahedron;
using test_support::octahedron_on_plate;

constexpr float kMmTolerance = 1e-4F;

image::Rgba8 opaque(mesh::Rgb8 c) {
  return {c.r, c.g, c.b, 255};
}

// Vertices, triangles (index for index) and corner colours of `read` are those of `placed`.
void expect_same_mesh(const ThreeMf& read, const mesh::Mesh& placed) {
  EXPECT_EQ(read.unit, "millimeter");
  EXPECT_EQ(read.warnings, 0U);
  EXPECT_EQ(read.mesh_objects, 1U);
  EXPECT_EQ(read.build_items, 1U);
  ASSERT_EQ(read.positions.size(), placed.positions.size());
  for (std::size_t i = 0; i < placed.positions.size(); ++i)
    expect_near(read.positions[i], placed.positions[i], kMmTolerance);
  ASSERT_EQ(read.triangles.size(), placed.triangles.size());
  for (std::size_t t = 0; t < placed.triangles.size(); ++t) EXPECT_EQ(read.triangles[t], placed.triangles[t]) << t;
  if (placed.colors.empty()) {
    EXPECT_TRUE(read.corner_colors.empty());
    return;
  }
  ASSERT_EQ(read.corner_colors.size(), placed.triangles.size());
  for (std::size_t t = 0; t < placed.triangles.size(); ++t) {
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(read.corner_colors[t][k], opaque(placed.colors[placed.triangles[t][k]])) << t << "/" << k;
    }
  }
}

TEST(Export3mf, IsAvailableInThisBuild) {
  EXPECT_TRUE(threemf_available());
}

TEST(Export3mf, ReadBackWithLib3mfEqualsThePlacedMesh) {
  const TempDir dir;
  const mesh::Mesh model = make_octahedron(true, true);
  ASSERT_TRUE(export_mesh(model, dir.file("octa.3mf"), {.size_mm = 64.0F}));

  const std::string bytes = test_support::read_text(dir.file("octa.3mf"));
  EXPECT_EQ(bytes.substr(0, 4), std::string("PK\x03\x04", 4));  // a ZIP's first local file header
  const ThreeMf read = read_3mf(dir.file("octa.3mf")).value();
  const mesh::Mesh placed = place_mesh(model, placement_for(Format::k3mf, 64.0F)).value();
  expect_same_mesh(read, placed);
  // Millimetres on the build plate, as for STL.
  for (std::size_t i = 0; i < model.positions.size(); ++i) {
    expect_near(read.positions[i], octahedron_on_plate(model.positions[i], 64.0F), kMmTolerance);
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"octa.3mf"});
}

TEST(Export3mf, UncolouredMeshHasGeometryOnly) {
  const TempDir dir;
  const mesh::Mesh model = make_octahedron(false, false);
  ASSERT_TRUE(export_mesh(model, dir.file("plain.3mf")));
  const ThreeMf read = read_3mf(dir.file("plain.3mf")).value();
  expect_same_mesh(read, place_mesh(model, placement_for(Format::k3mf, 100.0F)).value());
  EXPECT_TRUE(read.corner_colors.empty());
}

TEST(Export3mf, LargeColouredGridRoundTrips) {
  const TempDir dir;
  const mesh::Mesh grid = test_support::make_grid(120, 90, false, true);
  ASSERT_TRUE(export_mesh(grid, dir.file("grid.3mf"), {.size_mm = 150.0F}));
  expect_same_mesh(read_3mf(dir.file("grid.3mf")).value(),
                   place_mesh(grid, placement_for(Format::k3mf, 150.0F)).value());
}

TEST(Export3mf, TrianglesNamingAVertexTwiceAreLeftOut) {
  const TempDir dir;
  mesh::Mesh model = make_octahedron(false, true);
  const mesh::Mesh clean = model;
  model.triangles.insert(model.triangles.begin() + 3, mesh::Triangle{1, 1, 4});
  model.triangles.push_back(mesh::Triangle{5, 2, 5});
  ASSERT_TRUE(export_mesh(model, dir.file("degenerate.3mf")));
  expect_same_mesh(read_3mf(dir.file("degenerate.3mf")).value(),
                   place_mesh(clean, placement_for(Format::k3mf, 100.0F)).value());

  mesh::Mesh only_degenerate = make_octahedron(false, false);
  only_degenerate.triangles = {mesh::Triangle{0, 0, 1}};
  const Status status = export_mesh(only_degenerate, dir.file("nothing.3mf"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument) << status.error().message();
  EXPECT_FALSE(std::filesystem::exists(dir.file("nothing.3mf")));
}

TEST(Export3mf, UnwritablePathsLeaveNoFile) {
  const TempDir dir;
  const Status missing = export_mesh(make_octahedron(false, true), dir.path() / "missing" / "m.3mf");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kIoError);
  EXPECT_NE(missing.error().message().find("as 3mf"), std::string::npos) << missing.error().message();
  EXPECT_TRUE(dir.entries().empty());

  // A write refused midway (file size limit): the previous file stays, no temporary is left.
  test_support::write_text(dir.file("grid.3mf"), "previous");
  Status exported;
  {
    const FileSizeLimit limit(16 * 1024);
    exported = export_mesh(test_support::make_grid(200, 200, true, true), dir.file("grid.3mf"));
  }
  ASSERT_FALSE(exported);
  EXPECT_EQ(exported.error().code(), ErrorCode::kIoError) << exported.error().message();
  EXPECT_EQ(test_support::read_text(dir.file("grid.3mf")), "previous");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"grid.3mf"});
}

TEST(Export3mf, BrokenMeshIsAnErrorBeforeAnythingIsWritten) {
  const TempDir dir;
  mesh::Mesh broken = make_octahedron(false, true);
  broken.colors.pop_back();
  AtomicFile out = AtomicFile::create(dir.file("direct.3mf")).value();
  const Status status = write_3mf(broken, out);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(out.bytes_written(), 0U);
}

}  // namespace
}  // namespace orfeas::exporter
