#include "orfeas/image/test_images.h"

#include <cstddef>
#include <cstdio>

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>
#include <random>

#include <gtest/gtest.h>

namespace orfeas::image {

void PrintTo(const Rgba8& pixel, std::ostream* out) {
  *out << "rgba(" << int{pixel.r} << ", " << int{pixel.g} << ", " << int{pixel.b} << ", " << int{pixel.a} << ")";
}

namespace testing {
namespace {

[[noreturn]] void abort_on_png_error(png_structp /*png*/, png_const_charp message) {
  std::fprintf(stderr, "test fixture: libpng failed: %s\n", message);
  std::abort();
}

void append_to_bytes(png_structp png, png_bytep data, std::size_t length) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

void flush_nothing(png_structp /*png*/) {}

// Owns a png write struct; errors abort, so no setjmp is needed here.
class PngWriter {
 public:
  explicit PngWriter(Bytes* out) {
    png_ = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, abort_on_png_error, nullptr);
    info_ = png_create_info_struct(png_);
    png_set_write_fn(png_, out, append_to_bytes, flush_nothing);
  }
  ~PngWriter() { png_destroy_write_struct(&png_, &info_); }
  PngWriter(const PngWriter&) = delete;
  PngWriter& operator=(const PngWriter&) = delete;
  png_structp png() const { return png_; }
  png_infop info() const { return info_; }

