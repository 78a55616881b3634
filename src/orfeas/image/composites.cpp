#include "orfeas/image/composites.h"

#include <jpeglib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <utility>

#include "orfeas/image/decode.h"

namespace orfeas::image::composites {
namespace {

constexpr int kWidth = 512;
constexpr int kHeight = 384;
constexpr int kSupersample = 4;  // per axis, for the drawn objects' anti-aliased alpha

std::uint8_t to_byte(double value) {
  return static_cast<std::uint8_t>(std::clamp(std::lround(value), 0L, 255L));
}

// Halves an RGBA image, averaging colour weighted by alpha.
ImageRgba8 halve(const ImageRgba8& image) {
  ImageRgba8 out(image.width / 2, image.height / 2);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      std::array<double, 4> sum{};
      for (int k = 0; k < 4; ++k) {
        const Rgba8 p = image.at(2 * x + (k & 1), 2 * y + (k >> 1));
        sum[0] += p.r * p.a;
        sum[1] += p.g * p.a;
        sum[2] += p.b * p.a;
        sum[3] += p.a;
      }
      const double w = std::max(sum[3], 1.0);
      out.at(x, y) = {to_byte(sum[0] / w), to_byte(sum[1] / w), to_byte(sum[2] / w), to_byte(sum[3] / 4.0)};
    }
  }
  return out;
}

// An object drawn from `shade(x, y)` → (inside, colour) at kSupersample² points a pixel.
template <typename Shade>
ImageRgba8 draw(int width, int height, Shade shade) {
  ImageRgba8 out(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::array<double, 3> sum{};
      int inside = 0;
      for (int sy = 0; sy < kSupersample; ++sy) {
        for (int sx = 0; sx < kSupersample; ++sx) {
          const double px = x + (sx + 0.5) / kSupersample;
          const double py = y + (sy + 0.5) / kSupersample;
          const auto [in, colour] = shade(px, py);
          if (!in) continue;
          ++inside;
          for (std::size_t c = 0; c < 3; ++c) sum[c] += colour[c];
        }
      }
      if (inside == 0) continue;
      out.at(x, y) = {to_byte(sum[0] / inside), to_byte(sum[1] / inside), to_byte(sum[2] / inside),
                      to_byte(255.0 * inside / (kSupersample * kSupersample))};
    }
  }
  return out;
}

using Colour = std::array<double, 3>;

// An orange ball lit from the upper left, with a highlight.
ImageRgba8 ball() {
  constexpr double kCentre = 100.0;
  constexpr double kRadius = 95.0;
  const std::array<double, 3> light{-0.45, -0.55, 0.70};
  return draw(200, 200, [&](double x, double y) {
    const double dx = (x - kCentre) / kRadius;
    const double dy = (y - kCentre) / kRadius;
    const double d2 = dx * dx + dy * dy;
    if (d2 > 1.0) return std::pair{false, Colour{}};
    const double dz = std::sqrt(1.0 - d2);
    const double lambert = std::max(0.0, dx * light[0] + dy * light[1] + dz * light[2]);
    const double highlight = std::pow(std::max(0.0, 2.0 * lambert * dz - light[2]), 30.0);
    const double shade = 0.25 + 0.75 * lambert;
    return std::pair{
        true, Colour{230 * shade + 255 * highlight, 120 * shade + 255 * highlight, 30 * shade + 255 * highlight}};
  });
}

// A blue mug with white stripes, shaded as a cylinder, and a round handle whose hole shows what
// is behind it.
ImageRgba8 mug() {
  constexpr double kLeft = 20.0;
  constexpr double kRight = 170.0;
  constexpr double kTop = 20.0;
  constexpr double kBottom = 210.0;
  constexpr double kCorner = 15.0;
  return draw(240, 225, [&](double x, double y) {
    bool body = x >= kLeft && x <= kRight && y >= kTop && y <= kBottom;
    if (body && y > kBottom - kCorner) {  // rounded bottom corners
      const double cx = std::clamp(x, kLeft + kCorner, kRight - kCorner);
      body = std::hypot(x - cx, y - (kBottom - kCorner)) <= kCorner;
    }
    const double r = std::hypot(x - kRight, y - 115.0);
    const bool handle = x > kRight && r <= 55.0 && r >= 32.0;
    if (!body && !handle) return std::pair{false, Colour{}};
    const double shade = body ? 0.35 + 0.65 * std::sin(std::numbers::pi * (x - kLeft) / (kRight - kLeft))
                              : 0.3 + 0.5 * (55.0 - r) / 23.0;
    const bool stripe = body && static_cast<int>(y - kTop) % 36 >= 26;
    const Colour base = stripe ? Colour{245, 245, 240} : Colour{40, 80, 185};
    return std::pair{true, Colour{base[0] * shade, base[1] * shade, base[2] * shade}};
  });
}

