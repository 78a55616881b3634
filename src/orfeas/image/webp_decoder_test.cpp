#include "orfeas/image/webp_decoder.h"

#include <gtest/gtest.h>

#include "orfeas/image/test_images.h"

namespace orfeas::image {
namespace {

using testing::Bytes;

ImageRgba8 pattern(int width, int height) {
  ImageRgba8 image(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at(x, y) = {static_cast<std::uint8_t>(x * 7), static_cast<std::uint8_t>(y * 11),
                        static_cast<std::uint8_t>((x ^ y) * 5),
                        static_cast<std::uint8_t>(x < width / 2 ? 255 : 40 + y)};
    }
  }
  return image;
}

TEST(ImageWebpTest, LosslessIsExactIncludingAlpha) {
  const ImageRgba8 image = pattern(23, 17);
  const auto decoded = decode_webp(testing::encode_webp_lossless(image), DecodeLimits{});
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  ASSERT_EQ(decoded->width, 23);
  ASSERT_EQ(decoded->height, 17);
  EXPECT_EQ(decoded->pixels, image.pixels);
}

TEST(ImageWebpTest, LossyIsClose) {
  ImageRgba8 image(32, 32, {200, 60, 40, 255});
  testing::fill_rect(image, 16, 0, 32, 32, {30, 90, 220, 255});
  const auto decoded = decode_webp(testing::encode_webp_lossy(image, 95.0F), DecodeLimits{});
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_PRED3(testing::near, decoded->at(6, 16), (Rgba8{200, 60, 40, 255}), 10);
  EXPECT_PRED3(testing::near, decoded->at(26, 16), (Rgba8{30, 90, 220, 255}), 10);
}

TEST(ImageWebpTest, TruncatedFileIsCorrupt) {
  for (const Bytes& webp :
       {testing::encode_webp_lossless(pattern(40, 30)), testing::encode_webp_lossy(pattern(40, 30), 80.0F)}) {
    for (const std::size_t keep : {std::size_t{20}, webp.size() / 2, webp.size() - 1}) {
      SCOPED_TRACE(::testing::Message() << "kept " << keep);
      const auto decoded = decode_webp(std::span(webp).first(keep), DecodeLimits{});
      testing::expect_error(decoded, ErrorCode::kCorruptData, "WebP truncated");
    }
  }
}

TEST(ImageWebpTest, LimitsAreCheckedFromTheHeader) {
  const Bytes webp = testing::encode_webp_lossless(pattern(40, 30));
  DecodeLimits narrow;
  narrow.max_dimension = 32;
  const auto too_wide = decode_webp(webp, narrow);
  testing::expect_error(too_wide, ErrorCode::kLimitExceeded);
  DecodeLimits few;
  few.max_pixels = 1000;
  const auto too_many = decode_webp(webp, few);
  testing::expect_error(too_many, ErrorCode::kLimitExceeded);
}

TEST(ImageWebpTest, DamagedBitstreamIsCorrupt) {
  Bytes webp = testing::encode_webp_lossless(pattern(40, 30));
  for (std::size_t i = 30; i < webp.size(); ++i) webp[i] = static_cast<std::uint8_t>(webp[i] * 31 + 7);
  const auto decoded = decode_webp(webp, DecodeLimits{});
  testing::expect_error(decoded, ErrorCode::kCorruptData);
}

}  // namespace
}  // namespace orfeas::image
