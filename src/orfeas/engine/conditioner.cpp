#include "orfeas/engine/conditioner.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <utility>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

// This file is compiled with -ffp-contract=off (conditioner.cmake): the composite over white must
// round each float32 product and sum as numpy does, never fuse them into an FMA.

namespace orfeas::engine {
namespace {

static_assert(sizeof(image::Rgba8) == 4, "ImageRgba8 pixels are wrapped as a 4-channel cv::Mat");

// DinoImageEncoder's ImageNet statistics, as Python floats (double).
constexpr std::array<double, 3> kMean = {0.485, 0.456, 0.406};
constexpr std::array<double, 3> kStd = {0.229, 0.224, 0.225};

// The inclusive extremes of the alpha's nonzero pixels (np.nonzero, then min/max per axis).
struct AlphaExtremes {
  int row_min = 0;
  int row_max = -1;
  int col_min = 0;
  int col_max = -1;
};

AlphaExtremes alpha_extremes(const image::ImageRgba8& rgba) {
  AlphaExtremes e{rgba.height, -1, rgba.width, -1};
  for (int y = 0; y < rgba.height; ++y) {
    for (int x = 0; x < rgba.width; ++x) {
      if (rgba.at(x, y).a == 0) continue;
      e.row_min = std::min(e.row_min, y);
      e.row_max = std::max(e.row_max, y);
      e.col_min = std::min(e.col_min, x);
      e.col_max = std::max(e.col_max, x);
    }
  }
  return e;
}

// numpy: result[..., :3] * (a / 255) + 255 * (1 − a / 255), every step rounded to float32, then
// clip and truncate to uint8.
cv::Mat composite_over_white(const cv::Mat& rgba) {
  cv::Mat rgb(rgba.rows, rgba.cols, CV_8UC3);
  for (int y = 0; y < rgba.rows; ++y) {
    const auto* in = rgba.ptr<std::uint8_t>(y);
    auto* out = rgb.ptr<std::uint8_t>(y);
    for (int x = 0; x < rgba.cols; ++x) {
      const float m = static_cast<float>(in[4 * x + 3]) / 255.0F;
      const float background = 255.0F * (1.0F - m);
      for (int c = 0; c < 3; ++c) {
        const float v = static_cast<float>(in[4 * x + c]) * m + background;
        out[3 * x + c] = static_cast<std::uint8_t>(std::clamp(v, 0.0F, 255.0F));
      }
    }
  }
  return rgb;
}

// torchvision's Resize(int) output size: the shorter side becomes `size`, the longer one
// int(size · long / short).
std::pair<std::int64_t, std::int64_t> resized_size(std::int64_t h, std::int64_t w, std::int64_t size) {
  const std::int64_t shorter = std::min(h, w);
  const std::int64_t longer = std::max(h, w);
  const auto scaled =
      static_cast<std::int64_t>(static_cast<double>(size) * static_cast<double>(longer) / static_cast<double>(shorter));
  return w <= h ? std::pair{scaled, size} : std::pair{size, scaled};
}

}  // namespace

Result<at::Tensor> prepare_reference_image(const image::ImageRgba8& rgba, const ReferenceImageOptions& options) {
  if (rgba.width <= 0 || rgba.height <= 0 ||
      rgba.pixels.size() != static_cast<std::size_t>(rgba.width) * static_cast<std::size_t>(rgba.height)) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("reference image of {}x{} pixels holds {} of them",
                                                               rgba.width, rgba.height, rgba.pixels.size()));
  }
  if (options.size <= 0 || !(options.border_ratio >= 0.0 && options.border_ratio < 1.0)) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("reference image size {} or border ratio {} out of range", options.size, options.border_ratio));
  }
  const AlphaExtremes e = alpha_extremes(rgba);
  if (e.row_max < 0) return make_error(ErrorCode::kNoForeground, "the reference image is fully transparent");
  // The reference's extents are max − min, one less than the object's: its crop below drops the
  // object's last row and column, and a one-pixel-thin object is "empty" to it.
  const int h = e.row_max - e.row_min;
  const int w = e.col_max - e.col_min;
  if (h == 0 || w == 0) {
    return make_error(ErrorCode::kNoForeground,
                      fmt::format("the reference image's object is {}x{} pixels: too thin to recentre",
                                  e.col_max - e.col_min + 1, e.row_max - e.row_min + 1));
  }
  const int size = std::max(rgba.height, rgba.width);
  // Python: int(size * (1 − border)), desired / max(h, w), int(h · scale) — double, truncated.
  const auto desired = static_cast<int>(static_cast<double>(size) * (1.0 - options.border_ratio));
  const double scale = static_cast<double>(desired) / static_cast<double>(std::max(h, w));
  const auto h2 = static_cast<int>(static_cast<double>(h) * scale);
  const auto w2 = static_cast<int>(static_cast<double>(w) * scale);
  if (h2 <= 0 || w2 <= 0) {
    return make_error(ErrorCode::kNoForeground,
                      fmt::format("the reference image's object ({}x{} pixels) scales to nothing", w, h));
  }

  // cv::Mat only reads through this header; the const_cast never leads to a write.
  const cv::Mat source(rgba.height, rgba.width, CV_8UC4,
                       const_cast<void*>(static_cast<const void*>(rgba.pixels.data())));  // borrowed
  cv::Mat scaled;
  cv::resize(source(cv::Rect(e.col_min, e.row_min, w, h)), scaled, cv::Size(w2, h2), 0, 0, cv::INTER_AREA);
  cv::Mat canvas = cv::Mat::zeros(size, size, CV_8UC4);
  scaled.copyTo(canvas(cv::Rect((size - w2) / 2, (size - h2) / 2, w2, h2)));

  const cv::Mat rgb = composite_over_white(canvas);
  cv::Mat resized;
  cv::resize(rgb, resized, cv::Size(options.size, options.size), 0, 0, cv::INTER_CUBIC);

  // array_to_tensor: float(x) / 255 · 2 − 1 in float32, HWC -> [1, C, H, W].
  at::Tensor out = at::empty({1, 3, options.size, options.size}, at::kFloat);
  float* planes = out.data_ptr<float>();
  const std::size_t plane = static_cast<std::size_t>(options.size) * static_cast<std::size_t>(options.size);
  for (int y = 0; y < options.size; ++y) {
    const auto* row = resized.ptr<std::uint8_t>(y);
    for (int x = 0; x < options.size; ++x) {
      const std::size_t at =
          static_cast<std::size_t>(y) * static_cast<std::size_t>(options.size) + static_cast<std::size_t>(x);
      for (int c = 0; c < 3; ++c) {
        const float v = static_cast<float>(row[3 * x + c]) / 255.0F;
        planes[static_cast<std::size_t>(c) * plane + at] = v * 2.0F - 1.0F;
      }
    }
  }
  return out;
}

