#include "orfeas/image/png_decoder.h"

#include <png.h>

#include <gtest/gtest.h>

#include "orfeas/image/test_images.h"

namespace orfeas::image {
namespace {

using testing::Bytes;
using testing::PngSpec;

ImageRgba8 decode_ok(const Bytes& png) {
  auto decoded = decode_png(png, DecodeLimits{});
  EXPECT_TRUE(decoded.has_value()) << (decoded ? "" : decoded.error().message());
  return decoded ? *decoded : ImageRgba8{};
}

void expect_pixels(const ImageRgba8& image, int width, int height, const std::vector<Rgba8>& expected) {
  ASSERT_EQ(image.width, width);
  ASSERT_EQ(image.height, height);
  ASSERT_EQ(image.pixels.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(image.pixels[i], expected[i]) << "pixel " << i;
}

TEST(ImagePngTest, PaletteWithTransparency) {
  PngSpec spec{.width = 3, .height = 2, .colour_type = PNG_COLOR_TYPE_PALETTE, .bit_depth = 8};
  spec.palette = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30}};
  spec.palette_alpha = {255, 128, 0};  // entry 3 has no tRNS value: opaque
  spec.rows = {{0, 1, 2}, {3, 2, 1}};
  expect_pixels(
      decode_ok(encode_png(spec)), 3, 2,
      {{255, 0, 0, 255}, {0, 255, 0, 128}, {0, 0, 255, 0}, {10, 20, 30, 255}, {0, 0, 255, 0}, {0, 255, 0, 128}});
}

TEST(ImagePngTest, TwoBitPaletteIsUnpacked) {
  PngSpec spec{.width = 5, .height = 1, .colour_type = PNG_COLOR_TYPE_PALETTE, .bit_depth = 2};
  spec.palette = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}};
  spec.rows = {{0b00011011, 0b10000000}};  // indices 0 1 2 3 | 2
  expect_pixels(decode_ok(encode_png(spec)), 5, 1,
                {{1, 2, 3, 255}, {4, 5, 6, 255}, {7, 8, 9, 255}, {10, 11, 12, 255}, {7, 8, 9, 255}});
}

TEST(ImagePngTest, GreyEightBit) {
  PngSpec spec{.width = 2, .height = 2, .colour_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 8};
  spec.rows = {{0, 77}, {200, 255}};
  expect_pixels(decode_ok(encode_png(spec)), 2, 2,
                {{0, 0, 0, 255}, {77, 77, 77, 255}, {200, 200, 200, 255}, {255, 255, 255, 255}});
}

TEST(ImagePngTest, GreyOneBitExpandsToFullRange) {
  PngSpec spec{.width = 3, .height = 1, .colour_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 1};
  spec.rows = {{0b10100000}};
  expect_pixels(decode_ok(encode_png(spec)), 3, 1, {{255, 255, 255, 255}, {0, 0, 0, 255}, {255, 255, 255, 255}});
}

TEST(ImagePngTest, GreyWithColourKeyBecomesTransparent) {
  PngSpec spec{.width = 2, .height = 1, .colour_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 8};
  spec.colour_key = std::array<std::uint16_t, 3>{50, 0, 0};
  spec.rows = {{50, 51}};
  expect_pixels(decode_ok(encode_png(spec)), 2, 1, {{50, 50, 50, 0}, {51, 51, 51, 255}});
}

TEST(ImagePngTest, GreyAlpha) {
  PngSpec spec{.width = 2, .height = 1, .colour_type = PNG_COLOR_TYPE_GRAY_ALPHA, .bit_depth = 8};
  spec.rows = {{90, 0, 180, 200}};
  expect_pixels(decode_ok(encode_png(spec)), 2, 1, {{90, 90, 90, 0}, {180, 180, 180, 200}});
}

TEST(ImagePngTest, Rgb) {
  PngSpec spec{.width = 2, .height = 1, .colour_type = PNG_COLOR_TYPE_RGB, .bit_depth = 8};
  spec.rows = {{1, 2, 3, 250, 251, 252}};
  expect_pixels(decode_ok(encode_png(spec)), 2, 1, {{1, 2, 3, 255}, {250, 251, 252, 255}});
}

