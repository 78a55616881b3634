#include "orfeas/texture/vertex_colors.h"

#include <gtest/gtest.h>

#include <cmath>

namespace orfeas::texture {
namespace {

// A 4×4 canvas: left half red, right half blue, bottom row background (not in the mask, green, which
// must never show).
struct Fixture {
  image::ImageRgba8 canvas{4, 4};
  image::Mask mask{4, 4};
  Fixture() {
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 4; ++x) {
        const bool background = y == 3;
        canvas.at(x, y) = background ? image::Rgba8{0, 255, 0, 0}
                                     : (x < 2 ? image::Rgba8{255, 0, 0, 255} : image::Rgba8{0, 0, 255, 255});
        mask.at(x, y) = background ? 0 : 1;
      }
    }
  }
};

// Model coordinates of pixel (x, y)'s centre on a 4×4 canvas.
Vec3f pixel_centre(int x, int y, float z) {
  return {(static_cast<float>(x) + 0.5F) / 2.0F - 1.0F, 1.0F - (static_cast<float>(y) + 0.5F) / 2.0F, z};
}

TEST(VertexColorsTest, ProjectsFrontColoursAndMirrorsThemToTheBack) {
  Fixture f;
  mesh::Mesh m;
  m.positions = {pixel_centre(0, 0, 0.5F), pixel_centre(0, 0, -0.5F), pixel_centre(3, 1, 0.2F),
                 pixel_centre(3, 1, -0.2F)};
  ASSERT_TRUE(synthesize_vertex_colors(m, f.canvas, f.mask, {.back = BackColours::kMirror}).has_value());
  ASSERT_EQ(m.colors.size(), 4U);
  EXPECT_EQ(m.colors[0], (mesh::Rgb8{255, 0, 0}));
  EXPECT_EQ(m.colors[1], m.colors[0]);
  EXPECT_EQ(m.colors[2], (mesh::Rgb8{0, 0, 255}));
  EXPECT_EQ(m.colors[3], m.colors[2]);
}

TEST(VertexColorsTest, InterpolatesBetweenPixelCentres) {
  Fixture f;
  mesh::Mesh m;
  // Half-way between pixel (1, 1) red and (2, 1) blue.
  m.positions = {{0.0F, pixel_centre(1, 1, 0).y, 0.0F}};
  ASSERT_TRUE(synthesize_vertex_colors(m, f.canvas, f.mask).has_value());
  EXPECT_NEAR(m.colors[0].r, 128, 1);
  EXPECT_NEAR(m.colors[0].b, 128, 1);
  EXPECT_EQ(m.colors[0].g, 0);
}

TEST(VertexColorsTest, OutsideTheMaskTakesTheNearestForegroundColour) {
  Fixture f;
  mesh::Mesh m;
  m.positions = {pixel_centre(0, 3, 0.0F), pixel_centre(3, 3, 0.0F), {-5.0F, -5.0F, 0.0F}};
  ASSERT_TRUE(synthesize_vertex_colors(m, f.canvas, f.mask).has_value());
  EXPECT_EQ(m.colors[0], (mesh::Rgb8{255, 0, 0}));
  EXPECT_EQ(m.colors[1], (mesh::Rgb8{0, 0, 255}));
  EXPECT_EQ(m.colors[2], (mesh::Rgb8{255, 0, 0}));  // far outside, clamped to the corner
}

// A flat red disc with a 3-pixel black outline (256² canvas, radius 100).
struct OutlinedDisc {
  image::ImageRgba8 canvas{256, 256, {0, 0, 0, 0}};
  image::Mask mask{256, 256};
  OutlinedDisc() {
    for (int y = 0; y < 256; ++y) {
      for (int x = 0; x < 256; ++x) {
        const double r = std::hypot(x + 0.5 - 128.0, y + 0.5 - 128.0);
        if (r > 100.0) continue;
        mask.at(x, y) = 1;
        canvas.at(x, y) = r > 97.0 ? image::Rgba8{0, 0, 0, 255} : image::Rgba8{220, 30, 30, 255};
      }
    }
  }
};

