#include "orfeas/export/stl.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "orfeas/export/export.h"
#include "orfeas/export/export_test_support.h"
#include "orfeas/export/placement.h"
#include "orfeas/export/stl_reader.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::exporter {
namespace {

using orfeas::testing::TempDir;
using test_support::expect_near;
using test_support::make_octahedron;
using test_support::octahedron_on_plate;

constexpr float kMmTolerance = 1e-4F;

double signed_volume(const StlMesh& stl) {
  double volume = 0.0;
  for (const StlTriangle& t : stl.triangles) {
    const Vec3f a = t.vertices[0];
    volume += static_cast<double>(dot(a, cross(t.vertices[1], t.vertices[2]))) / 6.0;
  }
  return volume;
}

TEST(ExportStl, ReadBackEqualsThePlacedMesh) {
  const TempDir dir;
  const mesh::Mesh model = make_octahedron(true, true);
  ASSERT_TRUE(export_mesh(model, dir.file("octa.stl")));

  EXPECT_EQ(std::filesystem::file_size(dir.file("octa.stl")), 84U + 50U * 8U);
  const StlMesh stl = read_stl_binary(dir.file("octa.stl")).value();
  EXPECT_EQ(stl.header.size(), 80U);
  EXPECT_EQ(stl.header.rfind("ORFEAS", 0), 0U);
  ASSERT_EQ(stl.triangles.size(), model.triangles.size());
  for (std::size_t t = 0; t < stl.triangles.size(); ++t) {
    const StlTriangle& triangle = stl.triangles[t];
    for (std::size_t v = 0; v < 3; ++v) {
      expect_near(triangle.vertices[v], octahedron_on_plate(model.positions[model.triangles[t][v]], 100.0F),
                  kMmTolerance);
    }
    const Vec3f computed = facet_normal(triangle.vertices[0], triangle.vertices[1], triangle.vertices[2]);
    expect_near(triangle.normal, computed, 1e-6F);
    EXPECT_NEAR(length(triangle.normal), 1.0F, 1e-6F);
    EXPECT_EQ(triangle.attribute, 0U);
  }
}

TEST(ExportStl, MillimetresOnTheBuildPlateWithOutwardWinding) {
  const TempDir dir;
  ASSERT_TRUE(export_mesh(make_octahedron(false, false), dir.file("octa.stl"), {.size_mm = 64.0F}));
  const StlMesh stl = read_stl_binary(dir.file("octa.stl")).value();
  std::vector<Vec3f> points;
  Vec3f centre{};
  for (const StlTriangle& t : stl.triangles) {
    points.insert(points.end(), t.vertices.begin(), t.vertices.end());
  }
  const Bounds bounds = compute_bounds(points);
  EXPECT_EQ(bounds.min.z, 0.0F);
  EXPECT_NEAR(bounds.longest_side(), 64.0F, kMmTolerance);
  EXPECT_NEAR(bounds.size().z, 64.0F, kMmTolerance);  // model Y (the longest) became Z
  EXPECT_NEAR(bounds.min.x + bounds.max.x, 0.0F, kMmTolerance);
  EXPECT_NEAR(bounds.min.y + bounds.max.y, 0.0F, kMmTolerance);
  // The octahedron scaled by (0.5, 1, 0.25) * 32 has volume 4/3 * 16 * 32 * 8.
  EXPECT_NEAR(signed_volume(stl), 4.0 / 3.0 * 16.0 * 32.0 * 8.0, 1e-2);
  centre = (bounds.min + bounds.max) * 0.5F;
  for (const StlTriangle& t : stl.triangles) {
    EXPECT_GT(dot(t.normal, t.vertices[0] - centre), 0.0F) << "facet normal points inwards";
  }
}

TEST(ExportStl, WriterStoresPositionsAsGiven) {
  const TempDir dir;
  const mesh::Mesh model = make_octahedron(false, false);
  {
    AtomicFile out = AtomicFile::create(dir.file("raw.stl")).value();
    ASSERT_TRUE(write_stl(model, out));
    ASSERT_TRUE(out.commit());
  }
  const StlMesh stl = read_stl_binary(dir.file("raw.stl")).value();
  ASSERT_EQ(stl.triangles.size(), 8U);
  for (std::size_t t = 0; t < 8; ++t) {
    for (std::size_t v = 0; v < 3; ++v) {
      EXPECT_EQ(stl.triangles[t].vertices[v], model.positions[model.triangles[t][v]]);
    }
  }
  EXPECT_EQ(stl.header.substr(0, kStlHeaderText.size()), kStlHeaderText);
  EXPECT_NE(stl.header.rfind("solid", 0), 0U);
}

TEST(ExportStl, DegenerateTriangleGetsZeroNormal) {
  EXPECT_EQ(facet_normal({1, 2, 3}, {1, 2, 3}, {4, 5, 6}), Vec3f{});
  const Vec3f n = facet_normal({0, 0, 0}, {1, 0, 0}, {0, 1, 0});
  EXPECT_EQ(n, (Vec3f{0, 0, 1}));
}

TEST(ExportStl, ReaderRejectsTruncatedAndMissingFiles) {
  const TempDir dir;
  ASSERT_TRUE(export_mesh(make_octahedron(false, false), dir.file("octa.stl")));
  std::string bytes = test_support::read_text(dir.file("octa.stl"));

  test_support::write_text(dir.file("cut.stl"), bytes.substr(0, bytes.size() - 1));
  const Result<StlMesh> truncated = read_stl_binary(dir.file("cut.stl"));
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(truncated.error().message().find("truncated"), std::string::npos);

  test_support::write_text(dir.file("long.stl"), bytes + "x");
  EXPECT_EQ(read_stl_binary(dir.file("long.stl")).error().code(), ErrorCode::kCorruptData);
  test_support::write_text(dir.file("short.stl"), bytes.substr(0, 50));
  EXPECT_EQ(read_stl_binary(dir.file("short.stl")).error().code(), ErrorCode::kCorruptData);
  test_support::write_text(dir.file("ascii.stl"), "solid x\nfacet normal 0 0 1\n" + std::string(200, ' ') + "\n");
  EXPECT_EQ(read_stl_binary(dir.file("ascii.stl")).error().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(read_stl_binary(dir.file("missing.stl")).error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace orfeas::exporter
