#include "orfeas/image/foreground.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "orfeas/image/components.h"
#include "orfeas/image/photo_segmentation.h"

namespace orfeas::image {
namespace {

struct FramePixel {
  int x;
  int y;
  Rgba8 colour;
};

// The outer 1-pixel frame, each pixel once (1-pixel-wide images included).
std::vector<FramePixel> frame_pixels(const ImageRgba8& image) {
  std::vector<FramePixel> frame;
  const auto add = [&](int x, int y) { frame.push_back({x, y, image.at(x, y)}); };
  for (int x = 0; x < image.width; ++x) add(x, 0);
  if (image.height > 1) {
    for (int x = 0; x < image.width; ++x) add(x, image.height - 1);
  }
  for (int y = 1; y + 1 < image.height; ++y) {
    add(0, y);
    if (image.width > 1) add(image.width - 1, y);
  }
  return frame;
}

// Transparency counts as meaningful when it covers a noticeable share of the image or most of
// the frame; a few transparent pixels in an otherwise opaque photo (a rounded corner) do not.
// The alpha threshold on this image's own range: alpha_threshold/255 of the way from its most
// transparent pixel to its most opaque one (at least one step above the most transparent), so a
// faint cut-out whose alpha never exceeds 67 is cut at the middle of its range as a full-range one
// is at 128. An image whose alpha never varies has nothing below it (its alpha draws no shape).
std::uint8_t relative_alpha_threshold(const ImageRgba8& image, std::uint8_t threshold) {
  std::uint8_t lowest = 255;
  std::uint8_t highest = 0;
  for (const Rgba8& pixel : image.pixels) {
    lowest = std::min(lowest, pixel.a);
    highest = std::max(highest, pixel.a);
  }
  if (lowest == highest) return highest == 0 ? 1 : 0;  // all transparent: nothing reaches 1
  const double at = lowest + (highest - lowest) * (static_cast<double>(threshold) / 255.0);
  return static_cast<std::uint8_t>(std::clamp(std::lround(at), long{lowest} + 1, long{highest}));
}

bool uses_alpha_as_mask(const ImageRgba8& image, const std::vector<FramePixel>& frame, std::uint8_t threshold,
                        const ForegroundOptions& options) {
  std::size_t transparent = 0;
  for (const Rgba8& pixel : image.pixels) transparent += pixel.a < threshold ? 1 : 0;
  if (transparent == 0) return false;
  std::size_t transparent_frame = 0;
  for (const FramePixel& pixel : frame) transparent_frame += pixel.colour.a < threshold ? 1 : 0;
  return static_cast<double>(transparent) >= options.min_transparent_share * static_cast<double>(image.pixels.size()) ||
         2 * transparent_frame > frame.size();
}

// Background colour as a plane per channel: colour(x, y) = offset + slope_x·(x − centre_x) + slope_y·(y − centre_y).
struct BackgroundModel {
  std::array<double, 3> offset{};
  std::array<double, 3> slope_x{};
  std::array<double, 3> slope_y{};
  double centre_x = 0;
  double centre_y = 0;

