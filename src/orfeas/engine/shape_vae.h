// The decoder half of Hunyuan3D-2's ShapeVAE: latents -> decoded latent tokens (post_kl + a
// transformer of self-attention blocks), and the geometry decoder that turns query points into
// occupancy logits by cross-attending to those tokens (notes §8, §1 items 10 and 11).
//
//   ORFEAS_ASSIGN_OR_RETURN(ShapeVae vae, ShapeVae::load(all.scope("vae."), config.vae));
//   at::Tensor tokens = vae.decode_latents(latents / scale_factor);   // [B, N, 64] -> [B, N, W]
//   const GeometryDecoder& geo = vae.geometry_decoder();
//   at::Tensor kv = geo.keys_values(tokens);                          // once per mesh
//   at::Tensor logits = geo.query(points, kv);                        // [B, P, 3] -> [B, P]
//
// The operations, their order and their dtypes are the reference's (H2 attention_blocks.py,
// autoencoders/model.py), so the same LibTorch gives the same bits:
//   - self-attention splits c_qkv's output per head, interleaved: viewed as [B, N, H, 3·hd], head h
//     takes q, k, v from columns h·3hd + [0, hd), [hd, 2hd), [2hd, 3hd);
//   - cross-attention splits c_kv's output the same way: [B, N, H, 2·hd], k then v per head;
//   - q_norm / k_norm are LayerNorm(hd, affine, eps 1e-6) when qk_norm; ln_post has eps 1e-5;
//   - the Fourier features are cat(x, sin(x·f), cos(x·f)) coordinate-major, computed in the dtype
//     of the query points times the run-dtype frequencies (§1 item 11: run-dtype points give
//     run-dtype features, f32 points give f32 features rounded to the run dtype afterwards).
// Caching the geometry decoder's keys and values (the reference recomputes c_kv(ln_2(latents)) for
// every chunk of queries) gives exactly the same numbers: the computation is the same, once.
//
// The modules run on the device and in the dtype of their weights ("the run dtype"); inputs must be
// there already (ATen throws otherwise). Forward calls may throw c10::Error.
// Thread-safety: immutable after loading; forward calls may run concurrently. Copies share weights.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/engine/layers.h"
#include "orfeas/engine/weights.h"
#include "orfeas/models/model_config.h"

namespace orfeas::engine {

// Fourier features of 3-D points: [.., 3] -> [.., 3·(2F + 1)], ordered
// [x, y, z, sin(x·f0..x·f{F-1}, y·f0.., z·f0..), cos(same)] (coordinate-major inside sin and cos).
// Frequencies 2^0..2^(F-1) (×π in f32 when include_pi), made in f32 and then cast to the run dtype,
// as the reference's non-persistent buffer is by `vae.to(dtype)`.
class FourierEmbedder {
 public:
  FourierEmbedder() = default;
  [[nodiscard]] static FourierEmbedder make(std::int64_t num_freqs, bool include_pi, const at::TensorOptions& options);
  // The result's dtype is that of points · frequencies (type promotion), not cast.
  [[nodiscard]] at::Tensor operator()(const at::Tensor& points) const;
  [[nodiscard]] std::int64_t out_dim() const { return 3 * (2 * frequencies_.size(0) + 1); }
  [[nodiscard]] const at::Tensor& frequencies() const { return frequencies_; }  // [F] run dtype

 private:
  at::Tensor frequencies_;
};

// transformer.resblocks.N: x + c_proj(attn(ln_1 x)), then x + mlp(ln_2 x) (GELU exact, 4× wide).
struct ShapeVaeBlock {
  LayerNorm ln_1;
  Linear c_qkv;  // [3W, W], per-head interleaved output
  Linear c_proj;
  std::optional<LayerNorm> q_norm;  // over hd, only with qk_norm
  std::optional<LayerNorm> k_norm;
  LayerNorm ln_2;
  Linear mlp_c_fc;
  Linear mlp_c_proj;
  std::int64_t heads = 0;

