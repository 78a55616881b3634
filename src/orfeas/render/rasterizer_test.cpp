#include "orfeas/render/rasterizer.h"

#include <cmath>
#include <cstdint>

#include <gtest/gtest.h>

#include "orfeas/meshtools/test_meshes.h"

namespace orfeas::render {
namespace {

constexpr mesh::Rgb8 kRed{255, 0, 0};
constexpr mesh::Rgb8 kBlue{0, 0, 255};
constexpr mesh::Rgb8 kGreen{0, 255, 0};

// The cube [-half, half]^3 about `centre`, one colour on every vertex.
mesh::Mesh cube(Vec3f centre, float half, mesh::Rgb8 colour) {
  mesh::Mesh m = meshtools::testing::make_cube(centre - Vec3f{half, half, half}, 2.0F * half);
  m.colors.assign(m.positions.size(), colour);
  return m;
}

// The unit cube, its front (z = +1) vertices red and back ones blue, with a small green cube
// stuck to its right (+X): front, back and sides all tell apart.
mesh::Mesh asymmetric_object() {
  mesh::Mesh body = cube({0, 0, 0}, 1.0F, kRed);
  for (std::size_t i = 0; i < body.positions.size(); ++i) {
    if (body.positions[i].z < 0.0F) body.colors[i] = kBlue;
  }
  const mesh::Mesh knob = cube({1.75F, 0, 0}, 0.25F, kGreen);
  mesh::Mesh both = meshtools::testing::merged(body, knob);
  both.colors.insert(both.colors.end(), knob.colors.begin(), knob.colors.end());
  return both;
}

// Flat colour: what the pixel tests read.
RenderOptions unlit(int size) {
  RenderOptions options;
  options.size_px = size;
  options.margin = 0.0F;
  options.ambient = 1.0F;
  options.diffuse = 0.0F;
  return options;
}

image::ImageRgba8 render_ok(const mesh::Mesh& m, View view, const RenderOptions& options) {
  Result<image::ImageRgba8> picture = render_view(m, view, options);
  EXPECT_TRUE(picture) << picture.error().message();
  return picture ? std::move(*picture) : image::ImageRgba8(options.size_px, options.size_px);
}

// How much of row y the object covers, in pixels: the background's green channel against the
// object's (none), so anti-aliased edge pixels count by their share.
double covered_width(const image::ImageRgba8& picture, int y, std::uint8_t background_green) {
  double width = 0.0;
  for (int x = 0; x < picture.width; ++x) {
    width += static_cast<double>(background_green - picture.at(x, y).g) / background_green;
  }
  return width;
}

bool has_colour_in(const image::ImageRgba8& picture, int x0, int x1, image::Rgba8 colour) {
  for (int y = 0; y < picture.height; ++y) {
    for (int x = x0; x < x1; ++x) {
      if (picture.at(x, y) == colour) return true;
    }
  }
  return false;
}

TEST(Rasterizer, CubeFrontIsASquareOfItsColourOnTheBackground) {
  const RenderOptions options = unlit(110);
  const image::ImageRgba8 picture = render_ok(cube({0, 0, 0}, 1.0F, kRed), View::kFront, options);
  ASSERT_EQ(picture.width, 110);
  ASSERT_EQ(picture.height, 110);
  for (const auto& [x, y] : {std::pair{0, 0}, {109, 0}, {0, 109}, {109, 109}}) {
    EXPECT_EQ(picture.at(x, y), options.background) << x << "," << y;
  }
  EXPECT_EQ(picture.at(55, 55), (image::Rgba8{255, 0, 0, 255}));
  // The bounding sphere (radius √3) fills the picture: the cube's side 2 spans 110 / √3 = 63.5
  // pixels, from x = 23.25 to 86.75.
  const double expected = 110.0 / std::sqrt(3.0);
  EXPECT_NEAR(covered_width(picture, 55, options.background.g), expected, 0.5);
  double height = 0.0;
  for (int y = 0; y < 110; ++y) {
    height += static_cast<double>(options.background.g - picture.at(55, y).g) / options.background.g;
  }
  EXPECT_NEAR(height, expected, 0.5);
  // Anti-aliasing: two of the three sample columns of pixel 23 (at 23 1/6, 23 1/2, 23 5/6) fall on
  // the cube, one on the background; its neighbours are pure.
  EXPECT_EQ(picture.at(22, 55), options.background);
  EXPECT_EQ(picture.at(23, 55), (image::Rgba8{251, 81, 81, 255}));
  EXPECT_EQ(picture.at(24, 55), (image::Rgba8{255, 0, 0, 255}));
  EXPECT_EQ(picture.at(86, 55), (image::Rgba8{251, 81, 81, 255}));
}

TEST(Rasterizer, ThreeQuarterViewIsWiderThanTheFront) {
  const RenderOptions options = unlit(120);
  const mesh::Mesh m = cube({0, 0, 0}, 1.0F, kRed);
  const image::ImageRgba8 side = render_ok(m, View::kSide, options);
  // Turned 40°, the cube's width is 2 (cos 40° + sin 40°) of its radius √3 in 60 px.
  const double expected = 60.0 / std::sqrt(3.0) * 2.0 * (std::cos(0.6981317) + std::sin(0.6981317));
  // Tilted 20°, the middle row crosses the top face too; the widest row is the silhouette's width.
  double widest = 0.0;
  for (int y = 0; y < 120; ++y) widest = std::max(widest, covered_width(side, y, options.background.g));
  EXPECT_NEAR(widest, expected, 0.7);
}

TEST(Rasterizer, FrontAndBackShowTheirOwnSidesMirrored) {
  const RenderOptions options = unlit(120);
  const mesh::Mesh object = asymmetric_object();
  const image::ImageRgba8 front = render_ok(object, View::kFront, options);
  const image::ImageRgba8 back = render_ok(object, View::kBack, options);
  EXPECT_EQ(front.at(50, 60), (image::Rgba8{255, 0, 0, 255})) << "red faces the front";
  EXPECT_EQ(back.at(70, 60), (image::Rgba8{0, 0, 255, 255})) << "blue faces the back";
  const image::Rgba8 green{0, 255, 0, 255};
  // The knob on the object's right is on the picture's right from the front, its left from behind.
  EXPECT_TRUE(has_colour_in(front, 60, 120, green));
  EXPECT_FALSE(has_colour_in(front, 0, 60, green));
  EXPECT_TRUE(has_colour_in(back, 0, 60, green));
  EXPECT_FALSE(has_colour_in(back, 60, 120, green));
  // From above the knob is still on the right, and both colours show at the bottom (front) and top.
  const image::ImageRgba8 top = render_ok(object, View::kTop, options);
  EXPECT_TRUE(has_colour_in(top, 60, 120, green));
  EXPECT_FALSE(has_colour_in(top, 0, 60, green));
}

TEST(Rasterizer, LightFromTheUpperLeftAndPlainColourWithoutVertexColours) {
  RenderOptions options;
  options.size_px = 100;
  mesh::Mesh grey = cube({0, 0, 0}, 1.0F, kRed);
  grey.colors.clear();
  const image::ImageRgba8 picture = render_ok(grey, View::kFront, options);
  const image::Rgba8 upper_left = picture.at(32, 32);
  const image::Rgba8 lower_right = picture.at(68, 68);
  EXPECT_EQ(upper_left.r, upper_left.g) << "plain grey";
  EXPECT_GT(upper_left.r, lower_right.r + 10) << "lit from the upper left";
  EXPECT_LE(upper_left.r, options.plain_colour.r);
  EXPECT_GE(lower_right.r, static_cast<int>(options.plain_colour.r * options.ambient));
}

TEST(Rasterizer, ZUpMeshesAreTurnedBackToTheirFront) {
  mesh::Mesh object = asymmetric_object();
  for (Vec3f& p : object.positions) p = {p.x, -p.z, p.y};  // as STL export places it
  RenderOptions options = unlit(120);
  options.up = UpAxis::kZ;
  const image::ImageRgba8 front = render_ok(object, View::kFront, options);
  EXPECT_EQ(front.at(50, 60), (image::Rgba8{255, 0, 0, 255}));
  EXPECT_TRUE(has_colour_in(front, 60, 120, image::Rgba8{0, 255, 0, 255}));
}

TEST(Rasterizer, SameInputSamePixels) {
  RenderOptions options;
  options.size_px = 64;
  const mesh::Mesh object = asymmetric_object();
  EXPECT_EQ(render_ok(object, View::kSide, options).pixels, render_ok(object, View::kSide, options).pixels);
}

TEST(Rasterizer, BadMeshesAndOptionsAreErrors) {
  const mesh::Mesh good = cube({0, 0, 0}, 1.0F, kRed);
  RenderOptions options;
  options.size_px = 32;
  mesh::Mesh no_faces = good;
  no_faces.triangles.clear();
  mesh::Mesh bad_index = good;
  bad_index.triangles.push_back({0, 1, 99});
  mesh::Mesh nan = good;
  nan.positions[3].x = std::nanf("");
  for (const mesh::Mesh* m : {&no_faces, &bad_index, &nan}) {
    const Result<image::ImageRgba8> picture = render_view(*m, View::kFront, options);
    ASSERT_FALSE(picture);
    EXPECT_EQ(picture.error().code(), ErrorCode::kInvalidArgument);
  }
  for (const auto& [size, supersample] : {std::pair{4, 3}, {5000, 1}, {2048, 3}, {64, 0}, {64, 5}}) {
    options.size_px = size;
    options.supersample = supersample;
    const Result<image::ImageRgba8> picture = render_view(good, View::kFront, options);
    ASSERT_FALSE(picture) << size << " " << supersample;
    EXPECT_EQ(picture.error().code(), ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace orfeas::render
