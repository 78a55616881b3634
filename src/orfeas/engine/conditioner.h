// Hunyuan3D-2's conditioner: the reference image prepared as its ImageProcessorV2 does, and encoded
// by DINOv2 as its SingleImageEncoder / DinoImageEncoder (or DinoImageEncoderMV) does.
//
//   ORFEAS_ASSIGN_OR_RETURN(at::Tensor image, prepare_reference_image(decoded_rgba));  // [1, 3, 512, 512]
//   ORFEAS_ASSIGN_OR_RETURN(Conditioner cond, Conditioner::load(all.scope("conditioner."), dino_config));
//   at::Tensor tokens = cond.encode(image, at::kHalf, at::Device(at::kCUDA, 0));   // [1, 1370, D]
//   at::Tensor empty = cond.unconditional(1);                                         // zeros, same shape
//
// prepare_reference_image (notes §4) recentres the object by its alpha with border 0.15 — keeping
// the reference's bounding-box quirk: its extents are max − min, so the object's last row and column
// are cropped away — scales it with OpenCV's INTER_AREA on straight RGBA into a square canvas the
// size of the input's longer side, composites it over white in float32 (truncated to 8 bits),
// resizes to 512 with INTER_CUBIC, and maps to [−1, 1] in float32. OpenCV's own cv::resize is used
// so that the pixels match the reference's for the same OpenCV version.
//
// encode (notes §5.2, §1.19) is the reference's chain, dtype for dtype: (x + 1) / 2 in float32 on
// the CPU; to the device and run dtype; torchvision's Resize to the DINO size (bilinear with
// antialias, computed in float32 and cast back; skipped at that size already) and CenterCrop;
// Normalize in the run dtype with the ImageNet mean/std rounded to it (sub, then div); DINOv2's
// last_hidden_state (without its CLS token when use_cls_token is false). The resize goes to
// config.image_size (the encoder's kwarg); DINOv2's position table was trained for
// config.config_image_size and is resampled when the two differ (not so in any official model). For the multi-view
// models (config.views > 0) each view is encoded alone and gets its sin-cos view embedding (float64 → float32 → run
// dtype) added before the views' tokens are concatenated (notes §5.4).
//
// Ownership: a Conditioner holds its DINOv2 (tensors shared with the Weights). Thread-safety:
// immutable after loading; encode may run concurrently. The weights must already be on `device`
// in `dtype`: encode does not move them.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/engine/dinov2.h"
#include "orfeas/engine/weights.h"
#include "orfeas/image/image.h"
#include "orfeas/models/model_config.h"

namespace orfeas::engine {

struct ReferenceImageOptions {
  int size = 512;              // output side, pixels (ImageProcessorV2's size)
  double border_ratio = 0.15;  // the reference's border_ratio, kept in double as Python computes it
};

// decoded RGBA (straight alpha; the alpha is the object's mask) -> [1, 3, size, size] float32 on
// the CPU in [−1, 1]. Errors: kNoForeground when the alpha is empty or the object spans a single
// row or column (the reference raises there too) or scales to nothing; kInvalidArgument for an
// image without pixels or options out of range.
[[nodiscard]] Result<at::Tensor> prepare_reference_image(const image::ImageRgba8& rgba,
                                                         const ReferenceImageOptions& options = {});

// DinoImageEncoderMV's view embedding: [views, D] float32, row v = [sin(v·ω) | cos(v·ω)] with
// ω_i = 1 / 10000^(i / (D/2)), computed in float64 and rounded to float32.
[[nodiscard]] at::Tensor dinov2_view_embedding(std::int64_t hidden_size, std::int64_t views);

class Conditioner {
 public:
  // `conditioner`: the checkpoint's tensors scoped at "conditioner." (DINOv2 under kDinoV2Scope).
  [[nodiscard]] static Result<Conditioner> load(const Weights& conditioner, const models::DinoConfig& config);

  // image [B, 3, H, W] float32 in [−1, 1] on the CPU (B·V images [B, V, 3, H, W] for a multi-view
  // model, views in index order 0..V−1) -> [B, tokens, D] (multi-view: [B, V·tokens, D]) in `dtype`
  // on `device`.
  [[nodiscard]] at::Tensor encode(const at::Tensor& image, at::ScalarType dtype, at::Device device) const;
  // Multi-view with the views named: images [B, V, 3, H, W]; view_indices[b] lists the view index
  // (0 front, 1 left, 2 back, 3 right) of each of image b's V views.
  [[nodiscard]] at::Tensor encode_views(const at::Tensor& images,
                                        const std::vector<std::vector<std::int64_t>>& view_indices,
                                        at::ScalarType dtype, at::Device device) const;
  // The pixels DINOv2 sees: image [N, 3, H, W] -> [N, 3, S, S] normalised, in `dtype` on `device`.
  [[nodiscard]] at::Tensor preprocess(const at::Tensor& image, at::ScalarType dtype, at::Device device) const;

  // Zeros shaped like encode's output for `batch` images (of `views` views each; by default the
  // config's views, or a single image when it has none), in the weights' dtype and device.
  [[nodiscard]] at::Tensor unconditional(std::int64_t batch) const;
  [[nodiscard]] at::Tensor unconditional(std::int64_t batch, std::int64_t views) const;

  // Tokens per image (per view): (image_size / patch)², plus the CLS token with use_cls_token.
  [[nodiscard]] std::int64_t tokens_per_view() const { return model_.config().tokens(); }
  [[nodiscard]] std::int64_t hidden_size() const { return model_.config().hidden_size; }
  [[nodiscard]] const DinoV2& model() const { return model_; }

 private:
  DinoV2 model_;
  at::Tensor view_embedding_;  // [views, D] float32 on the CPU; undefined without views
};

}  // namespace orfeas::engine
