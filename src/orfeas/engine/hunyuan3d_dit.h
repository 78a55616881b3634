// Hunyuan3DDiT: the FLUX-style flow-matching denoiser of Hunyuan3D-2 v2-0, mini, mv, -fast and
// -turbo (hy3dgen/shapegen/models/denoisers/hunyuan3ddit.py; /work/notes/hy3d-architecture.md §6).
//
//   ORFEAS_ASSIGN_OR_RETURN(Hunyuan3DDit dit, Hunyuan3DDit::load(all.scope("model."), config.denoiser_dit));
//   at::Tensor v = dit.forward(latents, t, cond, guidance);   // velocity, like `latents`
//
// The forward pass:
//   latent = latent_in(x); vec = time_in(emb(t)) [+ guidance_in(emb(guidance))]; txt = cond_in(cond)
//   depth double-stream blocks (img and txt streams, joint attention over [txt | img])
//   depth_single_blocks single-stream blocks over cat(txt, img)
//   the txt tokens dropped, then the final adaLN layer -> [B, N, Cin]
// There is no positional encoding (the reference passes pe = None); axes_dim and theta are only checked.
//
// Exactness: every elementwise step of the reference is its own ATen operation in the reference's
// order and dtype, so in fp16 each rounds where the reference rounds (modulation `(1 + scale)`,
// `· LN(x)`, `+ shift`, `x + gate · y` are four roundings, not one fused f32 expression), and the
// layouts reaching attention are the reference's (einops' view + permute, then cat).
//
// Ownership: the module holds (shares) the tensors it took from Weights; it runs on their device
// and dtype. Thread-safety: immutable after load; concurrent forward calls are safe.
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

// The reference's `timestep_embedding(t, dim, max_period, time_factor)`: T = time_factor · t in
// t's dtype; freqs_i = exp(−ln(max_period) · i / half), i < half = dim / 2, computed on the CPU in
// float32 and then moved to t's device; args = float(T)[:, None] · freqs; [cos(args) | sin(args)]
// (cos first; a zero column appended when dim is odd), cast to t's dtype and device.
// Hunyuan3DDiT calls it with max_period = config.time_factor (1000, the positional-argument quirk)
// and time_factor = 1000.
// t: [B] floating. Returns [B, dim].
[[nodiscard]] at::Tensor hunyuan3d_timestep_embedding(const at::Tensor& t, std::int64_t dim, double max_period,
                                                      double time_factor);

// Modulation(double): lin(silu(vec))[:, None, :] chunked into (shift, scale, gate) triples.
struct Hunyuan3DModulation {
  Linear lin;  // [H] -> [k · 3H], k = 2 (double stream) or 1 (single stream)
  std::int64_t triples = 1;
  // vec [B, H] -> 3·triples tensors [B, 1, H]: shift, scale, gate (, shift2, scale2, gate2).
  [[nodiscard]] std::vector<at::Tensor> operator()(const at::Tensor& vec) const;
};

// One stream's half of a DoubleStreamBlock (img_* or txt_*).
struct Hunyuan3DStream {
  Hunyuan3DModulation mod;   // `<s>_mod.lin`
  Linear qkv;                // `<s>_attn.qkv` [H] -> [3H], standard (K H D) split
  ScaledRmsNorm query_norm;  // `<s>_attn.norm.query_norm.scale` [hd]
  ScaledRmsNorm key_norm;    // `<s>_attn.norm.key_norm.scale` [hd]
  Linear proj;               // `<s>_attn.proj` [H] -> [H]
  Linear mlp_in;             // `<s>_mlp.0` [H] -> [M]
  Linear mlp_out;            // `<s>_mlp.2` [M] -> [H]
};

struct Hunyuan3DDoubleBlock {
  Hunyuan3DStream img;
  Hunyuan3DStream txt;
  // img [B, N, H], txt [B, L, H], vec [B, H] -> {img, txt} of the same shapes.
  [[nodiscard]] std::pair<at::Tensor, at::Tensor> operator()(const at::Tensor& img, const at::Tensor& txt,
                                                             const at::Tensor& vec, std::int64_t heads) const;
};