// A vertex on the disc's rim at angle `a` with the normal `normal`.
Vec3f rim(double a, float z = 0.0F) {
  const double r = 99.5 / 128.0;  // just inside the outline, model units
  return {static_cast<float>(r * std::cos(a)), static_cast<float>(r * std::sin(a)), z};
}

TEST(VertexColorsTest, TheSidesTakeTheColourJustInsideTheOutlineNotTheStroke) {
  const OutlinedDisc disc;
  mesh::Mesh m;
  for (int k = 0; k < 16; ++k) {
    const double a = k * 0.39269908169872414;  // π/8 steps
    m.positions.push_back(rim(a));
    m.normals.push_back({static_cast<float>(std::cos(a)), static_cast<float>(std::sin(a)), 0.0F});  // sideways
  }
  m.positions.push_back(rim(0.0, 0.1F));  // the front near the rim shows the outline, as the picture does
  m.normals.push_back({0.0F, 0.0F, 1.0F});
  ASSERT_TRUE(synthesize_vertex_colors(m, disc.canvas, disc.mask).has_value());
  for (int k = 0; k < 16; ++k) EXPECT_EQ(m.colors[k], (mesh::Rgb8{220, 30, 30})) << "side vertex " << k;
  EXPECT_EQ(m.colors[16], (mesh::Rgb8{0, 0, 0}));
}

TEST(VertexColorsTest, TheBackShowsTheRegionsNotTheDetailsOrOneColourOrTheMirror) {
  OutlinedDisc disc;
  // Two dark "eyes", 5 px across: details on the red face.
  for (const int cx : {100, 150}) {
    for (int y = 100; y < 105; ++y) {
      for (int x = cx; x < cx + 5; ++x) disc.canvas.at(x, y) = {10, 10, 60, 255};
    }
  }
  const Vec3f eye{(102.5F / 128.0F) - 1.0F, 1.0F - (102.5F / 128.0F), -0.5F};  // pixel (102, 102), on the back
  mesh::Mesh m;
  m.positions = {eye, {eye.x, eye.y, 0.5F}};
  m.normals = {{0.0F, 0.0F, -1.0F}, {0.0F, 0.0F, 1.0F}};
  ASSERT_TRUE(synthesize_vertex_colors(m, disc.canvas, disc.mask).has_value());
  EXPECT_EQ(m.colors[0], (mesh::Rgb8{220, 30, 30})) << "regions: the eye is a detail, the face is red";
  EXPECT_EQ(m.colors[1], (mesh::Rgb8{10, 10, 60})) << "the front shows the eye";
  ASSERT_TRUE(synthesize_vertex_colors(m, disc.canvas, disc.mask, {.back = BackColours::kMirror}).has_value());
  EXPECT_EQ(m.colors[0], (mesh::Rgb8{10, 10, 60}));
  auto grey = parse_back_colours("#4080c0");
  ASSERT_TRUE(grey.has_value());
  ASSERT_TRUE(synthesize_vertex_colors(m, disc.canvas, disc.mask, *grey).has_value());
  EXPECT_EQ(m.colors[0], (mesh::Rgb8{0x40, 0x80, 0xc0}));
  EXPECT_EQ(m.colors[1], (mesh::Rgb8{10, 10, 60}));
}

TEST(VertexColorsTest, BackColoursParseOrSayWhatIsAccepted) {
  EXPECT_EQ(parse_back_colours("regions")->back, BackColours::kRegions);
  EXPECT_EQ(parse_back_colours("mirror")->back, BackColours::kMirror);
  for (const char* bad : {"", "#12345", "#12345g", "red", "Mirror"}) {
    const auto parsed = parse_back_colours(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_NE(parsed.error().message().find("regions, mirror or a colour #RRGGBB"), std::string::npos);
  }
}

TEST(VertexColorsTest, RejectsEmptyMaskAndMismatchedSizes) {
  Fixture f;
  mesh::Mesh m;
  m.positions = {{0, 0, 0}};
  const auto empty = synthesize_vertex_colors(m, f.canvas, image::Mask(4, 4));
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code(), ErrorCode::kNoForeground);
  const auto mismatched = synthesize_vertex_colors(m, image::ImageRgba8(3, 4), f.mask);
  ASSERT_FALSE(mismatched.has_value());
  EXPECT_EQ(mismatched.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::texture