at::Tensor dinov2_view_embedding(std::int64_t hidden_size, std::int64_t views) {
  const std::int64_t half = hidden_size / 2;
  at::Tensor table = at::empty({views, hidden_size}, at::kDouble);
  auto acc = table.accessor<double, 2>();
  for (std::int64_t v = 0; v < views; ++v) {
    for (std::int64_t i = 0; i < half; ++i) {
      // numpy: omega = arange / (D / 2.); omega = 1 / 10000**omega; out = pos · omega.
      const double omega = 1.0 / std::pow(10000.0, static_cast<double>(i) / (static_cast<double>(hidden_size) / 2.0));
      const double angle = static_cast<double>(v) * omega;
      acc[v][i] = std::sin(angle);
      acc[v][half + i] = std::cos(angle);
    }
  }
  return table.to(at::kFloat);
}

Result<Conditioner> Conditioner::load(const Weights& conditioner, const models::DinoConfig& config) {
  Conditioner out;
  ORFEAS_ASSIGN_OR_RETURN(out.model_, DinoV2::load(conditioner.scope(kDinoV2Scope), config));
  const std::int64_t views = config.views;
  if (views < 0 || (views > 0 && config.hidden_size % 2 != 0)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("DINOv2 config: {} views with hidden size {}", views, config.hidden_size));
  }
  if (views > 0 && !config.use_cls_token) {
    // DinoImageEncoderMV keeps every token but sizes its view embedding without the CLS token: the
    // reference cannot run this combination either.
    return make_error(ErrorCode::kUnsupportedFormat, "a multi-view DINO encoder without its CLS token");
  }
  if (views > 0) out.view_embedding_ = dinov2_view_embedding(config.hidden_size, views);
  return out;
}