  [[nodiscard]] at::Tensor operator()(const at::Tensor& x) const;  // [B, N, W] -> [B, N, W]
  // `block` is the scope "transformer.resblocks.N.".
  [[nodiscard]] static Result<ShapeVaeBlock> load(const Weights& block, const models::ShapeVaeConfig& config);
};

// geo_decoder: occupancy logits (positive inside, iso level 0) of query points.
class GeometryDecoder {
 public:
  // `geo` is the scope "geo_decoder.".
  [[nodiscard]] static Result<GeometryDecoder> load(const Weights& geo, const models::ShapeVaeConfig& config);

  // The cross-attention's keys and values for decoded latent tokens [B, N, W] (run dtype):
  // c_kv(ln_2(latents_proj?(tokens))) viewed [B, N, H, 2·hd], k_norm applied to the k half.
  // Returns [B, N, H, 2·hd], run dtype: compute it once per mesh and pass it to every query().
  [[nodiscard]] at::Tensor keys_values(const at::Tensor& decoded) const;

  // Logits [B, P] (run dtype) of points [B, P, 3] (run dtype, or f32 as the reference's FlashVDM
  // refinement passes them) against keys_values(...) of the same B.
  [[nodiscard]] at::Tensor query(const at::Tensor& points, const at::Tensor& kv) const;

  [[nodiscard]] const FourierEmbedder& fourier() const { return fourier_; }
  [[nodiscard]] at::ScalarType dtype() const { return query_proj_.weight.scalar_type(); }
  [[nodiscard]] at::Device device() const { return query_proj_.weight.device(); }
  [[nodiscard]] std::int64_t heads() const { return heads_; }

 private:
  FourierEmbedder fourier_;
  Linear query_proj_;
  std::optional<Linear> latents_proj_;  // only with geo_decoder_downsample_ratio != 1
  LayerNorm ln_1_;
  LayerNorm ln_2_;
  LayerNorm ln_3_;
  Linear c_q_;
  Linear c_kv_;
  Linear c_proj_;
  std::optional<LayerNorm> q_norm_;
  std::optional<LayerNorm> k_norm_;
  Linear mlp_c_fc_;
  Linear mlp_c_proj_;
  std::optional<LayerNorm> ln_post_;  // eps 1e-5; absent when geo_decoder_ln_post is false
  Linear output_proj_;                // [1, W]
  std::int64_t heads_ = 0;
};

class ShapeVae {
 public:
  // `vae` holds the official names without the checkpoint's "vae." prefix (post_kl.weight, ...);
  // encoder.* and pre_kl.* may be present and are ignored.
  [[nodiscard]] static Result<ShapeVae> load(const Weights& vae, const models::ShapeVaeConfig& config);

  // transformer(post_kl(latents)): latents [B, N, embed_dim] in the run dtype, already divided by
  // scale_factor -> decoded tokens [B, N, W] (run dtype) for the geometry decoder.
  [[nodiscard]] at::Tensor decode_latents(const at::Tensor& latents) const;

  [[nodiscard]] const GeometryDecoder& geometry_decoder() const { return geo_decoder_; }
  [[nodiscard]] const models::ShapeVaeConfig& config() const { return config_; }
  [[nodiscard]] const std::vector<ShapeVaeBlock>& blocks() const { return blocks_; }

 private:
  models::ShapeVaeConfig config_;
  Linear post_kl_;
  std::vector<ShapeVaeBlock> blocks_;
  GeometryDecoder geo_decoder_;
};

// A tiny ShapeVAE for tests (width 32, 2 heads, 2 decoder layers, 64 latents of 64 channels,
// 4 frequencies, qk_norm, no qkv bias): pairs with random_shape_vae_weights.
[[nodiscard]] models::ShapeVaeConfig tiny_shape_vae_config();

// Random f32 CPU tensors for every name ShapeVae::load needs, with the official names (no "vae."
// prefix), scaled so that activations stay O(1); the same seed gives the same tensors. For tests,
// the parity harness and the pipeline tests.
[[nodiscard]] std::map<std::string, at::Tensor, std::less<>> random_shape_vae_weights(
    const models::ShapeVaeConfig& config, std::uint64_t seed);

}  // namespace orfeas::engine
