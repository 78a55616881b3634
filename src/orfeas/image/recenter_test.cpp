#include "orfeas/image/recenter.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/image/test_images.h"

namespace orfeas::image {
namespace {

constexpr Rgba8 kObject{200, 80, 20, 255};

// An image with an opaque rectangle [x0, x1) × [y0, y1) and its exact mask.
struct Scene {
  ImageRgba8 image;
  Mask mask;
};

Scene rectangle_scene(int width, int height, int x0, int y0, int x1, int y1) {
  Scene scene{ImageRgba8(width, height, {255, 255, 255, 255}), Mask(width, height)};
  testing::fill_rect(scene.image, x0, y0, x1, y1, kObject);
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) scene.mask.at(x, y) = 1;
  }
  return scene;
}

RecenteredImage recenter_ok(const Scene& scene, RecenterOptions options) {
  auto out = recenter(scene.image, scene.mask, options);
  EXPECT_TRUE(out.has_value()) << (out ? "" : out.error().message());
  return out ? *out : RecenteredImage{};
}

void expect_canvas_matches_mask(const RecenteredImage& out) {
  for (std::size_t i = 0; i < out.mask.values.size(); ++i) {
    if (out.mask.values[i] != 0) {
      ASSERT_EQ(out.canvas.pixels[i].a, 255) << i;
    } else {
      ASSERT_EQ(out.canvas.pixels[i], (Rgba8{0, 0, 0, 0})) << i;
    }
  }
}

void expect_centred(const PixelBox& box, int canvas_size) {
  EXPECT_NEAR(box.x0, canvas_size - box.x1, 1) << "left and right margins differ";
  EXPECT_NEAR(box.y0, canvas_size - box.y1, 1) << "top and bottom margins differ";
}

TEST(ImageRecenterTest, LongerSideSpansTheRequestedShareForSeveralBorders) {
  // A wide object off-centre in a larger image: shrinking path.
  const Scene scene = rectangle_scene(900, 700, 100, 300, 700, 600);  // 600 × 300
  for (const float border : {0.0F, 0.1F, 0.15F, 0.5F, 0.9F}) {
    SCOPED_TRACE(::testing::Message() << "border " << border);
    const RecenteredImage out = recenter_ok(scene, {.border_ratio = border, .canvas_size = 256});
    const auto box = mask_bounds(out.mask);
    ASSERT_TRUE(box.has_value());
    const double expected_long = (1.0 - border) * 256;
    EXPECT_NEAR(box->width(), expected_long, 1.0);
    EXPECT_NEAR(box->height(), expected_long / 2, 1.0);
    expect_centred(*box, 256);
    expect_canvas_matches_mask(out);
  }
}

TEST(ImageRecenterTest, SmallObjectIsEnlargedAndCentred) {
  const Scene scene = rectangle_scene(40, 40, 2, 5, 12, 30);  // 10 × 25, tall
  const RecenteredImage out = recenter_ok(scene, {.border_ratio = 0.2F, .canvas_size = 100});
  const auto box = mask_bounds(out.mask);
  ASSERT_TRUE(box.has_value());
  EXPECT_NEAR(box->height(), 80, 1);
  EXPECT_NEAR(box->width(), 32, 1);
  expect_centred(*box, 100);
  expect_canvas_matches_mask(out);
  EXPECT_EQ(out.canvas.at(50, 50), kObject);
}

TEST(ImageRecenterTest, BackgroundColourNeverBleedsIntoTheObject) {
  // The white surroundings must not lighten edge pixels: colour averages over object pixels only.
  Scene scene = rectangle_scene(301, 301, 50, 50, 251, 251);
  testing::fill_disc(scene.image, 150, 150, 60, {10, 200, 10, 255});
  for (const int canvas : {64, 97, 512}) {
    const RecenteredImage out = recenter_ok(scene, {.border_ratio = 0.1F, .canvas_size = canvas});
    for (std::size_t i = 0; i < out.mask.values.size(); ++i) {
      if (out.mask.values[i] == 0) continue;
      const Rgba8 p = out.canvas.pixels[i];
      ASSERT_LT(p.b, 30) << "pixel " << i << " at canvas " << canvas << " took background colour";
    }
  }
}

TEST(ImageRecenterTest, MaskAndColourAgreeForADisc) {
  ImageRgba8 image(200, 150, {0, 0, 0, 255});
  Mask mask(200, 150);
  for (int y = 0; y < 150; ++y) {
    for (int x = 0; x < 200; ++x) {
      if (std::hypot(x + 0.5 - 120, y + 0.5 - 70) <= 40) {
        mask.at(x, y) = 1;
        image.at(x, y) = kObject;
      }
    }
  }
  const auto out = recenter(image, mask, {.border_ratio = 0.15F, .canvas_size = 128});
  ASSERT_TRUE(out.has_value()) << out.error().message();
  expect_canvas_matches_mask(*out);
  const auto box = mask_bounds(out->mask);
  ASSERT_TRUE(box.has_value());
  EXPECT_NEAR(box->width(), 0.85 * 128, 1.0);
  EXPECT_NEAR(box->height(), 0.85 * 128, 1.0);
  expect_centred(*box, 128);
  // A resampled disc stays a disc: its area is π r² to within the edge pixels.
  const double radius = 0.85 * 128 / 2;
  EXPECT_NEAR(static_cast<double>(out->mask.count()), M_PI * radius * radius, 2 * M_PI * radius);
  for (std::size_t i = 0; i < out->mask.values.size(); ++i) {
    if (out->mask.values[i] != 0) {
      ASSERT_EQ(out->canvas.pixels[i], kObject) << i;
    }
  }
}

