#include "orfeas/image/foreground.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "orfeas/image/decode.h"
#include "orfeas/image/test_images.h"

namespace orfeas::image {
namespace {

namespace fs = std::filesystem;

constexpr Rgba8 kWhite{255, 255, 255, 255};
constexpr Rgba8 kInk{30, 60, 150, 255};

Mask extract_ok(const ImageRgba8& image, const ForegroundOptions& options = {}) {
  auto mask = extract_foreground(image, options);
  EXPECT_TRUE(mask.has_value()) << (mask ? "" : mask.error().message());
  return mask ? *mask : Mask(image.width, image.height);
}

// Share of pixels where the mask and the expected shape disagree.
double mismatch(const Mask& mask, const auto& expected_inside) {
  std::size_t wrong = 0;
  for (int y = 0; y < mask.height; ++y) {
    for (int x = 0; x < mask.width; ++x) wrong += (mask.at(x, y) != 0) != expected_inside(x, y) ? 1 : 0;
  }
  return static_cast<double>(wrong) / static_cast<double>(mask.values.size());
}

bool in_disc(int x, int y, double cx, double cy, double r) {
  return std::hypot(x + 0.5 - cx, y + 0.5 - cy) <= r;
}

TEST(ImageForegroundTest, AlphaChannelIsTheMask) {
  ImageRgba8 image(20, 10, {0, 0, 0, 0});
  testing::fill_rect(image, 5, 2, 15, 8, {200, 10, 10, 255});
  image.at(6, 3).a = 128;  // exactly at the threshold: object
  image.at(7, 3).a = 127;  // just below: background
  const Mask mask = extract_ok(image);
  for (int y = 0; y < 10; ++y) {
    for (int x = 0; x < 20; ++x) {
      const bool expected = x >= 5 && x < 15 && y >= 2 && y < 8 && !(x == 7 && y == 3);
      EXPECT_EQ(mask.at(x, y), expected ? 1 : 0) << x << ", " << y;
    }
  }
}

TEST(ImageForegroundTest, AlphaThresholdIsConfigurableOnTheImagesOwnRange) {
  // Alpha 0 around, a halo at 40, the object at 100: the range is 0..100.
  ImageRgba8 image(10, 10, {0, 0, 0, 0});
  testing::fill_rect(image, 1, 1, 9, 9, {1, 1, 1, 40});
  testing::fill_rect(image, 2, 2, 8, 8, {1, 1, 1, 100});
  EXPECT_EQ(extract_ok(image, {.alpha_threshold = 50}).count(), 64U);   // 20: the halo is in
  EXPECT_EQ(extract_ok(image).count(), 36U);                            // 50: the halo is out
  EXPECT_EQ(extract_ok(image, {.alpha_threshold = 255}).count(), 36U);  // 100: only the most opaque
}

// Clip art whose alpha never exceeds 67/255 (a faint star) is its own shape, not "transparent".
TEST(ImageForegroundTest, AFaintCutOutIsCutAtTheMiddleOfItsOwnAlphaRange) {
  ImageRgba8 image(64, 64, {255, 255, 255, 0});
  testing::fill_disc(image, 32, 32, 16, {200, 30, 30, 67});
  // An anti-aliased rim at a third of the way: outside the object, as a full-range rim at 85 would be.
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      if (!in_disc(x, y, 32, 32, 16) && in_disc(x, y, 32, 32, 17)) image.at(x, y) = {200, 30, 30, 22};
    }
  }
  const Mask mask = extract_ok(image);
  EXPECT_EQ(mismatch(mask, [](int x, int y) { return in_disc(x, y, 32, 32, 16); }), 0.0);
}