  [[nodiscard]] double squared_distance(const Rgba8& pixel, double x, double y) const {
    const double dx = x - centre_x;
    const double dy = y - centre_y;
    const std::array<double, 3> value{static_cast<double>(pixel.r), static_cast<double>(pixel.g),
                                      static_cast<double>(pixel.b)};
    double sum = 0;
    for (std::size_t c = 0; c < 3; ++c) {
      const double diff = value[c] - (offset[c] + slope_x[c] * dx + slope_y[c] * dy);
      sum += diff * diff;
    }
    return sum;
  }
};

// A median ignores the object where it touches the frame, as long as it covers less than half.
BackgroundModel median_model(const std::vector<FramePixel>& frame) {
  BackgroundModel model;
  std::vector<std::uint8_t> values(frame.size());
  for (std::size_t c = 0; c < 3; ++c) {
    for (std::size_t i = 0; i < frame.size(); ++i) {
      const Rgba8& colour = frame[i].colour;
      values[i] = c == 0 ? colour.r : (c == 1 ? colour.g : colour.b);
    }
    const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
    std::nth_element(values.begin(), middle, values.end());
    model.offset[c] = *middle;
  }
  return model;
}

// Least-squares plane through the frame pixels within tolerance of `current`; `current` again
// when they are too few or all on one line (a one-pixel-wide image) to fix a plane.
BackgroundModel fit_plane(const std::vector<FramePixel>& frame, const BackgroundModel& current,
                          double squared_tolerance) {
  std::vector<const FramePixel*> inliers;  // borrowed from frame
  for (const FramePixel& pixel : frame) {
    if (current.squared_distance(pixel.colour, pixel.x, pixel.y) <= squared_tolerance) inliers.push_back(&pixel);
  }
  if (inliers.size() < 3) return current;
  BackgroundModel model;
  for (const FramePixel* pixel : inliers) {
    model.centre_x += pixel->x;
    model.centre_y += pixel->y;
  }
  const auto count = static_cast<double>(inliers.size());
  model.centre_x /= count;
  model.centre_y /= count;
  // Centred coordinates make the normal equations decouple the offset from the slopes.
  double sxx = 0;
  double sxy = 0;
  double syy = 0;
  std::array<double, 3> sum{};
  std::array<double, 3> sum_x{};
  std::array<double, 3> sum_y{};
  for (const FramePixel* pixel : inliers) {
    const double dx = pixel->x - model.centre_x;
    const double dy = pixel->y - model.centre_y;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
    const std::array<double, 3> value{static_cast<double>(pixel->colour.r), static_cast<double>(pixel->colour.g),
                                      static_cast<double>(pixel->colour.b)};
    for (std::size_t c = 0; c < 3; ++c) {
      sum[c] += value[c];
      sum_x[c] += value[c] * dx;
      sum_y[c] += value[c] * dy;
    }
  }
  const double determinant = sxx * syy - sxy * sxy;
  if (determinant <= 1e-9 * std::max(1.0, sxx * syy)) return current;
  for (std::size_t c = 0; c < 3; ++c) {
    model.offset[c] = sum[c] / count;
    model.slope_x[c] = (sum_x[c] * syy - sum_y[c] * sxy) / determinant;
    model.slope_y[c] = (sum_y[c] * sxx - sum_x[c] * sxy) / determinant;
  }
  return model;
}

BackgroundModel estimate_background(const std::vector<FramePixel>& frame, double squared_tolerance) {
  BackgroundModel model = median_model(frame);
  // The second round admits frame pixels that only the plane (not the median) explains: the far
  // ends of a strong gradient.
  for (int round = 0; round < 2; ++round) model = fit_plane(frame, model, squared_tolerance);
  return model;
}

Mask alpha_mask(const ImageRgba8& image, std::uint8_t threshold) {
  Mask mask(image.width, image.height);
  for (std::size_t i = 0; i < image.pixels.size(); ++i) mask.values[i] = image.pixels[i].a >= threshold ? 1 : 0;
  return mask;
}

// Foreground::edge_weights of an alpha mask: the alpha mapped onto 0–255 over the image's own
// range, kept only on the mask's outline (where it says where the edge lies within the pixel) and
// clamped to the mask's side of 128 there, so its 128 level and the mask agree.
std::vector<std::uint8_t> alpha_edge_weights(const ImageRgba8& image, const Mask& mask) {
  std::uint8_t lowest = 255;
  std::uint8_t highest = 0;
  for (const Rgba8& pixel : image.pixels) {
    lowest = std::min(lowest, pixel.a);
    highest = std::max(highest, pixel.a);
  }
  const double range = std::max(1, highest - lowest);
  std::vector<std::uint8_t> weights(image.pixels.size(), 0);
  const auto on_mask = [&](int x, int y) {
    return x >= 0 && y >= 0 && x < mask.width && y < mask.height && mask.at(x, y) != 0;
  };
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const bool inside = on_mask(x, y);
      const bool outline = inside != on_mask(x - 1, y) || inside != on_mask(x + 1, y) || inside != on_mask(x, y - 1) ||
                           inside != on_mask(x, y + 1);
      const auto share =
          static_cast<int>(std::lround(255.0 * std::clamp((image.at(x, y).a - lowest) / range, 0.0, 1.0)));
      std::uint8_t& weight = weights[image.index(x, y)];
      if (!outline) {
        weight = inside ? 255 : 0;
      } else {
        weight = static_cast<std::uint8_t>(inside ? std::max(share, 128) : std::min(share, 127));
      }
    }
  }
  return weights;
}