// The middle kWidth × kHeight of a photo at least that large (a smaller one is scaled up first).
ImageRgba8 crop_middle(const ImageRgba8& photo) {
  const ImageRgba8 big = photo.width >= kWidth && photo.height >= kHeight
                             ? photo
                             : resize_bilinear(photo, std::max(kWidth, photo.width), std::max(kHeight, photo.height));
  ImageRgba8 out(kWidth, kHeight);
  const int x0 = (big.width - kWidth) / 2;
  const int y0 = (big.height - kHeight) / 2;
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      out.at(x, y) = big.at(x0 + x, y0 + y);
      out.at(x, y).a = 255;
    }
  }
  return out;
}

}  // namespace

Composite paste(std::string name, const ImageRgba8& background, const ImageRgba8& object, int x, int y) {
  Composite out{std::move(name), background, Mask(background.width, background.height)};
  for (int oy = 0; oy < object.height; ++oy) {
    for (int ox = 0; ox < object.width; ++ox) {
      const int bx = x + ox;
      const int by = y + oy;
      if (bx < 0 || by < 0 || bx >= background.width || by >= background.height) continue;
      const Rgba8 o = object.at(ox, oy);
      Rgba8& b = out.image.at(bx, by);
      const double a = o.a / 255.0;
      b = {to_byte(o.r * a + b.r * (1.0 - a)), to_byte(o.g * a + b.g * (1.0 - a)), to_byte(o.b * a + b.b * (1.0 - a)),
           255};
      out.truth.at(bx, by) = o.a >= 128 ? 1 : 0;
    }
  }
  return out;
}

ImageRgba8 resize_bilinear(const ImageRgba8& image, int width, int height) {
  ImageRgba8 out(width, height);
  const double sx = static_cast<double>(image.width) / width;
  const double sy = static_cast<double>(image.height) / height;
  for (int y = 0; y < height; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, image.height - 1.0);
    const int y0 = std::min(static_cast<int>(fy), image.height - 1);
    const int y1 = std::min(y0 + 1, image.height - 1);
    const double ty = fy - y0;
    for (int x = 0; x < width; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, image.width - 1.0);
      const int x0 = std::min(static_cast<int>(fx), image.width - 1);
      const int x1 = std::min(x0 + 1, image.width - 1);
      const double tx = fx - x0;
      const auto mix = [&](auto channel) {
        const double top = channel(image.at(x0, y0)) * (1 - tx) + channel(image.at(x1, y0)) * tx;
        const double bottom = channel(image.at(x0, y1)) * (1 - tx) + channel(image.at(x1, y1)) * tx;
        return to_byte(top * (1 - ty) + bottom * ty);
      };
      out.at(x, y) = {mix([](Rgba8 p) { return p.r; }), mix([](Rgba8 p) { return p.g; }),
                      mix([](Rgba8 p) { return p.b; }), mix([](Rgba8 p) { return p.a; })};
    }
  }
  return out;
}

Result<std::vector<std::uint8_t>> encode_jpeg(const ImageRgba8& image, int quality) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;  // NOLINT(google-runtime-int): libjpeg's type
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<std::uint8_t> row(static_cast<std::size_t>(image.width) * 3);
  while (cinfo.next_scanline < cinfo.image_height) {
    const int y = static_cast<int>(cinfo.next_scanline);
    for (int x = 0; x < image.width; ++x) {
      const Rgba8 p = image.at(x, y);
      row[3 * static_cast<std::size_t>(x)] = p.r;
      row[3 * static_cast<std::size_t>(x) + 1] = p.g;
      row[3 * static_cast<std::size_t>(x) + 2] = p.b;
    }
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<std::uint8_t> bytes(buffer, buffer + size);
  std::free(buffer);  // NOLINT(cppcoreguidelines-no-malloc): jpeg_mem_dest's buffer
  return bytes;
}

Result<std::vector<Composite>> make_composites(const std::filesystem::path& source_dir) {
  const DecodeLimits limits{};
  ORFEAS_ASSIGN_OR_RETURN(const ImageRgba8 duck_full, load_image_file(source_dir / "examples" / "duck.png", limits));
  const std::array<std::pair<const char*, ImageRgba8>, 3> objects{
      {{"duck", halve(duck_full)}, {"ball", ball()}, {"mug", mug()}}};
  const std::array<const char*, 5> photos{"building", "board", "home", "aero3", "fruits"};
  std::vector<Composite> out;
  int placement = 0;
  for (const char* photo : photos) {
    ORFEAS_ASSIGN_OR_RETURN(
        const ImageRgba8 loaded,
        load_image_file(source_dir / "tests" / "data" / "photos" / (std::string(photo) + ".jpg"), limits));
    const ImageRgba8 background = crop_middle(loaded);
    for (const auto& [name, object] : objects) {
      // A little off-centre, a different way each time.
      const int dx = (placement % 3 - 1) * 40;
      const int dy = (placement % 2) * 30 - 15;
      ++placement;
      out.push_back(paste(std::string(name) + " on " + photo, background, object, (kWidth - object.width) / 2 + dx,
                          (kHeight - object.height) / 2 + dy));
    }
  }
  return out;
}

}  // namespace orfeas::image::composites
