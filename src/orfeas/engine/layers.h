// The building blocks every Hunyuan3D-2 module is made of, loaded from Weights with their shapes
// checked, and computed with the same ATen operations, in the same order and dtypes, as the
// reference's PyTorch code, so the results match it bit for bit on the same LibTorch.
//
//   ORFEAS_ASSIGN_OR_RETURN(Linear qkv, Linear::load(block, "img_attn.qkv", 1024, 3 * 1024, /*bias=*/true));
//   at::Tensor y = qkv(x);                                 // [.., 1024] -> [.., 3072]
//   at::Tensor o = attention(q, k, v);                     // [B, H, L, D]
//
// Thread-safety: the layers are immutable after loading; forward calls may run concurrently.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string_view>

#include "orfeas/core/status.h"
#include "orfeas/engine/weights.h"

namespace orfeas::engine {

// `name`.weight [out, in] and, with `bias`, `name`.bias [out].
struct Linear {
  at::Tensor weight;
  at::Tensor bias;  // undefined without one
  [[nodiscard]] at::Tensor operator()(const at::Tensor& x) const { return at::linear(x, weight, bias); }
  [[nodiscard]] static Result<Linear> load(const Weights& weights, std::string_view name, std::int64_t in,
                                           std::int64_t out, bool bias);
};

// LayerNorm over the last dimension; `affine`: `name`.weight and `name`.bias [dim].
struct LayerNorm {
  at::Tensor weight;
  at::Tensor bias;
  std::int64_t dim = 0;
  double eps = 1e-5;
  [[nodiscard]] at::Tensor operator()(const at::Tensor& x) const { return at::layer_norm(x, {dim}, weight, bias, eps); }
  [[nodiscard]] static Result<LayerNorm> load(const Weights& weights, std::string_view name, std::int64_t dim,
                                              double eps, bool affine = true);
  [[nodiscard]] static LayerNorm plain(std::int64_t dim, double eps);  // no affine parameters
};

// The RMSNorm of FLUX-style blocks (Hunyuan3DDiT's QK norm): normalised in float32, rounded to the
// input's dtype, then multiplied by `name`.scale [dim] in that dtype (two roundings).
struct ScaledRmsNorm {
  at::Tensor scale;
  [[nodiscard]] at::Tensor operator()(const at::Tensor& x) const;
  [[nodiscard]] static Result<ScaledRmsNorm> load(const Weights& weights, std::string_view name, std::int64_t dim);
};

// torch.nn.RMSNorm (HunYuanDiTPlain's QK norm): `name`.weight [dim]; at::rms_norm where LibTorch
// has it (≥ 2.4), else the same formula in float32 with one rounding at the end.
struct RmsNorm {
  at::Tensor weight;
  double eps = 1e-6;
  [[nodiscard]] at::Tensor operator()(const at::Tensor& x) const;
  [[nodiscard]] static Result<RmsNorm> load(const Weights& weights, std::string_view name, std::int64_t dim,
                                            double eps);
};

// softmax(q kᵀ / sqrt(D)) v over q, k, v [B, H, L, D]: the fused scaled_dot_product_attention where
// LibTorch has it (≥ 2.0), else the same three operations (softmax in float32).
[[nodiscard]] at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

[[nodiscard]] inline at::Tensor gelu_tanh(const at::Tensor& x) {
  return at::gelu(x, "tanh");
}
[[nodiscard]] inline at::Tensor gelu_exact(
    const at::Tensor& x) {  // erf GELU (an unqualified gelu() would meet at::gelu by ADL)
  return at::gelu(x);
}

// Whether this LibTorch has the fused attention (for reports and tests).
[[nodiscard]] bool has_fused_attention();

}  // namespace orfeas::engine