TEST(ImageForegroundTest, AnAlphaMaskKeepsItsAntiAliasedOutlineAsEdgeWeights) {
  // A faint cut-out (alpha 0–100): inside 255, the outline's pixels their alpha on that range,
  // clamped to their side of the mask, everything else 0. A colour mask has none.
  ImageRgba8 image(20, 20, {10, 20, 30, 0});
  testing::fill_rect(image, 5, 5, 15, 15, {200, 0, 0, 100});
  for (int y = 5; y < 15; ++y) {
    image.at(4, y).a = 25;   // a quarter of the range, outside the mask
    image.at(14, y).a = 75;  // three quarters, inside
  }
  image.at(9, 9).a = 0;  // a pinhole far from the outline is not the outline: stays 0 in the mask
  auto found = detect_foreground(image, {});
  ASSERT_TRUE(found.has_value()) << found.error().message();
  ASSERT_TRUE(found->from_alpha);
  const std::vector<std::uint8_t>& w = found->edge_weights;
  ASSERT_EQ(w.size(), image.pixels.size());
  EXPECT_EQ(w[image.index(4, 10)], 64);
  EXPECT_EQ(w[image.index(14, 10)], 191);
  EXPECT_EQ(w[image.index(7, 7)], 255);
  EXPECT_EQ(w[image.index(0, 0)], 0);
  EXPECT_EQ(w[image.index(5, 10)], 255);  // the mask's first column: alpha 100, the top of the range
  EXPECT_EQ(w[image.index(9, 9)], 0);     // a pinhole is outline too, on the outside: its alpha, 0
  EXPECT_EQ(found->mask.at(9, 9), 0);

  ImageRgba8 opaque(20, 20, {255, 255, 255, 255});
  testing::fill_rect(opaque, 5, 5, 15, 15, {200, 0, 0, 255});
  auto by_colour = detect_foreground(opaque, {});
  ASSERT_TRUE(by_colour.has_value());
  EXPECT_TRUE(by_colour->edge_weights.empty());
}

TEST(ImageForegroundTest, AnAlphaThatNeverVariesIsJudgedByColour) {
  // Alpha 100 everywhere: the alpha draws no shape, the colours do.
  ImageRgba8 image(64, 64, {255, 255, 255, 100});
  testing::fill_disc(image, 32, 32, 15, {20, 20, 20, 100});
  const Mask mask = extract_ok(image);
  EXPECT_LT(mismatch(mask, [](int x, int y) { return in_disc(x, y, 32, 32, 15); }), 0.001);
}

TEST(ImageForegroundTest, FullyTransparentHasNoForeground) {
  const auto mask = extract_foreground(ImageRgba8(16, 16, {255, 255, 255, 0}), {});
  testing::expect_error(mask, ErrorCode::kNoForeground, "fully transparent");
}

TEST(ImageForegroundTest, UniformOpaqueImageHasNoForeground) {
  const auto mask = extract_foreground(ImageRgba8(16, 16, {90, 120, 30, 255}), {});
  testing::expect_error(mask, ErrorCode::kNoForeground, "no object found");
}

TEST(ImageForegroundTest, FewTransparentPixelsDoNotSwitchToAlpha) {
  // An opaque drawing with one transparent corner pixel is still judged by colour.
  ImageRgba8 image(64, 64, kWhite);
  testing::fill_disc(image, 32, 32, 15, kInk);
  image.at(0, 0).a = 0;
  const Mask mask = extract_ok(image);
  EXPECT_LT(mismatch(mask, [](int x, int y) { return in_disc(x, y, 32, 32, 15); }), 0.001);
}

TEST(ImageForegroundTest, DiscOnWhiteIsRecovered) {
  ImageRgba8 image(100, 80, kWhite);
  testing::fill_disc(image, 40, 45, 25, kInk);
  const Mask mask = extract_ok(image);
  EXPECT_EQ(mismatch(mask, [](int x, int y) { return in_disc(x, y, 40, 45, 25); }), 0.0);
}

TEST(ImageForegroundTest, ObjectPixelsLikeTheBackgroundInsideStayObject) {
  // A white seam almost splits the box; it touches no border, so a flood from the border never
  // reaches it, and at 1.6 % of the box it is too small to be a hole.
  ImageRgba8 image(80, 80, kWhite);
  testing::fill_rect(image, 10, 10, 70, 70, kInk);
  testing::fill_rect(image, 12, 39, 68, 40, kWhite);
  const Mask mask = extract_ok(image);
  EXPECT_EQ(mask.at(40, 39), 1);
  EXPECT_EQ(mask.count(), 3600U);
}

