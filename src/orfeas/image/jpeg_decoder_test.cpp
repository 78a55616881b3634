#include "orfeas/image/jpeg_decoder.h"

#include <gtest/gtest.h>

#include "orfeas/image/test_images.h"

namespace orfeas::image {
namespace {

using testing::Bytes;
using testing::JpegColour;
using testing::JpegSpec;

// Baseline JPEG at quality 95 keeps flat 8×8-aligned blocks within a few levels.
constexpr int kJpegTolerance = 6;

constexpr Rgba8 kRed{220, 30, 30, 255};
constexpr Rgba8 kGreen{30, 200, 40, 255};
constexpr Rgba8 kBlue{20, 40, 210, 255};
constexpr Rgba8 kGrey{128, 128, 128, 255};

// Four flat 16×16 quadrants: red, green / blue, grey.
ImageRgba8 quadrants() {
  ImageRgba8 image(32, 32);
  testing::fill_rect(image, 0, 0, 16, 16, kRed);
  testing::fill_rect(image, 16, 0, 32, 16, kGreen);
  testing::fill_rect(image, 0, 16, 16, 32, kBlue);
  testing::fill_rect(image, 16, 16, 32, 32, kGrey);
  return image;
}

ImageRgba8 decode_ok(const Bytes& jpeg) {
  auto decoded = decode_jpeg(jpeg, DecodeLimits{});
  EXPECT_TRUE(decoded.has_value()) << (decoded ? "" : decoded.error().message());
  return decoded ? *decoded : ImageRgba8{};
}

void expect_quadrants(const ImageRgba8& image) {
  ASSERT_EQ(image.width, 32);
  ASSERT_EQ(image.height, 32);
  EXPECT_PRED3(testing::near, image.at(8, 8), kRed, kJpegTolerance);
  EXPECT_PRED3(testing::near, image.at(24, 8), kGreen, kJpegTolerance);
  EXPECT_PRED3(testing::near, image.at(8, 24), kBlue, kJpegTolerance);
  EXPECT_PRED3(testing::near, image.at(24, 24), kGrey, kJpegTolerance);
}

TEST(ImageJpegTest, BaselineColour) {
  expect_quadrants(decode_ok(testing::encode_jpeg(quadrants())));
}

TEST(ImageJpegTest, Progressive) {
  expect_quadrants(decode_ok(testing::encode_jpeg(quadrants(), {.progressive = true})));
}

TEST(ImageJpegTest, GreyscaleBecomesGreyRgb) {
  ImageRgba8 image(16, 16, {40, 40, 40, 255});
  testing::fill_rect(image, 8, 0, 16, 16, {210, 210, 210, 255});
  const ImageRgba8 decoded = decode_ok(testing::encode_jpeg(image, {.colour = JpegColour::kGrey}));
  EXPECT_PRED3(testing::near, decoded.at(3, 8), (Rgba8{40, 40, 40, 255}), kJpegTolerance);
  EXPECT_PRED3(testing::near, decoded.at(12, 8), (Rgba8{210, 210, 210, 255}), kJpegTolerance);
}

// Ink amounts (C, M, Y, K in r, g, b, a) and the RGB they should come out as.
struct InkCase {
  Rgba8 ink;
  Rgba8 rgb;
};

TEST(ImageJpegTest, CmykAndYcckAreConverted) {
  const InkCase cases[] = {
      {{0, 255, 255, 0}, {255, 0, 0, 255}},    // magenta + yellow = red
      {{255, 0, 255, 0}, {0, 255, 0, 255}},    // cyan + yellow = green
      {{0, 0, 0, 0}, {255, 255, 255, 255}},    // no ink = paper white
      {{0, 0, 0, 255}, {0, 0, 0, 255}},        // full black
      {{0, 0, 0, 128}, {127, 127, 127, 255}},  // half black
  };
  for (const JpegColour colour : {JpegColour::kCmykAdobe, JpegColour::kCmykPlain, JpegColour::kYcck}) {
    ImageRgba8 image(16 * static_cast<int>(std::size(cases)), 16);
    for (std::size_t i = 0; i < std::size(cases); ++i) {
      const int x0 = 16 * static_cast<int>(i);
      testing::fill_rect(image, x0, 0, x0 + 16, 16, cases[i].ink);
    }
    const ImageRgba8 decoded = decode_ok(testing::encode_jpeg(image, {.colour = colour}));
    for (std::size_t i = 0; i < std::size(cases); ++i) {
      EXPECT_PRED3(testing::near, decoded.at(16 * static_cast<int>(i) + 8, 8), cases[i].rgb, kJpegTolerance)
          << "variant " << static_cast<int>(colour) << ", case " << i;
    }
  }
}

// Where each orientation stores the corners that a viewer shows top-left and top-right, for a
// stored image of kStoredWidth × kStoredHeight (EXIF 2.32, table of Orientation values).
struct OrientationCase {
  int orientation;
  int top_left_x, top_left_y;    // stored position of the displayed top-left block
  int top_right_x, top_right_y;  // stored position of the displayed top-right block
};

// Blocks of whole 16×16 MCUs, so chroma subsampling keeps their centres exact.
constexpr int kStoredWidth = 64;
constexpr int kStoredHeight = 48;
constexpr int kBlock = 16;
constexpr int kRight = kStoredWidth - kBlock;
constexpr int kBottom = kStoredHeight - kBlock;

constexpr OrientationCase kOrientationCases[] = {
    {1, 0, 0, kRight, 0},  {2, kRight, 0, 0, 0},  {3, kRight, kBottom, 0, kBottom}, {4, 0, kBottom, kRight, kBottom},
    {5, 0, 0, 0, kBottom}, {6, 0, kBottom, 0, 0}, {7, kRight, kBottom, kRight, 0},  {8, kRight, 0, kRight, kBottom},
};

TEST(ImageJpegTest, ExifOrientationTurnsTheImageUpright) {
  for (const bool big_endian : {true, false}) {
    for (const OrientationCase& c : kOrientationCases) {
      ImageRgba8 stored(kStoredWidth, kStoredHeight, {255, 255, 255, 255});
      testing::fill_rect(stored, c.top_left_x, c.top_left_y, c.top_left_x + kBlock, c.top_left_y + kBlock, kRed);
      testing::fill_rect(stored, c.top_right_x, c.top_right_y, c.top_right_x + kBlock, c.top_right_y + kBlock, kGreen);
      const Bytes jpeg =
          testing::encode_jpeg(stored, {.app1 = testing::exif_orientation_payload(c.orientation, big_endian)});
      const ImageRgba8 shown = decode_ok(jpeg);
      SCOPED_TRACE(::testing::Message() << "orientation " << c.orientation << (big_endian ? " MM" : " II"));
      const bool swapped = c.orientation >= 5;
      ASSERT_EQ(shown.width, swapped ? kStoredHeight : kStoredWidth);
      ASSERT_EQ(shown.height, swapped ? kStoredWidth : kStoredHeight);
      EXPECT_PRED3(testing::near, shown.at(kBlock / 2, kBlock / 2), kRed, kJpegTolerance);
      EXPECT_PRED3(testing::near, shown.at(shown.width - kBlock / 2, kBlock / 2), kGreen, kJpegTolerance);
      EXPECT_PRED3(testing::near, shown.at(kBlock / 2, shown.height - kBlock / 2), (Rgba8{255, 255, 255, 255}),
                   kJpegTolerance);
    }
  }
}

TEST(ImageJpegTest, InvalidOrientationValueIsIgnored) {
  const ImageRgba8 shown =
      decode_ok(testing::encode_jpeg(quadrants(), {.app1 = testing::exif_orientation_payload(9, true)}));
  expect_quadrants(shown);
}

TEST(ImageJpegTest, TruncatedFileIsCorruptNotGrey) {
  for (const bool progressive : {false, true}) {
    const Bytes jpeg = testing::encode_jpeg(quadrants(), {.progressive = progressive});
    for (const std::size_t keep : {std::size_t{100}, jpeg.size() / 2, jpeg.size() - 2}) {
      SCOPED_TRACE(::testing::Message() << "kept " << keep << " progressive " << progressive);
      const auto decoded = decode_jpeg(std::span(jpeg).first(keep), DecodeLimits{});
      testing::expect_error(decoded, ErrorCode::kCorruptData, "JPEG truncated");
    }
  }
}

TEST(ImageJpegTest, HeaderClaimingHugeImageIsRefused) {
  Bytes jpeg = testing::encode_jpeg(quadrants());
  testing::patch_jpeg_dimensions(jpeg, 60000, 60000);
  const auto too_wide = decode_jpeg(jpeg, DecodeLimits{});
  testing::expect_error(too_wide, ErrorCode::kLimitExceeded);
  testing::patch_jpeg_dimensions(jpeg, 10000, 10000);
  const auto too_many = decode_jpeg(jpeg, DecodeLimits{});
  testing::expect_error(too_many, ErrorCode::kLimitExceeded);
}

TEST(ImageJpegTest, HeaderWithinLimitsButMissingDataIsCorrupt) {
  Bytes jpeg = testing::encode_jpeg(quadrants());
  testing::patch_jpeg_dimensions(jpeg, 500, 400);
  const auto decoded = decode_jpeg(jpeg, DecodeLimits{});
  testing::expect_error(decoded, ErrorCode::kCorruptData);
}

TEST(ImageJpegTest, GarbageAfterSignatureIsCorrupt) {
  const Bytes garbage{0xFF, 0xD8, 0xFF, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9A};
  const auto decoded = decode_jpeg(garbage, DecodeLimits{});
  testing::expect_error(decoded, ErrorCode::kCorruptData);
}

}  // namespace
}  // namespace orfeas::image