// The share of the frame's pixels that the estimated background colour explains.
double frame_fit(const std::vector<FramePixel>& frame, const BackgroundModel& background, double squared_tolerance) {
  std::size_t fitted = 0;
  for (const FramePixel& pixel : frame) {
    fitted += background.squared_distance(pixel.colour, pixel.x, pixel.y) <= squared_tolerance ? 1 : 0;
  }
  return frame.empty() ? 1.0 : static_cast<double>(fitted) / static_cast<double>(frame.size());
}

Mask colour_mask(const ImageRgba8& image, const BackgroundModel& background, const ForegroundOptions& options) {
  const double squared_tolerance = double{options.color_tolerance} * double{options.color_tolerance};

  std::vector<std::uint8_t> background_like(image.pixels.size());
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      background_like[image.index(x, y)] =
          background.squared_distance(image.at(x, y), x, y) <= squared_tolerance ? 1 : 0;
    }
  }

  // Background is what the frame reaches through background-like pixels; enclosed background-like
  // regions are holes or object depending on their size relative to the object.
  const Components regions = label_components(background_like, image.width, image.height, Connectivity::kFour);
  std::size_t outside = 0;
  for (std::size_t r = 0; r < regions.sizes.size(); ++r) outside += regions.on_border[r] != 0 ? regions.sizes[r] : 0;
  const auto object_area = static_cast<double>(image.pixels.size() - outside);
  std::vector<std::uint8_t> is_background(regions.sizes.size());
  for (std::size_t r = 0; r < regions.sizes.size(); ++r) {
    is_background[r] =
        regions.on_border[r] != 0 || static_cast<double>(regions.sizes[r]) >= options.min_hole_fraction * object_area
            ? 1
            : 0;
  }

  Mask mask(image.width, image.height);
  for (std::size_t i = 0; i < mask.values.size(); ++i) {
    const std::int32_t region = regions.labels[i];
    mask.values[i] = region == Components::kNone || is_background[static_cast<std::size_t>(region)] == 0 ? 1 : 0;
  }
  return mask;
}

// Drops object components smaller than `fraction` of the largest (sensor noise, dust, stray text).
void remove_specks(Mask& mask, float fraction) {
  const Components parts = label_components(mask.values, mask.width, mask.height, Connectivity::kEight);
  if (parts.sizes.size() < 2) return;
  const double largest = static_cast<double>(*std::max_element(parts.sizes.begin(), parts.sizes.end()));
  for (std::size_t i = 0; i < mask.values.size(); ++i) {
    const std::int32_t part = parts.labels[i];
    if (part == Components::kNone) continue;
    if (static_cast<double>(parts.sizes[static_cast<std::size_t>(part)]) < fraction * largest) mask.values[i] = 0;
  }
}

// 95 % of the pixels in at most 8 colours (4 bits a channel): a flag, an icon, a drawing in flat
// colours, which is meant to fill its frame. Counted on at most about a million pixels (every k-th
// row and column of a larger picture).
bool is_graphic(const ImageRgba8& image) {
  std::vector<std::uint32_t> counts(4096, 0);
  const int stride = std::max(1, static_cast<int>(std::sqrt(static_cast<double>(image.pixels.size()) / 1e6)));
  std::uint64_t counted = 0;
  for (int y = 0; y < image.height; y += stride) {
    for (int x = 0; x < image.width; x += stride) {
      const Rgba8 p = image.at(x, y);
      ++counts[(p.r >> 4U) << 8U | (p.g >> 4U) << 4U | (p.b >> 4U)];
      ++counted;
    }
  }
  std::partial_sort(counts.begin(), counts.begin() + 8, counts.end(), std::greater<>());
  std::uint64_t top = 0;
  for (std::size_t i = 0; i < 8; ++i) top += counts[i];
  return static_cast<double>(top) >= 0.95 * static_cast<double>(counted);
}