TEST(ImageForegroundTest, AnnulusKeepsItsHole) {
  ImageRgba8 image(100, 100, kWhite);
  testing::fill_disc(image, 50, 50, 35, kInk);
  testing::fill_disc(image, 50, 50, 15, kWhite);
  const Mask mask = extract_ok(image);
  EXPECT_EQ(mask.at(50, 50), 0);
  EXPECT_EQ(mask.at(50, 25), 1);
  EXPECT_EQ(mismatch(mask, [](int x, int y) { return in_disc(x, y, 50, 50, 35) && !in_disc(x, y, 50, 50, 15); }), 0.0);
}

TEST(ImageForegroundTest, SmallEnclosedHighlightIsFilled) {
  ImageRgba8 image(100, 100, kWhite);
  testing::fill_disc(image, 50, 50, 35, kInk);
  testing::fill_rect(image, 40, 40, 44, 44, kWhite);  // 16 px glint: 0.4 % of the disc
  const Mask mask = extract_ok(image);
  EXPECT_EQ(mask.at(41, 41), 1);
  EXPECT_EQ(mismatch(mask, [](int x, int y) { return in_disc(x, y, 50, 50, 35); }), 0.0);
}

TEST(ImageForegroundTest, HoleFractionIsConfigurable) {
  ImageRgba8 image(100, 100, kWhite);
  testing::fill_disc(image, 50, 50, 35, kInk);
  testing::fill_disc(image, 50, 50, 15, kWhite);  // hole ≈ 18 % of the disc
  EXPECT_EQ(extract_ok(image, {.min_hole_fraction = 0.5F}).at(50, 50), 1);
}

TEST(ImageForegroundTest, SpecksAreRemoved) {
  ImageRgba8 image(100, 100, kWhite);
  testing::fill_disc(image, 50, 50, 30, kInk);
  testing::fill_rect(image, 3, 3, 5, 5, kInk);      // 4 px of dust
  testing::fill_rect(image, 90, 10, 93, 12, kInk);  // 6 px
  testing::fill_rect(image, 85, 85, 97, 97, kInk);  // 144 px: about 5 % of the disc, kept
  const Mask mask = extract_ok(image);
  EXPECT_EQ(mask.at(3, 3), 0);
  EXPECT_EQ(mask.at(91, 11), 0);
  EXPECT_EQ(mask.at(90, 90), 1);
  EXPECT_EQ(mask.at(50, 50), 1);
}

TEST(ImageForegroundTest, NoisyGradientBackgroundIsBackground) {
  // Background brightening from 150 on the left to 250 on the right, with ±10 noise: far more
  // than the tolerance end to end, but a plane explains it.
  ImageRgba8 image(120, 90);
  std::mt19937 random(7);
  std::uniform_int_distribution<int> noise(-10, 10);
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const int level = 150 + x * 100 / (image.width - 1);
      const auto channel = [&](int offset) {
        return static_cast<std::uint8_t>(std::clamp(level + offset + noise(random), 0, 255));
      };
      image.at(x, y) = {channel(0), channel(-5), channel(-20), 255};
    }
  }
  testing::fill_disc(image, 60, 45, 25, {120, 20, 20, 255});
  const Mask mask = extract_ok(image);
  EXPECT_LT(mismatch(mask, [](int x, int y) { return in_disc(x, y, 60, 45, 25); }), 0.002);
}

TEST(ImageForegroundTest, ColourToleranceIsConfigurable) {
  ImageRgba8 image(50, 50, {200, 200, 200, 255});
  testing::fill_disc(image, 25, 25, 10, {180, 180, 180, 255});  // distance ≈ 35 from the background
  EXPECT_GT(extract_ok(image).count(), 250U);
  EXPECT_FALSE(extract_foreground(image, {.color_tolerance = 40.0F}).has_value());
}

