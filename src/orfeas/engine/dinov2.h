// DINOv2, the image encoder of Hunyuan3D-2's conditioner: HF transformers' Dinov2Model (the ViT
// without register tokens), giant with a SwiGLU feed-forward (v2-0, mini, mv: hidden 1536, 40
// layers, 24 heads) or large with a GELU MLP (2.1: hidden 1024, 24 layers, 16 heads).
//
//   Weights dino = conditioner.scope(kDinoV2Scope);          // "main_image_encoder.model."
//   ORFEAS_ASSIGN_OR_RETURN(DinoV2 model, DinoV2::load(dino, config));
//   at::Tensor tokens = model.forward(pixels);                // [B, 3, 518, 518] -> [B, 1370, D]
//
// The forward pass is the reference's op for op, in the dtype of the weights: the patch Conv2d, the
// CLS token first, the position embeddings added as they are, then per layer (pre-norm)
//   h = x + lambda1 · dense(SDPA(q, k, v))(norm1(x))
//   y = h + lambda2 · mlp(norm2(h))
// and the final layernorm (last_hidden_state). Attention is the fused SDPA, as transformers 5.x
// runs it by default (notes §5.3).
//
// Ownership: holds its tensors (shared with the Weights it was loaded from). Thread-safety:
// immutable after loading; forward calls may run concurrently. Runs on the device and in the dtype
// the weights are on; `pixels` is cast to the weights' dtype, as the reference does.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/engine/layers.h"
#include "orfeas/engine/weights.h"
#include "orfeas/models/model_config.h"

namespace orfeas::engine {

// Where the DINOv2 tensors sit inside the checkpoint's `conditioner.` tensors.
inline constexpr std::string_view kDinoV2Scope = "main_image_encoder.model.";

// One encoder layer (Dinov2Layer).
struct DinoV2Layer {
  LayerNorm norm1;
  Linear query;
  Linear key;
  Linear value;
  Linear dense;             // attention.output.dense
  at::Tensor layer_scale1;  // [D]
  LayerNorm norm2;
  bool swiglu = false;
  Linear mlp_in;            // swiglu: weights_in [2·F, D] (x1 | x2); else fc1 [F, D]  (F: config.mlp_hidden_size())
  Linear mlp_out;           // swiglu: weights_out [D, F]; else fc2 [D, F]
  at::Tensor layer_scale2;  // [D]
  std::int64_t heads = 0;

  // [B, L, D] -> [B, L, D]
  [[nodiscard]] at::Tensor operator()(const at::Tensor& x) const;
  // The attention half and the MLP half, exposed for the tests.
  [[nodiscard]] at::Tensor self_attention(const at::Tensor& x) const;  // dense(SDPA(q, k, v)), [B, L, D]
  [[nodiscard]] at::Tensor mlp(const at::Tensor& x) const;             // [B, L, D]

  [[nodiscard]] static Result<DinoV2Layer> load(const Weights& layer, const models::DinoConfig& config);
};

class DinoV2 {
 public:
  // `weights`: the Dinov2Model's own names (embeddings.cls_token, encoder.layer.0.norm1.weight, …),
  // i.e. the checkpoint's conditioner tensors scoped at kDinoV2Scope. embeddings.mask_token may be
  // present; it is unused at inference and not required. The position table has
  // config.position_embeddings() rows (from config_image_size). The plain MLP's hidden_act must be
  // "gelu" (what both official configs say); another is kUnsupportedFormat.
  [[nodiscard]] static Result<DinoV2> load(const Weights& weights, const models::DinoConfig& config);

  // pixels [B, C, H, W] (normalised; H and W multiples of the patch size) -> last_hidden_state
  // [B, 1 + (H/p)·(W/p), D], CLS first, in the weights' dtype (use_cls_token is the conditioner's
  // business, not the model's).
  [[nodiscard]] at::Tensor forward(const at::Tensor& pixels) const;
  // The embeddings alone (patch projection, CLS, position): [B, 1 + N, D].
  [[nodiscard]] at::Tensor embed(const at::Tensor& pixels) const;

  [[nodiscard]] const models::DinoConfig& config() const { return config_; }
  [[nodiscard]] const std::vector<DinoV2Layer>& layers() const { return layers_; }
  // The dtype and device of the weights.
  [[nodiscard]] at::TensorOptions options() const { return cls_token_.options(); }

 private:
  // The position embeddings for an H × W input: as stored when the patch grid matches the one they
  // were trained for (always the case at 518), else resampled bicubically in float32 to the new grid.
  [[nodiscard]] at::Tensor position_embeddings(std::int64_t num_patches, std::int64_t height, std::int64_t width) const;

  models::DinoConfig config_{};
  at::Tensor cls_token_;            // [1, 1, D]
  at::Tensor position_embeddings_;  // [1, N + 1, D]
  at::Tensor patch_weight_;         // [D, C, p, p]
  at::Tensor patch_bias_;           // [D]
  std::vector<DinoV2Layer> layers_;
  LayerNorm layernorm_;
};

// A tiny DINOv2 for tests and the parity harness: hidden 32, 2 layers, 2 heads, patch 14, the
// image and its position table at `image_size` (28: a 2 × 2 grid), gelu, qkv bias, 3 channels.
[[nodiscard]] models::DinoConfig tiny_dinov2_config(bool swiglu = true, std::int64_t image_size = 28);

// Random tensors, float32 on the CPU, for every name DinoV2 needs (plus the unused mask_token),
// under their official names with the kDinoV2Scope prefix, as they sit under `conditioner.` in a
// Hunyuan3D-2 checkpoint. Deterministic in `seed`. Scaled so that a forward pass stays finite and
// non-trivial (layer scales around 0.1–1).
[[nodiscard]] std::map<std::string, at::Tensor, std::less<>> random_dinov2_weights(const models::DinoConfig& config,
                                                                                   std::uint64_t seed);

}  // namespace orfeas::engine