TEST(ImagePngTest, RgbWithColourKey) {
  PngSpec spec{.width = 2, .height = 1, .colour_type = PNG_COLOR_TYPE_RGB, .bit_depth = 8};
  spec.colour_key = std::array<std::uint16_t, 3>{1, 2, 3};
  spec.rows = {{1, 2, 3, 1, 2, 4}};
  expect_pixels(decode_ok(encode_png(spec)), 2, 1, {{1, 2, 3, 0}, {1, 2, 4, 255}});
}

TEST(ImagePngTest, Rgba) {
  PngSpec spec{.width = 1, .height = 2, .colour_type = PNG_COLOR_TYPE_RGBA, .bit_depth = 8};
  spec.rows = {{10, 20, 30, 40}, {50, 60, 70, 255}};
  expect_pixels(decode_ok(encode_png(spec)), 1, 2, {{10, 20, 30, 40}, {50, 60, 70, 255}});
}

TEST(ImagePngTest, SixteenBitRgbScalesToEightBits) {
  PngSpec spec{.width = 2, .height = 1, .colour_type = PNG_COLOR_TYPE_RGB, .bit_depth = 16};
  // 0xABAB is exactly 0xAB in 8 bits; 0xFFFF is 255, 0 is 0.
  spec.rows = {{0xAB, 0xAB, 0xFF, 0xFF, 0x00, 0x00, 0x12, 0x12, 0x34, 0x34, 0x56, 0x56}};
  expect_pixels(decode_ok(encode_png(spec)), 2, 1, {{0xAB, 255, 0, 255}, {0x12, 0x34, 0x56, 255}});
}

TEST(ImagePngTest, SixteenBitRgbaAndGreyAlpha) {
  PngSpec rgba{.width = 1, .height = 1, .colour_type = PNG_COLOR_TYPE_RGBA, .bit_depth = 16};
  rgba.rows = {{0x01, 0x01, 0x80, 0x80, 0xFE, 0xFE, 0x7F, 0x7F}};
  expect_pixels(decode_ok(encode_png(rgba)), 1, 1, {{0x01, 0x80, 0xFE, 0x7F}});
  PngSpec grey{.width = 1, .height = 1, .colour_type = PNG_COLOR_TYPE_GRAY_ALPHA, .bit_depth = 16};
  grey.rows = {{0x40, 0x40, 0xC0, 0xC0}};
  expect_pixels(decode_ok(encode_png(grey)), 1, 1, {{0x40, 0x40, 0x40, 0xC0}});
}

TEST(ImagePngTest, InterlacedImageIsReassembled) {
  ImageRgba8 image(13, 11);  // not a multiple of the 8×8 Adam7 tile
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      image.at(x, y) = {static_cast<std::uint8_t>(x * 19), static_cast<std::uint8_t>(y * 23),
                        static_cast<std::uint8_t>(x * y), static_cast<std::uint8_t>(255 - x - y)};
    }
  }
  const ImageRgba8 decoded = decode_ok(testing::encode_png(image, /*interlaced=*/true));
  expect_pixels(decoded, image.width, image.height, image.pixels);
}

TEST(ImagePngTest, TruncatedFileIsCorruptNotPartial) {
  ImageRgba8 image(40, 40, {200, 100, 50, 255});
  testing::fill_rect(image, 5, 5, 30, 30, {1, 2, 3, 255});
  const Bytes png = testing::encode_png(image);
  for (const std::size_t keep : {png.size() / 2, png.size() - 20, png.size() - 1}) {
    SCOPED_TRACE(::testing::Message() << "kept " << keep);
    const auto decoded = decode_png(std::span(png).first(keep), DecodeLimits{});
    testing::expect_error(decoded, ErrorCode::kCorruptData, "PNG truncated");
  }
}

TEST(ImagePngTest, DamagedChunkIsCorrupt) {
  Bytes png = testing::encode_png(ImageRgba8(8, 8, {1, 2, 3, 255}));
  png[40] ^= 0xFF;  // inside IDAT, whose CRC no longer matches
  const auto decoded = decode_png(png, DecodeLimits{});
  testing::expect_error(decoded, ErrorCode::kCorruptData, "PNG damaged");
}

