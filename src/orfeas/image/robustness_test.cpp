// Fuzz-ish robustness: damaged and truncated variants of valid files must decode to an image or
// to an error, never crash, hang or read out of bounds (the dev preset runs this under ASan/UBSan).
#include <random>

#include <gtest/gtest.h>

#include "orfeas/image/decode.h"
#include "orfeas/image/test_images.h"

namespace orfeas::image {
namespace {

using testing::Bytes;

constexpr int kMutationsPerFile = 300;

// Small limits keep a mutated header from making each iteration allocate megabytes.
DecodeLimits fuzz_limits() {
  DecodeLimits limits;
  limits.max_pixels = 1 << 16;
  limits.max_dimension = 1024;
  return limits;
}

ImageRgba8 busy_image() {
  ImageRgba8 image(37, 29);
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      image.at(x, y) = {static_cast<std::uint8_t>(x * 9 + y), static_cast<std::uint8_t>(y * 13),
                        static_cast<std::uint8_t>(x * y), static_cast<std::uint8_t>(x > 20 ? 255 : x * 12)};
    }
  }
  return image;
}

void expect_sane(const Result<ImageRgba8>& result, const DecodeLimits& limits) {
  if (result) {
    EXPECT_GT(result->width, 0);
    EXPECT_GT(result->height, 0);
    EXPECT_LE(static_cast<std::uint64_t>(result->width) * static_cast<std::uint64_t>(result->height),
              limits.max_pixels);
    EXPECT_EQ(result->pixels.size(),
              static_cast<std::size_t>(result->width) * static_cast<std::size_t>(result->height));
    return;
  }
  const ErrorCode code = result.error().code();
  EXPECT_TRUE(code == ErrorCode::kCorruptData || code == ErrorCode::kLimitExceeded ||
              code == ErrorCode::kUnsupportedFormat)
      << result.error().message();
  EXPECT_FALSE(result.error().message().empty());
}

void every_truncation_fails(const Bytes& file) {
  const DecodeLimits limits = fuzz_limits();
  ASSERT_TRUE(decode_image(file, limits).has_value());
  for (std::size_t keep = 0; keep < file.size(); ++keep) {
    const auto result = decode_image(std::span(file).first(keep), limits);
    ASSERT_FALSE(result.has_value()) << "a prefix of " << keep << " of " << file.size() << " bytes decoded";
    expect_sane(result, limits);
  }
}

// Flips 1–8 random bytes per try; `repair` may fix up checksums so the damage gets past them.
void mutations_are_handled(const Bytes& file, void (*repair)(Bytes&)) {
  const DecodeLimits limits = fuzz_limits();
  std::mt19937 random(1234);
  std::uniform_int_distribution<std::size_t> position(0, file.size() - 1);
  std::uniform_int_distribution<int> flips(1, 8);
  std::uniform_int_distribution<int> value(0, 255);
  for (int attempt = 0; attempt < kMutationsPerFile; ++attempt) {
    Bytes mutated = file;
    for (int i = flips(random); i > 0; --i) mutated[position(random)] = static_cast<std::uint8_t>(value(random));
    if (repair != nullptr) repair(mutated);
    expect_sane(decode_image(mutated, limits), limits);
    // A damaged file cut short is the upload that broke twice.
    expect_sane(decode_image(std::span(mutated).first(mutated.size() * 2 / 3), limits), limits);
  }
}

TEST(ImageRobustnessTest, PngTruncations) {
  every_truncation_fails(testing::encode_png(busy_image()));
}
TEST(ImageRobustnessTest, InterlacedPngTruncations) {
  every_truncation_fails(testing::encode_png(busy_image(), true));
}
TEST(ImageRobustnessTest, JpegTruncations) {
  every_truncation_fails(testing::encode_jpeg(busy_image(), {.app1 = testing::exif_orientation_payload(6, true)}));
}
TEST(ImageRobustnessTest, ProgressiveJpegTruncations) {
  every_truncation_fails(testing::encode_jpeg(busy_image(), {.progressive = true}));
}
TEST(ImageRobustnessTest, WebpTruncations) {
  every_truncation_fails(testing::encode_webp_lossless(busy_image()));
  every_truncation_fails(testing::encode_webp_lossy(busy_image(), 70.0F));
}

TEST(ImageRobustnessTest, PngMutations) {
  const Bytes png = testing::encode_png(busy_image());
  mutations_are_handled(png, nullptr);
  mutations_are_handled(png, testing::fix_png_crcs);
  mutations_are_handled(testing::encode_png(busy_image(), true), testing::fix_png_crcs);
}

TEST(ImageRobustnessTest, JpegMutations) {
  mutations_are_handled(testing::encode_jpeg(busy_image(), {.app1 = testing::exif_orientation_payload(3, false)}),
                        nullptr);
  mutations_are_handled(testing::encode_jpeg(busy_image(), {.progressive = true}), nullptr);
  mutations_are_handled(testing::encode_jpeg(busy_image(), {.colour = testing::JpegColour::kYcck}), nullptr);
}

TEST(ImageRobustnessTest, WebpMutations) {
  mutations_are_handled(testing::encode_webp_lossless(busy_image()), nullptr);
  mutations_are_handled(testing::encode_webp_lossy(busy_image(), 70.0F), nullptr);
}

TEST(ImageRobustnessTest, ExifMutations) {
  // Damage only the APP1 payload, where libexif parses, by building the JPEG around it.
  const Bytes payload = testing::exif_orientation_payload(6, true);
  std::mt19937 random(99);
  std::uniform_int_distribution<std::size_t> position(6, payload.size() - 1);
  std::uniform_int_distribution<int> value(0, 255);
  const ImageRgba8 image(16, 8, {100, 100, 100, 255});
  for (int attempt = 0; attempt < 200; ++attempt) {
    Bytes mutated = payload;
    for (int i = 0; i < 3; ++i) mutated[position(random)] = static_cast<std::uint8_t>(value(random));
    const auto decoded = decode_image(testing::encode_jpeg(image, {.app1 = mutated}), fuzz_limits());
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
    EXPECT_TRUE((decoded->width == 16 && decoded->height == 8) || (decoded->width == 8 && decoded->height == 16));
  }
}

}  // namespace
}  // namespace orfeas::image
