#include "orfeas/image/photo_segmentation.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "orfeas/image/components.h"

namespace orfeas::image {
namespace {

constexpr int kMinWorkSize = 32;
constexpr int kMaxWorkSize = 2048;
constexpr int kBins = 16;  // per channel, for the band's colours

// Beyond these (of 255), the interpolated work mask decides a full-size pixel on its own.
constexpr std::uint8_t kSureBelow = 1;
constexpr std::uint8_t kSureAbove = 254;

// Which of GrabCut's two colour models (OpenCV's layout: 1 × 65 doubles, 5 weights, 5 BGR means,
// 5 row-major covariances) explains a colour better, precomputed on 32 levels a channel.
class ColourVote {
 public:
  ColourVote(const cv::Mat& object_model, const cv::Mat& background_model) : table_(kLevels * kLevels * kLevels) {
    const Mixture object = read(object_model);
    const Mixture background = read(background_model);
    for (int r = 0; r < kLevels; ++r) {
      for (int g = 0; g < kLevels; ++g) {
        for (int b = 0; b < kLevels; ++b) {
          const std::array<double, 3> bgr{(b + 0.5) * kStep, (g + 0.5) * kStep, (r + 0.5) * kStep};
          table_[static_cast<std::size_t>((r * kLevels + g) * kLevels + b)] =
              likelihood(object, bgr) > likelihood(background, bgr) ? 1 : 0;
        }
      }
    }
  }

  [[nodiscard]] bool is_object(Rgba8 p) const {
    return table_[static_cast<std::size_t>(((p.r >> 3) * kLevels + (p.g >> 3)) * kLevels + (p.b >> 3))] != 0;
  }

 private:
  static constexpr int kLevels = 32;
  static constexpr double kStep = 256.0 / kLevels;
  static constexpr int kComponents = 5;

  struct Gaussian {
    double weight = 0.0;
    std::array<double, 3> mean{};
    std::array<double, 9> inverse{};
    double norm = 0.0;  // weight / sqrt(det)
  };
  using Mixture = std::array<Gaussian, kComponents>;

  static Mixture read(const cv::Mat& model) {
    Mixture mixture{};
    if (model.total() != static_cast<std::size_t>(kComponents) * 13 || model.type() != CV_64FC1) return mixture;
    const auto* v = model.ptr<double>(0);
    for (int k = 0; k < kComponents; ++k) {
      Gaussian& g = mixture[static_cast<std::size_t>(k)];
      g.weight = v[k];
      for (int c = 0; c < 3; ++c) g.mean[static_cast<std::size_t>(c)] = v[kComponents + 3 * k + c];
      const double* m = v + 4 * kComponents + 9 * k;
      const double det =
          m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
      if (g.weight <= 0.0 || det <= 1e-12) {
        g.weight = 0.0;
        continue;
      }
      g.inverse = {
          (m[4] * m[8] - m[5] * m[7]) / det, (m[2] * m[7] - m[1] * m[8]) / det, (m[1] * m[5] - m[2] * m[4]) / det,
          (m[5] * m[6] - m[3] * m[8]) / det, (m[0] * m[8] - m[2] * m[6]) / det, (m[2] * m[3] - m[0] * m[5]) / det,
          (m[3] * m[7] - m[4] * m[6]) / det, (m[1] * m[6] - m[0] * m[7]) / det, (m[0] * m[4] - m[1] * m[3]) / det};
      g.norm = g.weight / std::sqrt(det);
    }
    return mixture;
  }

  static double likelihood(const Mixture& mixture, const std::array<double, 3>& x) {
    double sum = 0.0;
    for (const Gaussian& g : mixture) {
      if (g.weight <= 0.0) continue;
      const std::array<double, 3> d{x[0] - g.mean[0], x[1] - g.mean[1], x[2] - g.mean[2]};
      const double q = d[0] * (g.inverse[0] * d[0] + g.inverse[1] * d[1] + g.inverse[2] * d[2]) +
                       d[1] * (g.inverse[3] * d[0] + g.inverse[4] * d[1] + g.inverse[5] * d[2]) +
                       d[2] * (g.inverse[6] * d[0] + g.inverse[7] * d[1] + g.inverse[8] * d[2]);
      sum += g.norm * std::exp(-0.5 * q);
    }
    return sum;
  }

