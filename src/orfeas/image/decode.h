// Image decoding: PNG, JPEG and WebP bytes → 8-bit RGBA (see image.h for the pixel layout).
//
//   DecodeLimits limits;                                     // defaults suit a public upload API
//   ORFEAS_ASSIGN_OR_RETURN(ImageRgba8 image, load_image_file("cat.jpg", limits));
//
// Uploads are hostile. Every decoder checks the image's header against DecodeLimits before it
// allocates pixel memory, so a header that lies about its size or a decompression bomb costs a
// few hundred bytes of parsing and returns kLimitExceeded. Truncated or damaged files return
// kCorruptData, never a partially grey image. Formats are recognised by their magic bytes, never
// by the file name.
//
// JPEG EXIF orientation (tags 1–8) is applied, so the result is upright as a viewer shows it.
// Colour profiles and gamma chunks are ignored: pixels are taken as sRGB. Animated WebP is refused
// (kUnsupportedFormat); 16-bit PNG samples are scaled to 8 bits.
//
// Errors: kCorruptData (empty, truncated, damaged), kUnsupportedFormat (GIF, BMP, TIFF, … or
// unknown), kLimitExceeded (file size, dimensions, pixel count, and work the image does not need:
// compressed PNG data after the last row, more than 256 progressive JPEG scans), kNotFound / kIoError /
// kInvalidArgument (file-level problems in load_image_file).
//
// Thread-safety: pure functions without shared state; safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "orfeas/core/status.h"
#include "orfeas/image/image.h"

namespace orfeas::image {

struct DecodeLimits {
  std::size_t max_file_bytes = std::size_t{64} << 20U;  // encoded size, bytes
  std::uint64_t max_pixels = 40'000'000;                // width × height of the decoded image
  int max_dimension = 16384;                            // pixels, for width and height alike
};

// The encodings decode_image understands.
enum class ImageFormat { kPng, kJpeg, kWebp };

[[nodiscard]] std::string_view image_format_name(ImageFormat format);

// Recognises PNG, JPEG and WebP by their magic bytes. Anything else is an error that names what
// the bytes look like when that is known ("a GIF image, which is not supported").
[[nodiscard]] Result<ImageFormat> sniff_image_format(std::span<const std::uint8_t> bytes);

// Checks decoded dimensions against the limits; `format` names the file type in the message.
// Decoders call this with the header's numbers before allocating anything.
[[nodiscard]] Status check_image_dimensions(std::uint64_t width, std::uint64_t height, const DecodeLimits& limits,
                                            std::string_view format);

// Decodes an encoded image held in memory. `bytes` is borrowed for the duration of the call.
[[nodiscard]] Result<ImageRgba8> decode_image(std::span<const std::uint8_t> bytes, const DecodeLimits& limits);

// Reads a regular file (checking its size against max_file_bytes before reading) and decodes it.
[[nodiscard]] Result<ImageRgba8> load_image_file(const std::filesystem::path& path, const DecodeLimits& limits);

}  // namespace orfeas::image
