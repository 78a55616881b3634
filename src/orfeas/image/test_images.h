// Test fixtures: encoders that write PNG, JPEG and WebP files in memory, so the decoder tests need
// no committed binaries. Test-only; failures abort the test program (a broken fixture is a bug).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/core/status.h"
#include "orfeas/image/image.h"

namespace orfeas::image {

// Lets GoogleTest print pixels in failure messages.
void PrintTo(const Rgba8& pixel, std::ostream* out);

}  // namespace orfeas::image

namespace orfeas::image::testing {

using Bytes = std::vector<std::uint8_t>;

// A PNG as stored: `rows` holds height rows of packed samples (big-endian for 16-bit), exactly as
// the PNG specification lays them out for the colour type and bit depth.
struct PngSpec {
  int width = 0;
  int height = 0;
  int colour_type = 0;  // PNG_COLOR_TYPE_*
  int bit_depth = 8;
  bool interlaced = false;
  std::vector<Bytes> rows{};
  std::vector<std::array<std::uint8_t, 3>> palette{};        // for PNG_COLOR_TYPE_PALETTE
  Bytes palette_alpha{};                                     // tRNS for palettes
  std::optional<std::array<std::uint16_t, 3>> colour_key{};  // tRNS for grey (first value) or RGB
};

[[nodiscard]] Bytes encode_png(const PngSpec& spec);
[[nodiscard]] Bytes encode_png(const ImageRgba8& image, bool interlaced = false);

// A 1-bit greyscale PNG of zeros, compressed at maximum effort and written row by row: a
// decompression bomb whose pixels never exist in memory while it is made.
[[nodiscard]] Bytes encode_zero_png(std::uint32_t width, std::uint32_t height);

// Signature, IHDR (8-bit RGBA) claiming width × height, a tiny IDAT and IEND, all with valid CRCs.
[[nodiscard]] Bytes png_with_lying_header(std::uint32_t width, std::uint32_t height);

// A valid 8-bit RGBA PNG of `image` (Adam7 when `interlaced`) whose single zlib stream goes on after the last row with
// `trailing_zero_bytes` (rounded down to whole MiB) of zeros: a few hundred bytes on disk per MiB,
// and a correct Adler-32, so only a bound on inflation stops a decoder from inflating them all.
[[nodiscard]] Bytes png_with_trailing_zeros(const ImageRgba8& image, std::uint64_t trailing_zero_bytes,
                                            bool interlaced = false);

// Recomputes every chunk CRC, so mutated bytes reach libpng's decoder instead of its CRC check.
void fix_png_crcs(Bytes& png);

enum class JpegColour { kRgb, kGrey, kCmykAdobe, kCmykPlain, kYcck };

struct JpegSpec {
  JpegColour colour = JpegColour::kRgb;
  int quality = 95;
  bool progressive = false;
  Bytes app1{};  // written as an APP1 segment when not empty
};

// For kCmyk*/kYcck the image's r, g, b, a carry the ink amounts C, M, Y, K (0 = no ink); the
// encoder stores them the way that variant does (Adobe: inverted).
[[nodiscard]] Bytes encode_jpeg(const ImageRgba8& image, const JpegSpec& spec = {});

// An APP1 payload "Exif\0\0" + TIFF header + IFD0 holding only Orientation = `orientation`.
[[nodiscard]] Bytes exif_orientation_payload(int orientation, bool big_endian);

// Rewrites the first SOF segment's dimensions.
void patch_jpeg_dimensions(Bytes& jpeg, std::uint16_t width, std::uint16_t height);

[[nodiscard]] Bytes encode_webp_lossless(const ImageRgba8& image);
[[nodiscard]] Bytes encode_webp_lossy(const ImageRgba8& image, float quality);

void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

// Draws an axis-aligned filled rectangle [x0, x1) × [y0, y1) and a disc, clipped to the image.
void fill_rect(ImageRgba8& image, int x0, int y0, int x1, int y1, Rgba8 colour);
void fill_disc(ImageRgba8& image, double centre_x, double centre_y, double radius, Rgba8 colour);

// Photo-like noise over every pixel (the same seeded offset in −20..20 on each channel), so an image
// is no longer a graphic of a few flat colours.
void add_noise(ImageRgba8& image, unsigned seed);

[[nodiscard]] bool near(Rgba8 actual, Rgba8 expected, int tolerance);

// Expects `result` to be an error with `code` whose message contains `fragment`.
template <class T>
void expect_error(const Result<T>& result, ErrorCode code, std::string_view fragment = {}) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(error_code_name(result.error().code()), error_code_name(code)) << result.error().message();
  EXPECT_NE(result.error().message().find(fragment), std::string::npos) << result.error().message();
}

}  // namespace orfeas::image::testing