  std::vector<std::uint8_t> table_;
};

bool is_object_label(std::uint8_t label) {
  return label == cv::GC_FGD || label == cv::GC_PR_FGD;
}

Mask object_of(const cv::Mat& labels) {
  Mask mask(labels.cols, labels.rows);
  for (int y = 0; y < labels.rows; ++y) {
    const auto* row = labels.ptr<std::uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) mask.at(x, y) = is_object_label(row[x]) ? 1 : 0;
  }
  return mask;
}

// The main object and the parts that belong to it (at least keep_part_fraction of it, within
// near_part of it: a handle cut off by a highlight, the other foot); thin slivers of background
// between its parts (a light stripe on a mug) and enclosed background too small to be a hole (a
// highlight the cut missed) become object.
void keep_main_object(Mask& mask, const SegmentationOptions& options) {
  const int diagonal = static_cast<int>(std::hypot(mask.width, mask.height));
  cv::Mat view(mask.height, mask.width, CV_8UC1, mask.values.data());
  const int close = std::max(1, static_cast<int>(std::lround(double{options.close_radius} * diagonal)));
  cv::morphologyEx(view, view, cv::MORPH_CLOSE,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * close + 1, 2 * close + 1)));

  const Components parts = label_components(mask.values, mask.width, mask.height, Connectivity::kEight);
  if (!parts.sizes.empty()) {
    const auto main = static_cast<std::int32_t>(
        std::distance(parts.sizes.begin(), std::max_element(parts.sizes.begin(), parts.sizes.end())));
    const auto largest = static_cast<double>(parts.sizes[static_cast<std::size_t>(main)]);
    // Which parts come within near_part of the main one.
    cv::Mat main_part(mask.height, mask.width, CV_8UC1, cv::Scalar(0));
    for (std::size_t i = 0; i < mask.values.size(); ++i) {
      if (parts.labels[i] == main) main_part.data[i] = 1;
    }
    const int reach = std::max(1, static_cast<int>(std::lround(double{options.near_part} * diagonal)));
    cv::Mat near_main;
    cv::dilate(main_part, near_main,
               cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * reach + 1, 2 * reach + 1)));
    std::vector<std::uint8_t> near(parts.sizes.size(), 0);
    for (std::size_t i = 0; i < mask.values.size(); ++i) {
      if (parts.labels[i] != Components::kNone && near_main.data[i] != 0)
        near[static_cast<std::size_t>(parts.labels[i])] = 1;
    }
    for (std::size_t i = 0; i < mask.values.size(); ++i) {
      const std::int32_t part = parts.labels[i];
      if (part == Components::kNone) continue;
      const auto p = static_cast<std::size_t>(part);
      if (near[p] == 0 || static_cast<double>(parts.sizes[p]) < options.keep_part_fraction * largest) {
        mask.values[i] = 0;
      }
    }
  }
  std::vector<std::uint8_t> background(mask.values.size());
  for (std::size_t i = 0; i < background.size(); ++i) background[i] = mask.values[i] == 0 ? 1 : 0;
  const Components regions = label_components(background, mask.width, mask.height, Connectivity::kFour);
  const auto object = static_cast<double>(mask.count());
  for (std::size_t i = 0; i < mask.values.size(); ++i) {
    const std::int32_t region = regions.labels[i];
    if (region == Components::kNone) continue;
    const auto r = static_cast<std::size_t>(region);
    if (regions.on_border[r] == 0 && static_cast<double>(regions.sizes[r]) < options.min_hole_fraction * object) {
      mask.values[i] = 1;
    }
  }
}