TEST(ImageRecenterTest, CoverageIsTheObjectsShareOfEachCanvasPixel) {
  // A triangle x + y < 100 shrunk by 2: a canvas pixel holds 4 source pixels, so the diagonal's
  // pixels (i + j = 49) hold 3 of them; the mask is coverage ≥ 0.5.
  Scene scene{ImageRgba8(100, 100, {255, 255, 255, 255}), Mask(100, 100)};
  for (int y = 0; y < 100; ++y) {
    for (int x = 0; x < 100 - y; ++x) {
      scene.image.at(x, y) = kObject;
      scene.mask.at(x, y) = 1;
    }
  }
  const RecenteredImage out = recenter_ok(scene, {.border_ratio = 0.0F, .canvas_size = 50});
  ASSERT_EQ(out.coverage.size(), 2500U);
  for (int j = 0; j < 50; ++j) {
    for (int i = 0; i < 50; ++i) {
      const int expected = i + j < 49 ? 255 : (i + j == 49 ? 191 : 0);
      ASSERT_EQ(out.coverage[out.mask.index(i, j)], expected) << i << "," << j;
      ASSERT_EQ(out.mask.at(i, j), expected >= 128 ? 1 : 0) << i << "," << j;
    }
  }
}

TEST(ImageRecenterTest, EdgeWeightsPlaceTheOutlineWithinAPixel) {
  // An opaque square whose left column is a quarter inside the object (weight 64) and its right
  // column three quarters (192), at scale 1: the canvas keeps those shares.
  Scene scene = rectangle_scene(40, 40, 10, 10, 30, 30);
  std::vector<std::uint8_t> weights(scene.image.pixels.size(), 0);
  for (int y = 10; y < 30; ++y) {
    for (int x = 10; x < 30; ++x) weights[scene.image.index(x, y)] = x == 10 ? 64 : (x == 29 ? 192 : 255);
  }
  // 20 pixels span (1 − 0.5) · 40: scale 1, offsets 10.
  auto out = recenter(scene.image, scene.mask, {.border_ratio = 0.5F, .canvas_size = 40}, weights);
  ASSERT_TRUE(out.has_value()) << out.error().message();
  EXPECT_EQ(out->coverage[out->mask.index(10, 20)], 64);
  EXPECT_EQ(out->coverage[out->mask.index(29, 20)], 192);
  EXPECT_EQ(out->coverage[out->mask.index(20, 20)], 255);
  EXPECT_EQ(out->coverage[out->mask.index(5, 20)], 0);
  EXPECT_EQ(out->mask.at(10, 20), 0);  // a quarter is not the object
  EXPECT_EQ(out->mask.at(29, 20), 1);
  EXPECT_EQ(out->canvas.at(29, 20), kObject);

  const std::vector<std::uint8_t> short_weights(10, 255);
  EXPECT_EQ(recenter(scene.image, scene.mask, {}, short_weights).error().code(), ErrorCode::kInvalidArgument);
}

TEST(ImageRecenterTest, MaskBoundsIsHalfOpen) {
  Mask mask(10, 10);
  EXPECT_FALSE(mask_bounds(mask).has_value());
  mask.at(2, 3) = 1;
  mask.at(6, 4) = 1;
  EXPECT_EQ(mask_bounds(mask), (PixelBox{2, 3, 7, 5}));
}

TEST(ImageRecenterTest, InvalidOptionsAndInputsAreRejected) {
  const Scene scene = rectangle_scene(20, 20, 5, 5, 10, 10);
  for (const RecenterOptions options : {RecenterOptions{.border_ratio = -0.1F}, RecenterOptions{.border_ratio = 0.95F},
                                        RecenterOptions{.border_ratio = std::nanf("")},
                                        RecenterOptions{.canvas_size = 15}, RecenterOptions{.canvas_size = 4097}}) {
    const auto out = recenter(scene.image, scene.mask, options);
    testing::expect_error(out, ErrorCode::kInvalidArgument);
  }
  const auto mismatched = recenter(scene.image, Mask(20, 19, 1), {});
  testing::expect_error(mismatched, ErrorCode::kInvalidArgument);
  const auto empty = recenter(scene.image, Mask(20, 20), {});
  testing::expect_error(empty, ErrorCode::kNoForeground);
}

TEST(ImageRecenterTest, HairlineThatVanishesIsAnError) {
  // A 1-pixel diagonal line over 2000 pixels, shrunk 20×: no output pixel is half covered.
  ImageRgba8 image(2000, 2000);
  Mask mask(2000, 2000);
  for (int i = 0; i < 2000; ++i) mask.at(i, i) = 1;
  testing::expect_error(recenter(image, mask, {.border_ratio = 0.0F, .canvas_size = 100}), ErrorCode::kNoForeground,
                        "too thin");
}

TEST(ImageRecenterTest, ExtremesOfTheCanvasRange) {
  const Scene scene = rectangle_scene(50, 30, 0, 0, 50, 30);
  const RecenteredImage tiny = recenter_ok(scene, {.border_ratio = 0.0F, .canvas_size = 16});
  EXPECT_EQ(mask_bounds(tiny.mask)->width(), 16);
  const RecenteredImage large = recenter_ok(scene, {.border_ratio = 0.0F, .canvas_size = 4096});
  EXPECT_EQ(mask_bounds(large.mask)->width(), 4096);
  EXPECT_NEAR(mask_bounds(large.mask)->height(), 4096 * 3 / 5, 1);
}

}  // namespace
}  // namespace orfeas::image
