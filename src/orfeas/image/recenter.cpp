#include "orfeas/image/recenter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "orfeas/core/parallel.h"

namespace orfeas::image {
namespace {

constexpr float kMaxBorderRatio = 0.9F;
constexpr int kMinCanvasSize = 16;
constexpr int kMaxCanvasSize = 4096;

struct Tap {
  int source;    // pixel index along the axis, relative to the crop
  float weight;  // the taps of one output pixel sum to 1
};

// A 1-D resampling filter: output pixel i reads taps[first[i], first[i + 1]).
struct AxisFilter {
  std::vector<std::size_t> first;
  std::vector<Tap> taps;
};

AxisFilter make_axis_filter(int source_size, int output_size) {
  AxisFilter filter;
  filter.first.reserve(static_cast<std::size_t>(output_size) + 1);
  const double scale = static_cast<double>(output_size) / source_size;
  for (int i = 0; i < output_size; ++i) {
    filter.first.push_back(filter.taps.size());
    if (output_size < source_size) {
      // Box filter: the output pixel's footprint [begin, end) in source pixels, weighted by overlap.
      const double begin = i / scale;
      const double end = (i + 1) / scale;
      const int last = std::min(source_size, static_cast<int>(std::ceil(end)));
      for (int j = static_cast<int>(std::floor(begin)); j < last; ++j) {
        const double overlap = std::min(end, j + 1.0) - std::max(begin, static_cast<double>(j));
        if (overlap > 0) filter.taps.push_back({j, static_cast<float>(overlap * scale)});
      }
    } else {
      // Bilinear: pixel centres map onto pixel centres; the edges clamp.
      const double centre = std::clamp((i + 0.5) / scale - 0.5, 0.0, source_size - 1.0);
      const int j = static_cast<int>(std::floor(centre));
      const auto fraction = static_cast<float>(centre - j);
      filter.taps.push_back({j, 1.0F - fraction});
      if (fraction > 0.0F && j + 1 < source_size) filter.taps.push_back({j + 1, fraction});
    }
  }
  filter.first.push_back(filter.taps.size());
  return filter;
}

// Mask coverage and colour premultiplied by it, so that averaging never mixes in background colour.
struct Sample {
  float coverage = 0;
  float r = 0;
  float g = 0;
  float b = 0;

  void add(const Sample& other, float weight) {
    coverage += weight * other.coverage;
    r += weight * other.r;
    g += weight * other.g;
    b += weight * other.b;
  }
};

std::uint8_t unpremultiply(float value, float coverage) {
  return static_cast<std::uint8_t>(std::clamp(std::lround(value / coverage), 0L, 255L));
}

}  // namespace

std::optional<PixelBox> mask_bounds(const Mask& mask) {
  PixelBox box{mask.width, mask.height, 0, 0};
  for (int y = 0; y < mask.height; ++y) {
    for (int x = 0; x < mask.width; ++x) {
      if (mask.at(x, y) == 0) continue;
      box.x0 = std::min(box.x0, x);
      box.y0 = std::min(box.y0, y);
      box.x1 = std::max(box.x1, x + 1);
      box.y1 = std::max(box.y1, y + 1);
    }
  }
  if (box.x1 <= box.x0) return std::nullopt;
  return box;
}

Status validate_recenter_options(const RecenterOptions& options) {
  if (!std::isfinite(options.border_ratio) || options.border_ratio < 0.0F || options.border_ratio > kMaxBorderRatio) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("border_ratio must lie in [0, 0.9], got {}", options.border_ratio));
  }
  if (options.canvas_size < kMinCanvasSize || options.canvas_size > kMaxCanvasSize) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("canvas_size must lie in [16, 4096], got {}", options.canvas_size));
  }
  return ok();
}