// Why the cut (work size, `band` pixels of sure background around it) is not to be trusted.
std::string cut_doubt(const Mask& mask, int band, double stability, const SegmentationOptions& options) {
  if (std::string doubt = frame_doubt(mask, band); !doubt.empty()) return doubt;
  const double inner_area = static_cast<double>(mask.width - 2 * band) * static_cast<double>(mask.height - 2 * band);
  const double area = static_cast<double>(mask.count()) / inner_area;
  if (area < 0.005) {
    return fmt::format("the object found covers only {:.1f} % of the picture, so it is most likely not the object",
                       area * 100.0);
  }
  if (stability < options.min_stability) {
    return fmt::format(
        "the cut-out is unstable (its last refinement still changed {:.0f} % of it), so the "
        "background could not be told apart reliably",
        (1.0 - stability) * 100.0);
  }
  return {};
}

}  // namespace

Status validate(const SegmentationOptions& options) {
  const auto unit = [](float v) { return std::isfinite(v) && v >= 0.0F && v <= 1.0F; };
  if (options.work_size < kMinWorkSize || options.work_size > kMaxWorkSize) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("work_size must lie in [{}, {}], got {}", kMinWorkSize,
                                                               kMaxWorkSize, options.work_size));
  }
  if (options.iterations < 2 || options.iterations > 20) {
    return make_error(ErrorCode::kInvalidArgument, "iterations must lie in [2, 20]");
  }
  if (!std::isfinite(options.border_band) || options.border_band <= 0.0F || options.border_band > 0.25F) {
    return make_error(ErrorCode::kInvalidArgument, "border_band must lie in (0, 0.25]");
  }
  if (!unit(options.keep_part_fraction) || !unit(options.near_part) || !unit(options.close_radius) ||
      !unit(options.min_hole_fraction) || !unit(options.min_stability) || !unit(options.band_colour_share)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "keep_part_fraction, near_part, close_radius, min_hole_fraction, min_stability and "
                      "band_colour_share must lie in [0, 1]");
  }
  return ok();
}

double mask_iou(const Mask& a, const Mask& b) {
  std::size_t both = 0;
  std::size_t either = 0;
  const std::size_t n = std::min(a.values.size(), b.values.size());
  for (std::size_t i = 0; i < n; ++i) {
    const bool in_a = a.values[i] != 0;
    const bool in_b = b.values[i] != 0;
    both += in_a && in_b ? 1 : 0;
    either += in_a || in_b ? 1 : 0;
  }
  return either == 0 ? 1.0 : static_cast<double>(both) / static_cast<double>(either);
}

std::string frame_doubt(const Mask& mask, int inset) {
  const int x0 = inset;
  const int y0 = inset;
  const int x1 = mask.width - inset - 1;
  const int y1 = mask.height - inset - 1;
  const double area = static_cast<double>(mask.count()) / (static_cast<double>(x1 - x0 + 1) * (y1 - y0 + 1));
  if (area > 0.9) {
    return fmt::format("the object found covers {:.0f} % of the picture, so the background could not be told apart",
                       area * 100.0);
  }
  const auto share = [&](int xa, int ya, int dx, int dy, int n) {
    int inside = 0;
    for (int k = 0; k < n; ++k) inside += mask.at(xa + k * dx, ya + k * dy) != 0 ? 1 : 0;
    return static_cast<double>(inside) / static_cast<double>(n);
  };
  const std::array<double, 4> sides{share(x0, y0, 1, 0, x1 - x0 + 1), share(x0, y1, 1, 0, x1 - x0 + 1),
                                    share(x0, y0, 0, 1, y1 - y0 + 1), share(x1, y0, 0, 1, y1 - y0 + 1)};
  const auto touched = std::count_if(sides.begin(), sides.end(), [](double s) { return s > 0.05; });
  if (touched >= 3) {
    return fmt::format(
        "the object found runs into {} borders of the picture, so the background could not be told apart", touched);
  }
  return {};
}

