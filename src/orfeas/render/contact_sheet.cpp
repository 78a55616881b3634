#include "orfeas/render/contact_sheet.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include <fmt/format.h>

namespace orfeas::render {
namespace {

// The mean of the source pixels under the target pixel (x, y) at `scale` source pixels per target
// pixel, colours weighted by alpha; at least one source pixel (enlarging: the nearest).
std::array<float, 4> area_average(const image::ImageRgba8& image, float scale, int x, int y) {
  const auto span_of = [scale](int t, int limit) {
    const int begin = std::clamp(static_cast<int>(std::floor(static_cast<float>(t) * scale)), 0, limit - 1);
    const int end = std::clamp(static_cast<int>(std::floor(static_cast<float>(t + 1) * scale)), begin + 1, limit);
    return std::array<int, 2>{begin, end};
  };
  const auto [x0, x1] = span_of(x, image.width);
  const auto [y0, y1] = span_of(y, image.height);
  std::array<float, 4> sum{};
  for (int sy = y0; sy < y1; ++sy) {
    for (int sx = x0; sx < x1; ++sx) {
      const image::Rgba8 p = image.at(sx, sy);
      const float a = p.a;
      sum[0] += p.r * a;
      sum[1] += p.g * a;
      sum[2] += p.b * a;
      sum[3] += a;
    }
  }
  const float count = static_cast<float>((x1 - x0) * (y1 - y0));
  if (sum[3] > 0.0F) {
    for (std::size_t k = 0; k < 3; ++k) sum[k] /= sum[3];
  }
  sum[3] /= count;
  return sum;  // colour (un-premultiplied), alpha 0–255
}

}  // namespace

Result<image::ImageRgba8> fit_image(const image::ImageRgba8& image, int size_px, float margin,
                                    image::Rgba8 background) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height)) {
    return make_error(ErrorCode::kInvalidArgument, "cannot fit an empty image into a panel");
  }
  if (size_px < 8 || size_px > 4096 || !(margin >= 0.0F && margin <= 0.9F)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("panel size {} px or margin {} out of range (8–4096, 0–0.9)", size_px, margin));
  }
  const float room = static_cast<float>(size_px) * (1.0F - margin);
  const float scale = static_cast<float>(std::max(image.width, image.height)) / room;  // source px per target px
  const int width = std::clamp(static_cast<int>(std::lround(static_cast<float>(image.width) / scale)), 1, size_px);
  const int height = std::clamp(static_cast<int>(std::lround(static_cast<float>(image.height) / scale)), 1, size_px);
  const int left = (size_px - width) / 2;
  const int top = (size_px - height) / 2;
  image::ImageRgba8 panel(size_px, size_px, background);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const std::array<float, 4> source = area_average(image, scale, x, y);
      const float alpha = source[3] / 255.0F;
      image::Rgba8& out = panel.at(left + x, top + y);
      const auto blend = [alpha](float over, std::uint8_t under) {
        return static_cast<std::uint8_t>(std::lround(std::clamp(over * alpha + under * (1.0F - alpha), 0.0F, 255.0F)));
      };
      out = {blend(source[0], background.r), blend(source[1], background.g), blend(source[2], background.b),
             background.a};
    }
  }
  return panel;
}

Result<image::ImageRgba8> tile_panels(std::span<const image::ImageRgba8> panels, int columns) {
  if (panels.empty() || columns < 1) {
    return make_error(ErrorCode::kInvalidArgument, "a sheet needs at least one panel and one column");
  }
  const int width = panels.front().width;
  const int height = panels.front().height;
  for (const image::ImageRgba8& panel : panels) {
    if (panel.width != width || panel.height != height || width <= 0 || height <= 0 ||
        panel.pixels.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height)) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("panels of different sizes ({}x{} and {}x{})", width,
                                                                 height, panel.width, panel.height));
    }
  }
  const int count = static_cast<int>(panels.size());
  const int used_columns = std::min(columns, count);
  const int rows = (count + columns - 1) / columns;
  image::ImageRgba8 sheet(width * used_columns, height * rows, panels.front().pixels.front());
  for (int i = 0; i < count; ++i) {
    const image::ImageRgba8& panel = panels[static_cast<std::size_t>(i)];
    const int left = (i % columns) * width;
    const int top = (i / columns) * height;
    for (int y = 0; y < height; ++y) {
      std::copy_n(panel.pixels.begin() + static_cast<std::ptrdiff_t>(panel.index(0, y)), width,
                  sheet.pixels.begin() + static_cast<std::ptrdiff_t>(sheet.index(left, top + y)));
    }
  }
  return sheet;
}

}  // namespace orfeas::render