 private:
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

void put_be32(Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

void append_chunk(Bytes& out, std::string_view type, const Bytes& data) {
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t type_start = out.size();
  out.insert(out.end(), type.begin(), type.end());
  out.insert(out.end(), data.begin(), data.end());
  const uLong crc = crc32(0L, out.data() + type_start, static_cast<uInt>(out.size() - type_start));
  put_be32(out, static_cast<std::uint32_t>(crc));
}

// The PNG signature and an IHDR for 8-bit RGBA.
Bytes png_rgba8_header(std::uint32_t width, std::uint32_t height, bool interlaced = false) {
  Bytes out{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 6, 0, 0, static_cast<std::uint8_t>(interlaced ? 1 : 0)});
  append_chunk(out, "IHDR", ihdr);
  return out;
}

std::uint8_t invert(std::uint8_t value) {
  return static_cast<std::uint8_t>(255 - value);
}

}  // namespace

Bytes encode_png(const PngSpec& spec) {
  Bytes out;
  PngWriter writer(&out);
  png_structp png = writer.png();
  png_infop info = writer.info();
  png_set_IHDR(png, info, static_cast<png_uint_32>(spec.width), static_cast<png_uint_32>(spec.height), spec.bit_depth,
               spec.colour_type, spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  std::vector<png_color> palette;
  for (const auto& entry : spec.palette) palette.push_back({entry[0], entry[1], entry[2]});
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  if (!spec.palette_alpha.empty()) {
    png_set_tRNS(png, info, spec.palette_alpha.data(), static_cast<int>(spec.palette_alpha.size()), nullptr);
  }
  if (spec.colour_key) {
    png_color_16 key{};
    key.gray = (*spec.colour_key)[0];
    key.red = (*spec.colour_key)[0];
    key.green = (*spec.colour_key)[1];
    key.blue = (*spec.colour_key)[2];
    png_set_tRNS(png, info, nullptr, 0, &key);
  }
  std::vector<png_bytep> rows;
  for (const Bytes& row : spec.rows) rows.push_back(const_cast<png_bytep>(row.data()));
  png_set_rows(png, info, rows.data());
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  return out;
}

Bytes encode_png(const ImageRgba8& image, bool interlaced) {
  PngSpec spec{
      .width = image.width, .height = image.height, .colour_type = PNG_COLOR_TYPE_RGBA, .interlaced = interlaced};
  for (int y = 0; y < image.height; ++y) {
    Bytes row;
    for (int x = 0; x < image.width; ++x) {
      const Rgba8 p = image.at(x, y);
      row.insert(row.end(), {p.r, p.g, p.b, p.a});
    }
    spec.rows.push_back(std::move(row));
  }
  return encode_png(spec);
}

Bytes encode_zero_png(std::uint32_t width, std::uint32_t height) {
  Bytes out;
  PngWriter writer(&out);
  png_set_IHDR(writer.png(), writer.info(), width, height, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(writer.png(), 9);
  png_set_filter(writer.png(), 0, PNG_FILTER_NONE);
  png_write_info(writer.png(), writer.info());
  Bytes row((width + 7) / 8, 0);
  for (std::uint32_t y = 0; y < height; ++y) png_write_row(writer.png(), row.data());
  png_write_end(writer.png(), nullptr);
  return out;
}

Bytes png_with_lying_header(std::uint32_t width, std::uint32_t height) {
  Bytes out = png_rgba8_header(width, height);
  // zlib stream of a single zero byte: far too little for the claimed image.
  append_chunk(out, "IDAT", {0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01});
  append_chunk(out, "IEND", {});
  return out;
}

namespace {

// Deflates `input` into `out` with `flush`, growing `out` as needed.
void deflate_into(z_stream& stream, const Bytes& input, int flush, Bytes& out) {
  stream.next_in = const_cast<Bytef*>(input.data());
  stream.avail_in = static_cast<uInt>(input.size());
  do {
    std::uint8_t buffer[1 << 16];
    stream.next_out = buffer;
    stream.avail_out = sizeof buffer;
    const int status = deflate(&stream, flush);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) std::abort();
    out.insert(out.end(), buffer, buffer + (sizeof buffer - stream.avail_out));
  } while (stream.avail_out == 0 || stream.avail_in > 0);
}

}  // namespace

namespace {

// The image as PNG stores it before compression: each row of each Adam7 pass (or of the one pass)
// as filter byte 0 followed by its RGBA samples.
Bytes png_raw_rows(const ImageRgba8& image, bool interlaced) {
  struct Pass {
    int x0, y0, dx, dy;
  };
  constexpr Pass kAdam7[] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                             {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
  constexpr Pass kWhole[] = {{0, 0, 1, 1}};
  Bytes raw;
  for (const Pass& pass : interlaced ? std::span<const Pass>(kAdam7) : std::span<const Pass>(kWhole)) {
    if (pass.x0 >= image.width) continue;  // an empty pass has no rows at all
    for (int y = pass.y0; y < image.height; y += pass.dy) {
      raw.push_back(0);
      for (int x = pass.x0; x < image.width; x += pass.dx) {
        const Rgba8 p = image.at(x, y);
        raw.insert(raw.end(), {p.r, p.g, p.b, p.a});
      }
    }
  }
  return raw;
}

}  // namespace

Bytes png_with_trailing_zeros(const ImageRgba8& image, std::uint64_t trailing_zero_bytes, bool interlaced) {
  constexpr std::size_t kZeroBlock = std::size_t{1} << 20U;
  const Bytes raw = png_raw_rows(image, interlaced);
  const Bytes zeros(kZeroBlock, 0);
  const std::uint64_t repeats = trailing_zero_bytes / kZeroBlock;

  z_stream stream{};
  if (deflateInit(&stream, 9) != Z_OK) std::abort();
  Bytes compressed;
  deflate_into(stream, raw, Z_NO_FLUSH, compressed);
  uLong adler = adler32(1L, raw.data(), static_cast<uInt>(raw.size()));
  // The first block of zeros follows the image; every later one sees only zeros in its window, so
  // its compressed form is the same each time and is copied instead of compressed again.
  Bytes repeated;
  if (repeats > 0) {
    deflate_into(stream, zeros, Z_SYNC_FLUSH, compressed);
    deflate_into(stream, zeros, Z_SYNC_FLUSH, repeated);
  }
  const uLong zeros_adler = adler32(1L, zeros.data(), static_cast<uInt>(zeros.size()));
  Bytes tail;
  deflate_into(stream, {}, Z_FINISH, tail);
  deflateEnd(&stream);
  for (std::uint64_t i = 1; i < repeats; ++i) compressed.insert(compressed.end(), repeated.begin(), repeated.end());
  for (std::uint64_t i = 0; i < repeats; ++i) adler = adler32_combine(adler, zeros_adler, kZeroBlock);
  // The tail's Adler-32 covers only what zlib saw; the stream holds `repeats - 1` more blocks.
  tail.resize(tail.size() - 4);
  compressed.insert(compressed.end(), tail.begin(), tail.end());
  put_be32(compressed, static_cast<std::uint32_t>(adler));

  Bytes out =
      png_rgba8_header(static_cast<std::uint32_t>(image.width), static_cast<std::uint32_t>(image.height), interlaced);
  constexpr std::size_t kIdatBytes = std::size_t{1} << 16U;
  for (std::size_t at = 0; at < compressed.size(); at += kIdatBytes) {
    const auto end = compressed.begin() + static_cast<std::ptrdiff_t>(std::min(compressed.size(), at + kIdatBytes));
    append_chunk(out, "IDAT", Bytes(compressed.begin() + static_cast<std::ptrdiff_t>(at), end));
  }
  append_chunk(out, "IEND", {});
  return out;
}

void fix_png_crcs(Bytes& png) {
  std::size_t at = 8;
  while (at + 12 <= png.size()) {
    const std::uint32_t length = (std::uint32_t{png[at]} << 24U) | (std::uint32_t{png[at + 1]} << 16U) |
                                 (std::uint32_t{png[at + 2]} << 8U) | png[at + 3];
    if (length > png.size() - at - 12) return;
    const uLong crc = crc32(0L, png.data() + at + 4, static_cast<uInt>(length + 4));
    for (int i = 0; i < 4; ++i)
      png[at + 8 + length + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
    at += 12 + length;
  }
}

Bytes encode_jpeg(const ImageRgba8& image, const JpegSpec& spec) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr errors{};
  cinfo.err = jpeg_std_error(&errors);  // errors exit the test program
  jpeg_CreateCompress(&cinfo, JPEG_LIB_VERSION, sizeof cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  const bool grey = spec.colour == JpegColour::kGrey;
  const bool ink = !grey && spec.colour != JpegColour::kRgb;
  cinfo.input_components = grey ? 1 : (ink ? 4 : 3);
  cinfo.in_color_space = grey ? JCS_GRAYSCALE : (ink ? JCS_CMYK : JCS_RGB);
  jpeg_set_defaults(&cinfo);
  if (spec.colour == JpegColour::kYcck) jpeg_set_colorspace(&cinfo, JCS_YCCK);
  if (spec.colour == JpegColour::kCmykPlain) cinfo.write_Adobe_marker = FALSE;
  jpeg_set_quality(&cinfo, spec.quality, TRUE);
  if (spec.progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  if (!spec.app1.empty()) {
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, spec.app1.data(), static_cast<unsigned>(spec.app1.size()));
  }
  Bytes row;
  while (cinfo.next_scanline < cinfo.image_height) {
    row.clear();
    for (int x = 0; x < image.width; ++x) {
      const Rgba8 p = image.at(x, static_cast<int>(cinfo.next_scanline));
      if (grey) {
        row.push_back(p.r);
      } else if (!ink) {
        row.insert(row.end(), {p.r, p.g, p.b});
      } else if (spec.colour == JpegColour::kCmykPlain) {
        row.insert(row.end(), {p.r, p.g, p.b, p.a});
      } else {
        row.insert(row.end(), {invert(p.r), invert(p.g), invert(p.b), invert(p.a)});
      }
    }
    JSAMPROW pointer = row.data();
    jpeg_write_scanlines(&cinfo, &pointer, 1);
  }
  jpeg_finish_compress(&cinfo);
  Bytes out(buffer, buffer + size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

Bytes exif_orientation_payload(int orientation, bool big_endian) {
  Bytes out;
  for (const char c : std::string_view("Exif\0\0", 6)) out.push_back(static_cast<std::uint8_t>(c));
  const auto put16 = [&](unsigned value) {
    const auto high = static_cast<std::uint8_t>(value >> 8U);
    const auto low = static_cast<std::uint8_t>(value & 0xFFU);
    out.push_back(big_endian ? high : low);
    out.push_back(big_endian ? low : high);
  };
  const auto put32 = [&](unsigned value) {
    put16(big_endian ? value >> 16U : value & 0xFFFFU);
    put16(big_endian ? value & 0xFFFFU : value >> 16U);
  };
  const std::uint8_t order = big_endian ? 'M' : 'I';
  out.push_back(order);
  out.push_back(order);
  put16(42);
  put32(8);       // IFD0 right after the 8-byte TIFF header
  put16(1);       // one entry
  put16(0x0112);  // Orientation
  put16(3);       // SHORT
  put32(1);       // one value, stored left-aligned in the 4-byte field
  put16(static_cast<unsigned>(orientation));
  put16(0);
  put32(0);  // no next IFD
  return out;
}

void patch_jpeg_dimensions(Bytes& jpeg, std::uint16_t width, std::uint16_t height) {
  for (std::size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && (jpeg[i + 1] == 0xC0 || jpeg[i + 1] == 0xC2)) {
      jpeg[i + 5] = static_cast<std::uint8_t>(height >> 8U);
      jpeg[i + 6] = static_cast<std::uint8_t>(height & 0xFFU);
      jpeg[i + 7] = static_cast<std::uint8_t>(width >> 8U);
      jpeg[i + 8] = static_cast<std::uint8_t>(width & 0xFFU);
      return;
    }
  }
  std::abort();
}

namespace {

Bytes take_webp(std::uint8_t* data, std::size_t size) {
  if (size == 0) std::abort();
  Bytes out(data, data + size);
  WebPFree(data);
  return out;
}

}  // namespace

Bytes encode_webp_lossless(const ImageRgba8& image) {
  std::uint8_t* data = nullptr;
  const std::size_t size = WebPEncodeLosslessRGBA(reinterpret_cast<const std::uint8_t*>(image.pixels.data()),
                                                  image.width, image.height, image.width * 4, &data);
  return take_webp(data, size);
}

Bytes encode_webp_lossy(const ImageRgba8& image, float quality) {
  std::uint8_t* data = nullptr;
  const std::size_t size = WebPEncodeRGBA(reinterpret_cast<const std::uint8_t*>(image.pixels.data()), image.width,
                                          image.height, image.width * 4, quality, &data);
  return take_webp(data, size);
}

void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) std::abort();
}

void fill_rect(ImageRgba8& image, int x0, int y0, int x1, int y1, Rgba8 colour) {
  for (int y = std::max(y0, 0); y < std::min(y1, image.height); ++y) {
    for (int x = std::max(x0, 0); x < std::min(x1, image.width); ++x) image.at(x, y) = colour;
  }
}

void fill_disc(ImageRgba8& image, double centre_x, double centre_y, double radius, Rgba8 colour) {
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      if (std::hypot(x + 0.5 - centre_x, y + 0.5 - centre_y) <= radius) image.at(x, y) = colour;
    }
  }
}

void add_noise(ImageRgba8& image, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> noise(-20, 20);
  for (Rgba8& p : image.pixels) {
    const int n = noise(random);
    p.r = static_cast<std::uint8_t>(std::clamp(p.r + n, 0, 255));
    p.g = static_cast<std::uint8_t>(std::clamp(p.g + n, 0, 255));
    p.b = static_cast<std::uint8_t>(std::clamp(p.b + n, 0, 255));
  }
}

bool near(Rgba8 actual, Rgba8 expected, int tolerance) {
  return std::abs(actual.r - expected.r) <= tolerance && std::abs(actual.g - expected.g) <= tolerance &&
         std::abs(actual.b - expected.b) <= tolerance && std::abs(actual.a - expected.a) <= tolerance;
}

}  // namespace testing
}  // namespace orfeas::image