Result<PhotoSegmentation> segment_photo(const ImageRgba8& image, const BackgroundPrior& background_like,
                                        const SegmentationOptions& options) {
  ORFEAS_RETURN_IF_ERROR(validate(options));
  if (image.width < 8 || image.height < 8 ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height)) {
    return make_error(ErrorCode::kInvalidArgument, "a photo to cut out needs at least 8 × 8 pixels");
  }
  const double scale = std::min(1.0, static_cast<double>(options.work_size) / std::max(image.width, image.height));
  const int work_width = std::max(8, static_cast<int>(std::lround(image.width * scale)));
  const int work_height = std::max(8, static_cast<int>(std::lround(image.height * scale)));
  const double to_full_x = static_cast<double>(image.width) / work_width;
  const double to_full_y = static_cast<double>(image.height) / work_height;
  const int band =
      std::max(2, static_cast<int>(std::lround(double{options.border_band} * std::min(work_width, work_height))));
  if (2 * band + 4 > std::min(work_width, work_height)) {
    return make_error(ErrorCode::kInvalidArgument, "the picture is too narrow to cut an object out of");
  }

  const auto in_band = [&](int x, int y) {
    return x < band || y < band || x >= work_width - band || y >= work_height - band;
  };
  PhotoSegmentation result;
  try {
    // OpenCV only reads the pixels.
    const cv::Mat full(image.height, image.width, CV_8UC4,
                       const_cast<Rgba8*>(image.pixels.data()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    // Averaging down: first by a whole factor (OpenCV's fast path), then to the work size.
    cv::Mat small_rgba;
    const int factor = std::max(1, std::min(image.width / work_width, image.height / work_height) / 2);
    if (factor > 1) {
      cv::Mat halfway;
      cv::resize(full, halfway, cv::Size(image.width / factor, image.height / factor), 0, 0, cv::INTER_AREA);
      cv::resize(halfway, small_rgba, cv::Size(work_width, work_height), 0, 0, cv::INTER_AREA);
    } else {
      cv::resize(full, small_rgba, cv::Size(work_width, work_height), 0, 0, cv::INTER_AREA);
    }
    cv::Mat small_bgr;
    cv::cvtColor(small_rgba, small_bgr, cv::COLOR_RGBA2BGR);

    // The border band's colours, 4 bits a channel, spread to the neighbouring bins: a pixel whose
    // colour the band shows often enough is background-like even when no single colour describes
    // the band (a white balcony on a dark facade).
    std::vector<std::uint32_t> band_colours(kBins * kBins * kBins, 0);
    std::uint32_t band_pixels = 0;
    for (int y = 0; y < work_height; ++y) {
      const auto* pixels = small_rgba.ptr<Rgba8>(y);
      for (int x = 0; x < work_width; ++x) {
        if (!in_band(x, y)) continue;
        ++band_pixels;
        const Rgba8 p = pixels[x];
        const int r = p.r >> 4;
        const int g = p.g >> 4;
        const int b = p.b >> 4;
        for (int dr = -1; dr <= 1; ++dr) {
          for (int dg = -1; dg <= 1; ++dg) {
            for (int db = -1; db <= 1; ++db) {
              const int rr = r + dr;
              const int gg = g + dg;
              const int bb = b + db;
              if (rr < 0 || gg < 0 || bb < 0 || rr >= kBins || gg >= kBins || bb >= kBins) continue;
              ++band_colours[static_cast<std::size_t>((rr * kBins + gg) * kBins + bb)];
            }
          }
        }
      }
    }
    const double seen_often = double{options.band_colour_share} * band_pixels;
    const auto band_shows = [&](Rgba8 p) {
      return band_colours[static_cast<std::size_t>(((p.r >> 4) * kBins + (p.g >> 4)) * kBins + (p.b >> 4))] >=
             seen_often;
    };

    cv::Mat labels(work_height, work_width, CV_8UC1);
    int probable_object = 0;
    for (int y = 0; y < work_height; ++y) {
      auto* row = labels.ptr<std::uint8_t>(y);
      const auto* pixels = small_rgba.ptr<Rgba8>(y);
      for (int x = 0; x < work_width; ++x) {
        if (in_band(x, y)) {
          row[x] = cv::GC_BGD;
        } else if (band_shows(pixels[x]) || (background_like && background_like(pixels[x], (x + 0.5) * to_full_x - 0.5,
                                                                                (y + 0.5) * to_full_y - 0.5))) {
          row[x] = cv::GC_PR_BGD;
        } else {
          row[x] = cv::GC_PR_FGD;
          ++probable_object;
        }
      }
    }
    // Nothing unlike the border: every inner pixel may be object (the cut decides).
    if (probable_object == 0) {
      labels(cv::Rect(band, band, work_width - 2 * band, work_height - 2 * band)).setTo(cv::GC_PR_FGD);
    }
    // GrabCut seeds its colour models with k-means on OpenCV's thread-local generator: fixed
    // here, so a picture always gets the same cut whatever ran before on this thread.
    cv::theRNG() = cv::RNG(0x0F0E'A5);
    cv::Mat background_model;
    cv::Mat object_model;
    cv::grabCut(small_bgr, labels, cv::Rect(), background_model, object_model, options.iterations - 1,
                cv::GC_INIT_WITH_MASK);
    Mask before = object_of(labels);
    if (before.count() == 0) {
      return make_error(ErrorCode::kNoForeground, "no object found: the whole picture looks like its border");
    }
    cv::grabCut(small_bgr, labels, cv::Rect(), background_model, object_model, 1, cv::GC_EVAL);
    Mask cut = object_of(labels);
    keep_main_object(before, options);
    keep_main_object(cut, options);
    result.stability = mask_iou(before, cut);
    if (cut.count() == 0) {
      return make_error(ErrorCode::kNoForeground, "no object found: the whole picture looks like its border");
    }
    result.doubt = cut_doubt(cut, band, result.stability, options);

    // Back to full size: the 0/1 mask smoothed a little and interpolated. Where that leaves no
    // doubt (≤ 10 % or ≥ 90 %) it decides; on the outline in between (about a work pixel wide) each
    // full-size pixel goes to the colour model that explains it better, so a thin stroke along the
    // object's edge, finer than the work picture, stays with the object it belongs to.
    const ColourVote vote(object_model, background_model);
    cv::Mat small_mask(work_height, work_width, CV_8UC1, cut.values.data());
    cv::Mat smooth;
    cv::GaussianBlur(small_mask * 255, smooth, cv::Size(3, 3), 0.6);
    cv::Mat big;
    cv::resize(smooth, big, cv::Size(image.width, image.height), 0, 0, cv::INTER_LINEAR);
    result.mask = Mask(image.width, image.height);
    for (int y = 0; y < image.height; ++y) {
      const auto* row = big.ptr<std::uint8_t>(y);
      const std::size_t first = static_cast<std::size_t>(y) * static_cast<std::size_t>(image.width);
      std::uint8_t* out = result.mask.values.data() + first;
      for (int x = 0; x < image.width; ++x) {
        const std::uint8_t v = row[x];
        if (v <= kSureBelow || v >= kSureAbove) {
          out[x] = v >= kSureAbove ? 1 : 0;
        } else {
          out[x] = vote.is_object(image.pixels[first + static_cast<std::size_t>(x)]) ? 1 : 0;
        }
      }
    }
  } catch (const cv::Exception& e) {
    return make_error(ErrorCode::kInternal, std::string("cutting the object out failed: ") + e.what());
  }
  if (result.mask.count() == 0) {
    return make_error(ErrorCode::kNoForeground, "no object found: the cut-out vanished at full size");
  }
  return result;
}

}  // namespace orfeas::image
