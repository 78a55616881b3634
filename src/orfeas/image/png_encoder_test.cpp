#include "orfeas/image/png_encoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "orfeas/image/decode.h"
#include "orfeas/image/test_images.h"

namespace orfeas::image {
namespace {

ImageRgba8 gradient(int width, int height, std::uint8_t alpha) {
  ImageRgba8 image(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at(x, y) = {static_cast<std::uint8_t>(x * 7), static_cast<std::uint8_t>(y * 11),
                        static_cast<std::uint8_t>((x + y) * 3), alpha};
    }
  }
  return image;
}

ImageRgba8 round_trip(const ImageRgba8& image) {
  const Result<std::vector<std::uint8_t>> png = encode_png(image);
  EXPECT_TRUE(png) << png.error().message();
  if (!png) return {};
  Result<ImageRgba8> decoded = decode_image(*png, DecodeLimits{});
  EXPECT_TRUE(decoded) << decoded.error().message();
  return decoded ? std::move(*decoded) : ImageRgba8{};
}

// The colour type byte of IHDR: 2 = RGB, 6 = RGBA.
int colour_type(const std::vector<std::uint8_t>& png) {
  return png.size() > 25 ? png[25] : -1;
}

TEST(PngEncoder, OpaqueImageRoundTripsAsRgb) {
  const ImageRgba8 image = gradient(13, 9, 255);
  const Result<std::vector<std::uint8_t>> png = encode_png(image);
  ASSERT_TRUE(png);
  EXPECT_EQ(colour_type(*png), 2);
  const ImageRgba8 back = round_trip(image);
  EXPECT_EQ(back.width, 13);
  EXPECT_EQ(back.height, 9);
  EXPECT_EQ(back.pixels, image.pixels);
}

TEST(PngEncoder, TranslucentPixelsKeepTheirAlpha) {
  ImageRgba8 image = gradient(6, 5, 255);
  image.at(2, 3).a = 0;
  image.at(5, 4).a = 128;
  const Result<std::vector<std::uint8_t>> png = encode_png(image);
  ASSERT_TRUE(png);
  EXPECT_EQ(colour_type(*png), 6);
  const ImageRgba8 back = round_trip(image);
  EXPECT_EQ(back.pixels, image.pixels);
  EXPECT_EQ(back.at(5, 4).a, 128);
}

TEST(PngEncoder, SamePixelsGiveTheSameBytes) {
  const ImageRgba8 image = gradient(32, 16, 255);
  const Result<std::vector<std::uint8_t>> first = encode_png(image);
  const Result<std::vector<std::uint8_t>> second = encode_png(image);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
}

TEST(PngEncoder, EmptyOrInconsistentImagesAreRefused) {
  const Result<std::vector<std::uint8_t>> empty = encode_png(ImageRgba8{});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), ErrorCode::kInvalidArgument);
  ImageRgba8 short_pixels(4, 4);
  short_pixels.pixels.pop_back();
  const Result<std::vector<std::uint8_t>> inconsistent = encode_png(short_pixels);
  ASSERT_FALSE(inconsistent);
  EXPECT_EQ(inconsistent.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::image
