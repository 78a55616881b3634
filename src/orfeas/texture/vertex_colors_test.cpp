#include "orfeas/texture/vertex_colors.h"

#include <gtest/gtest.h>

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
  ASSERT_TRUE(synthesize_vertex_colors(m, f.canvas, f.mask).has_value());
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