TEST(ImageForegroundTest, ObjectTouchingTheBorderIsKept) {
  ImageRgba8 image(80, 60, kWhite);
  testing::fill_rect(image, 0, 20, 50, 40, kInk);  // runs off the left edge
  const Mask mask = extract_ok(image);
  EXPECT_EQ(mask.count(), 50U * 20U);
  EXPECT_EQ(mask.at(0, 30), 1);
}

TEST(ImageForegroundTest, InvalidOptionsAreRejected) {
  const ImageRgba8 image(8, 8, kWhite);
  for (const ForegroundOptions& options :
       {ForegroundOptions{.color_tolerance = -1.0F}, ForegroundOptions{.min_hole_fraction = 2.0F},
        ForegroundOptions{.min_component_fraction = std::nanf("")}}) {
    const auto mask = extract_foreground(image, options);
    testing::expect_error(mask, ErrorCode::kInvalidArgument);
  }
  const auto empty = extract_foreground(ImageRgba8{}, {});
  testing::expect_error(empty, ErrorCode::kInvalidArgument);
}

TEST(ImageForegroundDoubtTest, APhotoWithNothingToCutOutIsDoubtful) {
  // Real photos with no object in front: a landscape from above fills its frame; a circuit board
  // and fruit on a table leave a speck. (A facade and a house give a window or a tower: a busy
  // photo's feature can pass for an object.)
  for (const char* name : {"aero3", "board", "fruits"}) {
    auto photo =
        load_image_file(fs::path(ORFEAS_SOURCE_DIR) / "tests" / "data" / "photos" / (std::string(name) + ".jpg"), {});
    ASSERT_TRUE(photo.has_value()) << photo.error().message();
    const auto found = detect_foreground(*photo, {});
    ASSERT_TRUE(found.has_value()) << name << ": " << found.error().message();
    EXPECT_NE(found->doubt, "") << name;
  }
}

TEST(ImageForegroundDoubtTest, AnObjectFillingThePictureIsDoubtful) {
  ImageRgba8 image(64, 64, {200, 190, 175, 255});
  testing::fill_rect(image, 1, 1, 63, 63, {40, 50, 110, 255});  // all but a 1-pixel frame
  testing::add_noise(image, 2);
  const auto found = detect_foreground(image, {});
  ASSERT_TRUE(found.has_value()) << found.error().message();
  EXPECT_NE(found->doubt.find("covers"), std::string::npos) << found->doubt;
}

TEST(ImageForegroundDoubtTest, AnObjectOnItsBackgroundAFlagAndACutOutAreTrusted) {
  ImageRgba8 photo(64, 64, {200, 190, 175, 255});
  testing::fill_disc(photo, 32, 40, 18, {40, 50, 110, 255});  // resting near the bottom, touching nothing
  testing::add_noise(photo, 3);
  const auto object = detect_foreground(photo, {});
  ASSERT_TRUE(object.has_value());
  EXPECT_EQ(object->doubt, "");

  ImageRgba8 flag(90, 60, {0, 85, 164, 255});  // three flat stripes filling the frame: a graphic
  testing::fill_rect(flag, 30, 0, 60, 60, {255, 255, 255, 255});
  testing::fill_rect(flag, 60, 0, 90, 60, {239, 65, 53, 255});
  const auto graphic = detect_foreground(flag, {});
  ASSERT_TRUE(graphic.has_value());
  EXPECT_EQ(graphic->doubt, "");

  ImageRgba8 cutout(32, 32, {0, 0, 0, 0});
  testing::fill_rect(cutout, 0, 8, 32, 32, {40, 50, 110, 255});  // runs into three borders, but from alpha
  const auto alpha = detect_foreground(cutout, {});
  ASSERT_TRUE(alpha.has_value());
  EXPECT_TRUE(alpha->from_alpha);
  EXPECT_EQ(alpha->doubt, "");
}

}  // namespace
}  // namespace orfeas::image