bool in_unit_range(float value) {
  return std::isfinite(value) && value >= 0.0F && value <= 1.0F;
}

Status validate(const ImageRgba8& image, const ForegroundOptions& options) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height)) {
    return make_error(ErrorCode::kInvalidArgument, "image is empty or its pixel buffer does not match its size");
  }
  if (!std::isfinite(options.color_tolerance) || options.color_tolerance < 0.0F) {
    return make_error(ErrorCode::kInvalidArgument, "color_tolerance must be a finite value ≥ 0");
  }
  if (!in_unit_range(options.min_transparent_share) || !in_unit_range(options.min_hole_fraction) ||
      !in_unit_range(options.min_component_fraction)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "min_transparent_share, min_hole_fraction and min_component_fraction must lie in [0, 1]");
  }
  return ok();
}

}  // namespace

Result<Mask> extract_foreground(const ImageRgba8& image, const ForegroundOptions& options) {
  ORFEAS_ASSIGN_OR_RETURN(Foreground foreground, detect_foreground(image, options));
  return std::move(foreground.mask);
}

Result<Foreground> detect_foreground(const ImageRgba8& image, const ForegroundOptions& options) {
  ORFEAS_RETURN_IF_ERROR(validate(image, options));
  const std::vector<FramePixel> frame = frame_pixels(image);
  const std::uint8_t threshold = relative_alpha_threshold(image, options.alpha_threshold);
  if (uses_alpha_as_mask(image, frame, threshold, options)) {
    Mask mask = alpha_mask(image, threshold);
    if (mask.count() == 0) {
      return make_error(ErrorCode::kNoForeground,
                        "no object found: the image is fully transparent (alpha 0 everywhere)");
    }
    std::vector<std::uint8_t> weights = alpha_edge_weights(image, mask);
    return Foreground{std::move(mask), true, {}, std::move(weights)};
  }
  const double squared_tolerance = double{options.color_tolerance} * double{options.color_tolerance};
  const BackgroundModel background = estimate_background(frame, squared_tolerance);
  const bool graphic = is_graphic(image);
  const bool photo = !graphic && frame_fit(frame, background, squared_tolerance) < options.plain_frame_share;
  if (photo) {
    // A photo on a background no single colour describes: cut the object out.
    const auto background_like = [&](Rgba8 pixel, double x, double y) {
      return background.squared_distance(pixel, x, y) <= squared_tolerance;
    };
    Result<PhotoSegmentation> cut = segment_photo(image, background_like, options.segmentation);
    if (!cut && cut.error().code() != ErrorCode::kNoForeground) return tl::unexpected(cut.error());
    // A doubtful cut is still the best guess for a run told to go on.
    if (cut) return Foreground{std::move(cut->mask), false, std::move(cut->doubt)};
  }
  Mask mask = colour_mask(image, background, options);
  remove_specks(mask, options.min_component_fraction);
  if (photo && mask.count() > 0) {
    // The cut kept nothing (the object runs out of the picture, or there is none): the colour
    // mask is what a run told to go on uses, and it is doubtful.
    std::string doubt = frame_doubt(mask, 0);
    if (doubt.empty()) doubt = "no object could be cut out of the photo, so the background could not be told apart";
    return Foreground{std::move(mask), false, std::move(doubt)};
  }
  if (mask.count() == 0) {
    return make_error(ErrorCode::kNoForeground,
                      "no object found: every pixel matches the background colour estimated from the image border");
  }
  std::string doubt = graphic ? std::string() : frame_doubt(mask, 0);
  return Foreground{std::move(mask), false, std::move(doubt)};
}

}  // namespace orfeas::image