TEST(ImagePngTest, HeaderClaimingHugeImageIsRefusedBeforeAllocating) {
  // 100000² RGBA would be 40 GB; the limits must stop it at the header.
  const auto decoded = decode_png(testing::png_with_lying_header(100000, 100000), DecodeLimits{});
  testing::expect_error(decoded, ErrorCode::kLimitExceeded, "100000x100000");
}

TEST(ImagePngTest, PixelCountLimitAppliesBelowTheDimensionLimit) {
  // 10000 × 10000 passes max_dimension (16384) but is 100 M pixels.
  const auto decoded = decode_png(testing::png_with_lying_header(10000, 10000), DecodeLimits{});
  testing::expect_error(decoded, ErrorCode::kLimitExceeded, "100000000 pixels");
}

TEST(ImagePngTest, HeaderWithinLimitsButTooLittleDataIsCorrupt) {
  const auto decoded = decode_png(testing::png_with_lying_header(300, 200), DecodeLimits{});
  testing::expect_error(decoded, ErrorCode::kCorruptData);
}

TEST(ImagePngTest, DecompressionBombIsRefused) {
  // 20000 × 20000 zeros: 50 MB of raw rows in a file of about 50 KB.
  const Bytes bomb = testing::encode_zero_png(20000, 20000);
  EXPECT_LT(bomb.size(), std::size_t{100} << 10U);
  const auto decoded = decode_png(bomb, DecodeLimits{});
  testing::expect_error(decoded, ErrorCode::kLimitExceeded);
}

TEST(ImagePngTest, SmallBombWithinDimensionLimitHitsPixelLimit) {
  const Bytes bomb = testing::encode_zero_png(2000, 2000);
  DecodeLimits limits;
  limits.max_pixels = 1'000'000;
  const auto decoded = decode_png(bomb, limits);
  testing::expect_error(decoded, ErrorCode::kLimitExceeded);
  // Within the limits the same file decodes to black.
  limits.max_pixels = 4'000'000;
  const auto allowed = decode_png(bomb, limits);
  ASSERT_TRUE(allowed.has_value()) << allowed.error().message();
  EXPECT_EQ(allowed->at(1999, 1999), (Rgba8{0, 0, 0, 255}));
}

ImageRgba8 gradient(int width, int height) {
  ImageRgba8 image(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at(x, y) = {static_cast<std::uint8_t>(x * 7), static_cast<std::uint8_t>(y * 5),
                        static_cast<std::uint8_t>(x + y), static_cast<std::uint8_t>(200 + x % 50)};
    }
  }
  return image;
}

TEST(ImagePngTest, GigabytesOfZerosAfterTheLastRowAreRefused) {
  // 256 MiB of zeros after the rows, about 250 KB compressed: libpng would inflate all of it.
  for (const bool interlaced : {false, true}) {
    const Bytes bomb = testing::png_with_trailing_zeros(gradient(19, 11), std::uint64_t{256} << 20U, interlaced);
    EXPECT_LT(bomb.size(), std::size_t{300} << 10U);
    const auto decoded = decode_png(bomb, DecodeLimits{});
    testing::expect_error(decoded, ErrorCode::kLimitExceeded, "compressed data after its last row");
    EXPECT_EQ(decoded.error().message().find('\n'), std::string::npos);
  }
}

TEST(ImagePngTest, LittleCompressedDataAfterTheLastRowStillDecodes) {
  // 1 MiB of zeros compresses to about 1 KB, well inside the margin a real encoder might use.
  const ImageRgba8 image = gradient(19, 11);
  for (const bool interlaced : {false, true}) {
    for (const std::uint64_t zeros : {std::uint64_t{0}, std::uint64_t{1} << 20U}) {
      const ImageRgba8 decoded = decode_ok(testing::png_with_trailing_zeros(image, zeros, interlaced));
      EXPECT_EQ(decoded.pixels, image.pixels) << "interlaced " << interlaced << ", zeros " << zeros;
    }
  }
}

}  // namespace
}  // namespace orfeas::image