at::Tensor Conditioner::preprocess(const at::Tensor& image, at::ScalarType dtype, at::Device device) const {
  TORCH_CHECK(image.dim() == 4 && image.size(1) == 3, "the conditioner takes images [N, 3, H, W], got ", image.sizes());
  // ImageEncoder.forward: (image − low) / (high − low) with (low, high) = (−1, 1), on the CPU in
  // float32, then to the model's device and dtype.
  at::Tensor x = at::div(at::sub(image, -1), 2).to(device, dtype);
  const std::int64_t size = model_.config().image_size;
  const auto [new_h, new_w] = resized_size(x.size(2), x.size(3), size);
  if (new_h != x.size(2) || new_w != x.size(3)) {
    // torchvision's Resize: float32 in, interpolate(bilinear, align_corners=False, antialias=True),
    // back to the input's dtype.
    x = at::_upsample_bilinear2d_aa(x.to(at::kFloat), {new_h, new_w}, /*align_corners=*/false).to(dtype);
  }
  if (new_h != size || new_w != size) {
    // CenterCrop: offsets int(round((side − size) / 2)) (Python rounds half to even).
    const auto top = static_cast<std::int64_t>(std::nearbyint(static_cast<double>(new_h - size) / 2.0));
    const auto left = static_cast<std::int64_t>(std::nearbyint(static_cast<double>(new_w - size) / 2.0));
    x = x.slice(2, top, top + size).slice(3, left, left + size);
  }
  // Normalize: mean and std as tensors of the image's dtype (rounded to it), sub then div.
  const auto stats = [&](const std::array<double, 3>& v) {
    return at::tensor(at::ArrayRef<double>(v.data(), v.size()), at::kDouble).to(dtype).to(device).view({-1, 1, 1});
  };
  return x.sub(stats(kMean)).div(stats(kStd));
}

at::Tensor Conditioner::encode(const at::Tensor& image, at::ScalarType dtype, at::Device device) const {
  if (view_embedding_.defined()) {
    TORCH_CHECK(image.dim() == 5, "a multi-view conditioner takes images [B, V, 3, H, W], got ", image.sizes());
    std::vector<std::int64_t> order(static_cast<std::size_t>(image.size(1)));
    for (std::size_t v = 0; v < order.size(); ++v) order[v] = static_cast<std::int64_t>(v);
    return encode_views(image, std::vector<std::vector<std::int64_t>>(static_cast<std::size_t>(image.size(0)), order),
                        dtype, device);
  }
  const at::Tensor tokens = model_.forward(preprocess(image, dtype, device));
  return model_.config().use_cls_token ? tokens : tokens.slice(1, 1);
}

at::Tensor Conditioner::encode_views(const at::Tensor& images,
                                     const std::vector<std::vector<std::int64_t>>& view_indices, at::ScalarType dtype,
                                     at::Device device) const {
  TORCH_CHECK(view_embedding_.defined(), "this conditioner has no view embedding (config.views is 0)");
  TORCH_CHECK(images.dim() == 5, "multi-view images are [B, V, 3, H, W], got ", images.sizes());
  const std::int64_t batch = images.size(0);
  const std::int64_t views = images.size(1);
  TORCH_CHECK(static_cast<std::int64_t>(view_indices.size()) == batch, "view indices for ", view_indices.size(),
              " images, not ", batch);
  std::vector<std::int64_t> flat;
  for (const auto& idx : view_indices) {
    TORCH_CHECK(static_cast<std::int64_t>(idx.size()) == views, "each image needs ", views, " view indices");
    for (const std::int64_t v : idx) {
      TORCH_CHECK(v >= 0 && v < view_embedding_.size(0), "view index ", v, " out of range");
      flat.push_back(v);
    }
  }
  // DinoImageEncoderMV: all views through DINOv2 as one batch of B·V images.
  const at::Tensor tokens = model_.forward(preprocess(images.flatten(0, 1), dtype, device));
  const std::int64_t t = tokens.size(1);
  const std::int64_t d = tokens.size(2);
  // The float32 view embedding is rounded to the run dtype, then added per view to every token.
  const at::Tensor embedding =
      view_embedding_.index_select(0, at::tensor(flat, at::kLong)).view({batch, views, 1, d}).to(dtype).to(device);
  return (tokens.view({batch, views, t, d}) + embedding).view({batch, views * t, d});
}

at::Tensor Conditioner::unconditional(std::int64_t batch) const {
  return unconditional(batch, view_embedding_.defined() ? view_embedding_.size(0) : 1);
}

at::Tensor Conditioner::unconditional(std::int64_t batch, std::int64_t views) const {
  return at::zeros({batch, views * tokens_per_view(), hidden_size()}, model_.options());
}

}  // namespace orfeas::engine
