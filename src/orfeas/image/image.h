// Pixel containers shared by the image stage and its consumers.
//
// Images are 8-bit RGBA, row-major, top row first, straight (not premultiplied) alpha, sRGB.
// Masks are one byte per pixel, 1 = foreground, 0 = background, same layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace orfeas::image {

struct Rgba8 {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
  std::uint8_t a = 0;
  friend bool operator==(Rgba8, Rgba8) = default;
};

struct ImageRgba8 {
  int width = 0;
  int height = 0;
  std::vector<Rgba8> pixels;  // [height, width]

  ImageRgba8() = default;
  ImageRgba8(int w, int h, Rgba8 fill = {})
      : width(w), height(h), pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), fill) {}

  [[nodiscard]] Rgba8& at(int x, int y) { return pixels[index(x, y)]; }
  [[nodiscard]] const Rgba8& at(int x, int y) const { return pixels[index(x, y)]; }
  [[nodiscard]] std::size_t index(int x, int y) const {
    return static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x);
  }
};

struct Mask {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> values;  // [height, width], 1 = foreground

  Mask() = default;
  Mask(int w, int h, std::uint8_t fill = 0)
      : width(w), height(h), values(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), fill) {}

  [[nodiscard]] std::uint8_t& at(int x, int y) { return values[index(x, y)]; }
  [[nodiscard]] std::uint8_t at(int x, int y) const { return values[index(x, y)]; }
  [[nodiscard]] std::size_t index(int x, int y) const {
    return static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x);
  }
  [[nodiscard]] std::size_t count() const {
    std::size_t n = 0;
    for (auto v : values) n += v != 0 ? 1 : 0;
    return n;
  }
};

}  // namespace orfeas::image
