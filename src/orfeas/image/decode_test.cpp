#include "orfeas/image/decode.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "orfeas/image/test_images.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::image {
namespace {

using orfeas::testing::TempDir;
using testing::Bytes;
using testing::expect_error;

Bytes bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

ImageRgba8 small_image() {
  ImageRgba8 image(6, 4, {10, 20, 30, 255});
  image.at(5, 3) = {200, 100, 0, 128};
  return image;
}

TEST(ImageDecodeTest, DispatchesOnMagicBytes) {
  const ImageRgba8 image = small_image();
  const auto png = decode_image(testing::encode_png(image), DecodeLimits{});
  ASSERT_TRUE(png.has_value()) << png.error().message();
  EXPECT_EQ(png->pixels, image.pixels);
  const auto webp = decode_image(testing::encode_webp_lossless(image), DecodeLimits{});
  ASSERT_TRUE(webp.has_value()) << webp.error().message();
  EXPECT_EQ(webp->pixels, image.pixels);
  const auto jpeg = decode_image(testing::encode_jpeg(ImageRgba8(8, 8, {90, 90, 90, 255})), DecodeLimits{});
  ASSERT_TRUE(jpeg.has_value()) << jpeg.error().message();
  EXPECT_EQ(jpeg->width, 8);
}

TEST(ImageDecodeTest, SniffsSupportedFormats) {
  EXPECT_EQ(sniff_image_format(testing::encode_png(small_image())), ImageFormat::kPng);
  EXPECT_EQ(sniff_image_format(testing::encode_webp_lossless(small_image())), ImageFormat::kWebp);
  EXPECT_EQ(sniff_image_format(testing::encode_jpeg(ImageRgba8(8, 8))), ImageFormat::kJpeg);
  EXPECT_EQ(image_format_name(ImageFormat::kWebp), "WebP");
}

TEST(ImageDecodeTest, EmptyInputIsCorrupt) {
  expect_error(decode_image({}, DecodeLimits{}), ErrorCode::kCorruptData, "file is empty");
}

TEST(ImageDecodeTest, GarbageIsUnsupported) {
  expect_error(decode_image(bytes_of("hello, this is not an image at all"), DecodeLimits{}),
               ErrorCode::kUnsupportedFormat, "not a PNG, JPEG or WebP image");
}

TEST(ImageDecodeTest, KnownOtherFormatsAreNamed) {
  expect_error(decode_image(bytes_of("GIF89a\x01\x00\x01\x00"), DecodeLimits{}), ErrorCode::kUnsupportedFormat, "GIF");
  expect_error(decode_image(Bytes{'B', 'M', 0x3a, 0, 0, 0}, DecodeLimits{}), ErrorCode::kUnsupportedFormat, "BMP");
  expect_error(decode_image(Bytes{'I', 'I', '*', 0, 8, 0, 0, 0}, DecodeLimits{}), ErrorCode::kUnsupportedFormat,
               "TIFF");
  expect_error(decode_image(Bytes{0, 0, 0, 0x1c, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f'}, DecodeLimits{}),
               ErrorCode::kUnsupportedFormat, "AVIF");
  expect_error(
      decode_image(Bytes{'R', 'I', 'F', 'F', 0x10, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' '}, DecodeLimits{}),
      ErrorCode::kUnsupportedFormat, "RIFF file that is not WebP");
}

TEST(ImageDecodeTest, FileCutInsideTheSignatureIsTruncated) {
  expect_error(decode_image(Bytes{0x89, 'P', 'N'}, DecodeLimits{}), ErrorCode::kCorruptData, "PNG truncated");
  expect_error(decode_image(Bytes{0xFF, 0xD8}, DecodeLimits{}), ErrorCode::kCorruptData, "JPEG truncated");
  expect_error(decode_image(Bytes{'R', 'I', 'F', 'F', 0x10, 0, 0, 0, 'W', 'E'}, DecodeLimits{}),
               ErrorCode::kCorruptData, "WebP truncated");
}

TEST(ImageDecodeTest, InputOverTheByteLimitIsRefused) {
  DecodeLimits limits;
  limits.max_file_bytes = 16;
  expect_error(decode_image(testing::encode_png(small_image()), limits), ErrorCode::kLimitExceeded, "bytes");
}

TEST(ImageDecodeTest, DimensionCheckNamesTheNumbers) {
  const DecodeLimits limits;
  EXPECT_TRUE(check_image_dimensions(16384, 2000, limits, "PNG").has_value());
  const auto wide = check_image_dimensions(16385, 1, limits, "PNG");
  testing::expect_error(wide, ErrorCode::kLimitExceeded, "16385x1");
  const auto empty = check_image_dimensions(0, 10, limits, "PNG");
  testing::expect_error(empty, ErrorCode::kCorruptData);
}

TEST(ImageDecodeTest, LoadsFiles) {
  const TempDir temp;
  const std::filesystem::path& dir = temp.path();
  const ImageRgba8 image = small_image();
  // The extension lies on purpose: the content decides.
  testing::write_file(dir / "picture.jpg", testing::encode_png(image));
  const auto loaded = load_image_file(dir / "picture.jpg", DecodeLimits{});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(loaded->pixels, image.pixels);
}

TEST(ImageDecodeTest, MissingFileIsNotFound) {
  const TempDir temp;
  const std::filesystem::path& dir = temp.path();
  expect_error(load_image_file(dir / "nope.png", DecodeLimits{}), ErrorCode::kNotFound, "nope.png");
  expect_error(load_image_file(dir / "no_dir" / "nope.png", DecodeLimits{}), ErrorCode::kNotFound, "no such file");
}

TEST(ImageDecodeTest, DirectoryIsRefused) {
  const TempDir temp;
  const std::filesystem::path& dir = temp.path();
  expect_error(load_image_file(dir, DecodeLimits{}), ErrorCode::kInvalidArgument, "is a directory");
}

TEST(ImageDecodeTest, FifoIsRefusedWithoutBlocking) {
  const TempDir temp;
  const std::filesystem::path& dir = temp.path();
  const auto fifo = dir / "pipe.png";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_error(load_image_file(fifo, DecodeLimits{}), ErrorCode::kInvalidArgument, "not a regular file");
}

TEST(ImageDecodeTest, TooBigFileIsRefusedBeforeReading) {
  const TempDir temp;
  const std::filesystem::path& dir = temp.path();
  const auto path = dir / "big.png";
  testing::write_file(path, testing::encode_png(small_image()));
  // Grow the file sparsely far past the limit; reading it would take noticeable time and memory.
  std::filesystem::resize_file(path, std::uintmax_t{1} << 33U);
  expect_error(load_image_file(path, DecodeLimits{}), ErrorCode::kLimitExceeded, "8589934592 bytes");
}

TEST(ImageDecodeTest, UnreadableFileIsAnIoError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files regardless of permissions";
  const TempDir temp;
  const std::filesystem::path& dir = temp.path();
  const auto path = dir / "secret.png";
  testing::write_file(path, testing::encode_png(small_image()));
  std::filesystem::permissions(path, std::filesystem::perms::none);
  expect_error(load_image_file(path, DecodeLimits{}), ErrorCode::kIoError, "cannot open");
}

TEST(ImageDecodeTest, EmptyFileIsCorruptAndNamesThePath) {
  const TempDir temp;
  const std::filesystem::path& dir = temp.path();
  testing::write_file(dir / "empty.png", Bytes{});
  expect_error(load_image_file(dir / "empty.png", DecodeLimits{}), ErrorCode::kCorruptData, "empty.png: file is empty");
}

}  // namespace
}  // namespace orfeas::image