Result<RecenteredImage> recenter(const ImageRgba8& image, const Mask& mask, const RecenterOptions& options,
                                 std::span<const std::uint8_t> edge_weights) {
  ORFEAS_RETURN_IF_ERROR(validate_recenter_options(options));
  if (mask.width != image.width || mask.height != image.height || mask.values.size() != image.pixels.size() ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height)) {
    return make_error(ErrorCode::kInvalidArgument, "mask and image differ in size");
  }
  if (!edge_weights.empty() && edge_weights.size() != image.pixels.size()) {
    return make_error(ErrorCode::kInvalidArgument, "edge weights and image differ in size");
  }
  // A source pixel's share of the object: whole on the mask, or its edge weight.
  const auto share = [&](int x, int y) {
    if (edge_weights.empty()) return mask.at(x, y) != 0 ? 1.0F : 0.0F;
    return static_cast<float>(edge_weights[image.index(x, y)]) * (1.0F / 255.0F);
  };
  const std::optional<PixelBox> found = mask_bounds(mask);
  if (!found) return make_error(ErrorCode::kNoForeground, "the mask is empty: nothing to centre");
  const PixelBox box = *found;

  const int canvas_size = options.canvas_size;
  const double target = (1.0 - options.border_ratio) * canvas_size;
  const double scale = target / std::max(box.width(), box.height());
  const int out_width = std::clamp(static_cast<int>(std::lround(box.width() * scale)), 1, canvas_size);
  const int out_height = std::clamp(static_cast<int>(std::lround(box.height() * scale)), 1, canvas_size);
  const int offset_x = (canvas_size - out_width) / 2;
  const int offset_y = (canvas_size - out_height) / 2;
  const AxisFilter filter_x = make_axis_filter(box.width(), out_width);
  const AxisFilter filter_y = make_axis_filter(box.height(), out_height);

  // Pass 1, along rows: [crop height, out_width].
  const auto row_stride = static_cast<std::size_t>(out_width);
  std::vector<Sample> rows(static_cast<std::size_t>(box.height()) * row_stride);
  parallel_for(0, static_cast<std::size_t>(box.height()), 16, [&](std::size_t begin, std::size_t end) {
    for (std::size_t row = begin; row < end; ++row) {
      const int y = box.y0 + static_cast<int>(row);
      for (std::size_t i = 0; i < row_stride; ++i) {
        Sample sum;
        for (std::size_t t = filter_x.first[i]; t < filter_x.first[i + 1]; ++t) {
          const int x = box.x0 + filter_x.taps[t].source;
          const float object = share(x, y);
          if (object == 0.0F) continue;
          const Rgba8 pixel = image.at(x, y);
          sum.add({1.0F, static_cast<float>(pixel.r), static_cast<float>(pixel.g), static_cast<float>(pixel.b)},
                  filter_x.taps[t].weight * object);
        }
        rows[row * row_stride + i] = sum;
      }
    }
  });

  // Pass 2, along columns, straight onto the canvas.
  RecenteredImage out{ImageRgba8(canvas_size, canvas_size), Mask(canvas_size, canvas_size),
                      std::vector<std::uint8_t>(static_cast<std::size_t>(canvas_size) * canvas_size, 0)};
  parallel_for(0, static_cast<std::size_t>(out_height), 16, [&](std::size_t begin, std::size_t end) {
    for (std::size_t v = begin; v < end; ++v) {
      for (std::size_t i = 0; i < row_stride; ++i) {
        Sample sum;
        for (std::size_t t = filter_y.first[v]; t < filter_y.first[v + 1]; ++t) {
          sum.add(rows[static_cast<std::size_t>(filter_y.taps[t].source) * row_stride + i], filter_y.taps[t].weight);
        }
        const int x = offset_x + static_cast<int>(i);
        const int y = offset_y + static_cast<int>(v);
        out.coverage[out.mask.index(x, y)] =
            static_cast<std::uint8_t>(std::clamp(std::lround(sum.coverage * 255.0F), 0L, 255L));
        if (sum.coverage < 0.5F) continue;
        out.canvas.at(x, y) = {unpremultiply(sum.r, sum.coverage), unpremultiply(sum.g, sum.coverage),
                               unpremultiply(sum.b, sum.coverage), 255};
        out.mask.at(x, y) = 1;
      }
    }
  });
  // Coverage ≥ 0.5 erases parts thinner than half an output pixel; an object made only of such
  // parts (a hairline drawing shrunk a lot) would leave nothing for the shape stage.
  if (out.mask.count() == 0) {
    return make_error(ErrorCode::kNoForeground, "the object is too thin to survive scaling onto the canvas");
  }
  return out;
}

}  // namespace orfeas::image