struct Hunyuan3DSingleBlock {
  Linear linear1;            // [H] -> [3H + M]: qkv and the MLP's input
  Linear linear2;            // [H + M] -> [H]: attention projection and the MLP's output
  ScaledRmsNorm query_norm;  // `norm.query_norm.scale` [hd]
  ScaledRmsNorm key_norm;    // `norm.key_norm.scale` [hd]
  Hunyuan3DModulation modulation;
  // x [B, L, H], vec [B, H] -> [B, L, H].
  [[nodiscard]] at::Tensor operator()(const at::Tensor& x, const at::Tensor& vec, std::int64_t heads) const;
};

class Hunyuan3DDit {
 public:
  // Takes every tensor of the model from `model_scope` (the checkpoint's names without "model.")
  // with its shape checked: latent_in, time_in.{in,out}_layer, guidance_in.* (only with
  // guidance_embed), cond_in, double_blocks.N.*, single_blocks.N.*, final_layer.*.
  // kCorruptData naming the tensor when one is missing or misshapen; kInvalidArgument when the
  // config is impossible (heads not dividing hidden_size, sum(axes_dim) != head_dim).
  [[nodiscard]] static Result<Hunyuan3DDit> load(const Weights& model_scope, const models::Hunyuan3DDitConfig& config);

  // x [B, N, Cin]; t [B], as the pipeline passes it (h(σ·1000)/1000 in the weights' dtype);
  // cond [B, L, Cctx]; guidance [B] (the CFG scale, required with guidance_embed and ignored
  // without it, as in the reference). Returns the velocity [B, N, Cin] in the weights' dtype.
  // Throws c10::Error on mismatched shapes or a missing guidance.
  [[nodiscard]] at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& cond,
                                   const std::optional<at::Tensor>& guidance) const;

  [[nodiscard]] const models::Hunyuan3DDitConfig& config() const { return config_; }
  [[nodiscard]] const std::vector<Hunyuan3DDoubleBlock>& double_blocks() const { return double_blocks_; }
  [[nodiscard]] const std::vector<Hunyuan3DSingleBlock>& single_blocks() const { return single_blocks_; }

 private:
  struct Embedder {  // MLPEmbedder: out_layer(silu(in_layer(x)))
    Linear in_layer;
    Linear out_layer;
    [[nodiscard]] at::Tensor operator()(const at::Tensor& x) const;
  };

  models::Hunyuan3DDitConfig config_;
  Linear latent_in_;
  Embedder time_in_;
  std::optional<Embedder> guidance_in_;
  Linear cond_in_;
  std::vector<Hunyuan3DDoubleBlock> double_blocks_;
  std::vector<Hunyuan3DSingleBlock> single_blocks_;
  Linear final_linear_;      // final_layer.linear [H] -> [Cin]
  Linear final_modulation_;  // final_layer.adaLN_modulation.1 [H] -> [2H] (shift, scale)
};

// Draws the random tensors of random_*_weights (float32, CPU) in call order from one seeded
// generator. Not thread-safe.
class RandomWeightMaker {
 public:
  explicit RandomWeightMaker(std::uint64_t seed);
  // `name`.weight [out, in] ~ N(0, (0.5/sqrt(in))²) and, with `bias`, `name`.bias [out] ~ N(0, 0.02²).
  void linear(const std::string& name, std::int64_t in, std::int64_t out, bool bias);
  // `name` [dim] ~ 1 + N(0, 0.1²): norm scales and weights.
  void around_one(const std::string& name, std::int64_t dim);
  // `name` ~ mean + N(0, std²).
  void normal(const std::string& name, at::IntArrayRef shape, double mean, double std);
  [[nodiscard]] std::map<std::string, at::Tensor, std::less<>> take() { return std::move(tensors_); }

 private:
  at::Generator generator_;
  std::map<std::string, at::Tensor, std::less<>> tensors_;
};

// Random float32 CPU tensors for every name Hunyuan3DDit::load takes (official names, without
// "model."), deterministic in `seed`: weights ~ N(0, (0.5/sqrt(fan_in))²), biases ~ N(0, 0.02²),
// RMSNorm scales ~ 1 + N(0, 0.1²), so the outputs of even the full-size model stay finite. For
// tests, the parity harness and pipeline tests.
[[nodiscard]] std::map<std::string, at::Tensor, std::less<>> random_hunyuan3d_dit_weights(
    const models::Hunyuan3DDitConfig& config, std::uint64_t seed);

}  // namespace orfeas::engine
